package vault_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/accesshive/accesshive/infra/localstack"
	"github.com/accesshive/accesshive/infra/testenv"
	"github.com/accesshive/accesshive/shared/vault"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

var n atomic.Int64

func newVault(t *testing.T, kmsKey string) (*vault.Vault, *secretsmanager.Client) {
	t.Helper()
	api := secretsmanager.NewFromConfig(localstack.Config(testenv.Endpoint(t)))
	env := map[string]string{"SECRETS_PREFIX": fmt.Sprintf("vault-test-%d/", n.Add(1)), "SECRETS_KMS_KEY_ID": kmsKey}
	return vault.FromEnv(api, func(k string) string { return env[k] }), api
}

// TestSecretsUseTheConfiguredKey: with SECRETS_KMS_KEY_ID set, the secrets the
// vault creates (Put's first value, Create) are encrypted with that key; without
// it, with Secrets Manager's default.
func TestSecretsUseTheConfiguredKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const key = "arn:aws:kms:us-east-1:123456789012:key/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e"
	for _, c := range []struct{ name, key string }{{"CustomerManaged", key}, {"Default", ""}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			v, api := newVault(t, c.key)
			if err := v.Put(ctx, "identities/a", "first"); err != nil {
				t.Fatal(err)
			}
			if _, err := v.Create(ctx, "identities/b", "second", "test"); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"identities/a", "identities/b"} {
				d, err := api.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: new(v.Prefix + name)})
				if err != nil {
					t.Fatal(err)
				}
				if got := deref(d.KmsKeyId); got != c.key {
					t.Errorf("%s is encrypted with %q, want %q", name, got, c.key)
				}
			}
			if got, found, err := v.Get(ctx, "identities/a"); err != nil || !found || got != "first" {
				t.Fatalf("get = %q %v %v", got, found, err)
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestCursorKeys: the current key, and after a rotation (put-secret-value) the
// previous one too, so cursors signed before the rotation still verify.
func TestCursorKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, api := newVault(t, "")
	name := fmt.Sprintf("vault-test-cursor-%d", n.Add(1))
	first, second := strings.Repeat("a", 40), strings.Repeat("b", 40)
	out, err := api.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: &name, SecretString: &first})
	if err != nil {
		t.Fatal(err)
	}
	keys := vault.CursorKeys{API: api, SecretID: *out.ARN}
	got, err := keys.Keys(ctx)
	if err != nil || len(got) != 1 || string(got[0]) != first {
		t.Fatalf("before rotation: %q, %v", got, err)
	}
	if _, err := api.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: out.ARN, SecretString: &second}); err != nil {
		t.Fatal(err)
	}
	got, err = keys.Keys(ctx)
	if err != nil || len(got) != 2 || string(got[0]) != second || string(got[1]) != first {
		t.Fatalf("after rotation: %q, %v", got, err)
	}
	if _, err := (vault.CursorKeys{API: api, SecretID: "nope"}).Keys(ctx); err == nil {
		t.Fatal("a missing secret gave keys")
	}
}
