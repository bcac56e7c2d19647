package httpapi_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accesshive/accesshive/infra/testenv"
)

// receiver is a webhook endpoint on loopback: it records every request and
// answers what the test says.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	status int // what to answer (default 200)
}

type received struct {
	id, timestamp, signature string
	body                     []byte
	event                    map[string]any
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{status: 200}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev map[string]any
		_ = json.Unmarshal(body, &ev)
		rc.mu.Lock()
		rc.got = append(rc.got, received{id: r.Header.Get("webhook-id"), timestamp: r.Header.Get("webhook-timestamp"),
			signature: r.Header.Get("webhook-signature"), body: body, event: ev})
		status := rc.status
		rc.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) answer(status int) {
	rc.mu.Lock()
	rc.status = status
	rc.mu.Unlock()
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// verifySignature checks a delivery as a receiver following the Standard
// Webhooks specification would, written here from the spec (not the library the
// sender uses): base64(HMAC-SHA256(key, id + "." + timestamp + "." + body)),
// the key being the base64 after "whsec_"; the header may list several "v1,".
func verifySignature(secret string, r received) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(r.id + "." + r.timestamp + "." + string(r.body)))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(r.signature) {
		if v, s, ok := strings.Cut(sig, ","); ok && v == "v1" && hmac.Equal([]byte(s), []byte(want)) {
			return true
		}
	}
	return false
}

func registerWebhook(t *testing.T, e *testenv.Env, url string, types ...string) (id, secret string) {
	t.Helper()
	r := e.As("admin").Post("/v1/webhooks", map[string]any{"url": url, "description": "SIEM", "eventTypes": types})
	if r.Status != 201 {
		t.Fatalf("register webhook: %d %s", r.Status, r.Body)
	}
	m := r.Map(t)
	secret, _ = m["secret"].(string)
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("secret %q: want whsec_…", secret)
	}
	return m["id"].(string), secret
}

// runWebhookSchedule is the every-minute retry sweep, at a given time.
func runWebhookSchedule(t *testing.T, e *testenv.Env, at time.Time) map[string]any {
	t.Helper()
	e.Stack.SetClock(func() time.Time { return at })
	out, err := e.Stack.Invoke(context.Background(), "WebhooksFunction", []byte(`{"source":"scheduler"}`))
	if err != nil {
		t.Fatalf("webhook schedule: %v", err)
	}
	var m map[string]any
	_ = json.Unmarshal(out, &m)
	drain(t, e)
	return m
}

