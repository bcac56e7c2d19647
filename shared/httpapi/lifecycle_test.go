package httpapi_test

// Beyond the seeds: the access lifecycle (issue 16).

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accesshive/accesshive/infra/testenv"
)

// TestAuditorReadsTheTrail (issue 16, item 3): the auditor reads every client's
// Activity (identity entries included), the agency audit search and Effective
// Access (identity rows included), and nothing else: no client list, no
// Identities tab, no credentials, no changes (every other cell is in
// TestRouteRoleTenantMatrix). Admins may invite auditors.
func TestAuditorReadsTheTrail(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	acme := e.Seed.ClientID
	auditor := e.As("auditor")
	id := submit(t, e, e.Seed.Platforms["googleAds"], "managed")["id"].(string)
	ar := e.As("admin").Post("/v1/clients/"+acme+"/access-requests/"+id+"/approve", nil)
	identityID := ar.Map(t)["identityId"].(string)
	drain(t, e)
	var act struct{ Items []map[string]any }
	if r := auditor.Get("/v1/clients/" + acme + "/activity?limit=100"); r.Status != 200 {
		t.Fatalf("activity: %d %s", r.Status, r.Body)
	} else {
		r.JSON(t, &act)
	}
	identityEntries := 0
	for _, it := range act.Items {
		if it["entityType"] == "client_identity" {
			identityEntries++
		}
	}
	if identityEntries == 0 {
		t.Fatalf("the auditor does not see identity entries: %v", act.Items)
	}
	if r := auditor.Get("/v1/audit?action=client.create"); r.Status != 200 {
		t.Fatalf("audit search: %d %s", r.Status, r.Body)
	}
	var ea struct{ Cells []map[string]any }
	auditor.Get("/v1/clients/"+acme+"/effective-access").JSON(t, &ea)
	found := false
	for _, c := range ea.Cells {
		found = found || (c["kind"] == "identity" && c["principalId"] == identityID)
	}
	if !found {
		t.Fatalf("the auditor's Effective Access lacks the identity: %v", ea.Cells)
	}
	for _, c := range []struct{ method, path string }{
		{"GET", "/v1/clients"},
		{"GET", "/v1/clients/" + acme + "/identities"},
		{"POST", "/v1/clients/" + acme + "/identities/" + identityID + "/credentials/reveal"},
		{"GET", "/v1/clients/" + acme + "/access-requests"},
		{"PATCH", "/v1/clients/" + acme},
	} {
		if r := auditor.Send(c.method, c.path, map[string]any{"name": "x"}); r.Status != 403 {
			t.Errorf("auditor %s %s: %d", c.method, c.path, r.Status)
		}
	}
	if r := e.As("admin").Post("/v1/members", map[string]any{"email": "ivy@northwind.example", "name": "Ivy", "role": "auditor"}); r.Status != 201 {
		t.Fatalf("an admin invites an auditor: %d %s", r.Status, r.Body)
	}
}

