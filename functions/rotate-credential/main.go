// Command rotate-credential rotates a managed identity's password in Google
// Workspace and Secrets Manager; the API invokes it for POST .../credentials/rotate.
package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/accesshive/accesshive/shared/lambdaenv"
	"github.com/accesshive/accesshive/shared/rotation"
)

func main() {
	lambdaenv.Run(func(_ context.Context, env lambdaenv.Env, cfg aws.Config, log *slog.Logger) (any, error) {
		return rotation.NewLambda(env, cfg, log)
	})
}
