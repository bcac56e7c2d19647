package audit_test

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/accesshive/accesshive/infra/testenv"
	"github.com/accesshive/accesshive/shared/audit"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

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
	return events.DynamoDBEventRecord{EventID: id, EventName: name, Change: events.DynamoDBStreamRecord{OldImage: conv(oldImg), NewImage: conv(newImg)}}
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

func TestHandleIsIdempotentAndReportsPoison(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	w := &audit.Writer{DB: e.Stack.DB, Table: e.Stack.Tables["AuditTable"]}
	r := &audit.Reader{DB: e.Stack.DB, Table: e.Stack.Tables["AuditTable"]}
	ok1 := rec(t, "ev-1", "INSERT", nil, map[string]any{"PK": "AGENCY#a9#CLIENT#c9", "SK": "CLIENT", "type": "client", "id": "c9", "updatedBy": "m1", "lastAction": "client.create", "updatedAt": "2026-11-23T14:00:00Z"})
	ok2 := rec(t, "ev-2", "MODIFY", nil, map[string]any{"PK": "AGENCY#a9#CLIENT#c9", "SK": "CLIENT", "type": "client", "id": "c9", "updatedBy": "m2", "lastAction": "client.update", "updatedAt": "2026-11-23T14:01:00Z"})
	poison := rec(t, "ev-bad", "INSERT", nil, map[string]any{"PK": "ALIEN#1", "type": "alien"})
	batch := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{ok1, poison, ok2}}
	for range 3 {
		resp, err := w.Handle(context.Background(), batch)
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "ev-bad" {
			t.Fatalf("failures = %+v, want only the poisoned record", resp.BatchItemFailures)
		}
	}
	page, err := r.ListClient(context.Background(), "a9", "c9", audit.Filter{}, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 || page.Items[0].Action != "client.update" {
		t.Fatalf("entries after three deliveries = %+v, want 2, newest first", page.Items)
	}
	page, _ = r.ListClient(context.Background(), "a9", "c9", audit.Filter{ActorID: "m1"}, 100, nil)
	if len(page.Items) != 1 || page.Items[0].ActorID != "m1" {
		t.Fatalf("actor filter = %+v", page.Items)
	}
}

func TestNotificationsAreNotAudited(t *testing.T) {
	_, err := audit.EntryFor(rec(t, "ev5", "INSERT", nil, map[string]any{"PK": "AGENCY#a#MEMBER#m#NOTIFICATIONS", "SK": "x", "type": "notification", "clientId": "c"}))
	if err != audit.ErrSkip {
		t.Fatalf("err = %v, want ErrSkip", err)
	}
}
