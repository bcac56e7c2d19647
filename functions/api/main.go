// Command api is the AccessHive HTTP API Lambda function.
package main

import (
	"context"
	"os"
	_ "time/tzdata" // timezone validation must not depend on the runtime image

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/accesshive/accesshive/shared/httpapi"
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
	h, _, err := httpapi.NewLambda(env, cfg, log)
	if err != nil {
		log.Error("init", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h)
}
