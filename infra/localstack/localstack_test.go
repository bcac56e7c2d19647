package localstack_test

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/accesshive/accesshive/infra/localstack"
	"github.com/accesshive/accesshive/infra/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

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
	every := map[string]time.Duration{}
	for _, sc := range scheds {
		every[sc.Function] = sc.Every
	}
	if len(scheds) != 2 || every["ExpireRequestsFunction"] != time.Minute || every["WebhooksFunction"] != time.Minute {
		t.Fatalf("schedules = %+v, want ExpireRequestsFunction and WebhooksFunction every minute", scheds)
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
// function gets inserts and changes of access requests, clients and client
// identities only.
func TestStreamFilterFromTemplate(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	srcs, err := e.Stack.StreamSourcesForTest()
	if err != nil || len(srcs) != 4 {
		t.Fatalf("sources = %+v %v", srcs, err)
	}
	byFn := map[string][]map[string]any{}
	for _, s := range srcs {
		byFn[s.Function] = s.Filters
	}
	audit, notify, published, webhooks := byFn["AuditStreamFunction"], byFn["NotifyFunction"], byFn["EventsFunction"], byFn["WebhooksFunction"]
	if len(audit) != 2 || len(notify) != 1 || len(published) != 2 || len(webhooks) != 1 {
		t.Fatalf("filters: audit %d, notify %d, events %d, webhooks %d", len(audit), len(notify), len(published), len(webhooks))
	}
	for typ, want := range map[string]bool{"client": true, "access_request": true, "client_identity": true, "review_campaign": true, "idempotency": false,
		"counter": false, "notification": false, "reminder": false, "webhook_delivery": false, "slack_message": false, "webhook": true} {
		for _, name := range []string{"INSERT", "MODIFY"} {
			ev := events.DynamoDBEventRecord{EventName: name, Change: events.DynamoDBStreamRecord{NewImage: map[string]events.DynamoDBAttributeValue{"type": events.NewStringAttribute(typ)}}}
			// What is audited is published: the events function follows the audit's filter.
			if got := localstack.MatchesFilters(published, ev); got != want {
				t.Errorf("events: %s of %s passes = %v, want %v", name, typ, got, want)
			}
			if got := localstack.MatchesFilters(webhooks, ev); got != (typ == "webhook_delivery" && name == "INSERT") {
				t.Errorf("webhooks: %s of %s passes = %v", name, typ, got)
			}
		}
		ev := events.DynamoDBEventRecord{EventName: "INSERT", Change: events.DynamoDBStreamRecord{NewImage: map[string]events.DynamoDBAttributeValue{"type": events.NewStringAttribute(typ)}}}
		if got := localstack.MatchesFilters(audit, ev); got != want {
			t.Errorf("audit: INSERT of %s passes = %v, want %v", typ, got, want)
		}
		if got := localstack.MatchesFilters(notify, ev); got != (typ == "access_request" || typ == "client" || typ == "client_identity" || typ == "review_campaign") {
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

// TestCORSPreflight: the console's preflight reaches no authorizer and gets the
// template's CORS headers; an actual request exposes the headers the console
// reads; another origin gets none.
func TestCORSPreflight(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	const console = "http://localhost:5173" // ConsoleOrigin's default
	preflight := func(origin, path string) *http.Response {
		req, _ := http.NewRequest("OPTIONS", e.Server.URL+path, nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "PATCH")
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type,if-match")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for _, path := range []string{"/v1/clients", "/v1/clients/cli_01jd0000000000000000000002/access-requests", "/v1/health"} {
		resp := preflight(console, path)
		h := resp.Header
		if resp.StatusCode != 204 || h.Get("Access-Control-Allow-Origin") != console ||
			!strings.Contains(h.Get("Access-Control-Allow-Methods"), "PATCH") || !strings.Contains(h.Get("Access-Control-Allow-Headers"), "if-match") {
			t.Errorf("preflight %s: %d %v", path, resp.StatusCode, h)
		}
	}
	if resp := preflight("https://elsewhere.example", "/v1/clients"); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("another origin allowed: %v", resp.Header)
	}
	req, _ := http.NewRequest("GET", e.Server.URL+"/v1/me", nil)
	req.Header.Set("Origin", console)
	req.Header.Set("Authorization", "Bearer "+e.Seed.Users["owner"].Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != console || !strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "etag") {
		t.Errorf("GET /v1/me from the console: %d %v", resp.StatusCode, resp.Header)
	}
}
