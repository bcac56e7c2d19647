// Package handler builds the api function: the HTTP API (API Gateway HTTP API v2
// events) over the service, with DynamoDB, the audit table, Secrets Manager and
// Step Functions.
package handler

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/cursor"
	"github.com/accesshive/accesshive/shared/dynamo"
	"github.com/accesshive/accesshive/shared/httpapi"
	"github.com/accesshive/accesshive/shared/lambdaenv"
	"github.com/accesshive/accesshive/shared/metrics"
	"github.com/accesshive/accesshive/shared/scim"
	"github.com/accesshive/accesshive/shared/service"
	"github.com/accesshive/accesshive/shared/slackapp"
	"github.com/accesshive/accesshive/shared/slackchat"
	"github.com/accesshive/accesshive/shared/stepfn"
	"github.com/accesshive/accesshive/shared/vault"
)

// Build builds the handler from the environment: TABLE_NAME, AUDIT_TABLE_NAME,
// CURSOR_SECRET_ARN, SECRETS_PREFIX and the state machines' ARNs.
func Build(ctx context.Context, f lambdaenv.Function) (any, error) {
	srv, err := Server(ctx, f)
	if err != nil {
		return nil, err
	}
	h := httpadapter.NewV2(srv).ProxyWithContext
	if samLocal(f) {
		return samLocalAuth(ctx, f, h)
	}
	return h, nil
}

// cursorKeysTTL is how often the cursor keys are read again: a rotation of the
// cursor secret applies within it, without a redeploy.
const cursorKeysTTL = 5 * time.Minute

// Server is the API as an http.Handler (benchmarks call it in process).
func Server(ctx context.Context, f lambdaenv.Function) (*httpapi.Server, error) {
	vars, err := f.Env.Required("TABLE_NAME", "AUDIT_TABLE_NAME", "CURSOR_SECRET_ARN", "SECRETS_PREFIX", "PROVISIONING_STATE_MACHINE_ARN",
		"OFFBOARDING_STATE_MACHINE_ARN", "ROTATION_STATE_MACHINE_ARN")
	if err != nil {
		return nil, fmt.Errorf("api function: %w", err)
	}
	sm := secretsmanager.NewFromConfig(f.AWS)
	codec, err := cursor.NewRotating(ctx, vault.CursorKeys{API: sm, SecretID: vars["CURSOR_SECRET_ARN"]}, cursorKeysTTL)
	if err != nil {
		return nil, fmt.Errorf("api function: %w", err)
	}
	db := dynamodb.NewFromConfig(f.AWS)
	v := vault.FromEnv(sm, f.Env)
	chat := slackchat.FromVault(v, f.Env("SLACK_API_URL"))
	svc := service.New(service.Options{
		Clock:   service.ClockFunc(f.Now),
		Store:   dynamo.NewStore(db, vars["TABLE_NAME"]),
		Audit:   dynamo.NewAuditTrail(db, vars["AUDIT_TABLE_NAME"]),
		Vault:   v,
		Chat:    chat,
		Slack:   chat,
		Logger:  f.Log,
		Metrics: &metrics.EMF{W: f.Out, Stack: f.Env("METRICS_STACK")},
		// Local development only: webhook endpoints on http://127.0.0.1.
		AllowLoopbackWebhooks: f.Env("WEBHOOKS_ALLOW_LOOPBACK") == "true",
		Workflows: &stepfn.Workflows{Client: sfn.NewFromConfig(f.AWS), Machines: map[string]string{
			ah.WorkflowProvisioning:   vars["PROVISIONING_STATE_MACHINE_ARN"],
			ah.WorkflowDeprovisioning: vars["PROVISIONING_STATE_MACHINE_ARN"],
			ah.WorkflowOffboarding:    vars["OFFBOARDING_STATE_MACHINE_ARN"],
			ah.WorkflowRotation:       vars["ROTATION_STATE_MACHINE_ARN"],
		}},
	})
	scimHandler, err := scim.Handler(svc, f.Log)
	if err != nil {
		return nil, fmt.Errorf("api function: %w", err)
	}
	return httpapi.New(httpapi.Options{Service: svc, Cursor: codec, Logger: f.Log,
		Mount: map[string]http.Handler{
			ah.SCIMBasePath + "/": scimHandler,
			slackapp.Prefix:       &slackapp.Handler{Service: svc, Secret: chat.Secret, Log: f.Log},
		}}), nil
}
