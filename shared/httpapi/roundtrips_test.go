package httpapi_test

import (
	"strings"
	"testing"

	"github.com/accesshive/accesshive/infra/testenv"
)

// TestRoundTrips pins the DynamoDB calls each read route makes once the caller's
// principal (with the teams they are on) is cached: a client's visibility is
// decided from the principal, never by another read (docs/access-patterns.md
// lists them). Not parallel within
// the stack: the counter sees every call.
func TestRoundTrips(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	acme := e.Seed.ClientID
	if r := e.As("admin").Send("PUT", "/v1/clients/"+acme+"/slack-channel", map[string]any{"channelId": "C0ROUNDTRIP"}); r.Status != 200 {
		t.Fatalf("set the Slack channel: %d %s", r.Status, r.Body)
	}
	tests := []struct {
		as, path string
		want     string
	}{
		{"admin", "/v1/clients/" + acme, "DynamoDB.Query"},
		{"manager", "/v1/clients/" + acme, "DynamoDB.Query"},
		{"admin", "/v1/clients", "DynamoDB.Query"},
		{"member", "/v1/clients", "DynamoDB.BatchGetItem"},
		{"admin", "/v1/clients/" + acme + "/platforms", "DynamoDB.Query"},
		{"admin", "/v1/clients/" + acme + "/governance", "DynamoDB.Query"},
		{"admin", "/v1/clients/" + acme + "/effective-access", "DynamoDB.Query"},
		{"manager", "/v1/clients/" + acme + "/effective-access", "DynamoDB.Query"},
		{"clientUser", "/v1/role-templates", "DynamoDB.Query"},
		{"clientUser", "/v1/clients/" + acme + "/platforms", "DynamoDB.Query"},
		{"admin", "/v1/clients/" + acme + "/slack-channel", "DynamoDB.GetItem"},
		{"admin", "/v1/settings", "DynamoDB.GetItem"},
		{"admin", "/v1/members", "DynamoDB.Query"},
		{"admin", "/v1/platforms/" + e.Seed.Platforms["meta"], "DynamoDB.GetItem"},
	}
	for _, tt := range tests {
		t.Run(tt.as+tt.path, func(t *testing.T) {
			c := e.As(tt.as)
			c.Get("/v1/me") // resolve and cache the principal
			e.Stack.Calls.Reset()
			if r := c.Get(tt.path); r.Status != 200 {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			if got := strings.Join(e.Stack.Calls.Names("ApiFunction"), ","); got != tt.want {
				t.Fatalf("calls = %s, want %s", got, tt.want)
			}
		})
	}
	t.Run("Requests", func(t *testing.T) {
		base := "/v1/clients/" + acme + "/access-requests"
		user, admin := e.As("clientUser"), e.As("admin")
		user.Get("/v1/me")
		admin.Get("/v1/me")
		e.Stack.Calls.Reset()
		r := user.Post(base, map[string]any{"platformId": e.Seed.Platforms["meta"], "identityType": "standard", "justification": "rt"})
		if got := strings.Join(e.Stack.Calls.Names("ApiFunction"), ","); got != wantSubmit {
			t.Errorf("submit calls = %s, want %s", got, wantSubmit)
		}
		e.Stack.Calls.Reset()
		admin.Get(base + "?status=pending")
		if got := strings.Join(e.Stack.Calls.Names("ApiFunction"), ","); got != "DynamoDB.Query" {
			t.Errorf("list calls = %s, want the list Query alone", got)
		}
		e.Stack.Calls.Reset()
		id := r.Map(t)["id"].(string)
		admin.Post(base+"/"+id+"/approve", nil)
		if got := strings.Join(e.Stack.Calls.Names("ApiFunction"), ","); got != wantApprove {
			t.Errorf("approve calls = %s, want %s", got, wantApprove)
		}
		waitExecutions(t, e)
		idn := admin.Get(base + "/" + id).Map(t)["identityId"].(string)
		// Compliance is judged from the policy kept on the client: Effective Access
		// stays one Query with a credential to judge.
		if r := admin.Send("PUT", "/v1/clients/"+acme+"/identities/"+idn+"/credentials",
			map[string]any{"username": "rt@acme-outdoor.example", "password": "Round-trip-passw0rd!"}); r.Status != 200 {
			t.Fatalf("credential: %d %s", r.Status, r.Body)
		}
		e.Stack.Calls.Reset()
		if r := admin.Get("/v1/clients/" + acme + "/effective-access"); r.Status != 200 || !strings.Contains(string(r.Body), `"compliant":true`) {
			t.Fatalf("effective access: %d %s", r.Status, r.Body)
		}
		if got := strings.Join(e.Stack.Calls.Names("ApiFunction"), ","); got != "DynamoDB.Query" {
			t.Errorf("effective access with a credential to judge: calls = %s, want DynamoDB.Query", got)
		}
		// One resource by id: one round trip, the visibility check included.
		for _, c := range []struct{ as, path, want string }{
			{"admin", base + "/" + id, "DynamoDB.GetItem"},
			{"manager", base + "/" + id, "DynamoDB.GetItem"},
			{"clientUser", base + "/" + id, "DynamoDB.GetItem"},
			// the identity with its client (the policy compliance is judged by): one BatchGetItem
			{"admin", "/v1/clients/" + acme + "/identities/" + idn, "DynamoDB.BatchGetItem"},
			{"manager", "/v1/clients/" + acme + "/identities/" + idn, "DynamoDB.BatchGetItem"},
		} {
			e.As(c.as).Get("/v1/me")
			e.Stack.Calls.Reset()
			if r := e.As(c.as).Get(c.path); r.Status != 200 {
				t.Fatalf("%s %s: %d %s", c.as, c.path, r.Status, r.Body)
			}
			if got := strings.Join(e.Stack.Calls.Names("ApiFunction"), ","); got != c.want {
				t.Errorf("%s GET %s calls = %s, want %s", c.as, c.path, got, c.want)
			}
		}
	})
	t.Run("ClientChangeIsOneTransaction", func(t *testing.T) {
		c := e.As("admin")
		c.Get("/v1/me")
		e.Stack.Calls.Reset()
		if r := c.Patch("/v1/clients/"+acme, map[string]any{"description": "one write"}); r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if got := strings.Join(e.Stack.Calls.Names("ApiFunction"), ","); got != "DynamoDB.Query,DynamoDB.TransactWriteItems" {
			t.Fatalf("calls = %s, want one Query and one TransactWriteItems", got)
		}
	})
}

// The request routes' calls: the state change is one TransactWriteItems after the
// reads it is checked against; notifications are not in the request path (the
// notifications function follows the table's stream), and approval starts the
// provisioning execution.
const (
	// the client, platform and policies in one BatchGetItem; the request, its
	// pending guard, the identity and the client's counters in one transaction.
	wantSubmit = "DynamoDB.BatchGetItem,DynamoDB.TransactWriteItems"
	// the request, the identity the client may already have on the platform.
	wantApprove = "DynamoDB.GetItem,DynamoDB.GetItem,DynamoDB.TransactWriteItems,SFN.StartExecution"
)
