// Command expire-requests is the Lambda function EventBridge Scheduler invokes
// every minute to expire pending access requests past their window.
package main

import (
	"context"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/accesshive/accesshive/shared/expiry"
	"github.com/accesshive/accesshive/shared/lambdaenv"
)

func main() {
	env := lambdaenv.Env(os.Getenv)
	log := env.Logger()
	cfg, err := lambdaenv.AWSConfig(context.Background())
	if err != nil {
		log.Error("init", "error", err.Error())
		os.Exit(1)
	}
	h, err := expiry.NewLambda(env, cfg, log, time.Now)
	if err != nil {
		log.Error("init", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h)
}
