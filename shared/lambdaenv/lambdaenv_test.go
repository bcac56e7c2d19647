package lambdaenv

import (
	"context"
	"testing"
)

func TestAWSConfigFromTheLambdaEnvironment(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	full := map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token"}
	cfg, err := awsConfigFrom(env(full))
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || cfg.Region != "eu-west-1" || creds.AccessKeyID != "AKIA" || creds.SecretAccessKey != "secret" || creds.SessionToken != "token" || cfg.BaseEndpoint != nil {
		t.Fatalf("config %+v, credentials %+v, %v", cfg, creds, err)
	}
	full["AWS_ENDPOINT_URL"] = "http://127.0.0.1:5000"
	if cfg, _ := awsConfigFrom(env(full)); cfg.BaseEndpoint == nil || *cfg.BaseEndpoint != "http://127.0.0.1:5000" {
		t.Fatalf("endpoint not honoured: %+v", cfg.BaseEndpoint)
	}
	delete(full, "AWS_REGION")
	full["AWS_DEFAULT_REGION"] = "us-east-2"
	if cfg, err := awsConfigFrom(env(full)); err != nil || cfg.Region != "us-east-2" {
		t.Fatalf("AWS_DEFAULT_REGION: %v %v", cfg.Region, err)
	}
	for _, missing := range []string{"AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		m := map[string]string{}
		for k, v := range full {
			if k != missing {
				m[k] = v
			}
		}
		if _, err := awsConfigFrom(env(m)); err == nil {
			t.Errorf("without %s: no error", missing)
		}
	}
}
