package audit_test

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

	"github.com/accesshive/accesshive/infra/testenv"
	"github.com/accesshive/accesshive/shared/audit"
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

func TestEntryFor(t *testing.T) {
	client := map[string]any{"PK": "AGENCY#a1#CLIENT#c1", "SK": "CLIENT", "type": "client", "id": "c1", "name": "Acme",
		"version": 1.0, "updatedBy": "mbr_1", "lastAction": "client.create", "updatedAt": "2026-11-23T14:00:00Z"}
	renamed := map[string]any{}
	for k, v := range client {
		renamed[k] = v
	}
	renamed["name"], renamed["version"], renamed["updatedBy"], renamed["lastAction"] = "Acme EU", 2.0, "mbr_2", "client.update"
	renamed["password"] = "hunter2"

	t.Run("Modify", func(t *testing.T) {
		e, err := audit.EntryFor(rec(t, "ev1", "MODIFY", client, renamed))
		if err != nil {
			t.Fatal(err)
		}
		if e.ActorID != "mbr_2" || e.Action != "client.update" || e.EntityType != "client" || e.EntityID != "c1" || e.ClientID != "c1" || e.PK != "AGENCY#a1#CLIENT#c1" {
			t.Fatalf("entry = %+v", e)
		}
		if len(e.Changes) != 1 || e.Changes["name"].(map[string]any)["before"] != "Acme" || e.Changes["name"].(map[string]any)["after"] != "Acme EU" {
			t.Fatalf("changes = %v (bookkeeping and secrets must not be listed)", e.Changes)
		}
	})
	t.Run("Remove", func(t *testing.T) {
		g := map[string]any{"PK": "AGENCY#a1#CLIENT#c1", "SK": "GUARD#PENDING_REQUEST#p#m", "type": "pending_request_guard", "updatedBy": "mbr_3", "agencyId": "a1"}
		e, err := audit.EntryFor(rec(t, "ev2", "REMOVE", g, nil))
		if err != nil || e.Action != "pending_request_guard.delete" || e.Changes["type"].(map[string]any)["after"] != nil {
			t.Fatalf("entry = %+v err %v", e, err)
		}
	})
	t.Run("SkipBookkeeping", func(t *testing.T) {
		_, err := audit.EntryFor(rec(t, "ev3", "INSERT", nil, map[string]any{"PK": "IDEMPOTENCY#a#m#k", "SK": "IDEMPOTENCY", "type": "idempotency"}))
		if err != audit.ErrSkip {
			t.Fatalf("err = %v, want ErrSkip", err)
		}
	})
	t.Run("ErrPoison", func(t *testing.T) {
		if _, err := audit.EntryFor(rec(t, "ev4", "INSERT", nil, map[string]any{"PK": "SOMETHING#x", "type": "alien"})); err == nil {
			t.Fatal("foreign item accepted")
		}
	})
}

// failingPuts makes the nth PutItem (1-based) fail, as a throttled write would.
type failingPuts struct {
	audit.API
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
	w := &audit.Writer{DB: e.Stack.DB, Table: e.Stack.Tables["AuditTable"]}
	r := &audit.Reader{DB: e.Stack.DB, Table: e.Stack.Tables["AuditTable"]}
	ok1 := rec(t, "ev-1", "INSERT", nil, map[string]any{"PK": "AGENCY#a9#CLIENT#c9", "SK": "CLIENT", "type": "client", "id": "c9", "updatedBy": "m1", "lastAction": "client.create", "updatedAt": "2026-11-23T14:00:00Z"})
	ok2 := rec(t, "ev-2", "MODIFY", nil, map[string]any{"PK": "AGENCY#a9#CLIENT#c9", "SK": "CLIENT", "type": "client", "id": "c9", "updatedBy": "m2", "lastAction": "client.update", "updatedAt": "2026-11-23T14:01:00Z"})
	poison := rec(t, "ev-bad", "INSERT", nil, map[string]any{"PK": "ALIEN#1", "type": "alien"})
	handle := func(w *audit.Writer, recs ...events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error) {
		return w.Handle(context.Background(), events.DynamoDBEvent{Records: recs})
	}
	entries := func() int {
		page, err := r.ListClient(context.Background(), "a9", "c9", audit.Filter{}, 100, nil)
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Items)
	}

	t.Run("FailedWriteByItsSequenceNumber", func(t *testing.T) {
		// Lambda requires a failed record's SequenceNumber (not its EventID) and
		// sends the batch again from it.
		resp, err := handle(&audit.Writer{DB: &failingPuts{API: e.Stack.DB, n: 2}, Table: w.Table}, ok1, ok2)
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
		page, _ := r.ListClient(context.Background(), "a9", "c9", audit.Filter{}, 100, nil)
		if len(page.Items) != 2 || page.Items[0].Action != "client.update" {
			t.Fatalf("entries after three deliveries = %+v, want 2, newest first", page.Items)
		}
		page, _ = r.ListClient(context.Background(), "a9", "c9", audit.Filter{ActorID: "m1"}, 100, nil)
		if len(page.Items) != 1 || page.Items[0].ActorID != "m1" {
			t.Fatalf("actor filter = %+v", page.Items)
		}
	})
}

func TestNotificationsAreNotAudited(t *testing.T) {
	_, err := audit.EntryFor(rec(t, "ev5", "INSERT", nil, map[string]any{"PK": "AGENCY#a#MEMBER#m#NOTIFICATIONS", "SK": "x", "type": "notification", "clientId": "c"}))
	if err != audit.ErrSkip {
		t.Fatalf("err = %v, want ErrSkip", err)
	}
}
