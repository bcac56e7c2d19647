package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/accesshive/accesshive/infra/testenv"
)

type sweep struct{ Read, Expired, Raced int }

func runSweep(t *testing.T, e *testenv.Env, at time.Time) sweep {
	t.Helper()
	var s sweep
	if err := json.Unmarshal(sweepRaw(t, e, at), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func sweepJSON(t *testing.T, e *testenv.Env, at time.Time) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(sweepRaw(t, e, at), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func sweepRaw(t testing.TB, e *testenv.Env, at time.Time) []byte {
	t.Helper()
	e.Stack.SetClock(func() time.Time { return at })
	out, err := e.Stack.Invoke(context.Background(), "ExpireRequestsFunction", []byte(`{"source":"scheduler"}`))
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	return out
}

func TestExpiry(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	if r := e.As("owner").Patch("/v1/settings", map[string]any{"accessRequestExpiryMinutes": 5}); r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	base := "/v1/clients/" + e.Seed.ClientID + "/access-requests"
	req := submit(t, e, e.Seed.Platforms["googleAds"], "standard")
	id := req["id"].(string)
	expires, _ := time.Parse(time.RFC3339Nano, req["expiresAt"].(string))
	created, _ := time.Parse(time.RFC3339Nano, req["createdAt"].(string))
	if d := expires.Sub(created); d != 5*time.Minute {
		t.Fatalf("window = %v, want the agency's 5 minutes", d)
	}
	status := func() string { return e.As("clientUser").Get(base + "/" + id).Map(t)["status"].(string) }

	t.Run("JustBefore", func(t *testing.T) {
		if s := runSweep(t, e, expires.Add(-time.Second)); s.Expired != 0 || s.Read != 0 {
			t.Fatalf("sweep a second early = %+v", s)
		}
		if st := status(); st != "pending" {
			t.Fatalf("status %s", st)
		}
	})
	t.Run("JustAfter", func(t *testing.T) {
		if s := runSweep(t, e, expires.Add(time.Millisecond)); s.Expired != 1 || s.Read != 1 {
			t.Fatalf("sweep just after = %+v", s)
		}
		got := e.As("clientUser").Get(base + "/" + id).Map(t)
		h := got["history"].([]any)
		if got["status"] != "expired" || h[len(h)-1].(map[string]any)["by"] != "system:expiry" {
			t.Fatalf("request = %v", got)
		}
		if k := kinds(t, e, "clientUser"); k != "access_request.expired" {
			t.Fatalf("requester notifications = %s", k)
		}
	})
	t.Run("DuplicateSweepsChangeNothing", func(t *testing.T) {
		for range 3 {
			if s := runSweep(t, e, expires.Add(time.Hour)); s.Expired != 0 {
				t.Fatalf("repeated sweep = %+v", s)
			}
		}
		if k := kinds(t, e, "clientUser"); k != "access_request.expired" {
			t.Fatalf("requester notified again: %s", k)
		}
	})
	t.Run("RequesterCanResubmit", func(t *testing.T) {
		submit(t, e, e.Seed.Platforms["googleAds"], "standard")
	})
}

// TestExpiryRacingApproval: a request approved in the instant it expires is never both.
func TestExpiryRacingApproval(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	base := "/v1/clients/" + e.Seed.ClientID + "/access-requests"
	for round := range 4 {
		req := submit(t, e, e.Seed.Platforms["meta"], "standard")
		id := req["id"].(string)
		expires, _ := time.Parse(time.RFC3339Nano, req["expiresAt"].(string))
		var wg sync.WaitGroup
		var approve *testenv.Response
		var s sweep
		wg.Add(2)
		go func() { defer wg.Done(); approve = e.As("admin").Post(base+"/"+id+"/approve", nil) }()
		go func() { defer wg.Done(); s = runSweep(t, e, expires.Add(time.Second)) }()
		wg.Wait()
		waitExecutions(t, e)
		got := e.As("admin").Get(base + "/" + id).Map(t)
		switch got["status"] {
		case "expired":
			if approve.Status != 409 || got["identityId"] != nil {
				t.Fatalf("round %d: expired but approval answered %d, identity %v", round, approve.Status, got["identityId"])
			}
		case "provisioned", "approved":
			if approve.Status != 200 || s.Expired != 0 {
				t.Fatalf("round %d: approved but the sweep expired %d", round, s.Expired)
			}
		default:
			t.Fatalf("round %d: status %v", round, got["status"])
		}
		if got["status"] != "expired" {
			// A fresh identity exists now; later rounds reuse it and provision at once.
			continue
		}
	}
}

// TestSweepReadsOnlyExpired: with many pending requests and a few expired, the sweep
// reads the expired ones only (the sparse index is keyed by expiry).
func TestSweepReadsOnlyExpired(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	admin := e.As("admin")
	acme := e.Seed.ClientID
	var tokens []string
	for i := range 12 {
		email := fmt.Sprintf("bulk%d@acme-outdoor.example", i)
		if r := admin.Post("/v1/clients/"+acme+"/users", map[string]any{"email": email, "name": "Bulk"}); r.Status != 201 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		tokens = append(tokens, e.Token(fmt.Sprintf("idp|bulk%d", i), email))
	}
	var expiries []time.Time
	for _, tok := range tokens {
		r := e.Do(testenv.Request{Method: "POST", Path: "/v1/clients/" + acme + "/access-requests", Token: tok,
			Body: map[string]any{"platformId": e.Seed.Platforms["meta"], "identityType": "standard", "justification": "bulk"}})
		if r.Status != 201 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		ex, _ := time.Parse(time.RFC3339Nano, r.Map(t)["expiresAt"].(string))
		expiries = append(expiries, ex)
	}
	// Sweep at a time just after the first three expiries: only they are read.
	cut := expiries[2].Add(time.Nanosecond)
	e.Stack.Calls.Reset()
	s := runSweep(t, e, cut)
	if s.Read != 3 || s.Expired != 3 {
		t.Fatalf("sweep = %+v, want 3 read and expired of 12 pending", s)
	}
	queries := 0
	for _, op := range e.Stack.Calls.Names("ExpireRequestsFunction") {
		if op == "DynamoDB.Query" {
			queries++
		}
	}
	// One per shard of each sparse partition: pending requests, grant ends, end
	// notices, reviewer reminders, reviews due, reviews past their deadline,
	// failed provisionings to escalate.
	if queries != 28 {
		t.Fatalf("%d Queries, want one per shard of each of the seven partitions (28)", queries)
	}
}
