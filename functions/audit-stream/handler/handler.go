// Package handler builds the audit-stream function: the table's stream, one
// immutable audit entry per change, in the audit table it alone may write.
package handler

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/accesshive/accesshive/shared/dynamo"
	"github.com/accesshive/accesshive/shared/lambdaenv"
)

// Trail is where entries go.
type Trail interface {
	Put(ctx context.Context, e dynamo.AuditRecord) error
}

// Handler writes the trail.
type Handler struct{ Trail Trail }

// Build builds the handler from the environment (AUDIT_TABLE_NAME).
func Build(_ context.Context, f lambdaenv.Function) (any, error) {
	vars, err := f.Env.Required("AUDIT_TABLE_NAME")
	if err != nil {
		return nil, fmt.Errorf("audit-stream function: %w", err)
	}
	h := &Handler{Trail: dynamo.NewAuditTrail(dynamodb.NewFromConfig(f.AWS), vars["AUDIT_TABLE_NAME"])}
	return h.Handle, nil
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
		if err := h.Trail.Put(ctx, e); err != nil {
			resp.BatchItemFailures = []events.DynamoDBBatchItemFailure{{ItemIdentifier: rec.Change.SequenceNumber}}
			return resp, nil
		}
	}
	return resp, nil
}
