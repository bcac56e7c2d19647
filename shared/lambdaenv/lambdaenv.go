// Package lambdaenv reads a function's typed configuration from its environment and
// builds what every function needs once per container: the AWS config and a logger.
package lambdaenv

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
)

// Env looks up one variable; os.Getenv in Lambda, the template's values locally.
type Env func(string) string

// Required returns the named variables, or an error naming every missing one.
func (e Env) Required(names ...string) (map[string]string, error) {
	out := make(map[string]string, len(names))
	var missing []string
	for _, n := range names {
		v := e(n)
		if v == "" {
			missing = append(missing, n)
		}
		out[n] = v
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing environment variables: %s", strings.Join(missing, ", "))
	}
	return out, nil
}

// Logger returns a JSON logger at the level named by LOG_LEVEL (default INFO).
func (e Env) Logger() *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(e("LOG_LEVEL"))); err != nil {
		lvl = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: lvl}))
}

// AWSConfig builds the AWS configuration of a Lambda function from its
// environment, as the runtime provides it: AWS_REGION and the execution role's
// credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), and
// AWS_ENDPOINT_URL when set. Not the SDK's config.LoadDefaultConfig: its shared
// files, SSO, STS and IMDS providers are never used in Lambda and cost ~1 MB of
// binary and several milliseconds of init.
func AWSConfig(ctx context.Context) (aws.Config, error) {
	return awsConfigFrom(os.Getenv)
}

func awsConfigFrom(getenv func(string) string) (aws.Config, error) {
	region := getenv("AWS_REGION")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	if region == "" {
		return aws.Config{}, fmt.Errorf("load AWS config: AWS_REGION is not set")
	}
	id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	// Under sam local the function calls the local stack, which knows a function
	// by its logical id as the access key (its IAM role from the template).
	if fn := getenv("SAM_LOCAL_FUNCTION"); fn != "" && getenv("AWS_SAM_LOCAL") == "true" {
		id, secret = fn, "local"
	}
	if id == "" || secret == "" {
		return aws.Config{}, fmt.Errorf("load AWS config: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
	}
	creds := aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: getenv("AWS_SESSION_TOKEN"), Source: "environment"}
	cfg := aws.Config{Region: region, Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil })}
	if ep := getenv("AWS_ENDPOINT_URL"); ep != "" {
		cfg.BaseEndpoint = &ep
	}
	// Lambda runs the X-Ray daemon when the function's tracing is active.
	if addr := getenv("AWS_XRAY_DAEMON_ADDRESS"); addr != "" {
		x, err := newXRay(addr)
		if err != nil {
			return aws.Config{}, fmt.Errorf("load AWS config: X-Ray daemon %s: %w", addr, err)
		}
		x.instrument(&cfg)
	}
	return cfg, nil
}

// Function is what a function's handler is built from: its environment, its AWS
// configuration, its logger and its clock. The Lambda main and the local stack
// build a function's handler the same way, through its package's Build.
type Function struct {
	Env Env
	AWS aws.Config
	Log *slog.Logger
	// Now is the clock: time.Now in Lambda; the local stack's, which tests move.
	Now func() time.Time
	// Out is the function's standard output (embedded-metric-format lines go
	// there): os.Stdout in Lambda; the local stack's log.
	Out io.Writer
}

// Builder makes a function's handler, once per container.
type Builder func(ctx context.Context, f Function) (any, error)

// Run is every function's main: read the environment, load the AWS config, build
// the handler and hand it to the Lambda runtime. An init failure is logged and the
// process exits, so Lambda reports the init error.
func Run(build Builder) {
	env := Env(os.Getenv)
	log := env.Logger()
	ctx := context.Background()
	cfg, err := AWSConfig(ctx)
	if err == nil {
		var h any
		if h, err = build(ctx, Function{Env: env, AWS: cfg, Log: log, Now: time.Now, Out: os.Stdout}); err == nil {
			lambda.Start(h)
			return
		}
	}
	log.Error("init", "error", err.Error())
	os.Exit(1)
}
