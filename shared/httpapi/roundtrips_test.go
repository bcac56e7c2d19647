package httpapi_test

import (
	"strings"
	"testing"

	"github.com/accesshive/accesshive/shared/testenv"
)

// TestRoundTrips pins the DynamoDB calls each read route makes once the caller's
// principal is cached (docs/access-patterns.md lists them). Not parallel within
// the stack: the counter sees every call.
func TestRoundTrips(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	acme := e.Seed.ClientID
	tests := []struct {
		as, path string
		want     string
	}{
		{"admin", "/v1/clients/" + acme, "DynamoDB.Query"},
		{"manager", "/v1/clients/" + acme, "DynamoDB.Query"},
		{"admin", "/v1/clients", "DynamoDB.Query"},
		{"member", "/v1/clients", "DynamoDB.BatchGetItem,DynamoDB.Query"},
		{"admin", "/v1/clients/" + acme + "/platforms", "DynamoDB.Query"},
		{"admin", "/v1/clients/" + acme + "/governance", "DynamoDB.Query"},
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
			if got := strings.Join(e.Stack.Calls.Names(), ","); got != tt.want {
				t.Fatalf("calls = %s, want %s", got, tt.want)
			}
		})
	}
	t.Run("ClientChangeIsOneTransaction", func(t *testing.T) {
		c := e.As("admin")
		c.Get("/v1/me")
		e.Stack.Calls.Reset()
		if r := c.Patch("/v1/clients/"+acme, map[string]any{"description": "one write"}); r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if got := strings.Join(e.Stack.Calls.Names(), ","); got != "DynamoDB.Query,DynamoDB.TransactWriteItems" {
			t.Fatalf("calls = %s, want one Query and one TransactWriteItems", got)
		}
	})
}
