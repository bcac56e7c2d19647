package httpapi

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/accesshive/accesshive/shared/audit"
	"github.com/accesshive/accesshive/shared/cursor"
	"github.com/accesshive/accesshive/shared/dynamo"
	"github.com/accesshive/accesshive/shared/lambdaenv"
	"github.com/accesshive/accesshive/shared/notify"
	"github.com/accesshive/accesshive/shared/rotatecall"
	"github.com/accesshive/accesshive/shared/service"
	"github.com/accesshive/accesshive/shared/stepfn"
	"github.com/accesshive/accesshive/shared/vault"
)

// LambdaHandler is the api function's handler: API Gateway HTTP API (v2) events in,
// responses out.
type LambdaHandler func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// NewLambda builds the api function from its environment (TABLE_NAME, CURSOR_SECRET,
// PROVISIONING_STATE_MACHINE_ARN, LOG_LEVEL) and AWS config. It returns the server too, for local use and tests.
func NewLambda(env lambdaenv.Env, cfg aws.Config, log *slog.Logger) (LambdaHandler, *Server, error) {
	vars, err := env.Required("TABLE_NAME", "CURSOR_SECRET", "PROVISIONING_STATE_MACHINE_ARN", "OFFBOARDING_STATE_MACHINE_ARN", "AUDIT_TABLE_NAME")
	if err != nil {
		return nil, nil, fmt.Errorf("api function: %w", err)
	}
	if len(vars["CURSOR_SECRET"]) < 32 {
		return nil, nil, fmt.Errorf("api function: CURSOR_SECRET must be at least 32 characters")
	}
	store := dynamo.NewStore(dynamodb.NewFromConfig(cfg), vars["TABLE_NAME"])
	sfnClient := sfn.NewFromConfig(cfg)
	secrets := &vault.Vault{API: secretsmanager.NewFromConfig(cfg)}
	srv := New(Options{
		Service: service.New(service.Options{Store: store, Logger: log,
			Notifier: &notify.Notifier{Store: store, Mail: sesv2.NewFromConfig(cfg), Sender: env("EMAIL_SENDER")},
			Vault:    secrets,
			Rotator: &rotatecall.Remote{Function: env("ROTATE_FUNCTION_NAME"),
				Client: awslambda.NewFromConfig(cfg)},
			Audit:     &audit.Reader{DB: dynamodb.NewFromConfig(cfg), Table: vars["AUDIT_TABLE_NAME"]},
			Workflows: &stepfn.Provisioning{Client: sfnClient, MachineARN: vars["PROVISIONING_STATE_MACHINE_ARN"], OffboardingARN: vars["OFFBOARDING_STATE_MACHINE_ARN"]}}),
		Cursor: cursor.New([]byte(vars["CURSOR_SECRET"])),
		Logger: log,
	})
	return httpadapter.NewV2(srv).ProxyWithContext, srv, nil
}
