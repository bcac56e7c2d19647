// Package handler builds the provisioning function: one binary behind each step of
// the provisioning state machine that needs no Google code (prepare, store the
// credential, activate, mark failed); each step's Lambda has only its step's
// permissions, and the step comes in the state's input.
package handler

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/dynamo"
	"github.com/accesshive/accesshive/shared/lambdaenv"
	"github.com/accesshive/accesshive/shared/metrics"
	"github.com/accesshive/accesshive/shared/service"
	"github.com/accesshive/accesshive/shared/vault"
)

// Build builds the handler from the environment (TABLE_NAME, WORKSPACE_DOMAIN).
func Build(_ context.Context, f lambdaenv.Function) (any, error) {
	vars, err := f.Env.Required("TABLE_NAME", "SECRETS_PREFIX")
	if err != nil {
		return nil, fmt.Errorf("provisioning function: %w", err)
	}
	svc := service.New(service.Options{Clock: service.ClockFunc(f.Now), Store: dynamo.NewStore(dynamodb.NewFromConfig(f.AWS), vars["TABLE_NAME"]), Logger: f.Log,
		Vault: vault.FromEnv(secretsmanager.NewFromConfig(f.AWS), f.Env), WorkspaceDomain: f.Env("WORKSPACE_DOMAIN"),
		Metrics: &metrics.EMF{W: f.Out, Stack: f.Env("METRICS_STACK")}})
	return svc.StepHandler(ah.StepPrepare, ah.StepStoreSecret, ah.StepActivate, ah.StepMarkProvisioningFailed, ah.StepMarkDeprovisioningFailed), nil
}
