package localstack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/accesshive/accesshive/infra/localstack"
	"github.com/accesshive/accesshive/infra/memstore"
	"github.com/accesshive/accesshive/infra/samtemplate"
	"github.com/accesshive/accesshive/infra/testenv"
	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/dynamo"
	"github.com/accesshive/accesshive/shared/service"
	"github.com/accesshive/accesshive/shared/vault"
)

// The sample events of testdata/events, one or more per template function, for
// `sam local invoke <Function> -e testdata/events/<file>`. Their ids are the
// placeholders below (shaped as AccessHive's ids), which a caller replaces with
// ids of their own data; the test replaces them with those of a world it builds.
var samples = map[string][]string{
	"ApiFunction":                    {"api-get-health.json", "api-get-me.json"},
	"BootstrapFunction":              {"bootstrap.json"},
	"ExpireRequestsFunction":         {"expire-requests.json"},
	"AuditStreamFunction":            {"audit-stream-request-approved.json"},
	"NotifyFunction":                 {"notify-request-approved.json"},
	"EventsFunction":                 {"events-request-approved.json"},
	"WebhooksFunction":               {"webhooks-schedule.json"},
	"PrepareIdentityFunction":        {"prepare-identity.json"},
	"WorkspaceFunction":              {"workspace-create-user.json"},
	"StoreCredentialFunction":        {"store-credential.json"},
	"ActivateIdentityFunction":       {"activate-identity.json"},
	"MarkProvisioningFailedFunction": {"mark-provisioning-failed.json"},
	"RotateCredentialFunction":       {"rotate-credential.json"},
	"OffboardClientFunction":         {"offboard-client-deactivate-identities.json", "offboard-client-mark-failed.json"},
}

// The placeholder ids of the sample events.
const (
	sampleAgency    = "agy_01jd0000000000000000000001"
	sampleClient    = "cli_01jd0000000000000000000002"
	sampleIdentity  = "idn_01jd0000000000000000000003"
	sampleRequest   = "req_01jd0000000000000000000004"
	sampleRequester = "mbr_01jd0000000000000000000005"
	sampleApprover  = "mbr_01jd0000000000000000000006"
	samplePlatform  = "plt_01jd0000000000000000000007"
)

func eventsDir() string { return filepath.Join("..", "..", "testdata", "events") }

