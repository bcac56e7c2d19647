// Command offboarding runs the steps of the client offboarding state machine.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/accesshive/accesshive/shared/lambdaenv"
	"github.com/accesshive/accesshive/shared/offboarding"
)

func main() {
	env := lambdaenv.Env(os.Getenv)
	log := env.Logger()
	cfg, err := lambdaenv.AWSConfig(context.Background())
	if err != nil {
		log.Error("init", "error", err.Error())
		os.Exit(1)
	}
	h, err := offboarding.NewLambda(env, cfg, log)
	if err != nil {
		log.Error("init", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h)
}
