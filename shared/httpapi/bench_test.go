package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	apihandler "github.com/accesshive/accesshive/functions/api/handler"
	"github.com/accesshive/accesshive/infra/apigw"
	"github.com/accesshive/accesshive/infra/benchresult"
	"github.com/accesshive/accesshive/infra/testenv"
	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/httpapi"
	"github.com/accesshive/accesshive/shared/lambdaenv"
)

// benchOverride replaces the matrix fixture where the matrix uses made-up ids, so
// the benchmark measures the route's success path.
func benchOverride(e *testenv.Env, f fixtures, live map[string]string) map[string]callFunc {
	c := "/v1/clients/" + f.clientID
	fixed := func(method, path string, body any) callFunc {
		return func(*testenv.Env, fixtures) (string, string, any) { return method, path, body }
	}
	return map[string]callFunc{
		"clients.identities.get":      fixed("GET", c+"/identities/"+live["identity"], nil),
		"clients.requests.get":        fixed("GET", c+"/access-requests/"+live["request"], nil),
		"clients.credentials.replace": fixed("PUT", c+"/identities/"+live["identity"]+"/credentials", map[string]any{"username": "bench", "password": "A-long-bench-passw0rd!"}),
		"clients.credentials.reveal":  fixed("POST", c+"/identities/"+live["identity"]+"/credentials/reveal", nil),
		"clients.reviews.get":         fixed("GET", c+"/reviews/"+live["review"], nil),
		"clients.requests.revoke": func(e *testenv.Env, f fixtures) (string, string, any) {
			id := liveGrant(e)
			return "POST", c + "/access-requests/" + id + "/revoke", map[string]any{"reason": "bench"}
		},
	}
}

// benchSetup starts a stack with the matrix fixtures and a provisioned request,
// and returns the fixture overrides that use them.
func benchSetup(b *testing.B) (*testenv.Env, fixtures, map[string]callFunc) {
	e := testenv.New(b)
	f := seedFixtures(b, e)
	req := submit(b, e, e.Seed.Platforms["googleAds"], "standard")
	approved := e.As("owner").Post("/v1/clients/"+e.Seed.ClientID+"/access-requests/"+req["id"].(string)+"/approve", nil).Map(b)
	live := map[string]string{"request": req["id"].(string), "identity": approved["identityId"].(string)}
	waitForExecutions(b, e)
	// a client with an access review behind it (the steady state of a client
	// whose compliance asks for reviews)
	if r := e.As("owner").Send("PUT", "/v1/clients/"+e.Seed.ClientID+"/governance", map[string]any{"policyAssignments": []any{}, "teamGroups": []any{},
		"clientOwners": []any{}, "compliance": map[string]any{"accessReviewEveryDays": 30}}); r.Status != 200 {
		b.Fatalf("governance: %d %s", r.Status, r.Body)
	}
	sweepRaw(b, e, time.Now().Add(31*24*time.Hour))
	e.Stack.SetClock(time.Now)
	var reviews struct{ Items []map[string]any }
	e.As("owner").Get("/v1/clients/"+e.Seed.ClientID+"/reviews").JSON(b, &reviews)
	if len(reviews.Items) != 1 {
		b.Fatalf("reviews: %v", reviews.Items)
	}
	live["review"] = reviews.Items[0]["id"].(string)
	// the steady state: what happened so far is in the audit trail (a client's
	// activity always holds at least its creation)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.Stack.DrainStreams(ctx); err != nil {
		b.Fatal(err)
	}
	return e, f, benchOverride(e, f, live)
}

// routeCall is a route's fixture (the matrix's unless overridden) and who calls
// it: the owner, or a client user on routes only client users may call.
func routeCall(rt httpapi.RouteInfo, overrides map[string]callFunc) (callFunc, string) {
	call := matrixCall[rt.Name]
	if o, ok := overrides[rt.Name]; ok {
		call = o
	}
	if !rt.Public && !containsRole(rt.Roles, ah.RoleOwner) {
		return call, "clientUser"
	}
	return call, "owner"
}

