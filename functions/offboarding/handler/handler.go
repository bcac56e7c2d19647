// Package handler builds the offboarding function: the offboarding state machine's
// steps that need no Google code (the Workspace function suspends the users).
package handler

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/dynamo"
	"github.com/accesshive/accesshive/shared/lambdaenv"
	"github.com/accesshive/accesshive/shared/service"
	"github.com/accesshive/accesshive/shared/stepfn"
	"github.com/accesshive/accesshive/shared/vault"
)

// Build builds the handler from the environment (TABLE_NAME,
// PROVISIONING_STATE_MACHINE_ARN: provisioning still running is stopped).
func Build(_ context.Context, f lambdaenv.Function) (any, error) {
	vars, err := f.Env.Required("TABLE_NAME", "PROVISIONING_STATE_MACHINE_ARN", "SECRETS_PREFIX")
	if err != nil {
		return nil, fmt.Errorf("offboarding function: %w", err)
	}
	svc := service.New(service.Options{Clock: service.ClockFunc(f.Now), Store: dynamo.NewStore(dynamodb.NewFromConfig(f.AWS), vars["TABLE_NAME"]), Logger: f.Log,
		Vault: vault.FromEnv(secretsmanager.NewFromConfig(f.AWS), f.Env),
		Workflows: &stepfn.Workflows{Client: sfn.NewFromConfig(f.AWS),
			Machines: map[string]string{ah.WorkflowProvisioning: vars["PROVISIONING_STATE_MACHINE_ARN"]}}})
	return svc.StepHandler(ah.StepDeactivateIdentities, ah.StepRejectPendingRequests, ah.StepRevokeAccess,
		ah.StepDeleteCredentials, ah.StepDisableClientUsers, ah.StepArchiveClient, ah.StepMarkOffboardingFailed), nil
}
