package localstack_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/accesshive/accesshive/infra/localstack"
	"github.com/accesshive/accesshive/infra/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

func event(t *testing.T, name string) []byte {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestSampleEvents runs each function on its sample event from testdata/.
func TestSampleEvents(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	ctx := context.Background()
	invokeHTTP := func(t *testing.T, name string) (status int, body map[string]any) {
		out, err := e.Stack.Invoke(ctx, "ApiFunction", event(t, name))
		if err != nil {
			t.Fatalf("invoke: %v", err)
		}
		var resp struct {
			StatusCode int               `json:"statusCode"`
			Headers    map[string]string `json:"headers"`
			Body       string            `json:"body"`
		}
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatal(err)
		}
		_ = json.Unmarshal([]byte(resp.Body), &body)
		return resp.StatusCode, body
	}
	t.Run("api-get-health", func(t *testing.T) {
		if status, body := invokeHTTP(t, "api-get-health.json"); status != 200 || body["status"] != "ok" {
			t.Fatalf("%d %v", status, body)
		}
	})
	t.Run("api-get-me", func(t *testing.T) {
		// The event's subject is not bound and its email belongs to a member bound
		// to another subject: refused, not bound a second time.
		if status, body := invokeHTTP(t, "api-get-me.json"); status != 403 || body["code"] != "not_a_member" {
			t.Fatalf("%d %v", status, body)
		}
	})
	t.Run("bootstrap", func(t *testing.T) {
		out, err := e.Stack.Invoke(ctx, "BootstrapFunction", event(t, "bootstrap.json"))
		if err != nil {
			t.Fatalf("invoke: %v", err)
		}
		var res struct {
			Agency struct{ Name string } `json:"agency"`
			Owner  struct {
				Role, Status string
			} `json:"owner"`
		}
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatal(err)
		}
		if res.Agency.Name != "Contoso Creative" || res.Owner.Role != "agency_owner" || res.Owner.Status != "invited" {
			t.Fatalf("bootstrap result = %+v", res)
		}
	})
}

// TestEveryTemplateFunctionRunsLocally: Start fails for a template function without
// a builder, so a started stack has exactly the template's functions.
func TestEveryTemplateFunctionRunsLocally(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	fns, err := e.Stack.Template.Functions()
	if err != nil {
		t.Fatal(err)
	}
	if len(fns) != len(e.Stack.Functions) {
		t.Fatalf("template has %d functions, stack runs %d", len(fns), len(e.Stack.Functions))
	}
	for id := range fns {
		if _, ok := e.Stack.Functions[id]; !ok {
			t.Errorf("template function %s does not run locally", id)
		}
	}
	if len(localstack.Builders()) != len(fns) {
		t.Errorf("%d local builders for %d template functions: remove builders the template no longer declares", len(localstack.Builders()), len(fns))
	}
}

func TestStartFailsWithoutIssuer(t *testing.T) {
	t.Parallel()
	if _, err := localstack.Start(context.Background(), localstack.Options{Endpoint: testenv.Endpoint(t)}); err == nil {
		t.Fatal("Start without an issuer succeeded")
	}
}

// TestSchedulesFire reads the template's ScheduleV2 events and fires them.
func TestSchedulesFire(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	scheds, err := e.Stack.Schedules()
	if err != nil {
		t.Fatal(err)
	}
	if len(scheds) != 1 || scheds[0].Function != "ExpireRequestsFunction" || scheds[0].Every != time.Minute {
		t.Fatalf("schedules = %+v, want ExpireRequestsFunction every minute", scheds)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e.Stack.Calls.Reset()
	if _, err := e.Stack.StartSchedules(ctx, 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(e.Stack.Calls.Names("ExpireRequestsFunction")) < 8 { // two sweeps of four shard queries
		if time.Now().After(deadline) {
			t.Fatalf("the schedule did not fire: calls %v", e.Stack.Calls.Names())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestStreamFilterFromTemplate: the template's FilterCriteria, applied locally:
// the audit trail gets every change but bookkeeping and notifications; the notify
// function gets access request inserts and changes only.
func TestStreamFilterFromTemplate(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	srcs, err := e.Stack.StreamSourcesForTest()
	if err != nil || len(srcs) != 2 {
		t.Fatalf("sources = %+v %v", srcs, err)
	}
	byFn := map[string][]map[string]any{}
	for _, s := range srcs {
		byFn[s.Function] = s.Filters
	}
	audit, notify := byFn["AuditStreamFunction"], byFn["NotifyFunction"]
	if len(audit) != 2 || len(notify) != 1 {
		t.Fatalf("filters: audit %d, notify %d", len(audit), len(notify))
	}
	for typ, want := range map[string]bool{"client": true, "access_request": true, "idempotency": false, "counter": false, "notification": false} {
		ev := events.DynamoDBEventRecord{EventName: "INSERT", Change: events.DynamoDBStreamRecord{NewImage: map[string]events.DynamoDBAttributeValue{"type": events.NewStringAttribute(typ)}}}
		if got := localstack.MatchesFilters(audit, ev); got != want {
			t.Errorf("audit: INSERT of %s passes = %v, want %v", typ, got, want)
		}
		if got := localstack.MatchesFilters(notify, ev); got != (typ == "access_request") {
			t.Errorf("notify: INSERT of %s passes = %v", typ, got)
		}
		rm := events.DynamoDBEventRecord{EventName: "REMOVE", Change: events.DynamoDBStreamRecord{OldImage: map[string]events.DynamoDBAttributeValue{"type": events.NewStringAttribute(typ)}}}
		if got := localstack.MatchesFilters(audit, rm); got != want {
			t.Errorf("audit: REMOVE of %s passes = %v, want %v", typ, got, want)
		}
		if localstack.MatchesFilters(notify, rm) {
			t.Errorf("notify: REMOVE of %s passes", typ)
		}
	}
}
