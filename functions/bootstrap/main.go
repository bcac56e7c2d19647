// Command bootstrap is the Lambda function an operator invokes once to create the
// first agency and its owner.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/accesshive/accesshive/shared/bootstrap"
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
	h, err := bootstrap.NewLambda(env, cfg)
	if err != nil {
		log.Error("init", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h)
}
