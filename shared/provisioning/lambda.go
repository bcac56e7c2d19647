package provisioning

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/accesshive/accesshive/shared/dynamo"
	"github.com/accesshive/accesshive/shared/gworkspace"
	"github.com/accesshive/accesshive/shared/lambdaenv"
)

// Handler is one step's Lambda handler.
type Handler func(context.Context, Input) (Output, error)

// NewLambda builds the handler of the step named by STEP (prepare, workspace, store,
// activate, notify, mark_failed) from the environment: TABLE_NAME; for workspace
// WORKSPACE_DOMAIN, WORKSPACE_ADMIN_SUBJECT and WORKSPACE_CREDENTIALS_SECRET (the
// service account key, domain-wide delegation) or WORKSPACE_ENDPOINT (the local
// fake); for notify EMAIL_SENDER.
func NewLambda(ctx context.Context, env lambdaenv.Env, cfg aws.Config) (Handler, error) {
	vars, err := env.Required("TABLE_NAME", "STEP")
	if err != nil {
		return nil, fmt.Errorf("provisioning function: %w", err)
	}
	s := &Steps{
		Store:   dynamo.NewStore(dynamodb.NewFromConfig(cfg), vars["TABLE_NAME"]),
		Secrets: secretsmanager.NewFromConfig(cfg),
		Mail:    sesv2.NewFromConfig(cfg),
		Sender:  env("EMAIL_SENDER"),
		Domain:  env("WORKSPACE_DOMAIN"),
	}
	switch vars["STEP"] {
	case "prepare":
		return s.Prepare, nil
	case "workspace":
		if s.Directory, err = directory(ctx, env, s.Secrets); err != nil {
			return nil, err
		}
		return s.CreateWorkspaceUser, nil
	case "store":
		return s.StoreCredential, nil
	case "activate":
		return s.Activate, nil
	case "notify":
		return s.Notify, nil
	case "mark_failed":
		return s.MarkFailed, nil
	}
	return nil, fmt.Errorf("provisioning function: unknown STEP %q", vars["STEP"])
}

// directory builds the Workspace client from the environment.
func directory(ctx context.Context, env lambdaenv.Env, secrets Secrets) (*gworkspace.Client, error) {
	return gworkspace.FromEnv(ctx, env, func(ctx context.Context, id string) (string, error) {
		out, err := secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &id})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.SecretString), nil
	})
}
