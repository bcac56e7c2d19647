// Package handler builds the Workspace function, the one function that links the
// Google Admin SDK: the Workspace steps of every workflow (create the managed
// identity's user, suspend a client's users at offboarding, rotate a password).
package handler

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/dynamo"
	"github.com/accesshive/accesshive/shared/gworkspace"
	"github.com/accesshive/accesshive/shared/lambdaenv"
	"github.com/accesshive/accesshive/shared/service"
	"github.com/accesshive/accesshive/shared/vault"
)

// Build builds the handler from the environment: TABLE_NAME, WORKSPACE_DOMAIN and
// the Workspace connection (WORKSPACE_CREDENTIALS_SECRET and
// WORKSPACE_ADMIN_SUBJECT for domain-wide delegation, or WORKSPACE_ENDPOINT for the
// local fake). The Directory client is built on first use.
func Build(_ context.Context, f lambdaenv.Function) (any, error) {
	vars, err := f.Env.Required("TABLE_NAME", "SECRETS_PREFIX")
	if err != nil {
		return nil, fmt.Errorf("workspace function: %w", err)
	}
	secrets := vault.FromEnv(secretsmanager.NewFromConfig(f.AWS), f.Env)
	var once sync.Once
	var dir *gworkspace.Client
	var dirErr error
	svc := service.New(service.Options{Clock: service.ClockFunc(f.Now), Store: dynamo.NewStore(dynamodb.NewFromConfig(f.AWS), vars["TABLE_NAME"]), Logger: f.Log,
		Vault: secrets, WorkspaceDomain: f.Env("WORKSPACE_DOMAIN"),
		Workspace: func(ctx context.Context) (ah.Directory, error) {
			once.Do(func() {
				dir, dirErr = gworkspace.FromEnv(ctx, f.Env, func(ctx context.Context, id string) (string, error) {
					v, _, err := secrets.Get(ctx, id)
					return v, err
				})
			})
			if dir == nil {
				return nil, dirErr
			}
			return dir, nil
		}})
	return svc.StepHandler(ah.StepWorkspaceUser, ah.StepSuspendWorkspaceUsers, ah.StepRotateCredential, ah.StepDeprovisionWorkspaceUser), nil
}
