// Package handler builds the notify function: fed by the table's stream (access
// request changes only, by the template's FilterCriteria), it tells the people a
// change concerns, in-app and by email. Notifications are out of the request path:
// a review is one transaction and nothing else.
package handler

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/dynamo"
	"github.com/accesshive/accesshive/shared/lambdaenv"
	"github.com/accesshive/accesshive/shared/mail"
	"github.com/accesshive/accesshive/shared/service"
	"github.com/accesshive/accesshive/shared/slackchat"
	"github.com/accesshive/accesshive/shared/streambatch"
	"github.com/accesshive/accesshive/shared/vault"
)

// Notifier is what the handler asks of the service.
type Notifier interface {
	NotifyRequestChange(ctx context.Context, old, cur *ah.AccessRequest) error
	NotifyClientChange(ctx context.Context, old, cur *ah.Client) error
	NotifyIdentityChange(ctx context.Context, old, cur *ah.ClientIdentity) error
	NotifyReviewChange(ctx context.Context, old, cur *ah.ReviewCampaign) error
}

// Handler delivers the notifications of a batch of changes.
type Handler struct {
	Service Notifier
	// Streams reads a failed batch again (replay).
	Streams streambatch.StreamsAPI
}

// Build builds the handler from the environment (TABLE_NAME, EMAIL_SENDER).
func Build(_ context.Context, f lambdaenv.Function) (any, error) {
	vars, err := f.Env.Required("TABLE_NAME", "EMAIL_SENDER")
	if err != nil {
		return nil, fmt.Errorf("notify function: %w", err)
	}
	chat := slackchat.FromVault(vault.FromEnv(secretsmanager.NewFromConfig(f.AWS), f.Env), f.Env("SLACK_API_URL"))
	svc := service.New(service.Options{Clock: service.ClockFunc(f.Now), Store: dynamo.NewStore(dynamodb.NewFromConfig(f.AWS), vars["TABLE_NAME"]), Logger: f.Log,
		Mail: &mail.SES{Client: sesv2.NewFromConfig(f.AWS), Sender: vars["EMAIL_SENDER"]}, Chat: chat})
	return (&Handler{Service: svc, Streams: dynamodbstreams.NewFromConfig(f.AWS)}).Invoke, nil
}

// Replayed is what a replay did.
type Replayed struct {
	Records int `json:"records"`
	Changes int `json:"changes"` // the request changes among them
}

// Invoke is the function's entry: a batch from the table's stream, or (an
// operator replaying what the function gave up on) a message of the
// NotifyFailures queue, whose batch it reads again from the stream: the request
// changes in it are delivered (what was sent is not sent again), the rest of the
// range (what the filter passed over) is skipped. A replay that cannot deliver
// everything fails, and the message stays for the next try.
func (h *Handler) Invoke(ctx context.Context, raw json.RawMessage) (any, error) {
	if m, ok := streambatch.ParseFailureMessage(raw); ok {
		recs, err := streambatch.ReadStreamBatch(ctx, h.Streams, *m.DDBStreamBatchInfo)
		if err != nil {
			return nil, err
		}
		var changes []events.DynamoDBEventRecord
		for _, r := range recs {
			if notifiable(r.Change.NewImage) && r.EventName != "REMOVE" {
				changes = append(changes, r)
			}
		}
		resp, err := h.Handle(ctx, events.DynamoDBEvent{Records: changes})
		if err == nil && len(resp.BatchItemFailures) > 0 {
			err = fmt.Errorf("the replay stopped at sequence number %s; invoke it again", resp.BatchItemFailures[0].ItemIdentifier)
		}
		return Replayed{Records: len(recs), Changes: len(changes)}, err
	}
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("not a stream batch or a failure message: %w", err)
	}
	return h.Handle(ctx, ev)
}

// Handle notifies, record by record, in order. A record whose notifications could
// not all be delivered (an email failed, the table was busy) is reported by its
// SequenceNumber, so Lambda sends it again and what was sent is not sent twice; a
// record that is not a request change fails the invocation (bisected, then sent to
// the failure queue).
func (h *Handler) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	for _, rec := range ev.Records {
		notify, err := h.change(rec)
		if err != nil {
			return resp, fmt.Errorf("stream record %s (sequence number %s): %w", rec.EventID, rec.Change.SequenceNumber, err)
		}
		if err := notify(ctx); err != nil {
			resp.BatchItemFailures = []events.DynamoDBBatchItemFailure{{ItemIdentifier: rec.Change.SequenceNumber}}
			return resp, nil
		}
	}
	return resp, nil
}

// notifiable reports whether an image is of an item whose changes notify someone
// (what the template's filter passes).
func notifiable(img map[string]events.DynamoDBAttributeValue) bool {
	t, ok := img["type"]
	if !ok || t.DataType() != events.DataTypeString {
		return false
	}
	switch t.String() {
	case "access_request", "client", "client_identity", "review_campaign":
		return true
	}
	return false
}

// change decodes a record into the notification it calls for: an access
// request's (requester, reviewers, contacts), a client's (contacts, client users)
// or a client identity's (escalation to technical contacts).
func (h *Handler) change(rec events.DynamoDBEventRecord) (func(context.Context) error, error) {
	img, oldImg := rec.Change.NewImage, rec.Change.OldImage
	if cur, ok, err := dynamo.RequestOfImage(img); err != nil || ok {
		if err != nil {
			return nil, err
		}
		old, _, err := dynamo.RequestOfImage(oldImg)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) error {
			return h.Service.NotifyRequestChange(ctx, ptrIf(old, len(oldImg) > 0), &cur)
		}, nil
	}
	if cur, ok, err := dynamo.ClientOfImage(img); err != nil || ok {
		if err != nil {
			return nil, err
		}
		old, _, err := dynamo.ClientOfImage(oldImg)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) error {
			return h.Service.NotifyClientChange(ctx, ptrIf(old, len(oldImg) > 0), &cur)
		}, nil
	}
	if cur, ok, err := dynamo.ClientIdentityOfImage(img); err != nil || ok {
		if err != nil {
			return nil, err
		}
		old, _, err := dynamo.ClientIdentityOfImage(oldImg)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) error {
			return h.Service.NotifyIdentityChange(ctx, ptrIf(old, len(oldImg) > 0), &cur)
		}, nil
	}
	if cur, ok, err := dynamo.ReviewOfImage(img); err != nil || ok {
		if err != nil {
			return nil, err
		}
		old, _, err := dynamo.ReviewOfImage(oldImg)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) error {
			return h.Service.NotifyReviewChange(ctx, ptrIf(old, len(oldImg) > 0), &cur)
		}, nil
	}
	return nil, fmt.Errorf("not an access request, client, identity or review change")
}

// ptrIf is &v when present, nil otherwise.
func ptrIf[T any](v T, present bool) *T {
	if !present {
		return nil
	}
	return &v
}
