package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/accesshive/accesshive/infra/testenv"
)

func drain(t *testing.T, e *testenv.Env) {
	t.Helper()
	waitExecutions(t, e)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.Stack.DrainStreams(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestAuditTrail: every mutation of a client's lifecycle leaves exactly one entry
// for the entity it changed, stamped with the right actor; reading is newest first,
// filterable; credentials never appear; the stream's failures list stays empty.
func TestAuditTrail(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	admin, manager := e.As("admin"), e.As("manager")
	adminID, managerID := e.Seed.Users["admin"].UserID, e.Seed.Users["manager"].UserID
	r := manager.Post("/v1/clients", newClientBody("Audited Co"))
	cid := r.Map(t)["id"].(string)
	createRequestID := r.Header.Get("X-Request-Id")
	path := "/v1/clients/" + cid
	admin.Patch(path, map[string]any{"description": "changed by admin"})
	manager.Send("PUT", path+"/contacts/ops", map[string]any{"kind": "technical", "name": "Ops", "email": "ops@audited.example"})
	admin.Send("PUT", path+"/platforms/"+e.Seed.Platforms["meta"], nil)
	admin.Send("PUT", path+"/team/"+e.Seed.Users["member"].UserID, map[string]any{"role": "viewer"})
	manager.Send("DELETE", path+"/contacts/ops", nil)
	drain(t, e)

	var list struct{ Items []map[string]any }
	admin.Get(path+"/activity?limit=100").JSON(t, &list)
	type key struct{ action, entity string }
	count := map[key]int{}
	actor := map[key]string{}
	for _, en := range list.Items {
		k := key{en["action"].(string), en["entityType"].(string)}
		count[k]++
		actor[k] = en["actorId"].(string)
	}
	for _, want := range []struct {
		action, entity, actor string
	}{
		{"client.create", "client", managerID},
		{"client.update", "client", adminID},
		{"client.contact.put", "client_contact", managerID},
		{"client.platform.add", "client_platform", adminID},
		{"client.team.put", "client_team", adminID},
		{"client_contact.delete", "client_contact", ""},
	} {
		k := key{want.action, want.entity}
		if count[k] != 1 {
			t.Errorf("%d entries for %s on %s, want exactly 1", count[k], want.action, want.entity)
		}
		if want.actor != "" && actor[k] != want.actor {
			t.Errorf("%s actor = %s, want %s", want.action, actor[k], want.actor)
		}
	}
	for _, en := range list.Items {
		if en["action"] == "client.create" && en["entityType"] == "client" && en["apiRequestId"] != createRequestID {
			t.Errorf("client.create entry apiRequestId = %v, want the creating request's %s", en["apiRequestId"], createRequestID)
		}
	}
	for i := 1; i < len(list.Items); i++ {
		prev, _ := time.Parse(time.RFC3339Nano, list.Items[i-1]["at"].(string))
		cur, _ := time.Parse(time.RFC3339Nano, list.Items[i]["at"].(string))
		if prev.Before(cur) { // compare times: RFC 3339 text with varying fractions does not sort
			t.Fatalf("activity is not newest first: %v before %v", prev, cur)
		}
	}
	t.Run("Filters", func(t *testing.T) {
		var f struct{ Items []map[string]any }
		admin.Get(path+"/activity?action=client.update").JSON(t, &f)
		if len(f.Items) != 1 || f.Items[0]["changes"].(map[string]any)["description"] == nil {
			t.Fatalf("action filter = %v", f.Items)
		}
		admin.Get(path+"/activity?actorId="+managerID).JSON(t, &f)
		for _, en := range f.Items {
			if en["actorId"] != managerID {
				t.Fatalf("actor filter returned %v", en)
			}
		}
		if r := admin.Get(path + "/activity?from=yesterday"); r.Status != 422 {
			t.Fatalf("bad from: %d", r.Status)
		}
	})
	t.Run("AgencySearch", func(t *testing.T) {
		var f struct{ Items []map[string]any }
		e.As("owner").Get("/v1/audit?clientId="+cid+"&action=client.create").JSON(t, &f)
		clients := 0
		for _, en := range f.Items {
			if en["clientId"] != cid || en["action"] != "client.create" {
				t.Fatalf("search returned %v", en)
			}
			if en["entityType"] == "client" {
				clients++
			}
		}
		if clients != 1 || len(f.Items) < 3 { // the client, its two contacts, its name guard
			t.Fatalf("agency search = %v", f.Items)
		}
		if r := e.As("manager").Get("/v1/audit"); r.Status != 403 {
			t.Fatalf("manager searching the agency audit: %d", r.Status)
		}
		var other struct{ Items []map[string]any }
		e.As("otherOwner").Get("/v1/audit?clientId="+cid).JSON(t, &other)
		if len(other.Items) != 0 {
			t.Fatalf("another agency sees entries: %v", other.Items)
		}
	})
	t.Run("ReplayAddsNothing", func(t *testing.T) {
		before := len(list.Items)
		drain(t, e) // nothing new
		var again struct{ Items []map[string]any }
		admin.Get(path+"/activity?limit=100").JSON(t, &again)
		if len(again.Items) != before {
			t.Fatalf("%d entries after a second drain, want %d", len(again.Items), before)
		}
	})
	if f := e.Stack.StreamFailures(); len(f) != 0 {
		t.Fatalf("stream failures: %+v", f)
	}
}

func TestAuditRecordsRevealWithoutSecret(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	ipath := provisioned(t, e, e.Seed.Platforms["googleAds"], "managed")
	c := e.As("admin").Post(ipath+"/credentials/reveal", nil).Map(t)
	drain(t, e)
	r := e.As("owner").Get("/v1/clients/" + e.Seed.ClientID + "/activity?action=identity.credential.reveal")
	if !strings.Contains(string(r.Body), "identity.credential.reveal") {
		t.Fatalf("reveal not in the trail: %s", r.Body)
	}
	all := e.As("owner").Get("/v1/audit?limit=100")
	if strings.Contains(string(all.Body), c["password"].(string)) {
		t.Fatal("a credential reached the audit trail")
	}
}

// TestRefusedTransactionKeepsTheTrail: a refused transaction (a duplicate client
// name, 409) leaves no entry for the client that was never created, and the trail
// goes on recording what comes after it. The engine used to keep the refused
// writes' stream records and replace the stream under the poller.
func TestRefusedTransactionKeepsTheTrail(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	manager, owner := e.As("manager"), e.As("owner")
	first := manager.Post("/v1/clients", newClientBody("Trail One")).Map(t)["id"].(string)
	drain(t, e)
	if r := manager.Post("/v1/clients", newClientBody("Trail One")); r.Status != 409 {
		t.Fatalf("duplicate name: %d %s", r.Status, r.Body)
	}
	second := manager.Post("/v1/clients", newClientBody("Trail Two")).Map(t)["id"].(string)
	drain(t, e)
	creates := func(cid string) int {
		var list struct{ Items []map[string]any }
		owner.Get("/v1/clients/"+cid+"/activity?action=client.create&limit=100").JSON(t, &list)
		n := 0
		for _, en := range list.Items {
			if en["entityType"] == "client" {
				n++
			}
		}
		return n
	}
	if creates(first) != 1 || creates(second) != 1 {
		t.Fatalf("client.create entries: first %d, second %d, want 1 each", creates(first), creates(second))
	}
	var all struct{ Items []map[string]any }
	owner.Get("/v1/audit?action=client.create&limit=100").JSON(t, &all)
	clients := map[string]bool{}
	for _, en := range all.Items {
		if en["entityType"] == "client" {
			clients[en["clientId"].(string)] = true
		}
	}
	var list struct{ Items []map[string]any }
	owner.Get("/v1/clients?limit=100").JSON(t, &list)
	existing := map[string]bool{}
	for _, c := range list.Items {
		existing[c["id"].(string)] = true
	}
	for cid := range clients {
		if !existing[cid] {
			t.Errorf("the trail shows client.create for %s, which does not exist", cid)
		}
	}
}

// TestPoisonRecordGoesToTheFailureQueue: a change the audit function cannot turn
// into an entry is retried, isolated by bisecting, and given up to the AuditFailures
// queue as Lambda does it (the shard and sequence range, not the record); the
// changes around it still reach the trail.
func TestPoisonRecordGoesToTheFailureQueue(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	ctx := context.Background()
	manager := e.As("manager")
	before := manager.Post("/v1/clients", newClientBody("Before Poison")).Map(t)["id"].(string)
	if _, err := e.Stack.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(e.Stack.Tables["Table"]), Item: map[string]ddbtypes.AttributeValue{
		"PK": &ddbtypes.AttributeValueMemberS{Value: "ALIEN#1"}, "SK": &ddbtypes.AttributeValueMemberS{Value: "X"},
		"type": &ddbtypes.AttributeValueMemberS{Value: "alien"}, "secretNote": &ddbtypes.AttributeValueMemberS{Value: "not for the queue"}}}); err != nil {
		t.Fatal(err)
	}
	after := manager.Post("/v1/clients", newClientBody("After Poison")).Map(t)["id"].(string)
	drain(t, e)
	for _, cid := range []string{before, after} {
		var list struct{ Items []map[string]any }
		e.As("owner").Get("/v1/clients/"+cid+"/activity").JSON(t, &list)
		if len(list.Items) == 0 {
			t.Errorf("client %s has no activity: the poison record blocked the trail", cid)
		}
	}
	// The events function reads the same changes with the same code: it gives the
	// poison record up to its own queue too, and nothing else.
	failures := e.Stack.StreamFailures()
	byFn := map[string]int{}
	for _, f := range failures {
		if f.Info.BatchSize != 1 || f.Condition != "RetryAttemptsExhausted" || f.Info.StartSequenceNumber != failures[0].Info.StartSequenceNumber {
			t.Fatalf("failures = %+v, want the poison record alone", failures)
		}
		byFn[f.Function]++
	}
	if len(failures) != 2 || byFn["AuditStreamFunction"] != 1 || byFn["EventsFunction"] != 1 {
		t.Fatalf("failures = %+v, want the poison record once for the audit and the events function", failures)
	}
	q := sqs.NewFromConfig(e.Stack.AWS)
	url, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(e.Stack.Tables["Table"][:len(e.Stack.Tables["Table"])-len("Table")] + "AuditFailures")})
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url.QueueUrl, MaxNumberOfMessages: 10})
	if err != nil || len(msgs.Messages) != 1 {
		t.Fatalf("messages %v, err %v", msgs, err)
	}
	body := aws.ToString(msgs.Messages[0].Body)
	var rec struct {
		RequestContext struct {
			Condition   string `json:"condition"`
			FunctionArn string `json:"functionArn"`
		} `json:"requestContext"`
		Info struct {
			StartSequenceNumber string `json:"startSequenceNumber"`
			EndSequenceNumber   string `json:"endSequenceNumber"`
			StreamArn           string `json:"streamArn"`
		} `json:"DDBStreamBatchInfo"`
	}
	if err := json.Unmarshal([]byte(body), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Info.StartSequenceNumber != failures[0].Info.StartSequenceNumber || rec.Info.StartSequenceNumber != rec.Info.EndSequenceNumber ||
		!strings.Contains(rec.Info.StreamArn, "/stream/") || !strings.HasSuffix(rec.RequestContext.FunctionArn, "AuditStreamFunction") {
		t.Fatalf("destination record %s", body)
	}
	if strings.Contains(body, "not for the queue") || strings.Contains(body, "ALIEN") {
		t.Fatalf("the destination received the record itself: %s", body)
	}
}