// inRouteOrder lists results in route table order (Go runs each sub-benchmark
// once with b.N = 1 first; the map keeps the last run).
func inRouteOrder[T any](routes []httpapi.RouteInfo, byRoute map[string]T) []T {
	var out []T
	for _, rt := range routes {
		if r, ok := byRoute[rt.Name]; ok {
			out = append(out, r)
		}
	}
	return out
}

// callKind classifies an AWS call: a DynamoDB write, a DynamoDB read, or another service.
func callKind(op string) string {
	switch op {
	case "DynamoDB.TransactWriteItems", "DynamoDB.PutItem", "DynamoDB.UpdateItem", "DynamoDB.DeleteItem", "DynamoDB.BatchWriteItem":
		return "write"
	}
	if strings.HasPrefix(op, "DynamoDB.") {
		return "read"
	}
	return "other"
}

// liveGrant submits and approves a standard request on Meta and returns its id.
func liveGrant(e *testenv.Env) string {
	base := "/v1/clients/" + e.Seed.ClientID + "/access-requests"
	r := e.As("clientUser").Post(base, map[string]any{"platformId": e.Seed.Platforms["meta"], "identityType": "standard", "justification": "bench"})
	if r.Status != 201 {
		e.T.Fatalf("bench grant: %d %s", r.Status, r.Body)
	}
	id := r.Map(e.T)["id"].(string)
	if r := e.As("owner").Post(base+"/"+id+"/approve", nil); r.Status != 200 {
		e.T.Fatalf("bench approve: %d %s", r.Status, r.Body)
	}
	return id
}

func percentile(v []time.Duration, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), v...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(float64(len(s)-1)*p + 0.5)
	return float64(s[i]) / float64(time.Millisecond)
}

// BenchmarkRoutes measures every route of the table through the local gateway
// against the local engine: DynamoDB calls and items (counted by the SDK
// middleware), latency in the handler, the handler's own overhead (handler time
// minus time on the wire to the engine) and allocations per request. The caller's
// principal is cached, as on a warm function. make bench writes the results to
// docs/benchmarks.md; -benchtime Nx sets the samples per route.
func BenchmarkRoutes(b *testing.B) {
	e, f, overrides := benchSetup(b)
	byRoute := map[string]benchresult.Route{}
	routes := httpapi.RouteTable()
	for _, rt := range routes {
		call, handle := routeCall(rt, overrides)
		b.Run(rt.Name, func(b *testing.B) {
			res := benchresult.Route{Route: rt.Name, Method: rt.Method, Path: rt.Path, As: handle}
			var lat, over []time.Duration
			var reads, writes, tx, other, ir, iw, allocs, bytes float64
			for range b.N {
				b.StopTimer()
				method, path, body := call(e, f)
				waitForExecutions(b, e)
				e.As(handle).Get("/v1/me") // a warm function: the principal is cached
				hr := benchRequest(b, e, handle, method, path, body)
				e.Stack.Calls.Reset()
				var m0, m1 runtime.MemStats
				runtime.ReadMemStats(&m0)
				b.StartTimer()
				rec := httptest.NewRecorder()
				e.Stack.Gateway.ServeHTTP(rec, hr)
				b.StopTimer()
				runtime.ReadMemStats(&m1)
				res.Status = rec.Code
				if rec.Code >= 500 {
					b.Fatalf("%s: %d %s", rt.Name, rec.Code, rec.Body)
				}
				m := e.Stack.Calls.Metrics("ApiFunction")
				lat = append(lat, m.Handler)
				over = append(over, m.Handler-m.Transport)
				for _, op := range e.Stack.Calls.Names("ApiFunction") {
					switch callKind(op) {
					case "write":
						writes++
						if op == "DynamoDB.TransactWriteItems" {
							tx++
						}
					case "read":
						reads++
					default:
						other++
					}
				}
				// the principal cache refreshed during the sample: not the route's
				reads -= float64(m.PrincipalLookups)
				ir += float64(m.ItemsRead)
				iw += float64(m.ItemsWritten)
				allocs += float64(m1.Mallocs - m0.Mallocs)
				bytes += float64(m1.TotalAlloc - m0.TotalAlloc)
			}
			n := float64(b.N)
			res.Samples = b.N
			res.ReadCalls, res.WriteCalls, res.Transactions, res.OtherCalls = reads/n, writes/n, tx/n, other/n
			res.ItemsRead, res.ItemsWritten = ir/n, iw/n
			res.P50Ms, res.P99Ms = percentile(lat, 0.5), percentile(lat, 0.99)
			res.OverheadP50, res.OverheadP99 = percentile(over, 0.5), percentile(over, 0.99)
			res.Allocs, res.AllocBytes = allocs/n, bytes/n
			b.ReportMetric(res.ReadCalls, "ddb-reads/op")
			b.ReportMetric(res.WriteCalls, "ddb-writes/op")
			b.ReportMetric(res.P99Ms, "p99-ms")
			b.ReportMetric(res.OverheadP99, "overhead-p99-ms")
			b.ReportMetric(res.Allocs, "handler-allocs/op")
			byRoute[rt.Name] = res
		})
	}
	testenv.WriteBench(b, "routes.json", inRouteOrder(routes, byRoute))
}

