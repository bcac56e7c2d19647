// Package handler builds the events function: the table's stream (the changes
// the audit trail records, by the same filter), each change published to the
// stack's EventBridge bus as an event and turned into the webhook deliveries the
// agency's endpoints want.
//
// Delivery is at least once: a failed PutEvents entry or delivery write is
// reported by its record's SequenceNumber and Lambda sends the batch again from
// there, so an event may be published twice. Consumers deduplicate on the
// event's detail.id (the audit entry's id; the webhook-id header of a delivery).
package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/dynamo"
	"github.com/accesshive/accesshive/shared/lambdaenv"
	"github.com/accesshive/accesshive/shared/service"
	"github.com/accesshive/accesshive/shared/streambatch"
)

// Bus is the part of the EventBridge client the function uses.
type Bus interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// Handler publishes a batch of changes.
type Handler struct {
	Bus     Bus
	BusName string
	Service *service.Service
	Store   ah.WebhookStore
	Streams streambatch.StreamsAPI
}

// Build builds the handler from the environment (TABLE_NAME, EVENT_BUS_NAME).
func Build(_ context.Context, f lambdaenv.Function) (any, error) {
	vars, err := f.Env.Required("TABLE_NAME", "EVENT_BUS_NAME")
	if err != nil {
		return nil, fmt.Errorf("events function: %w", err)
	}
	store := dynamo.NewStore(dynamodb.NewFromConfig(f.AWS), vars["TABLE_NAME"])
	svc := service.New(service.Options{Clock: service.ClockFunc(f.Now), Store: store, Logger: f.Log})
	h := &Handler{Bus: eventbridge.NewFromConfig(f.AWS), BusName: vars["EVENT_BUS_NAME"], Service: svc, Store: store,
		Streams: dynamodbstreams.NewFromConfig(f.AWS)}
	return h.Invoke, nil
}

// Invoke is the function's entry: a stream batch, or a failure-queue message to
// replay (streambatch.Invoke).
func (h *Handler) Invoke(ctx context.Context, raw json.RawMessage) (any, error) {
	return streambatch.Invoke(ctx, raw, h.Streams, h.Handle)
}

// PutEvents' limits: 10 entries and 256 KB of entries per call (an entry counts
// 14 bytes for its time plus its source, detail-type and detail); maxDetail keeps
// one entry well under the call's limit (a bigger change goes without its fields).
const (
	maxEntries     = 10
	maxRequestSize = 256 << 10
	maxDetail      = 200 << 10
)

// entrySize is an entry's size as EventBridge counts it.
func entrySize(e ebtypes.PutEventsRequestEntry) int {
	return 14 + len(aws.ToString(e.Source)) + len(aws.ToString(e.DetailType)) + len(aws.ToString(e.Detail))
}

type pending struct {
	seq   string
	entry ebtypes.PutEventsRequestEntry
}

// Handle publishes record by record, in order (PutEvents in tens, or fewer when
// ten would pass the call's 256 KB).
func (h *Handler) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	endpoints := map[string][]ah.WebhookEndpoint{}
	list := func(agencyID string) ([]ah.WebhookEndpoint, error) {
		if ws, ok := endpoints[agencyID]; ok {
			return ws, nil
		}
		ws, _, err := h.Store.ListWebhooks(ctx, agencyID, ah.Page{Limit: ah.MaxWebhookEndpoints})
		if err == nil {
			endpoints[agencyID] = ws
		}
		return ws, err
	}
	var batch []pending
	batchSize := 0
	fail := func(seq string) (events.DynamoDBEventResponse, error) {
		resp.BatchItemFailures = []events.DynamoDBBatchItemFailure{{ItemIdentifier: seq}}
		return resp, nil
	}
	flush := func() (string, bool) {
		if len(batch) == 0 {
			return "", true
		}
		entries := make([]ebtypes.PutEventsRequestEntry, len(batch))
		for i, p := range batch {
			entries[i] = p.entry
		}
		out, err := h.Bus.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
		if err != nil {
			return batch[0].seq, false
		}
		if out.FailedEntryCount > 0 {
			for i, r := range out.Entries {
				if r.ErrorCode != nil && i < len(batch) {
					return batch[i].seq, false
				}
			}
			return batch[0].seq, false
		}
		batch, batchSize = batch[:0], 0
		return "", true
	}
	for _, rec := range ev.Records {
		e, err := dynamo.AuditEntryFor(rec)
		if errors.Is(err, dynamo.ErrSkip) {
			continue
		}
		if err != nil {
			return resp, fmt.Errorf("stream record %s (sequence number %s) cannot become an event: %w", rec.EventID, rec.Change.SequenceNumber, err)
		}
		seq := rec.Change.SequenceNumber
		if _, err := h.Service.EnqueueWebhookDeliveries(ctx, e.AgencyID, list, e.AuditEntry, seq); err != nil {
			if at, ok := flush(); !ok {
				return fail(at)
			}
			return fail(seq)
		}
		entry, err := eventEntry(h.BusName, e)
		if err != nil {
			return resp, fmt.Errorf("stream record %s: %w", rec.EventID, err)
		}
		size := entrySize(entry)
		if batchSize+size > maxRequestSize {
			if at, ok := flush(); !ok {
				return fail(at)
			}
		}
		batch = append(batch, pending{seq: seq, entry: entry})
		batchSize += size
		if len(batch) == maxEntries {
			if at, ok := flush(); !ok {
				return fail(at)
			}
		}
	}
	if at, ok := flush(); !ok {
		return fail(at)
	}
	return resp, nil
}

// eventEntry is an audit entry as a PutEvents entry.
func eventEntry(bus string, e dynamo.AuditRecord) (ebtypes.PutEventsRequestEntry, error) {
	detail, err := Detail(e)
	if err != nil {
		return ebtypes.PutEventsRequestEntry{}, err
	}
	at := e.At
	return ebtypes.PutEventsRequestEntry{EventBusName: aws.String(bus), Source: aws.String(ah.EventSource),
		DetailType: aws.String(ah.DetailType(e.Action)), Detail: aws.String(string(detail)), Time: &at}, nil
}

// Detail is an event's detail: the audit entry's JSON with its agencyId. A change
// too large for an event goes without its fields ("changes": {} and
// "changesTruncated": true); the audit entry has them.
func Detail(e dynamo.AuditRecord) ([]byte, error) {
	raw, err := json.Marshal(e.AuditEntry)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	m["agencyId"], _ = json.Marshal(e.AgencyID)
	out, err := json.Marshal(m)
	if err == nil && len(out) > maxDetail {
		m["changes"], m["changesTruncated"] = json.RawMessage(`{}`), json.RawMessage(`true`)
		out, err = json.Marshal(m)
	}
	return out, err
}
