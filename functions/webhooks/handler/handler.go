// Package handler builds the webhooks function: it sends webhook deliveries,
// signed, to the endpoints agencies registered. New deliveries arrive on the
// table's stream (INSERTs of delivery items, by the template's filter); retries
// that are due are swept every minute by the schedule. Each run sends one
// entity's queue in order and stops at a failure, which waits for its backoff.
package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/dynamo"
	"github.com/accesshive/accesshive/shared/lambdaenv"
	"github.com/accesshive/accesshive/shared/service"
	"github.com/accesshive/accesshive/shared/vault"
	"github.com/accesshive/accesshive/shared/webhooks"
)

// Handler dispatches deliveries.
type Handler struct {
	Dispatcher *service.Dispatcher
}

// Build builds the handler from the environment (TABLE_NAME, SECRETS_PREFIX;
// WEBHOOKS_ALLOW_LOOPBACK=true lets endpoints on 127.0.0.1 through, locally).
func Build(_ context.Context, f lambdaenv.Function) (any, error) {
	vars, err := f.Env.Required("TABLE_NAME", "SECRETS_PREFIX")
	if err != nil {
		return nil, fmt.Errorf("webhooks function: %w", err)
	}
	store := dynamo.NewStore(dynamodb.NewFromConfig(f.AWS), vars["TABLE_NAME"])
	svc := service.New(service.Options{Clock: service.ClockFunc(f.Now), Store: store, Logger: f.Log})
	v := vault.FromEnv(secretsmanager.NewFromConfig(f.AWS), f.Env)
	d := &service.Dispatcher{Service: svc, Sender: webhooks.NewSender(f.Env("WEBHOOKS_ALLOW_LOOPBACK") == "true"),
		Secret: func(ctx context.Context, w ah.WebhookEndpoint) (string, error) {
			s, found, err := v.Get(ctx, w.SecretName())
			if err == nil && !found {
				err = fmt.Errorf("webhook %s has no signing secret", w.ID)
			}
			return s, err
		}}
	return (&Handler{Dispatcher: d}).Invoke, nil
}

// dueBatch is how many due retries one scheduled run reads.
const dueBatch = 100

// Invoke is the function's entry: a stream batch of new deliveries, or the
// schedule ({"source":"scheduler"}), which sends the retries that are due. A
// message of the WebhooksFailures queue (a replay) runs the sweep too: every
// pending delivery is on its index, so what the stream's dispatch gave up on is
// sent from there.
func (h *Handler) Invoke(ctx context.Context, raw json.RawMessage) (any, error) {
	var probe struct {
		Source  string            `json:"source"`
		Records []json.RawMessage `json:"Records"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("not a stream batch or a schedule: %w", err)
	}
	if probe.Records == nil {
		return h.Dispatcher.RetryDue(ctx, dueBatch)
	}
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("not a stream batch: %w", err)
	}
	return h.Handle(ctx, ev)
}

// Handle sends the queue of each new delivery once per batch. A queue that
// could not be read or written (not an endpoint's failure: that is retried on
// schedule) is reported by its record's SequenceNumber, for Lambda to retry.
func (h *Handler) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	seen := map[string]bool{}
	for _, rec := range ev.Records {
		img := rec.Change.NewImage
		agency, webhook, entity := strAttr(img, "agencyId"), strAttr(img, "webhookId"), strAttr(img, "entityKey")
		if agency == "" || webhook == "" || entity == "" || !strings.Contains(entity, "#") {
			return resp, fmt.Errorf("stream record %s (sequence number %s) is not a webhook delivery", rec.EventID, rec.Change.SequenceNumber)
		}
		q := agency + "|" + webhook + "|" + entity
		if seen[q] {
			continue
		}
		seen[q] = true
		if _, err := h.Dispatcher.DispatchQueue(ctx, agency, webhook, entity); err != nil {
			resp.BatchItemFailures = []events.DynamoDBBatchItemFailure{{ItemIdentifier: rec.Change.SequenceNumber}}
			return resp, nil
		}
	}
	return resp, nil
}

func strAttr(img map[string]events.DynamoDBAttributeValue, name string) string {
	if v, ok := img[name]; ok && v.DataType() == events.DataTypeString {
		return v.String()
	}
	return ""
}
