package httpapi_test

import (
	"testing"

	"github.com/aws/smithy-go"

	"github.com/accesshive/accesshive/shared/testenv"
)

// TestThrottlingIsA503AndWritesNothing: when DynamoDB throttles (after the SDK's
// own retries), callers get a 503 problem with Retry-After, nothing is written, and
// a retry with the same Idempotency-Key creates the resource exactly once.
func TestThrottlingIsA503AndWritesNothing(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	admin := e.As("admin")
	admin.Get("/v1/me") // principal cached, so the fault hits the route's own calls
	throttle := func(op string) func(fn, o string) error {
		return func(fn, o string) error {
			if fn == "ApiFunction" && o == op {
				return &smithy.GenericAPIError{Code: "ProvisionedThroughputExceededException", Message: "injected"}
			}
			return nil
		}
	}
	body := map[string]any{"email": "throttled@northwind.example", "name": "T", "role": "member"}
	e.Stack.Calls.InjectFault(throttle("DynamoDB.TransactWriteItems"))
	r := admin.Post("/v1/members", body, "Idempotency-Key", "throttle-1")
	e.Stack.Calls.InjectFault(nil)
	if r.Status != 503 || r.Header.Get("Retry-After") != "1" || r.Problem(t).Code != "service_unavailable" {
		t.Fatalf("throttled create: %d %s %v", r.Status, r.Body, r.Header)
	}
	var list struct{ Items []map[string]any }
	admin.Get("/v1/members?limit=100").JSON(t, &list)
	for _, m := range list.Items {
		if m["email"] == "throttled@northwind.example" {
			t.Fatal("a throttled create wrote the member")
		}
	}
	first := admin.Post("/v1/members", body, "Idempotency-Key", "throttle-1")
	again := admin.Post("/v1/members", body, "Idempotency-Key", "throttle-1")
	if first.Status != 201 || again.Map(t)["id"] != first.Map(t)["id"] {
		t.Fatalf("retry after throttling: %d %s / %s", first.Status, first.Body, again.Body)
	}

	e.Stack.Calls.InjectFault(throttle("DynamoDB.Query"))
	r = admin.Get("/v1/clients/" + e.Seed.ClientID)
	e.Stack.Calls.InjectFault(nil)
	if r.Status != 503 || r.Problem(t).Code != "service_unavailable" {
		t.Fatalf("throttled read: %d %s", r.Status, r.Body)
	}
}
