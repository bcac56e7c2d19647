// Command audit-stream consumes the table's stream and writes the audit trail.
package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/accesshive/accesshive/shared/audit"
	"github.com/accesshive/accesshive/shared/lambdaenv"
)

func main() {
	lambdaenv.Run(func(ctx context.Context, env lambdaenv.Env, cfg aws.Config, log *slog.Logger) (any, error) {
		w, err := audit.NewLambda(env, cfg)
		if err != nil {
			return nil, err
		}
		return w.Handle, nil
	})
}