// TestClientLevelApprovers (issue 16, item 5): a policy may name the client's
// owners and its managing client managers as approvers; they are told of new
// requests and approve them, quorum rules unchanged; roles the policy does not
// name are refused (403 approver_not_allowed).
func TestClientLevelApprovers(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	acme := e.Seed.ClientID
	base := "/v1/clients/" + acme + "/access-requests"
	owners := policy(t, e, map[string]any{"name": "Client owners decide",
		"approval": map[string]any{"requiredApprovals": 1, "approverRoles": []string{"client_owner"}}})
	managers := policy(t, e, map[string]any{"name": "Manager and admin",
		"approval": map[string]any{"requiredApprovals": 2, "approverRoles": []string{"client_manager", "admin"}}})
	r := e.As("owner").Send("PUT", "/v1/clients/"+acme+"/governance", map[string]any{
		"policyAssignments": []any{
			map[string]any{"policyId": owners, "scope": e.Seed.Platforms["meta"]},
			map[string]any{"policyId": managers, "scope": e.Seed.Platforms["googleAds"]},
		},
		"teamGroups": []any{}, "clientOwners": []string{e.Seed.Users["member"].UserID}, "compliance": map[string]any{}})
	if r.Status != 200 {
		t.Fatalf("governance: %d %s", r.Status, r.Body)
	}
	t.Run("ClientOwner", func(t *testing.T) {
		id := submit(t, e, e.Seed.Platforms["meta"], "standard")["id"].(string)
		if got := kinds(t, e, "member"); got != "access_request.pending" {
			t.Fatalf("the client owner was told %q", got)
		}
		if r := e.As("admin").Post(base+"/"+id+"/approve", nil); r.Status != 403 || r.Problem(t).Code != "approver_not_allowed" {
			t.Fatalf("an admin the policy does not name: %d %s", r.Status, r.Body)
		}
		r := e.As("member").Post(base+"/"+id+"/approve", nil)
		if r.Status != 200 || r.Map(t)["status"] != "approved" {
			t.Fatalf("the client owner approves: %d %s", r.Status, r.Body)
		}
		if a := r.Map(t)["approvals"].([]any); len(a) != 1 || a[0].(map[string]any)["byName"] != "Max Member" {
			t.Fatalf("approvals: %v", a)
		}
	})
	t.Run("ClientManagerWithQuorum", func(t *testing.T) {
		id := submit(t, e, e.Seed.Platforms["googleAds"], "standard")["id"].(string)
		if r := e.As("member").Post(base+"/"+id+"/approve", nil); r.Status != 403 || r.Problem(t).Code != "approver_not_allowed" {
			t.Fatalf("a client owner where the policy names managers: %d %s", r.Status, r.Body)
		}
		r := e.As("manager").Post(base+"/"+id+"/approve", nil)
		if r.Status != 200 || r.Map(t)["status"] != "pending" {
			t.Fatalf("the managing client manager approves first: %d %s", r.Status, r.Body)
		}
		if r := e.As("manager").Post(base+"/"+id+"/approve", nil); r.Status != 409 || r.Problem(t).Code != "already_approved" {
			t.Fatalf("the same manager twice: %d %s", r.Status, r.Body)
		}
		if r := e.As("admin").Post(base+"/"+id+"/approve", nil); r.Status != 200 || r.Map(t)["status"] != "approved" {
			t.Fatalf("the admin completes the quorum: %d %s", r.Status, r.Body)
		}
	})
}

// TestNotificationInbox (issue 16, item 7): notifications are unread until marked;
// the count follows; marking again changes nothing; mark-all marks the rest; one
// member cannot mark another's.
func TestNotificationInbox(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	submit(t, e, e.Seed.Platforms["googleAds"], "standard")
	submit(t, e, e.Seed.Platforms["meta"], "standard")
	drain(t, e)
	admin := e.As("admin")
	count := func() any { return admin.Get("/v1/notifications/unread-count").Map(t)["unread"] }
	if c := count(); c != 2.0 {
		t.Fatalf("unread = %v, want 2", c)
	}
	var list struct{ Items []map[string]any }
	admin.Get("/v1/notifications").JSON(t, &list)
	first := list.Items[0]["id"].(string)
	r := admin.Post("/v1/notifications/"+first+"/read", nil)
	readAt := r.Map(t)["readAt"]
	if r.Status != 200 || readAt == nil {
		t.Fatalf("mark read: %d %s", r.Status, r.Body)
	}
	if again := admin.Post("/v1/notifications/"+first+"/read", nil).Map(t)["readAt"]; again != readAt {
		t.Fatalf("marking again moved readAt: %v -> %v", readAt, again)
	}
	if c := count(); c != 1.0 {
		t.Fatalf("unread after one = %v", c)
	}
	if r := e.As("owner").Post("/v1/notifications/"+first+"/read", nil); r.Status != 404 {
		t.Fatalf("another member marks it: %d", r.Status)
	}
	if r := admin.Post("/v1/notifications/read-all", nil); r.Status != 200 || r.Map(t)["marked"] != 1.0 {
		t.Fatalf("read all: %d %s", r.Status, r.Body)
	}
	if c := count(); c != 0.0 {
		t.Fatalf("unread after all = %v", c)
	}
	if r := admin.Post("/v1/notifications/ntf_missing/read", nil); r.Status != 404 {
		t.Fatalf("unknown notification: %d", r.Status)
	}
}

