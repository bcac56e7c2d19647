// Package expiry is the expire-requests function: EventBridge Scheduler invokes it
// every minute and it expires the pending requests whose window has passed.
package expiry

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/accesshive/accesshive/shared/dynamo"
	"github.com/accesshive/accesshive/shared/lambdaenv"
	"github.com/accesshive/accesshive/shared/notify"
	"github.com/accesshive/accesshive/shared/service"
)

// Handler handles a scheduler invocation (its payload is not used).
type Handler func(context.Context, json.RawMessage) (service.SweepResult, error)

// NewLambda builds the function from its environment (TABLE_NAME, EMAIL_SENDER).
// now is the clock (time.Now in Lambda; the local stack's clock in tests).
func NewLambda(env lambdaenv.Env, cfg aws.Config, log *slog.Logger, now func() time.Time) (Handler, error) {
	vars, err := env.Required("TABLE_NAME")
	if err != nil {
		return nil, fmt.Errorf("expire-requests function: %w", err)
	}
	store := dynamo.NewStore(dynamodb.NewFromConfig(cfg), vars["TABLE_NAME"])
	svc := service.New(service.Options{Store: store, Logger: log,
		Notifier: &notify.Notifier{Store: store, Mail: sesv2.NewFromConfig(cfg), Sender: env("EMAIL_SENDER")}})
	return func(ctx context.Context, _ json.RawMessage) (service.SweepResult, error) {
		res, err := svc.ExpireRequests(ctx, now().UTC())
		log.InfoContext(ctx, "expiry sweep", "read", res.Read, "expired", res.Expired, "raced", res.Raced)
		return res, err
	}, nil
}
