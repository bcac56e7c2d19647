package httpapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/accesshive/accesshive/infra/authn"
	"github.com/accesshive/accesshive/infra/testenv"
	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// Error codes from docs/errors.md that need their own setup.

func TestUnauthenticatedWithoutSubject(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	tok, err := testenv.Issuer(t).Mint(authn.TokenOpts{Subject: ""})
	if err != nil {
		t.Fatal(err)
	}
	r := e.Do(testenv.Request{Method: "GET", Path: "/v1/me", Token: tok})
	if r.Status != 401 || r.Problem(t).Code != "unauthenticated" {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
}

// TestSelfReviewRefused: nobody reviews their own request. Client users cannot
// reach the review routes at all, so the rule is checked on the service itself.
func TestSelfReviewRefused(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	id := submit(t, e, e.Seed.Platforms["meta"], "standard")["id"].(string)
	requester := ah.Principal{AgencyID: e.Seed.AgencyID, MemberID: e.Seed.Users["clientUser"].UserID, Role: ah.RoleClientUser, ClientID: e.Seed.ClientID}
	_, err := e.Stack.Service().RejectRequest(context.Background(), requester, e.Seed.ClientID, id, ah.ReviewInput{})
	if ah.CodeOf(err) != ah.CodeSelfApproval || ah.KindOf(err) != ah.KindForbidden {
		t.Fatalf("self-rejection: %v, want 403 self_approval", err)
	}
	if st := e.As("admin").Get("/v1/clients/" + e.Seed.ClientID + "/access-requests/" + id).Map(t)["status"]; st != "pending" {
		t.Fatalf("a refused self-review changed the request: %v", st)
	}
}

// TestFailedIdentityBlocksApprovalAndCredentials: while a client's identity on a
// platform has failed, a second request for that platform cannot be approved
// (identity_provisioning) and its credentials cannot be managed (identity_not_active).
func TestFailedIdentityBlocksApprovalAndCredentials(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	acme, ads := e.Seed.ClientID, e.Seed.Platforms["googleAds"]
	admin := e.As("admin")
	e.Stack.Directory.Fail(403, 1)
	first := submit(t, e, ads, "managed")["id"].(string)
	identity := admin.Post("/v1/clients/"+acme+"/access-requests/"+first+"/approve", nil).Map(t)["identityId"].(string)
	waitExecutions(t, e)

	if r := admin.Post("/v1/clients/"+acme+"/identities/"+identity+"/credentials/reveal", nil); r.Status != 409 || r.Problem(t).Code != "identity_not_active" {
		t.Fatalf("reveal on a failed identity: %d %s", r.Status, r.Body)
	}
	admin.Post("/v1/clients/"+acme+"/users", map[string]any{"email": "second@acme-outdoor.example", "name": "Second"})
	tok := e.Token("idp|second", "second@acme-outdoor.example")
	r := e.Do(testenv.Request{Method: "POST", Path: "/v1/clients/" + acme + "/access-requests", Token: tok,
		Body: map[string]any{"platformId": ads, "identityType": "managed", "justification": "me too"}})
	second := r.Map(t)["id"].(string)
	r = admin.Post("/v1/clients/"+acme+"/access-requests/"+second+"/approve", nil)
	if r.Status != 409 || r.Problem(t).Code != "identity_provisioning" || r.Problem(t).Current["id"] != identity {
		t.Fatalf("approving onto a failed identity: %d %s", r.Status, r.Body)
	}
	if st := admin.Get("/v1/clients/" + acme + "/access-requests/" + second).Map(t)["status"]; st != "pending" {
		t.Fatalf("the refused approval changed the request: %v", st)
	}
}

// TestClientLockedWhileOffboarding: while offboarding runs, the client takes no
// changes (offboarding_in_progress) and no new requests.
func TestClientLockedWhileOffboarding(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	acme := e.Seed.ClientID
	release := make(chan struct{})
	e.Stack.Calls.InjectFault(func(fn, _ string) error {
		if fn == "OffboardClientFunction" {
			select { // hold the offboarding's first step while the test acts
			case <-release:
			case <-time.After(10 * time.Second):
			}
		}
		return nil
	})
	if r := e.As("admin").Post("/v1/clients/"+acme+"/offboarding", map[string]any{"confirmName": "Acme Outdoor"}); r.Status != 202 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	r := e.As("admin").Patch("/v1/clients/"+acme, map[string]any{"description": "during offboarding"})
	rq := e.As("clientUser").Post("/v1/clients/"+acme+"/access-requests", map[string]any{"platformId": e.Seed.Platforms["meta"], "identityType": "standard", "justification": "x"})
	close(release)
	e.Stack.Calls.InjectFault(nil)
	waitExecutions(t, e)
	if r.Status != 409 || r.Problem(t).Code != "offboarding_in_progress" {
		t.Fatalf("patch while offboarding: %d %s", r.Status, r.Body)
	}
	if rq.Status != 409 || rq.Problem(t).Code != "client_archived" {
		t.Fatalf("request while offboarding: %d %s", rq.Status, rq.Body)
	}
	if c := e.As("admin").Get("/v1/clients/" + acme).Map(t); c["status"] != "archived" {
		t.Fatalf("offboarding did not finish: %v", c["offboarding"])
	}
}
