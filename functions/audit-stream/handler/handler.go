// Package handler builds the audit-stream function: the table's stream, one
// immutable audit entry per change, in the audit table it alone may write.
package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/dynamo"
	"github.com/accesshive/accesshive/shared/lambdaenv"
	"github.com/accesshive/accesshive/shared/streambatch"
)

// Trail is where entries go.
type Trail interface {
	Put(ctx context.Context, e dynamo.AuditRecord) error
}

// Handler writes the trail. Retention says how long an agency keeps its entries
// (nil: forever).
type Handler struct {
	Trail     Trail
	Retention func(ctx context.Context, agencyID string) (time.Duration, error)
	// Streams reads a failed batch again (replay).
	Streams streambatch.StreamsAPI
}

// Build builds the handler from the environment (AUDIT_TABLE_NAME, TABLE_NAME).
func Build(_ context.Context, f lambdaenv.Function) (any, error) {
	vars, err := f.Env.Required("AUDIT_TABLE_NAME", "TABLE_NAME")
	if err != nil {
		return nil, fmt.Errorf("audit-stream function: %w", err)
	}
	db := dynamodb.NewFromConfig(f.AWS)
	agencies := &retentions{store: dynamo.NewStore(db, vars["TABLE_NAME"]), now: f.Now, m: map[string]cachedRetention{}}
	h := &Handler{Trail: dynamo.NewAuditTrail(db, vars["AUDIT_TABLE_NAME"]), Retention: agencies.of,
		Streams: dynamodbstreams.NewFromConfig(f.AWS)}
	return h.Invoke, nil
}

// Invoke is the function's entry: a stream batch, or a failure-queue message to
// replay (streambatch.Invoke).
func (h *Handler) Invoke(ctx context.Context, raw json.RawMessage) (any, error) {
	return streambatch.Invoke(ctx, raw, h.Streams, h.Handle)
}

// retentions caches each agency's audit retention for a few minutes: a change of
// the setting reaches new entries within them.
type retentions struct {
	mu    sync.Mutex
	store interface {
		GetAgency(ctx context.Context, agencyID string) (ah.Agency, error)
	}
	now func() time.Time
	m   map[string]cachedRetention
}

type cachedRetention struct {
	d       time.Duration
	expires time.Time
}

func (r *retentions) of(ctx context.Context, agencyID string) (time.Duration, error) {
	r.mu.Lock()
	c, ok := r.m[agencyID]
	r.mu.Unlock()
	if ok && r.now().Before(c.expires) {
		return c.d, nil
	}
	a, err := r.store.GetAgency(ctx, agencyID)
	if ah.KindOf(err) == ah.KindNotFound {
		a = ah.Agency{} // the default retention
	} else if err != nil {
		return 0, err
	}
	d := a.Settings.Retention()
	r.mu.Lock()
	r.m[agencyID] = cachedRetention{d: d, expires: r.now().Add(5 * time.Minute)}
	r.mu.Unlock()
	return d, nil
}

// Handle writes one entry per record, in order. Nothing is dropped silently:
//   - a record that can never become an entry fails the invocation, so Lambda
//     bisects the batch down to that record and, when its retries run out, sends
//     only its sequence range to the failure queue (an alarm watches it);
//   - a write that fails (throttled, timed out) is reported by the record's
//     SequenceNumber, which is what Lambda requires; Lambda sends the batch again
//     from there, so processing stops at it and the trail stays in stream order.
func (h *Handler) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	for _, rec := range ev.Records {
		e, err := dynamo.AuditEntryFor(rec)
		if errors.Is(err, dynamo.ErrSkip) {
			continue
		}
		if err != nil {
			return resp, fmt.Errorf("stream record %s (sequence number %s) cannot become an audit entry: %w", rec.EventID, rec.Change.SequenceNumber, err)
		}
		if h.Retention != nil {
			keep, err := h.Retention(ctx, e.AgencyID)
			if err != nil { // the table did not answer: this record, again
				resp.BatchItemFailures = []events.DynamoDBBatchItemFailure{{ItemIdentifier: rec.Change.SequenceNumber}}
				return resp, nil
			}
			e.TTL = e.At.Add(keep).Unix()
		}
		if err := h.Trail.Put(ctx, e); err != nil {
			resp.BatchItemFailures = []events.DynamoDBBatchItemFailure{{ItemIdentifier: rec.Change.SequenceNumber}}
			return resp, nil
		}
	}
	return resp, nil
}
