// Package offboarding is the function behind the offboarding state machine's steps.
package offboarding

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/dynamo"
	"github.com/accesshive/accesshive/shared/gworkspace"
	"github.com/accesshive/accesshive/shared/lambdaenv"
	"github.com/accesshive/accesshive/shared/service"
	"github.com/accesshive/accesshive/shared/stepfn"
	"github.com/accesshive/accesshive/shared/vault"
)

// TransientError is retried by the state machine.
type TransientError struct{ Msg string }

func (e *TransientError) Error() string { return e.Msg }

// PermanentError is not retried; the offboarding is marked failed.
type PermanentError struct{ Msg string }

func (e *PermanentError) Error() string { return e.Msg }

// Handler runs one step.
type Handler func(context.Context, service.OffboardingStepInput) (map[string]string, error)

// NewLambda builds the function from its environment (TABLE_NAME,
// PROVISIONING_STATE_MACHINE_ARN, WORKSPACE_*).
func NewLambda(env lambdaenv.Env, cfg aws.Config, log *slog.Logger) (Handler, error) {
	vars, err := env.Required("TABLE_NAME", "PROVISIONING_STATE_MACHINE_ARN")
	if err != nil {
		return nil, fmt.Errorf("offboarding function: %w", err)
	}
	secrets := &vault.Vault{API: secretsmanager.NewFromConfig(cfg)}
	var once sync.Once
	var ws *gworkspace.Client
	var wsErr error
	svc := service.New(service.Options{
		Store:  dynamo.NewStore(dynamodb.NewFromConfig(cfg), vars["TABLE_NAME"]),
		Logger: log, Vault: secrets,
		Workflows: &stepfn.Provisioning{MachineARN: vars["PROVISIONING_STATE_MACHINE_ARN"],
			Client: sfn.NewFromConfig(cfg)},
		Workspace: func(ctx context.Context) (service.PasswordSetter, error) {
			once.Do(func() {
				ws, wsErr = gworkspace.FromEnv(ctx, env, func(ctx context.Context, id string) (string, error) {
					v, _, err := secrets.Get(ctx, id)
					return v, err
				})
			})
			if ws == nil {
				return nil, wsErr
			}
			return ws, wsErr
		},
	})
	return func(ctx context.Context, in service.OffboardingStepInput) (map[string]string, error) {
		err := svc.RunOffboardingStep(ctx, in)
		if err == nil {
			return map[string]string{"step": in.Step, "status": "done"}, nil
		}
		if permanent(err) {
			return nil, &PermanentError{Msg: err.Error()}
		}
		return nil, &TransientError{Msg: err.Error()}
	}, nil
}

// permanent reports failures retrying cannot fix: Workspace refusals (403, 400),
// a stale attempt, and domain errors other than races and throttling.
func permanent(err error) bool {
	var perm *gworkspace.PermanentError
	if errors.As(err, &perm) || errors.Is(err, service.ErrStaleOffboarding) {
		return true
	}
	if e := ah.ErrorOf(err); e != nil {
		return e.Kind != ah.KindUnavailable && e.Kind != ah.KindInternal && e.Code != ah.CodeVersionConflict
	}
	return false
}
