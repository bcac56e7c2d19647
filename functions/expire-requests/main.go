// Command expire-requests is the Lambda function EventBridge Scheduler invokes
// every minute to expire pending access requests past their window.
package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/accesshive/accesshive/shared/expiry"
	"github.com/accesshive/accesshive/shared/lambdaenv"
)

func main() {
	lambdaenv.Run(func(ctx context.Context, env lambdaenv.Env, cfg aws.Config, log *slog.Logger) (any, error) {
		return expiry.NewLambda(env, cfg, log, time.Now)
	})
}
