// Command provisioning is the Lambda function behind every provisioning step; the
// STEP variable set by template.yaml selects which.
package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/accesshive/accesshive/shared/lambdaenv"
	"github.com/accesshive/accesshive/shared/provisioning"
)

func main() {
	lambdaenv.Run(func(ctx context.Context, env lambdaenv.Env, cfg aws.Config, log *slog.Logger) (any, error) {
		return provisioning.NewLambda(ctx, env, cfg)
	})
}