func waitForExecutions(tb testing.TB, e *testenv.Env) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.Stack.WaitForExecutions(ctx); err != nil {
		tb.Fatal(err)
	}
}

func benchRequest(tb testing.TB, e *testenv.Env, handle, method, path string, body any) *http.Request {
	var rd *bytes.Reader
	switch v := body.(type) {
	case nil:
		rd = bytes.NewReader(nil)
	case string:
		rd = bytes.NewReader([]byte(v))
	default:
		data, err := json.Marshal(v)
		if err != nil {
			tb.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	hr := httptest.NewRequest(method, path, rd)
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	hr.Header.Set("Authorization", "Bearer "+e.Seed.Users[handle].Token)
	return hr
}

// replay is an HTTP transport that records AWS answers and replays them: with the
// engine's answers replayed from memory, a benchmark times the handler alone
// (routing, authorization, validation, JSON, the SDK's encoding and decoding).
type replay struct {
	real      http.RoundTripper
	mu        sync.Mutex
	answers   map[string]recorded
	recording bool
	misses    int
}

type recorded struct {
	status int
	header http.Header
	body   []byte
}

func (t *replay) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	k := r.Header.Get("X-Amz-Target") + " " + r.URL.Path + " " + string(body)
	t.mu.Lock()
	a, ok := t.answers[k]
	recording := t.recording
	if !ok && !recording {
		t.misses++
	}
	t.mu.Unlock()
	if ok && !recording {
		return &http.Response{StatusCode: a.status, Header: a.header.Clone(), Body: io.NopCloser(bytes.NewReader(a.body)),
			ContentLength: int64(len(a.body)), Request: r}, nil
	}
	resp, err := t.real.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.answers[k] = recorded{status: resp.StatusCode, header: resp.Header.Clone(), body: data}
	t.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	return resp, nil
}

// BenchmarkHandlerOverhead times the api function's handler in process for every
// GET route, with DynamoDB's answers recorded once from the local engine and then
// replayed from memory: the numbers exclude the engine's latency entirely. The
// caller's principal is cached (a warm function).
func BenchmarkHandlerOverhead(b *testing.B) {
	e, f, overrides := benchSetup(b)

	fns, err := e.Stack.Template.Functions()
	if err != nil {
		b.Fatal(err)
	}
	env := map[string]string{}
	for k, v := range fns["ApiFunction"].Env {
		if strings.HasPrefix(v, "{{resolve:") {
			v = strings.Repeat("k", 48)
		}
		env[k] = v
	}
	// The function's GC setting from the template (the runtime reads GOGC at start).
	if v, err := strconv.Atoi(env["GOGC"]); err == nil {
		defer debug.SetGCPercent(debug.SetGCPercent(v))
	}
	rt := &replay{real: http.DefaultTransport, answers: map[string]recorded{}}
	cfg := e.Stack.AWS.Copy()
	cfg.HTTPClient = &http.Client{Transport: rt}
	built, err := apihandler.Build(context.Background(), lambdaenv.Function{Env: func(k string) string { return env[k] }, AWS: cfg,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now})
	if err != nil {
		b.Fatal(err)
	}
	handler := built.(func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error))
	byRoute := map[string]benchresult.Overhead{}
	routes := httpapi.RouteTable()
	for _, route := range routes {
		if route.Method != "GET" {
			continue
		}
		call, handle := routeCall(route, overrides)
		_, path, _ := call(e, f)
		hr := httptest.NewRequest("GET", path, nil)
		var claims map[string]string
		if !route.Public {
			if claims, err = e.Stack.Issuer.Verify(e.Seed.Users[handle].Token); err != nil {
				b.Fatal(err)
			}
		}
		ev := apigw.Event(hr, route.Method+" "+route.Path, pathParams(route.Path, hr.URL.Path), nil, claims)
		ctx := context.Background()
		rt.mu.Lock()
		rt.recording = true
		rt.mu.Unlock()
		for range 2 { // the first resolves the principal, the second is warm
			if _, err := handler(ctx, ev); err != nil {
				b.Fatal(err)
			}
		}
		rt.mu.Lock()
		rt.recording, rt.misses = false, 0
		rt.mu.Unlock()
		b.Run(route.Name, func(b *testing.B) {
			b.ReportAllocs()
			var lat []time.Duration
			var status int
			for range b.N {
				start := time.Now()
				resp, err := handler(ctx, ev)
				lat = append(lat, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				status = resp.StatusCode
			}
			b.StopTimer()
			res := benchresult.Overhead{Route: route.Name, Path: path, Status: status, Samples: b.N,
				P50Us: percentile(lat, 0.5) * 1000, P99Us: percentile(lat, 0.99) * 1000}
			// allocations per op measured over a separate short run, so the numbers
			// match testing's own -benchmem accounting.
			allocs := testing.AllocsPerRun(50, func() { _, _ = handler(ctx, ev) })
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for range 50 {
				_, _ = handler(ctx, ev)
			}
			runtime.ReadMemStats(&after)
			res.AllocsOp, res.BytesOp = allocs, float64(after.TotalAlloc-before.TotalAlloc)/50
			rt.mu.Lock()
			res.Misses = rt.misses
			rt.mu.Unlock()
			b.ReportMetric(res.P99Us, "p99-µs")
			byRoute[route.Name] = res
		})
	}
	testenv.WriteBench(b, "overhead.json", inRouteOrder(routes, byRoute))
}

// pathParams matches a route template's {params} against a path.
func pathParams(tpl, path string) map[string]string {
	out := map[string]string{}
	ts, ps := strings.Split(tpl, "/"), strings.Split(path, "/")
	for i := range ts {
		if i < len(ps) && strings.HasPrefix(ts[i], "{") {
			out[strings.Trim(ts[i], "{}")] = ps[i]
		}
	}
	return out
}

// BenchmarkFunctions drives every other function through the work that invokes it
// in the local stack — b.N clients each get a managed request approved and
// provisioned (the provisioning steps) and its credential rotated; then the sweep
// ends every grant (the policy gives each 60 minutes), the table stream feeds the
// audit function, and one client is offboarded — and reports each function's
// DynamoDB calls and items per invocation and its latency against the local engine.
func BenchmarkFunctions(b *testing.B) {
	e := testenv.New(b)
	owner, admin := e.As("owner"), e.As("admin")
	ads := e.Seed.Platforms["googleAds"]
	r := owner.Post("/v1/governance-policies", map[string]any{"name": "Bench", "duration": map[string]any{"maxMinutes": 0, "defaultMinutes": 60, "noticeMinutes": 15}})
	if r := owner.Patch("/v1/settings", map[string]any{"defaultGovernancePolicyId": r.Map(b)["id"]}); r.Status != 200 {
		b.Fatalf("%d %s", r.Status, r.Body)
	}
	must := func(r *testenv.Response, want int) map[string]any {
		b.Helper()
		if r.Status != want {
			b.Fatalf("%d %s", r.Status, r.Body)
		}
		return r.Map(b)
	}
	e.Stack.Calls.Reset()
	var clients []string
	var last time.Time
	for i := range b.N {
		c := must(admin.Post("/v1/clients", map[string]any{"name": fmt.Sprintf("Bench client %d-%d", i, next()), "industry": "media", "region": "us", "timezone": "America/New_York"}), 201)["id"].(string)
		clients = append(clients, c)
		must(admin.Send("PUT", "/v1/clients/"+c+"/platforms/"+ads, nil), 201)
		u := must(admin.Post("/v1/clients/"+c+"/users", map[string]any{"email": fmt.Sprintf("bench%d@client.example", next()), "name": "Bench"}), 201)
		tok := e.Token("bench-"+u["id"].(string), u["email"].(string))
		req := e.Do(testenv.Request{Method: "POST", Path: "/v1/clients/" + c + "/access-requests", Token: tok,
			Body: map[string]any{"platformId": ads, "identityType": "managed", "justification": "bench"}})
		id := must(req, 201)["id"].(string)
		approved := must(admin.Post("/v1/clients/"+c+"/access-requests/"+id+"/approve", nil), 200)
		waitForExecutions(b, e)
		must(admin.Post("/v1/clients/"+c+"/identities/"+approved["identityId"].(string)+"/credentials/rotate", nil), 200)
		last = timeField(b, approved, "accessEndsAt")
	}
	sweepRaw(b, e, last.Add(time.Minute))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.Stack.DrainStreams(ctx); err != nil {
		b.Fatal(err)
	}
	must(admin.Post("/v1/clients/"+clients[0]+"/offboarding", map[string]any{"confirmName": fmt.Sprint(admin.Get("/v1/clients/" + clients[0]).Map(b)["name"])}), 202)
	waitForExecutions(b, e)

	drivers := map[string]string{"PrepareIdentityFunction": "approval", "WorkspaceFunction": "approval, credential rotation, offboarding",
		"StoreCredentialFunction": "approval", "ActivateIdentityFunction": "approval", "NotifyFunction": "table stream (request changes)",
		"ExpireRequestsFunction": "schedule (sweep ending grants)", "AuditStreamFunction": "table stream", "OffboardClientFunction": "offboarding (one client)"}
	var out []benchresult.Function
	for _, fn := range []string{"PrepareIdentityFunction", "WorkspaceFunction", "StoreCredentialFunction", "ActivateIdentityFunction",
		"NotifyFunction", "ExpireRequestsFunction", "AuditStreamFunction", "OffboardClientFunction"} {
		m := e.Stack.Calls.Metrics(fn)
		if m.Invocations == 0 {
			b.Fatalf("%s was never invoked", fn)
		}
		n := float64(m.Invocations)
		res := benchresult.Function{Function: fn, DrivenBy: drivers[fn], Invocations: m.Invocations,
			ItemsRead: float64(m.ItemsRead) / n, ItemsWritten: float64(m.ItemsWritten) / n,
			P50Ms: percentile(m.Durations, 0.5), P99Ms: percentile(m.Durations, 0.99)}
		for _, op := range e.Stack.Calls.Names(fn) {
			switch callKind(op) {
			case "write":
				res.WriteCalls++
			case "read":
				res.ReadCalls++
			default:
				res.OtherCalls++
			}
		}
		res.ReadCalls, res.WriteCalls, res.OtherCalls = res.ReadCalls/n, res.WriteCalls/n, res.OtherCalls/n
		out = append(out, res)
	}
	testenv.WriteBench(b, "functions.json", out)
}
