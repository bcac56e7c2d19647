// Command offboarding runs the steps of the client offboarding state machine.
package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/accesshive/accesshive/shared/lambdaenv"
	"github.com/accesshive/accesshive/shared/offboarding"
)

func main() {
	lambdaenv.Run(func(ctx context.Context, env lambdaenv.Env, cfg aws.Config, log *slog.Logger) (any, error) {
		return offboarding.NewLambda(env, cfg, log)
	})
}
