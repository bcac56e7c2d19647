// Package rotation changes a managed identity's password in Google Workspace and
// Secrets Manager. It runs in its own function so the API does not link the Google
// client (which would more than double the API's binary and cold start).
package rotation

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/gworkspace"
	"github.com/accesshive/accesshive/shared/lambdaenv"
	"github.com/accesshive/accesshive/shared/rotatecall"
	"github.com/accesshive/accesshive/shared/vault"
)

// Request names the identity whose password changes.
type Request = rotatecall.Request

// Direct rotates in process: the new value is stored first; if Workspace refuses
// it, the old value is put back, so the stored credential always matches.
type Direct struct {
	Vault     *vault.Vault
	Workspace func(context.Context) (*gworkspace.Client, error)
	Log       *slog.Logger
}

// Rotate changes the password.
func (d *Direct) Rotate(ctx context.Context, r Request) error {
	name := ah.CredentialSecretName(r.AgencyID, r.ClientID, r.IdentityID)
	old, found, err := d.Vault.Get(ctx, name)
	if err != nil || !found {
		return fmt.Errorf("the current credential could not be read: %v", err)
	}
	ws, err := d.Workspace(ctx)
	if err != nil || ws == nil {
		return fmt.Errorf("google Workspace is not reachable: %v", err)
	}
	pw, err := vault.NewPassword(24)
	if err != nil {
		return err
	}
	if err := d.Vault.Put(ctx, name, pw); err != nil {
		return fmt.Errorf("the credential store did not answer; nothing changed: %w", err)
	}
	if err := ws.SetPassword(ctx, r.Email, pw); err != nil {
		if rerr := d.Vault.Put(ctx, name, old); rerr != nil {
			d.Log.ErrorContext(ctx, "restore credential after failed rotation", "identityId", r.IdentityID, "error", rerr.Error())
		}
		return fmt.Errorf("google Workspace refused the new password; the old one stays in force: %w", err)
	}
	return nil
}

// NewLambda builds RotateCredentialFunction (WORKSPACE_* as the workspace step).
func NewLambda(env lambdaenv.Env, cfg aws.Config, log *slog.Logger) (func(context.Context, Request) (map[string]string, error), error) {
	secrets := &vault.Vault{API: secretsmanager.NewFromConfig(cfg)}
	var once sync.Once
	var ws *gworkspace.Client
	var wsErr error
	d := &Direct{Vault: secrets, Log: log, Workspace: func(ctx context.Context) (*gworkspace.Client, error) {
		once.Do(func() {
			ws, wsErr = gworkspace.FromEnv(ctx, env, func(ctx context.Context, id string) (string, error) {
				v, _, err := secrets.Get(ctx, id)
				return v, err
			})
		})
		return ws, wsErr
	}}
	return func(ctx context.Context, r Request) (map[string]string, error) {
		if err := d.Rotate(ctx, r); err != nil {
			return nil, err
		}
		return map[string]string{"identityId": r.IdentityID, "status": "rotated"}, nil
	}, nil
}
