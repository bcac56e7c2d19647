package handler

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/service"
)

// bus refuses a call over PutEvents' documented limits, as EventBridge does.
type bus struct {
	calls [][]ebtypes.PutEventsRequestEntry
}

func (b *bus) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	size := 0
	for _, e := range in.Entries {
		size += entrySize(e)
	}
	if len(in.Entries) > maxEntries || size > maxRequestSize {
		return nil, fmt.Errorf("ValidationException: %d entries, %d bytes", len(in.Entries), size)
	}
	b.calls = append(b.calls, in.Entries)
	return &eventbridge.PutEventsOutput{Entries: make([]ebtypes.PutEventsResultEntry, len(in.Entries))}, nil
}

// noEndpoints is an agency without webhook endpoints.
type noEndpoints struct{ ah.WebhookStore }

func (noEndpoints) ListWebhooks(context.Context, string, ah.Page) ([]ah.WebhookEndpoint, ah.Keys, error) {
	return nil, nil, nil
}

func change(i int, description string) events.DynamoDBEventRecord {
	s := events.NewStringAttribute
	return events.DynamoDBEventRecord{EventID: fmt.Sprintf("ev%d", i), EventName: "MODIFY", Change: events.DynamoDBStreamRecord{
		SequenceNumber: fmt.Sprint(100 + i),
		NewImage: map[string]events.DynamoDBAttributeValue{"PK": s("AGENCY#agy_1"), "SK": s(fmt.Sprintf("PLATFORM#plt_%d", i)), "type": s("platform"),
			"id": s(fmt.Sprintf("plt_%d", i)), "lastAction": s("platform.update"), "updatedBy": s("mbr_1"), "description": s(description)},
		OldImage: map[string]events.DynamoDBAttributeValue{"PK": s("AGENCY#agy_1"), "SK": s(fmt.Sprintf("PLATFORM#plt_%d", i)), "type": s("platform"),
			"id": s(fmt.Sprintf("plt_%d", i))},
	}}
}

// TestBatchesStayUnderTheCallLimit: ten large changes are published in calls
// under 256 KB (ten to a call would be refused every time, and the batch never
// published); none is lost and the order holds.
func TestBatchesStayUnderTheCallLimit(t *testing.T) {
	b := &bus{}
	h := &Handler{Bus: b, BusName: "bus", Service: service.New(service.Options{}), Store: noEndpoints{}}
	var recs []events.DynamoDBEventRecord
	for i := range 10 {
		recs = append(recs, change(i, strings.Repeat("x", 60<<10)))
	}
	resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: recs})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("handle: %v %+v", err, resp.BatchItemFailures)
	}
	var n int
	for _, call := range b.calls {
		for _, e := range call {
			if !strings.Contains(*e.Detail, fmt.Sprintf(`"entityId":"plt_%d"`, n)) {
				t.Fatalf("entry %d out of order: %.80s", n, *e.Detail)
			}
			n++
		}
	}
	if n != 10 || len(b.calls) < 3 {
		t.Fatalf("%d entries in %d calls", n, len(b.calls))
	}
}
