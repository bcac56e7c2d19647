package httpapi_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/accesshive/accesshive/infra/testenv"
)

// The race suite: each state change that creates or removes access, run at the
// same instant as each operation it conflicts with. Whatever the interleaving,
// exactly the outcomes below are possible, and what is stored agrees with the
// answers. (The expiry sweep against approval is TestExpiryRacingApproval; parallel
// rotations are TestParallelRotations.)

// race runs the two calls at once, released together.
func race(a, b func() *testenv.Response) (*testenv.Response, *testenv.Response) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	var ra, rb *testenv.Response
	wg.Add(2)
	go func() { defer wg.Done(); <-start; ra = a() }()
	go func() { defer wg.Done(); <-start; rb = b() }()
	close(start)
	wg.Wait()
	return ra, rb
}

func code409(t *testing.T, r *testenv.Response) string {
	t.Helper()
	if r.Status != 409 {
		return fmt.Sprintf("%d", r.Status)
	}
	return r.Problem(t).Code
}

// newRequester adds a client user to Acme and returns a caller for them.
func newRequester(t *testing.T, e *testenv.Env) *testenv.Caller {
	t.Helper()
	n := next()
	email := fmt.Sprintf("racer%d@acme-outdoor.example", n)
	if r := e.As("admin").Post("/v1/clients/"+e.Seed.ClientID+"/users", map[string]any{"email": email, "name": "Racer"}); r.Status != 201 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	return e.With(e.Token(fmt.Sprintf("idp|racer%d", n), email))
}

