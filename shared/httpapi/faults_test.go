package httpapi_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/accesshive/accesshive/infra/testenv"
	ah "github.com/accesshive/accesshive/shared/accesshive"
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
		return apiFault(op, func(string) error {
			return &smithy.GenericAPIError{Code: "ProvisionedThroughputExceededException", Message: "injected"}
		})
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

// TestStepRedeliveryDuplicatesNothing: the Workspace step creates the user and
// stores its credential, then its last write ("done") fails once, so Step Functions
// runs it again. The retry finds the user and the secret already there: one
// Workspace user whose password is the stored one, one secret version, every step
// done, and one "provisioned" history entry.
func TestStepRedeliveryDuplicatesNothing(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	var updates int
	e.Stack.Calls.InjectFault(func(fn, op string) error {
		if fn == "WorkspaceFunction" && op == "DynamoDB.UpdateItem" {
			updates++
			if updates == 2 { // running -> (work) -> done: the "done" write fails once
				return &smithy.GenericAPIError{Code: "InternalServerError", Message: "injected crash"}
			}
		}
		return nil
	})
	ipath := provisioned(t, e, e.Seed.Platforms["googleAds"], "managed")
	e.Stack.Calls.InjectFault(nil)
	if updates < 3 {
		t.Fatalf("the Workspace step was not redelivered (%d step writes)", updates)
	}
	idn := e.As("admin").Get(ipath).Map(t)
	for name, st := range stepStatuses(t, idn) {
		if st != "done" {
			t.Errorf("step %s = %s after redelivery", name, st)
		}
	}
	identityID := idn["id"].(string)
	user, ok := e.Stack.Directory.User(idn["email"].(string))
	if !ok {
		t.Fatalf("no Workspace user %v", idn["email"])
	}
	sm := secretsmanager.NewFromConfig(e.Stack.AWS)
	name := e.Stack.SecretName(ah.CredentialSecretName(e.Seed.AgencyID, e.Seed.ClientID, identityID))
	secret, err := sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: &name})
	if err != nil || *secret.SecretString != user["password"] {
		t.Fatalf("the stored credential is not the Workspace user's password (%v)", err)
	}
	versions, err := sm.ListSecretVersionIds(context.Background(), &secretsmanager.ListSecretVersionIdsInput{SecretId: &name})
	if err != nil || len(versions.Versions) != 1 {
		t.Fatalf("secret versions = %d (%v), want 1", len(versions.Versions), err)
	}
	req := e.As("clientUser").Get("/v1/clients/" + e.Seed.ClientID + "/access-requests/" + idn["requestId"].(string)).Map(t)
	provisionedEvents := 0
	for _, h := range req["history"].([]any) {
		if h.(map[string]any)["action"] == "provisioned" {
			provisionedEvents++
		}
	}
	if provisionedEvents != 1 {
		t.Fatalf("%d provisioned history entries, want 1", provisionedEvents)
	}
}

// TestNotificationRedeliveryDuplicatesNothing: the notifications function's first
// email fails, so it reports the stream record and Lambda delivers it again; the
// retry sends only what was not sent. The requester ends with one notification of
// each kind, every one emailed, and SES was asked once per notification plus the
// one failed attempt.
func TestNotificationRedeliveryDuplicatesNothing(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	var sends int
	e.Stack.Calls.InjectFault(func(fn, op string) error {
		if fn == "NotifyFunction" && op == "SESv2.SendEmail" {
			sends++
			if sends == 1 {
				return &smithy.GenericAPIError{Code: "TooManyRequestsException", Message: "injected"}
			}
		}
		return nil
	})
	provisioned(t, e, e.Seed.Platforms["googleAds"], "managed")
	if k := kinds(t, e, "clientUser"); k != "access_request.approved,access_request.provisioned" {
		t.Fatalf("requester notifications = %s, want one of each", k)
	}
	e.Stack.Calls.InjectFault(nil)
	// owner and admin hear of the new request, the requester of its approval and
	// its provisioning: four notifications, one email each, plus the failed one.
	if sends != 5 {
		t.Fatalf("SendEmail calls = %d, want 5 (4 notifications + 1 failed attempt)", sends)
	}
	for _, h := range []string{"owner", "admin"} {
		if k := kinds(t, e, h); k != "access_request.pending" {
			t.Fatalf("%s notifications = %s", h, k)
		}
	}
}

// TestTimeoutsThroughTheSDK: a DynamoDB call that times out answers 503 without a
// write; a write that landed but whose answer timed out (the ambiguous case) is
// retried with the same Idempotency-Key and creates the resource exactly once.
func TestTimeoutsThroughTheSDK(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	admin := e.As("admin")
	admin.Get("/v1/me") // principal cached, so the fault hits the route's own calls
	timeout := func(op string) func(fn, o string) error {
		return apiFault(op, func(o string) error {
			return fmt.Errorf("operation error DynamoDB: %s, injected: %w", o, context.DeadlineExceeded)
		})
	}
	count := func(email string) int {
		var list struct{ Items []map[string]any }
		admin.Get("/v1/members?limit=100").JSON(t, &list)
		n := 0
		for _, m := range list.Items {
			if m["email"] == email {
				n++
			}
		}
		return n
	}
	t.Run("BeforeTheWrite", func(t *testing.T) {
		body := map[string]any{"email": "slow@northwind.example", "name": "S", "role": "member"}
		e.Stack.Calls.InjectFault(timeout("DynamoDB.TransactWriteItems"))
		r := admin.Post("/v1/members", body, "Idempotency-Key", "timeout-1")
		e.Stack.Calls.InjectFault(nil)
		if r.Status != 503 || r.Problem(t).Code != "service_unavailable" {
			t.Fatalf("timed-out create: %d %s", r.Status, r.Body)
		}
		if n := count("slow@northwind.example"); n != 0 {
			t.Fatalf("%d members written by a call that never reached DynamoDB", n)
		}
	})
	t.Run("AfterTheWrite", func(t *testing.T) {
		body := map[string]any{"email": "landed@northwind.example", "name": "L", "role": "member"}
		e.Stack.Calls.InjectFaultAfter(timeout("DynamoDB.TransactWriteItems"))
		r := admin.Post("/v1/members", body, "Idempotency-Key", "timeout-2")
		e.Stack.Calls.InjectFaultAfter(nil)
		if r.Status != 503 {
			t.Fatalf("answer lost after the write: %d %s", r.Status, r.Body)
		}
		retry := admin.Post("/v1/members", body, "Idempotency-Key", "timeout-2")
		if retry.Status != 201 || retry.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry: %d %s %v", retry.Status, retry.Body, retry.Header)
		}
		if n := count("landed@northwind.example"); n != 1 {
			t.Fatalf("%d members after a lost answer and a retry, want exactly 1", n)
		}
	})
	t.Run("Reads", func(t *testing.T) {
		e.Stack.Calls.InjectFault(timeout("DynamoDB.Query"))
		r := admin.Get("/v1/clients/" + e.Seed.ClientID + "/effective-access")
		e.Stack.Calls.InjectFault(nil)
		if r.Status != 503 || r.Problem(t).Code != "service_unavailable" {
			t.Fatalf("timed-out read: %d %s", r.Status, r.Body)
		}
	})
}

// apiFault is a fault for Calls.InjectFault(After): the api function's calls of
// one operation ("DynamoDB.Query") fail with the error err makes.
func apiFault(op string, err func(op string) error) func(fn, o string) error {
	return func(fn, o string) error {
		if fn == "ApiFunction" && o == op {
			return err(o)
		}
		return nil
	}
}