// TestBulkDecisions (issue 16, item 6): several pending requests of one client in
// one call, each decided on its own with the one-by-one checks, one answer item per
// request; a malformed call decides nothing.
func TestBulkDecisions(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	base := "/v1/clients/" + e.Seed.ClientID + "/access-requests"
	a := submit(t, e, e.Seed.Platforms["googleAds"], "standard")["id"].(string)
	b := submit(t, e, e.Seed.Platforms["meta"], "standard")["id"].(string)
	missing := "req_00000000000000000000000000"
	for name, body := range map[string]any{
		"Empty":     map[string]any{"decisions": []any{}},
		"Twice":     map[string]any{"decisions": []any{map[string]any{"requestId": a, "action": "approve"}, map[string]any{"requestId": a, "action": "reject"}}},
		"BadAction": map[string]any{"decisions": []any{map[string]any{"requestId": a, "action": "maybe"}}},
	} {
		if r := e.As("admin").Post("/v1/clients/"+e.Seed.ClientID+"/access-request-decisions", body); r.Status != 422 {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	if r := e.As("member").Post("/v1/clients/"+e.Seed.ClientID+"/access-request-decisions", map[string]any{"decisions": []any{map[string]any{"requestId": a, "action": "approve"}}}); r.Status != 200 ||
		r.Map(t)["results"].([]any)[0].(map[string]any)["status"] != 403.0 {
		t.Fatalf("a member the rules do not name: %d %s", r.Status, r.Body)
	}
	if got := e.As("admin").Get(base + "/" + a).Map(t)["status"]; got != "pending" {
		t.Fatalf("a refused decision changed the request: %v", got)
	}
	r := e.As("admin").Post("/v1/clients/"+e.Seed.ClientID+"/access-request-decisions", map[string]any{"decisions": []any{
		map[string]any{"requestId": a, "action": "approve"},
		map[string]any{"requestId": b, "action": "reject", "reason": "Not this quarter"},
		map[string]any{"requestId": missing, "action": "approve"},
	}})
	if r.Status != 200 {
		t.Fatalf("bulk: %d %s", r.Status, r.Body)
	}
	res := r.Map(t)["results"].([]any)
	want := []struct {
		id     string
		status float64
		state  string
	}{{a, 200, "approved"}, {b, 200, "rejected"}, {missing, 404, ""}}
	for i, w := range want {
		item := res[i].(map[string]any)
		if item["requestId"] != w.id || item["status"] != w.status {
			t.Fatalf("result %d = %v", i, item)
		}
		if w.state != "" && item["request"].(map[string]any)["status"] != w.state {
			t.Fatalf("result %d request = %v", i, item["request"])
		}
		if w.state == "" && item["problem"].(map[string]any)["code"] != "not_found" {
			t.Fatalf("result %d problem = %v", i, item["problem"])
		}
	}
	if got := e.As("admin").Get(base + "/" + b).Map(t); got["status"] != "rejected" || got["reason"] != "Not this quarter" {
		t.Fatalf("the rejected request: %v", got)
	}
}

// TestReviewerReminders (issue 16, item 1): the agency's lead times plan
// reminders on each pending request; the sweep marks each once when due (a second
// sweep, or one later, sends nothing again) and the reviewers are told; a request
// reviewed first is never reminded; the client's owners hear before a grant ends.
func TestReviewerReminders(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	base := "/v1/clients/" + e.Seed.ClientID + "/access-requests"
	if r := e.As("owner").Patch("/v1/settings", map[string]any{"reminderLeadMinutes": []int{1440, 60}}); r.Status != 200 {
		t.Fatalf("settings: %d %s", r.Status, r.Body)
	}
	if r := e.As("owner").Patch("/v1/settings", map[string]any{"reminderLeadMinutes": []int{60, 60}}); r.Status != 422 {
		t.Fatalf("a lead time twice: %d %s", r.Status, r.Body)
	}
	req := submit(t, e, e.Seed.Platforms["googleAds"], "standard")
	reviewed := submit(t, e, e.Seed.Platforms["meta"], "standard")["id"].(string)
	if leads := req["reminderLeads"]; fmt.Sprint(leads) != "[1440 60]" {
		t.Fatalf("planned reminders: %v", leads)
	}
	if r := e.As("admin").Post(base+"/"+reviewed+"/reject", map[string]any{"reason": "No"}); r.Status != 200 {
		t.Fatalf("reject: %d", r.Status)
	}
	expires := timeField(t, req, "expiresAt")
	for _, c := range []struct {
		at   time.Time
		want float64
	}{
		{expires.Add(-1441 * time.Minute), 0}, {expires.Add(-1439 * time.Minute), 1}, {expires.Add(-1438 * time.Minute), 0},
		{expires.Add(-59 * time.Minute), 1}, {expires.Add(-58 * time.Minute), 0},
	} {
		if s := sweepJSON(t, e, c.at); s["remindersSent"] != c.want {
			t.Fatalf("sweep %v before expiry: %v, want %v reminders", expires.Sub(c.at), s, c.want)
		}
	}
	got := e.As("owner").Get(base + "/" + req["id"].(string)).Map(t)
	if fmt.Sprint(got["remindersSent"]) != "[1440 60]" || got["status"] != "pending" {
		t.Fatalf("request after the reminders: %v", got)
	}
	if k := kinds(t, e, "admin"); k != "access_request.pending,access_request.pending,access_request.reminder,access_request.reminder" {
		t.Fatalf("the admin heard %s", k)
	}

	t.Run("ClientOwnersBeforeTheEnd", func(t *testing.T) {
		timed := policy(t, e, map[string]any{"name": "Timed", "duration": map[string]any{"maxMinutes": 240, "defaultMinutes": 60, "noticeMinutes": 15}})
		r := e.As("owner").Send("PUT", "/v1/clients/"+e.Seed.ClientID+"/governance", map[string]any{
			"policyAssignments": []any{map[string]any{"policyId": timed, "scope": "client"}},
			"teamGroups":        []any{}, "clientOwners": []string{e.Seed.Users["member"].UserID}, "compliance": map[string]any{}})
		if r.Status != 200 {
			t.Fatalf("governance: %d %s", r.Status, r.Body)
		}
		id := submit(t, e, e.Seed.Platforms["meta"], "standard")["id"].(string)
		ends := timeField(t, e.As("admin").Post(base+"/"+id+"/approve", nil).Map(t), "accessEndsAt")
		if s := sweepJSON(t, e, ends.Add(-14*time.Minute)); s["noticesSent"] != 1.0 {
			t.Fatalf("sweep: %v", s)
		}
		if k := kinds(t, e, "member"); !strings.Contains(k, "access_request.access_ending") {
			t.Fatalf("the client owner heard %s", k)
		}
	})
}

// TestBreakGlass (issue 16, item 4): a client manager managing the client (or an
// admin) takes emergency access without approval, with a reason, for at most the
// policy's limit, through the client's active identity; every admin and the
// client's owners are told at once; the grant is flagged on Effective Access and
// ends on time; an admin closes its review, once; an agency can disable it per
// client.
func TestBreakGlass(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	acme, meta := e.Seed.ClientID, e.Seed.Platforms["meta"]
	path := "/v1/clients/" + acme + "/break-glass"
	governance := func(disabled bool) {
		r := e.As("owner").Send("PUT", "/v1/clients/"+acme+"/governance", map[string]any{"policyAssignments": []any{}, "teamGroups": []any{},
			"clientOwners": []string{e.Seed.Users["member"].UserID}, "compliance": map[string]any{"breakGlassDisabled": disabled}})
		if r.Status != 200 {
			t.Fatalf("governance: %d %s", r.Status, r.Body)
		}
	}
	governance(false)
	if r := e.As("manager").Post(path, map[string]any{"platformId": meta, "reason": "Checkout pixel down"}); r.Status != 409 || r.Problem(t).Code != "identity_not_active" {
		t.Fatalf("no identity on the platform yet: %d %s", r.Status, r.Body)
	}
	id := submit(t, e, meta, "standard")["id"].(string)
	if r := e.As("admin").Post("/v1/clients/"+acme+"/access-requests/"+id+"/approve", nil); r.Status != 200 {
		t.Fatalf("approve: %d", r.Status)
	}
	waitExecutions(t, e)
	for name, c := range map[string]struct {
		body map[string]any
		want int
	}{
		"NoReason":     {map[string]any{"platformId": meta}, 422},
		"OverTheLimit": {map[string]any{"platformId": meta, "reason": "x", "durationMinutes": 120}, 422},
		"MemberOnTeam": {map[string]any{"platformId": meta, "reason": "x"}, 403},
	} {
		caller := e.As("manager")
		if name == "MemberOnTeam" {
			caller = e.As("member")
		}
		if r := caller.Post(path, c.body); r.Status != c.want {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	r := e.As("manager").Post(path, map[string]any{"platformId": meta, "reason": "Checkout pixel down"})
	bg := r.Map(t)
	if r.Status != 201 || bg["status"] != "provisioned" || bg["breakGlass"] != true || bg["postReview"].(map[string]any)["status"] != "open" {
		t.Fatalf("break-glass: %d %s", r.Status, r.Body)
	}
	ends := timeField(t, bg, "accessEndsAt")
	if d := ends.Sub(timeField(t, bg, "createdAt")); d != time.Hour {
		t.Fatalf("break-glass lasts %v, want the default limit of an hour", d)
	}
	for _, h := range []string{"owner", "admin", "member"} {
		if k := kinds(t, e, h); !strings.Contains(k, "access_request.break_glass") {
			t.Errorf("%s was not told: %s", h, k)
		}
	}
	var ea struct{ Cells []map[string]any }
	e.As("admin").Get("/v1/clients/"+acme+"/effective-access").JSON(t, &ea)
	flagged := false
	for _, c := range ea.Cells {
		flagged = flagged || (c["kind"] == "break_glass" && c["principalId"] == e.Seed.Users["manager"].UserID && strings.Contains(fmt.Sprint(c["derivation"]), "break_glass"))
	}
	if !flagged {
		t.Fatalf("Effective Access does not flag it: %v", ea.Cells)
	}
	if s := runSweepFull(t, e, ends.Add(time.Millisecond)); s.AccessEnded != 1 {
		t.Fatalf("sweep at its end: %+v", s)
	}
	review := "/v1/clients/" + acme + "/access-requests/" + bg["id"].(string) + "/close-review"
	if got := e.As("admin").Get("/v1/clients/" + acme + "/access-requests/" + bg["id"].(string)).Map(t); got["status"] != "revoked" {
		t.Fatalf("after its end: %v", got["status"])
	}
	if r := e.As("manager").Post(review, map[string]any{"note": "x"}); r.Status != 403 {
		t.Fatalf("a client manager closes the review: %d", r.Status)
	}
	if r := e.As("admin").Post(review, map[string]any{"note": "Pixel fixed; access was needed"}); r.Status != 200 || r.Map(t)["postReview"].(map[string]any)["status"] != "closed" {
		t.Fatalf("close: %d %s", r.Status, r.Body)
	}
	if r := e.As("admin").Post(review, map[string]any{"note": "again"}); r.Status != 409 || r.Problem(t).Code != "review_not_open" {
		t.Fatalf("close twice: %d %s", r.Status, r.Body)
	}
	if r := e.As("admin").Post("/v1/clients/"+acme+"/access-requests/"+id+"/close-review", map[string]any{"note": "x"}); r.Status != 409 {
		t.Fatalf("close a normal request's review: %d", r.Status)
	}
	governance(true)
	if r := e.As("admin").Post(path, map[string]any{"platformId": meta, "reason": "again"}); r.Status != 403 || r.Problem(t).Code != "break_glass_disabled" {
		t.Fatalf("disabled for the client: %d %s", r.Status, r.Body)
	}
}

// TestAccessReviews (issue 16, item 2): compliance's accessReviewEveryDays opens a
// campaign when due (once, however often the sweep runs) with the client's live
// grants and linked identities; the client's owners keep or revoke items with a
// reason (a review revocation racing a manual revoke ends the access once);
// what nobody decided by the deadline is revoked as the client's policy says.
func TestAccessReviews(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	acme := e.Seed.ClientID
	base := "/v1/clients/" + acme + "/access-requests"
	admin, owner := e.As("admin"), e.As("member") // the member is made a client owner below
	metaReq := submit(t, e, e.Seed.Platforms["meta"], "standard")["id"].(string)
	adsReq := submit(t, e, e.Seed.Platforms["googleAds"], "standard")["id"].(string)
	for _, id := range []string{metaReq, adsReq} {
		if r := admin.Post(base+"/"+id+"/approve", nil); r.Status != 200 {
			t.Fatalf("approve: %d %s", r.Status, r.Body)
		}
	}
	waitExecutions(t, e)
	idn := admin.Post("/v1/identities", map[string]any{"displayName": "Agency analytics", "email": "analytics@northwind.example", "scope": "agency"}).Map(t)["id"].(string)
	if r := admin.Send("PUT", "/v1/clients/"+acme+"/agency-identities/"+idn, nil); r.Status != 201 {
		t.Fatalf("link: %d %s", r.Status, r.Body)
	}
	set := time.Now()
	if r := e.As("owner").Send("PUT", "/v1/clients/"+acme+"/governance", map[string]any{"policyAssignments": []any{}, "teamGroups": []any{},
		"clientOwners": []string{e.Seed.Users["member"].UserID},
		"compliance":   map[string]any{"accessReviewEveryDays": 30, "reviewDeadlineDays": 7, "unreviewedAction": "revoke"}}); r.Status != 200 {
		t.Fatalf("governance: %d %s", r.Status, r.Body)
	}
	if s := sweepJSON(t, e, set.Add(29*24*time.Hour)); s["reviewsOpened"] != 0.0 {
		t.Fatalf("opened before it was due: %v", s)
	}
	opened := set.Add(31 * 24 * time.Hour)
	if s := sweepJSON(t, e, opened); s["reviewsOpened"] != 1.0 {
		t.Fatalf("the due review: %v", s)
	}
	if s := sweepJSON(t, e, opened.Add(time.Minute)); s["reviewsOpened"] != 0.0 {
		t.Fatalf("opened twice: %v", s)
	}
	if k := kinds(t, e, "member"); !strings.Contains(k, "access_review.opened") {
		t.Fatalf("the client owner was not told: %s", k)
	}
	var list struct{ Items []map[string]any }
	e.As("auditor").Get("/v1/clients/"+acme+"/reviews").JSON(t, &list)
	if len(list.Items) != 1 || len(list.Items[0]["items"].([]any)) != 3 || list.Items[0]["status"] != "open" {
		t.Fatalf("reviews: %v", list.Items)
	}
	path := "/v1/clients/" + acme + "/reviews/" + list.Items[0]["id"].(string)
	decide := func(c *testenv.Caller, item, decision string) *testenv.Response {
		return c.Post(path+"/items/"+item+"/decision", map[string]any{"decision": decision, "reason": "Quarterly review"})
	}
	if r := decide(e.As("manager"), "grant-"+metaReq, "keep"); r.Status != 403 {
		t.Fatalf("a manager who is not a client owner decides: %d %s", r.Status, r.Body)
	}
	if r := decide(owner, "grant-"+metaReq, "keep"); r.Status != 200 {
		t.Fatalf("keep: %d %s", r.Status, r.Body)
	}
	if r := decide(owner, "grant-"+metaReq, "revoke"); r.Status != 409 || r.Problem(t).Code != "review_not_open" {
		t.Fatalf("decide twice: %d %s", r.Status, r.Body)
	}
	// A review revocation racing a manual revoke: the access ends once.
	var wg sync.WaitGroup
	var review, manual *testenv.Response
	wg.Go(func() { review = decide(owner, "grant-"+adsReq, "revoke") })
	wg.Go(func() { manual = admin.Post(base+"/"+adsReq+"/revoke", map[string]any{"reason": "Manual"}) })
	wg.Wait()
	if review.Status != 200 || (manual.Status != 200 && manual.Status != 409) {
		t.Fatalf("race: review %d %s, manual %d %s", review.Status, review.Body, manual.Status, manual.Body)
	}
	req := admin.Get(base + "/" + adsReq).Map(t)
	revoked := 0
	for _, h := range req["history"].([]any) {
		if h.(map[string]any)["status"] == "revoked" {
			revoked++
		}
	}
	if req["status"] != "revoked" || revoked != 1 {
		t.Fatalf("after the race: %v (%d revocations)", req["status"], revoked)
	}
	if s := sweepJSON(t, e, opened.Add(8*24*time.Hour)); s["reviewsClosed"] != 1.0 {
		t.Fatalf("past the deadline: %v", s)
	}
	got := admin.Get(path).Map(t)
	decisions := map[string]any{}
	for _, it := range got["items"].([]any) {
		it := it.(map[string]any)
		decisions[it["id"].(string)] = it["decision"]
	}
	if got["status"] != "closed" || decisions["link-"+idn] != "revoked_unreviewed" || decisions["grant-"+metaReq] != "keep" || decisions["grant-"+adsReq] != "revoke" {
		t.Fatalf("closed review: %v %v", got["status"], decisions)
	}
	var links struct{ Items []any }
	admin.Get("/v1/clients/"+acme+"/agency-identities").JSON(t, &links)
	if len(links.Items) != 0 {
		t.Fatalf("the unreviewed link stays: %v", links.Items)
	}
	// The next campaign, under escalate: what nobody decides goes to the admins.
	if r := e.As("owner").Send("PUT", "/v1/clients/"+acme+"/governance", map[string]any{"policyAssignments": []any{}, "teamGroups": []any{},
		"clientOwners": []string{e.Seed.Users["member"].UserID},
		"compliance":   map[string]any{"accessReviewEveryDays": 30, "reviewDeadlineDays": 7, "unreviewedAction": "escalate"}}); r.Status != 200 {
		t.Fatalf("governance: %d %s", r.Status, r.Body)
	}
	second := set.Add(61 * 24 * time.Hour)
	if s := sweepJSON(t, e, second); s["reviewsOpened"] != 1.0 {
		t.Fatalf("the second review: %v", s)
	}
	if s := sweepJSON(t, e, second.Add(8*24*time.Hour)); s["reviewsClosed"] != 1.0 {
		t.Fatalf("the second review's deadline: %v", s)
	}
	if k := kinds(t, e, "admin"); !strings.Contains(k, "access_review.escalated") {
		t.Fatalf("the admin was not told of the escalation: %s", k)
	}
	if got := admin.Get(base + "/" + metaReq).Map(t)["status"]; got == "revoked" {
		t.Fatalf("an escalated item was revoked")
	}
}
