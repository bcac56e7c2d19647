// Command api is the AccessHive HTTP API Lambda function.
package main

import (
	"context"
	"log/slog"
	_ "time/tzdata" // timezone validation must not depend on the runtime image

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/accesshive/accesshive/shared/httpapi"
	"github.com/accesshive/accesshive/shared/lambdaenv"
)

func main() {
	lambdaenv.Run(func(ctx context.Context, env lambdaenv.Env, cfg aws.Config, log *slog.Logger) (any, error) {
		h, _, err := httpapi.NewLambda(env, cfg, log)
		return h, err
	})
}
