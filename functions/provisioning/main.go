// Command provisioning is the Lambda function behind every provisioning step; the
// STEP variable set by template.yaml selects which.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/accesshive/accesshive/shared/lambdaenv"
	"github.com/accesshive/accesshive/shared/provisioning"
)

func main() {
	env := lambdaenv.Env(os.Getenv)
	log := env.Logger()
	ctx := context.Background()
	cfg, err := lambdaenv.AWSConfig(ctx)
	if err != nil {
		log.Error("init", "error", err.Error())
		os.Exit(1)
	}
	h, err := provisioning.NewLambda(ctx, env, cfg)
	if err != nil {
		log.Error("init", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h)
}
