package dynamo_test

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/accesshive/accesshive/shared/dynamo"
)

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
		e, err := dynamo.AuditEntryFor(rec(t, "ev1", "MODIFY", client, renamed))
		if err != nil {
			t.Fatal(err)
		}
		if e.ActorID != "mbr_2" || e.Action != "client.update" || e.EntityType != "client" || e.EntityID != "c1" || e.ClientID != "c1" || e.PK != "AGENCY#a1#CLIENT#c1" {
			t.Fatalf("entry = %+v", e)
		}
		var changes map[string]map[string]any
		if err := json.Unmarshal(e.Changes, &changes); err != nil {
			t.Fatal(err)
		}
		if len(changes) != 1 || changes["name"]["before"] != "Acme" || changes["name"]["after"] != "Acme EU" {
			t.Fatalf("changes = %v (bookkeeping and secrets must not be listed)", e.Changes)
		}
	})
	t.Run("Remove", func(t *testing.T) {
		g := map[string]any{"PK": "AGENCY#a1#CLIENT#c1", "SK": "GUARD#PENDING_REQUEST#p#m", "type": "pending_request_guard", "updatedBy": "mbr_3", "agencyId": "a1",
			"targetId": "req_1"}
		e, err := dynamo.AuditEntryFor(rec(t, "ev2", "REMOVE", g, nil))
		var changes map[string]map[string]any
		if err == nil {
			err = json.Unmarshal(e.Changes, &changes)
		}
		if err != nil || e.Action != "pending_request_guard.delete" || changes["targetId"]["before"] != "req_1" || changes["targetId"]["after"] != nil {
			t.Fatalf("entry = %+v err %v", e, err)
		}
	})
	t.Run("SkipBookkeeping", func(t *testing.T) {
		_, err := dynamo.AuditEntryFor(rec(t, "ev3", "INSERT", nil, map[string]any{"PK": "IDEMPOTENCY#a#m#k", "SK": "IDEMPOTENCY", "type": "idempotency"}))
		if err != dynamo.ErrSkip {
			t.Fatalf("err = %v, want ErrSkip", err)
		}
	})
	t.Run("ErrPoison", func(t *testing.T) {
		if _, err := dynamo.AuditEntryFor(rec(t, "ev4", "INSERT", nil, map[string]any{"PK": "SOMETHING#x", "type": "alien"})); err == nil {
			t.Fatal("foreign item accepted")
		}
	})
}

func TestNotificationsAreNotAudited(t *testing.T) {
	_, err := dynamo.AuditEntryFor(rec(t, "ev5", "INSERT", nil, map[string]any{"PK": "AGENCY#a#MEMBER#m#NOTIFICATIONS", "SK": "x", "type": "notification", "clientId": "c"}))
	if err != dynamo.ErrSkip {
		t.Fatalf("err = %v, want ErrSkip", err)
	}
}
