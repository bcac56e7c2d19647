// Package handler builds the api function: the HTTP API (API Gateway HTTP API v2
// events) over the service, with DynamoDB, the audit table, Secrets Manager and
// Step Functions.
package handler

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/cursor"
	"github.com/accesshive/accesshive/shared/dynamo"
	"github.com/accesshive/accesshive/shared/httpapi"
	"github.com/accesshive/accesshive/shared/lambdaenv"
	"github.com/accesshive/accesshive/shared/service"
	"github.com/accesshive/accesshive/shared/stepfn"
	"github.com/accesshive/accesshive/shared/vault"
)

// Build builds the handler from the environment: TABLE_NAME, AUDIT_TABLE_NAME,
// CURSOR_SECRET and the state machines' ARNs.
func Build(_ context.Context, f lambdaenv.Function) (any, error) {
	srv, err := Server(f)
	if err != nil {
		return nil, err
	}
	return httpadapter.NewV2(srv).ProxyWithContext, nil
}

// Server is the API as an http.Handler (benchmarks call it in process).
func Server(f lambdaenv.Function) (*httpapi.Server, error) {
	vars, err := f.Env.Required("TABLE_NAME", "AUDIT_TABLE_NAME", "CURSOR_SECRET", "PROVISIONING_STATE_MACHINE_ARN",
		"OFFBOARDING_STATE_MACHINE_ARN", "ROTATION_STATE_MACHINE_ARN")
	if err != nil {
		return nil, fmt.Errorf("api function: %w", err)
	}
	if len(vars["CURSOR_SECRET"]) < 32 {
		return nil, fmt.Errorf("api function: CURSOR_SECRET must be at least 32 characters")
	}
	db := dynamodb.NewFromConfig(f.AWS)
	svc := service.New(service.Options{
		Store:  dynamo.NewStore(db, vars["TABLE_NAME"]),
		Audit:  dynamo.NewAuditTrail(db, vars["AUDIT_TABLE_NAME"]),
		Vault:  &vault.Vault{API: secretsmanager.NewFromConfig(f.AWS)},
		Logger: f.Log,
		Workflows: &stepfn.Workflows{Client: sfn.NewFromConfig(f.AWS), Machines: map[string]string{
			ah.WorkflowProvisioning: vars["PROVISIONING_STATE_MACHINE_ARN"],
			ah.WorkflowOffboarding:  vars["OFFBOARDING_STATE_MACHINE_ARN"],
			ah.WorkflowRotation:     vars["ROTATION_STATE_MACHINE_ARN"],
		}},
	})
	return httpapi.New(httpapi.Options{Service: svc, Cursor: cursor.New([]byte(vars["CURSOR_SECRET"])), Logger: f.Log}), nil
}
