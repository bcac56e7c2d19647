package handler_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/accesshive/accesshive/functions/audit-stream/handler"
	"github.com/accesshive/accesshive/infra/testenv"
	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/dynamo"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

var seq = 1000

func rec(t *testing.T, id, name string, oldImg, newImg map[string]any) events.DynamoDBEventRecord {
	t.Helper()
	conv := func(m map[string]any) map[string]events.DynamoDBAttributeValue {
		if m == nil {
			return nil
		}
		ddb := map[string]any{}
		for k, v := range m {
			switch x := v.(type) {
			case string:
				ddb[k] = map[string]any{"S": x}
			case float64:
				ddb[k] = map[string]any{"N": strconv.FormatFloat(x, 'f', -1, 64)}
			}
		}
		data, _ := json.Marshal(ddb)
		var out map[string]events.DynamoDBAttributeValue
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	seq++
	return events.DynamoDBEventRecord{EventID: id, EventName: name, Change: events.DynamoDBStreamRecord{OldImage: conv(oldImg), NewImage: conv(newImg),
		SequenceNumber: strconv.Itoa(seq)}}
}

// failingPuts makes the nth PutItem (1-based) fail, as a throttled write would.
type failingPuts struct {
	dynamo.API
	n, calls int
}

func (f *failingPuts) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	f.calls++
	if f.calls == f.n {
		return nil, errors.New("ThrottlingException: rate exceeded")
	}
	return f.API.PutItem(ctx, in, opts...)
}

func TestHandleIsIdempotentAndReportsFailures(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	table := e.Stack.Tables["AuditTable"]
	trail := dynamo.NewAuditTrail(e.Stack.DB, table)
	w := &handler.Handler{Trail: trail}
	ok1 := rec(t, "ev-1", "INSERT", nil, map[string]any{"PK": "AGENCY#a9#CLIENT#c9", "SK": "CLIENT", "type": "client", "id": "c9", "updatedBy": "m1", "lastAction": "client.create", "updatedAt": "2026-11-23T14:00:00Z"})
	ok2 := rec(t, "ev-2", "MODIFY", nil, map[string]any{"PK": "AGENCY#a9#CLIENT#c9", "SK": "CLIENT", "type": "client", "id": "c9", "updatedBy": "m2", "lastAction": "client.update", "updatedAt": "2026-11-23T14:01:00Z"})
	poison := rec(t, "ev-bad", "INSERT", nil, map[string]any{"PK": "ALIEN#1", "type": "alien"})
	handle := func(w *handler.Handler, recs ...events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error) {
		return w.Handle(context.Background(), events.DynamoDBEvent{Records: recs})
	}
	entries := func() int {
		items, _, err := trail.ListClientAudit(context.Background(), "a9", "c9", ah.AuditFilter{}, ah.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		return len(items)
	}

	t.Run("FailedWriteByItsSequenceNumber", func(t *testing.T) {
		// Lambda requires a failed record's SequenceNumber (not its EventID) and
		// sends the batch again from it.
		resp, err := handle(&handler.Handler{Trail: dynamo.NewAuditTrail(&failingPuts{API: e.Stack.DB, n: 2}, table)}, ok1, ok2)
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != ok2.Change.SequenceNumber {
			t.Fatalf("failures = %+v, want the failed write by its sequence number %s", resp.BatchItemFailures, ok2.Change.SequenceNumber)
		}
		if n := entries(); n != 1 {
			t.Fatalf("%d entries, want the one before the failure", n)
		}
	})
	t.Run("PoisonFailsTheInvocation", func(t *testing.T) {
		// A record that can never become an entry: the invocation fails, so Lambda
		// bisects down to it.
		_, err := handle(w, ok1, poison, ok2)
		if err == nil || !strings.Contains(err.Error(), poison.Change.SequenceNumber) {
			t.Fatalf("err = %v, want a failure naming sequence number %s", err, poison.Change.SequenceNumber)
		}
	})
	t.Run("RedeliveryAddsNothing", func(t *testing.T) {
		for range 3 {
			if resp, err := handle(w, ok1, ok2); err != nil || len(resp.BatchItemFailures) != 0 {
				t.Fatalf("resp %+v err %v", resp, err)
			}
		}
		items, _, _ := trail.ListClientAudit(context.Background(), "a9", "c9", ah.AuditFilter{}, ah.Page{Limit: 100})
		if len(items) != 2 || items[0].Action != "client.update" {
			t.Fatalf("entries after three deliveries = %+v, want 2, newest first", items)
		}
		items, _, _ = trail.ListClientAudit(context.Background(), "a9", "c9", ah.AuditFilter{ActorID: "m1"}, ah.Page{Limit: 100})
		if len(items) != 1 || items[0].ActorID != "m1" {
			t.Fatalf("actor filter = %+v", items)
		}
	})
}