func submitAs(t *testing.T, e *testenv.Env, c *testenv.Caller, platform string) string {
	t.Helper()
	r := c.Post("/v1/clients/"+e.Seed.ClientID+"/access-requests", map[string]any{"platformId": platform, "identityType": "standard", "justification": "race"})
	if r.Status != 201 {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	return r.Map(t)["id"].(string)
}

// TestReviewRaces: approve against approve, reject and cancel: one wins, the
// other answers request_not_pending, and the request is what the winner made it.
func TestReviewRaces(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	base := "/v1/clients/" + e.Seed.ClientID + "/access-requests/"
	for round := range 3 {
		for _, tt := range []struct {
			name   string
			other  func(c *testenv.Caller, id string) *testenv.Response
			status string // the request's status when the other wins
		}{
			{"ApproveApprove", func(_ *testenv.Caller, id string) *testenv.Response {
				return e.As("owner").Post(base+id+"/approve", nil)
			}, "provisioned"},
			{"ApproveReject", func(_ *testenv.Caller, id string) *testenv.Response {
				return e.As("owner").Post(base+id+"/reject", map[string]any{"reason": "no"})
			}, "rejected"},
			{"ApproveCancel", func(c *testenv.Caller, id string) *testenv.Response { return c.Post(base+id+"/cancel", nil) }, "cancelled"},
		} {
			t.Run(fmt.Sprintf("%s/%d", tt.name, round), func(t *testing.T) {
				requester := newRequester(t, e)
				id := submitAs(t, e, requester, e.Seed.Platforms["meta"])
				a, b := race(func() *testenv.Response { return e.As("admin").Post(base+id+"/approve", nil) },
					func() *testenv.Response { return tt.other(requester, id) })
				waitExecutions(t, e)
				got := e.As("admin").Get(base + id).Map(t)
				switch {
				case a.Status == 200 && b.Status == 409:
					if code409(t, b) != "request_not_pending" || (got["status"] != "approved" && got["status"] != "provisioned") {
						t.Fatalf("approval won; the other answered %s, request %v", code409(t, b), got["status"])
					}
				case b.Status == 200 && a.Status == 409:
					if code409(t, a) != "request_not_pending" || (got["status"] != tt.status && !(tt.status == "provisioned" && got["status"] == "approved")) {
						t.Fatalf("the other won; approval answered %s, request %v", code409(t, a), got["status"])
					}
				default:
					t.Fatalf("answers %d %s / %d %s: exactly one must win", a.Status, a.Body, b.Status, b.Body)
				}
			})
		}
	}
}

// TestRevokeRaces: revoke against revoke, and against the sweep ending the same
// grant: the grant ends once; the identity counts it once.
func TestRevokeRaces(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	base := "/v1/clients/" + e.Seed.ClientID + "/access-requests/"
	// A policy whose grants end in an hour, so the sweep has something to end.
	pol := e.As("owner").Post("/v1/governance-policies", map[string]any{"name": "Race hour", "duration": map[string]any{"defaultMinutes": 60}}).Map(t)["id"]
	if r := e.As("owner").Patch("/v1/settings", map[string]any{"defaultGovernancePolicyId": pol}); r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	granted := func(t *testing.T) (string, time.Time) {
		requester := newRequester(t, e)
		id := submitAs(t, e, requester, e.Seed.Platforms["meta"])
		r := e.As("admin").Post(base+id+"/approve", nil)
		if r.Status != 200 {
			t.Fatalf("approve: %d %s", r.Status, r.Body)
		}
		waitExecutions(t, e)
		return id, timeField(t, r.Map(t), "accessEndsAt")
	}
	for round := range 3 {
		t.Run(fmt.Sprintf("RevokeRevoke/%d", round), func(t *testing.T) {
			id, _ := granted(t)
			a, b := race(func() *testenv.Response { return e.As("admin").Post(base+id+"/revoke", map[string]any{"reason": "a"}) },
				func() *testenv.Response { return e.As("owner").Post(base+id+"/revoke", map[string]any{"reason": "b"}) })
			wins := 0
			for _, r := range []*testenv.Response{a, b} {
				switch {
				case r.Status == 200:
					wins++
				case r.Status == 409 && (code409(t, r) == "access_not_active" || code409(t, r) == "version_conflict"):
				default:
					t.Fatalf("answer %d %s", r.Status, r.Body)
				}
			}
			got := e.As("admin").Get(base + id).Map(t)
			if wins != 1 || got["status"] != "revoked" {
				t.Fatalf("%d revocations won, request %v", wins, got["status"])
			}
		})
		t.Run(fmt.Sprintf("RevokeSweep/%d", round), func(t *testing.T) {
			id, ends := granted(t)
			var sweep []byte
			a, _ := race(func() *testenv.Response {
				return e.As("admin").Post(base+id+"/revoke", map[string]any{"reason": "early"})
			},
				func() *testenv.Response { sweep = sweepRaw(t, e, ends.Add(time.Minute)); return nil })
			got := e.As("admin").Get(base + id).Map(t)
			history := got["history"].([]any)
			ends2 := 0
			for _, h := range history {
				if a := h.(map[string]any)["action"]; a == "revoked" || a == "access_ended" {
					ends2++
				}
			}
			if got["status"] != "revoked" || ends2 != 1 {
				t.Fatalf("request %v with %d endings (revoke %d, sweep %s)", got["status"], ends2, a.Status, sweep)
			}
			if a.Status != 200 && (a.Status != 409 || (code409(t, a) != "access_not_active" && code409(t, a) != "version_conflict")) {
				t.Fatalf("revoke answered %d %s", a.Status, a.Body)
			}
		})
	}
}

// TestOffboardingRaces: approval and Retry Provisioning against the offboarding's
// confirmation, and two confirmations. Whichever lands first, once offboarding is
// done the client has no active identity and no live access; a second
// confirmation answers offboarding_in_progress.
func TestOffboardingRaces(t *testing.T) {
	t.Parallel()
	for _, tt := range []string{"Approve", "Retry", "Confirm"} {
		t.Run(tt, func(t *testing.T) {
			t.Parallel()
			e := testenv.New(t)
			acme := e.Seed.ClientID
			base := "/v1/clients/" + acme
			name := e.As("admin").Get(base).Map(t)["name"]
			confirm := func() *testenv.Response {
				return e.As("owner").Post(base+"/offboarding", map[string]any{"confirmName": name})
			}
			var other func() *testenv.Response
			okOther := map[int]bool{200: true}
			switch tt {
			case "Approve":
				id := submit(t, e, e.Seed.Platforms["meta"], "standard")["id"].(string)
				other = func() *testenv.Response { return e.As("admin").Post(base+"/access-requests/"+id+"/approve", nil) }
			case "Retry":
				e.Stack.Directory.Fail(403, 20)
				id := submit(t, e, e.Seed.Platforms["googleAds"], "managed")["id"].(string)
				idn := e.As("admin").Post(base+"/access-requests/"+id+"/approve", nil).Map(t)["identityId"].(string)
				waitExecutions(t, e)
				e.Stack.Directory.Clear()
				if st := e.As("admin").Get(base + "/identities/" + idn).Map(t)["status"]; st != "failed" {
					t.Fatalf("identity %v, want failed", st)
				}
				other = func() *testenv.Response {
					return e.As("admin").Post(base+"/identities/"+idn+"/retry-provisioning", nil)
				}
				okOther = map[int]bool{202: true}
			case "Confirm":
				other = confirm
				okOther = map[int]bool{202: true}
			}
			c, o := race(confirm, other)
			waitExecutions(t, e)
			switch {
			case c.Status == 202 && okOther[o.Status]:
				if tt == "Confirm" {
					t.Fatalf("two confirmations both answered 202")
				}
			case c.Status == 202 && o.Status == 409:
				if got := code409(t, o); got != "offboarding_in_progress" && got != "request_not_pending" {
					t.Fatalf("%s after the confirmation answered %s", tt, got)
				}
			case c.Status == 409 && okOther[o.Status] && tt == "Confirm":
			default:
				t.Fatalf("confirm %d %s / %s %d %s", c.Status, c.Body, tt, o.Status, o.Body)
			}
			got := e.As("admin").Get(base).Map(t)
			if got["lifecycle"] != "archived" {
				t.Fatalf("client %v after offboarding (%v)", got["lifecycle"], got["offboarding"])
			}
			var idns struct{ Items []map[string]any }
			e.As("admin").Get(base+"/identities").JSON(t, &idns)
			for _, i := range idns.Items {
				if i["status"] != "deactivated" {
					t.Fatalf("identity %v is %v after offboarding", i["id"], i["status"])
				}
			}
			ea := e.As("admin").Get(base + "/effective-access").Map(t)
			for _, c := range ea["cells"].([]any) {
				if c := c.(map[string]any); c["kind"] != "team_member" {
					t.Fatalf("access remains after offboarding: %v", c)
				}
			}
		})
	}
}
