// Command bootstrap is the Lambda function an operator invokes once to create the
// first agency and its owner.
package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/accesshive/accesshive/shared/bootstrap"
	"github.com/accesshive/accesshive/shared/lambdaenv"
)

func main() {
	lambdaenv.Run(func(ctx context.Context, env lambdaenv.Env, cfg aws.Config, log *slog.Logger) (any, error) {
		return bootstrap.NewLambda(env, cfg)
	})
}