// TestEventBus: every audit entry is published to the stack's bus (source
// accesshive, detail-type from the action) with the entry's id to deduplicate
// on; an entry EventBridge refuses is published again (at least once), none lost.
func TestEventBus(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	drain(t, e) // the seed's own changes
	before := len(e.Stack.Bus.Events())

	r := e.As("admin").Post("/v1/platforms", map[string]any{"name": "Bus Platform", "kind": "other"})
	if r.Status != 201 {
		t.Fatalf("create platform: %d %s", r.Status, r.Body)
	}
	platformID := r.Map(t)["id"].(string)
	req := submit(t, e, e.Seed.Platforms["googleAds"], "standard")
	base := "/v1/clients/" + e.Seed.ClientID + "/access-requests/"
	// One failed entry: the function reports its record and Lambda sends it again.
	e.Stack.Bus.FailNext(1)
	if r := e.As("admin").Post(base+req["id"].(string)+"/approve", map[string]any{"reason": "ok"}); r.Status != 200 {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	drain(t, e)

	published := e.Stack.Bus.Events()[before:]
	byEntry := map[string]int{}
	types := map[string]bool{}
	for _, ev := range published {
		if ev.Source != "accesshive" || !strings.HasSuffix(ev.Bus, "-EventBus") {
			t.Errorf("event on bus %q from %q", ev.Bus, ev.Source)
		}
		var d map[string]any
		if err := json.Unmarshal(ev.Detail, &d); err != nil {
			t.Fatal(err)
		}
		if d["agencyId"] != e.Seed.AgencyID || d["id"] == "" || d["action"] == "" {
			t.Errorf("detail %s", ev.Detail)
		}
		byEntry[d["id"].(string)]++
		types[ev.DetailType] = true
		if d["entityId"] == platformID && ev.DetailType != "Platform Created" {
			t.Errorf("platform event detail-type %q", ev.DetailType)
		}
	}
	for _, want := range []string{"Platform Created", "AccessRequest Submitted", "AccessRequest Approved"} {
		if !types[want] {
			t.Errorf("no %q event among %v", want, types)
		}
	}
	// Every audit entry of the agency since is on the bus (the trail and the bus agree).
	var trail struct{ Items []map[string]any }
	e.As("owner").Get("/v1/audit?limit=100").JSON(t, &trail)
	checked := 0
	for _, entry := range trail.Items {
		if entry["entityId"] == platformID || entry["entityId"] == req["id"] {
			checked++
			if byEntry[entry["id"].(string)] == 0 {
				t.Errorf("audit entry %v (%v) was not published", entry["id"], entry["action"])
			}
		}
	}
	if checked < 3 {
		t.Fatalf("%d audit entries of the platform and the request", checked)
	}
	if fails := e.Stack.StreamFailures(); len(fails) != 0 {
		t.Fatalf("stream failures: %+v", fails)
	}
}

// TestWebhooks: an endpoint receives the events it subscribed to, signed per
// Standard Webhooks; a failing endpoint is retried with backoff, later events of
// the same entity wait behind the failed one and arrive in order; the delivery
// log shows it all; an endpoint failing for a day is disabled; a rotated secret
// signs what follows; bad registrations are refused and change nothing.
func TestWebhooks(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	drain(t, e)
	rc := newReceiver(t)
	admin := e.As("admin")

	t.Run("bad registrations", func(t *testing.T) {
		for _, body := range []map[string]any{
			{"url": "ftp://example.com/x", "eventTypes": []string{"*"}},
			{"url": "http://example.com/hooks", "eventTypes": []string{"*"}},
			{"url": "https://user:pw@example.com/hooks", "eventTypes": []string{"*"}},
			{"url": "https://example.com/hooks", "eventTypes": []string{}},
			{"url": "https://example.com/hooks", "eventTypes": []string{"not an action"}},
		} {
			r := admin.Post("/v1/webhooks", body)
			if p := r.Problem(t); r.Status != 422 || p.Code != "validation_failed" {
				t.Errorf("%v: %d %s", body, r.Status, r.Body)
			}
		}
		if r := e.As("member").Post("/v1/webhooks", map[string]any{"url": "https://example.com/h", "eventTypes": []string{"*"}}); r.Status != 403 {
			t.Errorf("member registers a webhook: %d", r.Status)
		}
		var list struct{ Items []map[string]any }
		admin.Get("/v1/webhooks").JSON(t, &list)
		if len(list.Items) != 0 {
			t.Fatalf("refused registrations left endpoints: %v", list.Items)
		}
	})

	id, secret := registerWebhook(t, e, rc.URL+"/hooks", "platform.create", "platform.update")
	if r := admin.Get("/v1/webhooks/" + id); r.Status != 200 || strings.Contains(string(r.Body), secret) || r.Map(t)["secret"] != nil {
		t.Fatalf("the secret is shown again: %d %s", r.Status, r.Body)
	}
	drain(t, e) // the endpoint's own creation is not a type it wants

	// Delivered, signed, with the audit entry's id.
	r := admin.Post("/v1/platforms", map[string]any{"name": "Hooked", "kind": "other"})
	platformID := r.Map(t)["id"].(string)
	drain(t, e)
	got := rc.requests()
	if len(got) != 1 {
		t.Fatalf("deliveries %d, want 1", len(got))
	}
	if !verifySignature(secret, got[0]) {
		t.Fatalf("signature %q does not verify", got[0].signature)
	}
	if got[0].event["type"] != "platform.create" || got[0].event["data"].(map[string]any)["entityId"] != platformID {
		t.Fatalf("payload %s", got[0].body)
	}
	if got[0].id != got[0].event["data"].(map[string]any)["id"] {
		t.Fatalf("webhook-id %q is not the event id", got[0].id)
	}
	tampered := got[0]
	tampered.body = []byte(strings.Replace(string(tampered.body), "Hooked", "Hacked", 1))
	if verifySignature(secret, tampered) {
		t.Fatal("a changed body verifies")
	}

	// The endpoint fails: the first change is retried, the second waits behind it.
	rc.answer(503)
	now := time.Now()
	for _, name := range []string{"Hooked 2", "Hooked 3"} {
		if r := admin.Patch("/v1/platforms/"+platformID, map[string]any{"name": name}); r.Status != 200 {
			t.Fatalf("rename: %d %s", r.Status, r.Body)
		}
	}
	drain(t, e)
	if n := len(rc.requests()); n != 2 {
		t.Fatalf("after a failure: %d requests, want 2 (the second change waits)", n)
	}
	var log struct{ Items []map[string]any }
	admin.Get("/v1/webhooks/"+id+"/deliveries").JSON(t, &log)
	if len(log.Items) != 3 || log.Items[0]["status"] != "pending" || log.Items[1]["status"] != "pending" || log.Items[2]["status"] != "delivered" {
		t.Fatalf("delivery log: %v", log.Items)
	}
	if log.Items[1]["attempts"] != 1.0 || log.Items[1]["lastStatusCode"] != 503.0 || log.Items[1]["nextAttemptAt"] == nil || log.Items[0]["attempts"] != 0.0 {
		t.Fatalf("failed delivery: %v; waiting: %v", log.Items[1], log.Items[0])
	}
	if ep := admin.Get("/v1/webhooks/" + id).Map(t); ep["failingSince"] == nil || ep["status"] != "active" {
		t.Fatalf("endpoint after a failure: %v", ep)
	}
	// Not yet due: nothing is sent.
	runWebhookSchedule(t, e, now.Add(30*time.Second))
	if n := len(rc.requests()); n != 2 {
		t.Fatalf("retried before its backoff: %d requests", n)
	}
	// Due, and the endpoint is back: both arrive, in order.
	rc.answer(200)
	out := runWebhookSchedule(t, e, now.Add(2*time.Minute))
	if out["delivered"] != 2.0 {
		t.Fatalf("schedule: %v", out)
	}
	got = rc.requests()
	if len(got) != 4 || got[2].id != got[1].id || !strings.Contains(string(got[2].body), "Hooked 2") || !strings.Contains(string(got[3].body), "Hooked 3") {
		t.Fatalf("order: %s | %s", got[2].body, got[3].body)
	}
	admin.Get("/v1/webhooks/"+id+"/deliveries").JSON(t, &log)
	if log.Items[1]["status"] != "delivered" || log.Items[1]["attempts"] != 2.0 || log.Items[0]["status"] != "delivered" {
		t.Fatalf("delivery log after the retry: %v", log.Items[:2])
	}
	if ep := admin.Get("/v1/webhooks/" + id).Map(t); ep["failingSince"] != nil || ep["lastSuccessAt"] == nil {
		t.Fatalf("endpoint after recovering: %v", ep)
	}

	// A rotated secret signs what follows; the old one no longer verifies.
	rot := admin.Post("/v1/webhooks/"+id+"/rotate-secret", nil)
	newSecret, _ := rot.Map(t)["secret"].(string)
	if rot.Status != 200 || newSecret == "" || newSecret == secret {
		t.Fatalf("rotate: %d %s", rot.Status, rot.Body)
	}
	e.Stack.SetClock(time.Now)
	admin.Patch("/v1/platforms/"+platformID, map[string]any{"name": "Hooked 4"})
	drain(t, e)
	got = rc.requests()
	if last := got[len(got)-1]; !verifySignature(newSecret, last) || verifySignature(secret, last) {
		t.Fatal("the rotated secret does not sign the next delivery alone")
	}

	// Failing for a day: the delivery is given up and the endpoint disabled.
	rc.answer(500)
	start := time.Now()
	e.Stack.SetClock(func() time.Time { return start })
	admin.Patch("/v1/platforms/"+platformID, map[string]any{"name": "Hooked 5"})
	drain(t, e)
	for _, after := range []time.Duration{2 * time.Minute, 10 * time.Minute, 45 * time.Minute, 3 * time.Hour, 9 * time.Hour, 20 * time.Hour} {
		runWebhookSchedule(t, e, start.Add(after))
	}
	if ep := admin.Get("/v1/webhooks/" + id).Map(t); ep["status"] != "active" {
		t.Fatalf("disabled before a day of failures: %v", ep)
	}
	runWebhookSchedule(t, e, start.Add(24*time.Hour+time.Minute))
	ep := admin.Get("/v1/webhooks/" + id).Map(t)
	if ep["status"] != "disabled" || !strings.Contains(ep["disabledReason"].(string), "failed") {
		t.Fatalf("endpoint after a day of failures: %v", ep)
	}
	admin.Get("/v1/webhooks/"+id+"/deliveries").JSON(t, &log)
	if log.Items[0]["status"] != "failed" || log.Items[0]["attempts"].(float64) < 7 {
		t.Fatalf("given-up delivery: %v", log.Items[0])
	}
	// A disabled endpoint gets nothing new; re-enabled, it does.
	n := len(rc.requests())
	admin.Patch("/v1/platforms/"+platformID, map[string]any{"name": "Hooked 6"})
	drain(t, e)
	if len(rc.requests()) != n {
		t.Fatal("a disabled endpoint received a delivery")
	}
	rc.answer(200)
	if r := admin.Patch("/v1/webhooks/"+id, map[string]any{"status": "active"}); r.Status != 200 || r.Map(t)["failingSince"] != nil {
		t.Fatalf("re-enable: %d %s", r.Status, r.Body)
	}
	admin.Patch("/v1/platforms/"+platformID, map[string]any{"name": "Hooked 7"})
	drain(t, e)
	if got := rc.requests(); len(got) != n+1 || !strings.Contains(string(got[n].body), "Hooked 7") {
		t.Fatalf("re-enabled endpoint: %d requests", len(got)-n)
	}
	// Deleted: gone, with its secret.
	if r := admin.Send("DELETE", "/v1/webhooks/"+id, nil); r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if r := admin.Get("/v1/webhooks/" + id); r.Status != 404 {
		t.Fatalf("deleted endpoint: %d", r.Status)
	}
	if fails := e.Stack.StreamFailures(); len(fails) != 0 {
		t.Fatalf("stream failures: %+v", fails)
	}
}

// TestWebhookDispatchRaces: sweeps racing on the same queues send each delivery
// once and in each entity's order (the claim on an attempt is a conditional write).
func TestWebhookDispatchRaces(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	drain(t, e)
	rc := newReceiver(t)
	admin := e.As("admin")
	registerWebhook(t, e, rc.URL, "platform.update")
	var platforms []string
	for i := range 2 {
		r := admin.Post("/v1/platforms", map[string]any{"name": fmt.Sprintf("Race %d", i), "kind": "other"})
		platforms = append(platforms, r.Map(t)["id"].(string))
	}
	rc.answer(503) // everything waits for the retry
	start := time.Now()
	for i := range 4 {
		for _, p := range platforms {
			if r := admin.Patch("/v1/platforms/"+p, map[string]any{"name": fmt.Sprintf("%s v%d", p, i)}); r.Status != 200 {
				t.Fatalf("rename: %d %s", r.Status, r.Body)
			}
		}
	}
	drain(t, e)
	failedFirst := len(rc.requests())
	rc.answer(200)
	e.Stack.SetClock(func() time.Time { return start.Add(3 * time.Minute) })
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.Stack.Invoke(context.Background(), "WebhooksFunction", []byte(`{"source":"scheduler"}`)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	// What a racing sweep left (a queue another sweep held) goes on the next one.
	runWebhookSchedule(t, e, start.Add(4*time.Minute))
	seen := map[string]int{}
	last := map[string]int{}
	for _, r := range rc.requests()[failedFirst:] {
		seen[r.id]++
		data := r.event["data"].(map[string]any)
		name := data["changes"].(map[string]any)["name"].(map[string]any)["after"].(string)
		var p string
		var v int
		if _, err := fmt.Sscanf(name, "%s v%d", &p, &v); err != nil {
			t.Fatalf("name %q: %v", name, err)
		}
		if prev, ok := last[p]; ok && v != prev+1 {
			t.Fatalf("%s: v%d after v%d", p, v, prev)
		}
		last[p] = v
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("event %s delivered %d times", id, n)
		}
	}
	if len(seen) != 8 || last[platforms[0]] != 3 || last[platforms[1]] != 3 {
		t.Fatalf("delivered %d events, last versions %v", len(seen), last)
	}
}

// TestWebhookLimit: an agency has at most 20 endpoints; the 21st is 409
// limit_reached and adds nothing.
func TestWebhookLimit(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	admin := e.As("admin")
	for i := range 20 {
		if r := admin.Post("/v1/webhooks", map[string]any{"url": fmt.Sprintf("https://hooks.example.com/%d", i), "eventTypes": []string{"*"}}); r.Status != 201 {
			t.Fatalf("endpoint %d: %d %s", i, r.Status, r.Body)
		}
	}
	r := admin.Post("/v1/webhooks", map[string]any{"url": "https://hooks.example.com/21", "eventTypes": []string{"*"}})
	if r.Status != 409 || r.Problem(t).Code != "limit_reached" {
		t.Fatalf("the 21st endpoint: %d %s", r.Status, r.Body)
	}
	var list struct{ Items []map[string]any }
	admin.Get("/v1/webhooks?limit=100").JSON(t, &list)
	if len(list.Items) != 20 {
		t.Fatalf("%d endpoints", len(list.Items))
	}
}
