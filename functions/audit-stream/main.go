// Command audit-stream consumes the table's stream and writes the audit trail.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/accesshive/accesshive/shared/audit"
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
	w, err := audit.NewLambda(env, cfg)
	if err != nil {
		log.Error("init", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(w.Handle)
}