// TestAuditRetention: every entry carries its expiry (the audit table's TTL): its
// time plus the agency's auditRetentionDays, seven years unless the owner sets
// another, and a change applies to the entries written after it.
func TestAuditRetention(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	owner := e.As("owner")
	if d := owner.Get("/v1/settings").Map(t)["auditRetentionDays"]; d != 2557.0 {
		t.Fatalf("default retention = %v days", d)
	}
	for _, bad := range []int{0, 89, 3654} {
		if r := owner.Patch("/v1/settings", map[string]any{"auditRetentionDays": bad}); r.Status != 422 {
			t.Fatalf("retention %d: %d", bad, r.Status)
		}
	}
	if r := e.As("admin").Patch("/v1/settings", map[string]any{"auditRetentionDays": 90}); r.Status != 403 {
		t.Fatalf("an admin changed the retention: %d", r.Status)
	}
	if r := owner.Patch("/v1/settings", map[string]any{"auditRetentionDays": 90}); r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	cid := e.As("manager").Post("/v1/clients", newClientBody("Retained Co")).Map(t)["id"].(string)
	drain(t, e)
	out, err := e.Stack.DB.Query(context.Background(), &dynamodb.QueryInput{TableName: aws.String(e.Stack.Tables["AuditTable"]),
		KeyConditionExpression: aws.String("PK = :pk"), ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{
			":pk": &ddbtypes.AttributeValueMemberS{Value: "AGENCY#" + e.Seed.AgencyID + "#CLIENT#" + cid}}})
	if err != nil || len(out.Items) == 0 {
		t.Fatalf("entries: %v (%d)", err, len(out.Items))
	}
	for _, it := range out.Items {
		var body struct{ At time.Time }
		_ = json.Unmarshal(it["entry"].(*ddbtypes.AttributeValueMemberB).Value, &body)
		ttl, ok := it["ttl"].(*ddbtypes.AttributeValueMemberN)
		if !ok {
			t.Fatalf("an entry without ttl: %v", it)
		}
		if want := body.At.Add(90 * 24 * time.Hour).Unix(); ttl.Value != fmt.Sprint(want) {
			t.Fatalf("ttl %s, want %d (the entry's time plus 90 days)", ttl.Value, want)
		}
	}
}