func event(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(eventsDir(), name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestEveryFunctionHasASampleEvent: each template function has at least one
// sample event, and every file of testdata/events is one of them.
func TestEveryFunctionHasASampleEvent(t *testing.T) {
	t.Parallel()
	tpl, err := samtemplate.Load(testenv.TemplatePath(), samtemplate.Resolver{})
	if err != nil {
		t.Fatal(err)
	}
	fns, err := tpl.Functions()
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for id := range fns {
		if len(samples[id]) == 0 {
			t.Errorf("%s has no sample event", id)
		}
	}
	for fn, files := range samples {
		if _, ok := fns[fn]; !ok {
			t.Errorf("samples name %s, which the template does not have", fn)
		}
		for _, f := range files {
			listed[f] = true
		}
	}
	entries, err := os.ReadDir(eventsDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range entries {
		if !listed[d.Name()] {
			t.Errorf("testdata/events/%s belongs to no function", d.Name())
		}
	}
}

// sampleWorld is a stack with the seeded agency and a service over its table
// whose workflows record their starts and run nothing: the test feeds each
// step's sample event to its function by hand, as Step Functions would.
type sampleWorld struct {
	t         *testing.T
	e         *testenv.Env
	ctx       context.Context
	svc       *service.Service
	workflows *memstore.Workflows
}

func newSampleWorld(t *testing.T) *sampleWorld {
	e := testenv.New(t)
	wf := &memstore.Workflows{}
	return &sampleWorld{t: t, e: e, ctx: context.Background(), workflows: wf,
		svc: service.New(service.Options{Store: dynamo.NewStore(e.Stack.DB, e.Stack.Tables["Table"]), Workflows: wf, PrincipalTTL: -1,
			Vault: &vault.Vault{API: secretsmanager.NewFromConfig(e.Stack.AWS), Prefix: e.Stack.SecretName("")}})}
}

func (w *sampleWorld) as(handle string) ah.Principal {
	w.t.Helper()
	u := w.e.Seed.Users[handle]
	p, err := w.svc.ResolvePrincipal(w.ctx, service.Claims{Subject: u.UserID, Email: u.Email, EmailVerified: true})
	if err != nil {
		w.t.Fatal(err)
	}
	return p
}

// ids says which real id stands for each placeholder.
type ids struct {
	identity, request, platform string
	attempt                     int
}

// fill returns the sample with the world's ids (and the attempt, for a step).
func (w *sampleWorld) fill(name string, real ids) []byte {
	w.t.Helper()
	raw := strings.NewReplacer(sampleAgency, w.e.Seed.AgencyID, sampleClient, w.e.Seed.ClientID,
		sampleIdentity, real.identity, sampleRequest, real.request, samplePlatform, real.platform,
		sampleRequester, w.e.Seed.Users["clientUser"].UserID, sampleApprover, w.e.Seed.Users["admin"].UserID).Replace(string(event(w.t, name)))
	var in ah.StepInput
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || in.Step == "" {
		return []byte(raw) // not a step's input
	}
	in.Attempt = real.attempt
	out, err := json.Marshal(in)
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}

// step feeds a step's sample to its function and returns the step's output.
func (w *sampleWorld) step(fn, name string, real ids) (ah.StepOutput, error) {
	w.t.Helper()
	out, err := w.e.Stack.Invoke(w.ctx, fn, w.fill(name, real))
	var o ah.StepOutput
	if err == nil {
		if jerr := json.Unmarshal(out, &o); jerr != nil {
			w.t.Fatalf("%s answered %s: %v", name, out, jerr)
		}
	}
	return o, err
}

func (w *sampleWorld) mustStep(fn, name string, real ids, want string) {
	w.t.Helper()
	o, err := w.step(fn, name, real)
	if err != nil || o.Status != want {
		w.t.Fatalf("%s on %s = %+v, %v; want status %s", name, fn, o, err, want)
	}
}

// approved submits a managed request for platform and approves it (its
// provisioning recorded, not run).
func (w *sampleWorld) approved(platformHandle string) ids {
	w.t.Helper()
	plat := w.e.Seed.Platforms[platformHandle]
	r := w.e.As("clientUser").Post("/v1/clients/"+w.e.Seed.ClientID+"/access-requests",
		map[string]any{"platformId": plat, "identityType": "managed", "justification": "Run the spring campaign"})
	if r.Status != 201 {
		w.t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	req, err := w.svc.ApproveRequest(w.ctx, w.as("admin"), w.e.Seed.ClientID, r.Map(w.t)["id"].(string), ah.ReviewInput{Reason: "Campaign approved"})
	if err != nil {
		w.t.Fatal(err)
	}
	started := w.workflows.Started()
	in := started[len(started)-1]
	if in.IdentityID != req.IdentityID {
		w.t.Fatalf("started %+v for %+v", in, req)
	}
	return ids{identity: req.IdentityID, request: req.ID, platform: plat, attempt: in.Attempt}
}

func (w *sampleWorld) get(path string) map[string]any {
	w.t.Helper()
	r := w.e.As("owner").Get(path)
	if r.Status != 200 {
		w.t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	return r.Map(w.t)
}

// TestSampleEvents feeds each sample event to its function and asserts what it
// did: the step samples drive a provisioning, a rotation and an offboarding
// through the real functions, in the order the state machines run them.
func TestSampleEvents(t *testing.T) {
	t.Parallel()
	w := newSampleWorld(t)
	e, ctx := w.e, w.ctx
	invokeHTTP := func(t *testing.T, name string) (status int, body map[string]any) {
		out, err := e.Stack.Invoke(ctx, "ApiFunction", event(t, name))
		if err != nil {
			t.Fatalf("invoke: %v", err)
		}
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatal(err)
		}
		_ = json.Unmarshal([]byte(resp.Body), &body)
		return resp.StatusCode, body
	}
	client := "/v1/clients/" + e.Seed.ClientID
	identity := func(id string) map[string]any { return w.get(client + "/identities/" + id) }

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

	// Provisioning, step by step, from the samples.
	ok := w.approved("googleAds")
	t.Run("provisioning", func(t *testing.T) {
		w.t = t
		w.mustStep("PrepareIdentityFunction", "prepare-identity.json", ok, ah.StepDone)
		w.mustStep("WorkspaceFunction", "workspace-create-user.json", ok, ah.StepDone)
		w.mustStep("StoreCredentialFunction", "store-credential.json", ok, ah.StepDone)
		w.mustStep("ActivateIdentityFunction", "activate-identity.json", ok, ah.StepDone)
		if i := identity(ok.identity); i["status"] != "active" || i["credentialStatus"] != "stored" {
			t.Fatalf("identity after the samples = %v", i)
		}
		if r := w.get(client + "/access-requests/" + ok.request); r["status"] != "provisioned" {
			t.Fatalf("request = %v", r["status"])
		}
		// A failure step for an attempt that succeeded marks nothing.
		w.mustStep("MarkProvisioningFailedFunction", "mark-provisioning-failed.json", ok, ah.StepSkipped)
		if i := identity(ok.identity); i["status"] != "active" {
			t.Fatalf("identity after a stale failure step = %v", i["status"])
		}
	})
	t.Run("mark-provisioning-failed", func(t *testing.T) {
		w.t = t
		bad := w.approved("meta")
		w.mustStep("PrepareIdentityFunction", "prepare-identity.json", bad, ah.StepDone)
		w.mustStep("MarkProvisioningFailedFunction", "mark-provisioning-failed.json", bad, ah.StepFailed)
		i := identity(bad.identity)
		if i["status"] != "failed" || !strings.Contains(string(mustJSON(t, i)), "did not answer within 10 seconds") {
			t.Fatalf("identity after the failure sample = %v", i)
		}
	})
	t.Run("rotate-credential", func(t *testing.T) {
		w.t = t
		// The rotation takes the identity (its workflow recorded, not run); the
		// sample is what the rotation state machine gives the function.
		held, err := w.svc.RotateCredential(ctx, w.as("admin"), e.Seed.ClientID, ok.identity)
		if err != nil {
			t.Fatal(err)
		}
		rot := ok
		rot.attempt = held.Version
		w.mustStep("RotateCredentialFunction", "rotate-credential.json", rot, ah.StepDone)
		if i := identity(ok.identity); i["credentialStatus"] != "rotated" {
			t.Fatalf("identity after the rotation sample = %v", i)
		}
		if _, err := w.step("RotateCredentialFunction", "rotate-credential.json", rot); err == nil || !strings.Contains(err.Error(), "no longer holds") {
			t.Fatalf("a second rotation step for the same attempt = %v", err)
		}
	})
	t.Run("audit-stream", func(t *testing.T) {
		w.t = t
		out, err := e.Stack.Invoke(ctx, "AuditStreamFunction", w.fill("audit-stream-request-approved.json", ok))
		if err != nil || !bytes.Contains(out, []byte(`"batchItemFailures":null`)) {
			t.Fatalf("audit stream = %s, %v", out, err)
		}
		var sample events.DynamoDBEvent
		if err := json.Unmarshal(event(t, "audit-stream-request-approved.json"), &sample); err != nil {
			t.Fatal(err)
		}
		var trail struct{ Items []map[string]any }
		e.As("owner").Get(client+"/activity?limit=100").JSON(t, &trail)
		if !slices.ContainsFunc(trail.Items, func(m map[string]any) bool {
			return m["id"] == sample.Records[0].EventID && m["action"] == "access_request.approved"
		}) {
			t.Fatalf("no entry %s in the trail: %v", sample.Records[0].EventID, trail.Items)
		}
	})
	t.Run("events and webhooks", func(t *testing.T) {
		w.t = t
		var got []string
		var mu sync.Mutex
		rc := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			mu.Lock()
			got = append(got, r.Header.Get("webhook-id"))
			mu.Unlock()
		}))
		defer rc.Close()
		if r := e.As("owner").Post("/v1/webhooks", map[string]any{"url": rc.URL, "eventTypes": []string{"access_request.approved"}}); r.Status != 201 {
			t.Fatalf("register: %d %s", r.Status, r.Body)
		}
		out, err := e.Stack.Invoke(ctx, "EventsFunction", w.fill("events-request-approved.json", ok))
		if err != nil || !bytes.Contains(out, []byte(`"batchItemFailures":null`)) {
			t.Fatalf("events = %s, %v", out, err)
		}
		var sample events.DynamoDBEvent
		if err := json.Unmarshal(event(t, "events-request-approved.json"), &sample); err != nil {
			t.Fatal(err)
		}
		id := sample.Records[0].EventID
		if !slices.ContainsFunc(e.Stack.Bus.Events(), func(ev localstack.BusEvent) bool {
			return ev.DetailType == "AccessRequest Approved" && bytes.Contains(ev.Detail, []byte(`"id":"`+id+`"`))
		}) {
			t.Fatalf("no event %s on the bus", id)
		}
		out, err = e.Stack.Invoke(ctx, "WebhooksFunction", event(t, "webhooks-schedule.json"))
		if err != nil || !bytes.Contains(out, []byte(`"delivered":1`)) {
			t.Fatalf("webhooks schedule = %s, %v", out, err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(got) != 1 || got[0] != id {
			t.Fatalf("deliveries %v, want the event %s", got, id)
		}
	})
	t.Run("notify", func(t *testing.T) {
		w.t = t
		out, err := e.Stack.Invoke(ctx, "NotifyFunction", w.fill("notify-request-approved.json", ok))
		if err != nil || !bytes.Contains(out, []byte(`"batchItemFailures":null`)) {
			t.Fatalf("notify = %s, %v", out, err)
		}
		var list struct{ Items []map[string]any }
		e.As("clientUser").Get("/v1/notifications").JSON(t, &list)
		if !slices.ContainsFunc(list.Items, func(m map[string]any) bool { return m["kind"] == "access_request.approved" }) {
			t.Fatalf("requester notifications = %v", list.Items)
		}
	})
	t.Run("expire-requests", func(t *testing.T) {
		w.t = t
		r := e.As("clientUser").Post(client+"/access-requests",
			map[string]any{"platformId": e.Seed.Platforms["googleAds"], "identityType": "standard", "justification": "One more"})
		if r.Status != 201 {
			t.Fatalf("submit: %d %s", r.Status, r.Body)
		}
		expires, _ := time.Parse(time.RFC3339Nano, r.Map(t)["expiresAt"].(string))
		e.Stack.SetClock(func() time.Time { return expires.Add(time.Second) })
		out, err := e.Stack.Invoke(ctx, "ExpireRequestsFunction", event(t, "expire-requests.json"))
		if err != nil || !bytes.Contains(out, []byte(`"expired":1`)) {
			t.Fatalf("sweep = %s, %v", out, err)
		}
		if got := w.get(client + "/access-requests/" + r.Map(t)["id"].(string)); got["status"] != "expired" {
			t.Fatalf("request = %v", got["status"])
		}
	})
	// Offboarding last: it closes the client.
	t.Run("offboard-client", func(t *testing.T) {
		w.t = t
		if _, err := w.svc.ConfirmOffboarding(ctx, w.as("owner"), e.Seed.ClientID, ah.ConfirmOffboardingInput{ConfirmName: "Acme Outdoor"}); err != nil {
			t.Fatal(err)
		}
		off := ids{attempt: 1}
		w.mustStep("OffboardClientFunction", "offboard-client-deactivate-identities.json", off, ah.StepDone)
		if i := identity(ok.identity); i["status"] != "deactivated" {
			t.Fatalf("identity after deactivate_identities = %v", i["status"])
		}
		if _, err := w.step("OffboardClientFunction", "offboard-client-mark-failed.json", off); err != nil {
			t.Fatal(err)
		}
		o, _ := w.get(client)["offboarding"].(map[string]any)
		if o["status"] != "failed" || !strings.Contains(string(mustJSON(t, o)), "Google Workspace answered 503") {
			t.Fatalf("offboarding after the failure sample = %v", o)
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
