package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/accesshive/accesshive/infra/testenv"
)

// policy creates a governance policy as the owner and returns its id.
func policy(t *testing.T, e *testenv.Env, body map[string]any) string {
	t.Helper()
	r := e.As("owner").Post("/v1/governance-policies", body)
	if r.Status != 201 {
		t.Fatalf("create policy: %d %s", r.Status, r.Body)
	}
	return r.Map(t)["id"].(string)
}

// assign replaces the seeded client's governance with the given assignments.
func assign(t *testing.T, e *testenv.Env, assignments ...map[string]any) map[string]any {
	t.Helper()
	if assignments == nil {
		assignments = []map[string]any{}
	}
	r := e.As("owner").Send("PUT", "/v1/clients/"+e.Seed.ClientID+"/governance", map[string]any{
		"policyAssignments": assignments, "teamGroups": []any{}, "clientOwners": []any{}, "compliance": map[string]any{}})
	if r.Status != 200 {
		t.Fatalf("put governance: %d %s", r.Status, r.Body)
	}
	return r.Map(t)
}

func submitWith(t *testing.T, e *testenv.Env, body map[string]any) map[string]any {
	t.Helper()
	r := e.As("clientUser").Post("/v1/clients/"+e.Seed.ClientID+"/access-requests", body)
	if r.Status != 201 {
		t.Fatalf("submit %v: %d %s", body, r.Status, r.Body)
	}
	return r.Map(t)
}

func wantPolicyViolation(t *testing.T, r *testenv.Response, field, code string) {
	t.Helper()
	if r.Status != 422 {
		t.Fatalf("status %d, want 422: %s", r.Status, r.Body)
	}
	p := r.Problem(t)
	if p.Code != "policy_violation" || len(p.Errors) != 1 || p.Errors[0].Field != field || p.Errors[0].Code != code {
		t.Fatalf("problem = %+v, want policy_violation on %s (%s)", p, field, code)
	}
}

func timeField(t testing.TB, m map[string]any, name string) time.Time {
	t.Helper()
	s, ok := m[name].(string)
	if !ok {
		t.Fatalf("%s missing in %v", name, m)
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestGovernancePolicyRules(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	owner := e.As("owner")
	for name, tt := range map[string]struct {
		body  map[string]any
		field string
	}{
		"NoName":            {map[string]any{}, "name"},
		"ZeroApprovals":     {map[string]any{"name": "x", "approval": map[string]any{"requiredApprovals": 0, "approverRoles": []string{"admin"}}}, "approval.requiredApprovals"},
		"SixApprovals":      {map[string]any{"name": "x", "approval": map[string]any{"requiredApprovals": 6, "approverRoles": []string{"admin"}}}, "approval.requiredApprovals"},
		"MemberApprover":    {map[string]any{"name": "x", "approval": map[string]any{"requiredApprovals": 1, "approverRoles": []string{"member"}}}, "approval.approverRoles[0]"},
		"NoApprovers":       {map[string]any{"name": "x", "approval": map[string]any{"requiredApprovals": 1, "approverRoles": []string{}}}, "approval.approverRoles"},
		"DefaultAboveMax":   {map[string]any{"name": "x", "duration": map[string]any{"maxMinutes": 60, "defaultMinutes": 90}}, "duration.defaultMinutes"},
		"NegativeMax":       {map[string]any{"name": "x", "duration": map[string]any{"maxMinutes": -1, "defaultMinutes": 0}}, "duration.maxMinutes"},
		"LongJustification": {map[string]any{"name": "x", "audit": map[string]any{"justificationRequired": true, "justificationMinLength": 501, "reasonRequired": false}}, "audit.justificationMinLength"},
	} {
		t.Run(name, func(t *testing.T) {
			r := owner.Post("/v1/governance-policies", tt.body)
			if r.Status != 422 {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			if p := r.Problem(t); p.Code != "validation_failed" || !hasField(p, tt.field) {
				t.Fatalf("problem = %+v, want a field error on %s", p, tt.field)
			}
		})
	}
	t.Run("DefaultsAreBuiltIn", func(t *testing.T) {
		r := owner.Post("/v1/governance-policies", map[string]any{"name": "Plain"})
		m := r.Map(t)
		a := m["approval"].(map[string]any)
		if r.Status != 201 || a["requiredApprovals"] != 1.0 || len(a["approverRoles"].([]any)) != 2 || m["duration"].(map[string]any)["maxMinutes"] != 0.0 {
			t.Fatalf("%d %v", r.Status, m)
		}
	})
	t.Run("PatchAndIfMatch", func(t *testing.T) {
		id := policy(t, e, map[string]any{"name": "Edit me"})
		r := owner.Patch("/v1/governance-policies/"+id, map[string]any{"duration": map[string]any{"maxMinutes": 120, "defaultMinutes": 60}}, "If-Match", `"1"`)
		if r.Status != 200 || r.Map(t)["duration"].(map[string]any)["maxMinutes"] != 120.0 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if r := owner.Patch("/v1/governance-policies/"+id, map[string]any{"name": "Stale"}, "If-Match", `"1"`); r.Status != 412 {
			t.Fatalf("stale If-Match: %d", r.Status)
		}
		if r := owner.Patch("/v1/governance-policies/"+id, map[string]any{"duration": map[string]any{"maxMinutes": 10, "defaultMinutes": 60}}); r.Status != 422 {
			t.Fatalf("default above max by patch: %d", r.Status)
		}
	})
	t.Run("AgencyDefault", func(t *testing.T) {
		if r := owner.Patch("/v1/settings", map[string]any{"defaultGovernancePolicyId": "gov_00000000000000000000000000"}); r.Status != 422 {
			t.Fatalf("unknown default: %d %s", r.Status, r.Body)
		}
		m := submitWith(t, e, map[string]any{"platformId": e.Seed.Platforms["googleAds"], "identityType": "standard", "justification": "before"})
		if p := m["policy"].(map[string]any); p["source"] != "built_in" || p["approval"].(map[string]any)["requiredApprovals"] != 1.0 {
			t.Fatalf("without a default: %v", p)
		}
		e.As("clientUser").Post("/v1/clients/"+e.Seed.ClientID+"/access-requests/"+m["id"].(string)+"/cancel", nil)
		def := policy(t, e, map[string]any{"name": "Agency rule", "approval": map[string]any{"requiredApprovals": 3, "approverRoles": []string{"agency_owner", "admin"}}})
		if r := owner.Patch("/v1/settings", map[string]any{"defaultGovernancePolicyId": def}); r.Status != 200 || r.Map(t)["defaultGovernancePolicyId"] != def {
			t.Fatalf("set default: %d %s", r.Status, r.Body)
		}
		m = submitWith(t, e, map[string]any{"platformId": e.Seed.Platforms["googleAds"], "identityType": "standard", "justification": "after"})
		if p := m["policy"].(map[string]any); p["source"] != "agency_default" || p["policyId"] != def {
			t.Fatalf("with a default: %v", p)
		}
	})
}

// TestTwoApproverPolicy: a policy assigned to the client needs two distinct
// approvers in allowed roles, refuses durations above its maximum and short
// justifications, requires a reason to reject; the request shows the policy it
// was evaluated against, unchanged by later edits.
func TestTwoApproverPolicy(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	ads, meta := e.Seed.Platforms["googleAds"], e.Seed.Platforms["meta"]
	base := "/v1/clients/" + e.Seed.ClientID + "/access-requests"
	two := policy(t, e, map[string]any{"name": "Two-person rule",
		"approval": map[string]any{"requiredApprovals": 2, "approverRoles": []string{"agency_owner", "admin"}},
		"duration": map[string]any{"maxMinutes": 120, "defaultMinutes": 60},
		"audit":    map[string]any{"justificationRequired": true, "justificationMinLength": 20, "reasonRequired": true}})
	ownerOnly := policy(t, e, map[string]any{"name": "Owners only",
		"approval": map[string]any{"requiredApprovals": 1, "approverRoles": []string{"agency_owner"}}})
	assign(t, e, map[string]any{"policyId": two, "scope": "client"}, map[string]any{"policyId": ownerOnly, "scope": meta})

	t.Run("ErrJustificationTooShort", func(t *testing.T) {
		r := e.As("clientUser").Post(base, map[string]any{"platformId": ads, "identityType": "standard", "justification": "too short"})
		wantPolicyViolation(t, r, "justification", "too_short")
	})
	t.Run("ErrJustificationMissing", func(t *testing.T) {
		r := e.As("clientUser").Post(base, map[string]any{"platformId": ads, "identityType": "standard"})
		wantPolicyViolation(t, r, "justification", "required")
	})
	t.Run("ErrDurationAboveLimit", func(t *testing.T) {
		r := e.As("clientUser").Post(base, map[string]any{"platformId": ads, "identityType": "standard",
			"justification": "Quarterly campaign review for Acme", "durationMinutes": 121})
		wantPolicyViolation(t, r, "durationMinutes", "out_of_range")
	})
	req := submitWith(t, e, map[string]any{"platformId": ads, "identityType": "standard", "justification": "Quarterly campaign review for Acme"})
	id := req["id"].(string)
	pol := req["policy"].(map[string]any)
	if pol["policyId"] != two || pol["source"] != "client_assignment" || pol["version"] != 1.0 || req["durationMinutes"] != 60.0 {
		t.Fatalf("request policy = %v, duration %v", pol, req["durationMinutes"])
	}
	// Editing the policy now does not change the request's rules.
	if r := e.As("owner").Patch("/v1/governance-policies/"+two, map[string]any{"approval": map[string]any{"requiredApprovals": 1, "approverRoles": []string{"admin"}}}); r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}

	t.Run("FirstApprovalKeepsPending", func(t *testing.T) {
		r := e.As("admin").Post(base+"/"+id+"/approve", map[string]any{"reason": "looks right"})
		m := r.Map(t)
		if r.Status != 200 || m["status"] != "pending" || len(m["approvals"].([]any)) != 1 || m["identityId"] != nil {
			t.Fatalf("%d %v", r.Status, m)
		}
	})
	t.Run("ErrSameApproverTwice", func(t *testing.T) {
		r := e.As("admin").Post(base+"/"+id+"/approve", nil)
		if r.Status != 409 || r.Problem(t).Code != "already_approved" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("SecondDistinctApprovalGrants", func(t *testing.T) {
		r := e.As("owner").Post(base+"/"+id+"/approve", nil)
		m := r.Map(t)
		if r.Status != 200 || m["status"] != "approved" {
			t.Fatalf("%d %v", r.Status, m)
		}
		approvals := m["approvals"].([]any)
		if len(approvals) != 2 || approvals[0].(map[string]any)["by"] != e.Seed.Users["admin"].UserID || approvals[1].(map[string]any)["by"] != e.Seed.Users["owner"].UserID {
			t.Fatalf("approvals = %v", approvals)
		}
		ends, approved := timeField(t, m, "accessEndsAt"), timeField(t, m, "updatedAt")
		if ends.Sub(approved) != 60*time.Minute {
			t.Fatalf("access ends %v after approval, want the policy default 60m", ends.Sub(approved))
		}
		if p := m["policy"].(map[string]any); p["version"] != 1.0 || p["approval"].(map[string]any)["requiredApprovals"] != 2.0 {
			t.Fatalf("the request's policy changed with the policy: %v", p)
		}
		waitExecutions(t, e)
		if st := e.As("owner").Get(base + "/" + id).Map(t)["status"]; st != "approved" {
			t.Fatalf("status %v, want approved (a standard identity waits for its credential)", st)
		}
	})
	t.Run("ErrRejectWithoutReason", func(t *testing.T) {
		r2 := submitWith(t, e, map[string]any{"platformId": ads, "identityType": "standard", "justification": "A second account for the agency team", "durationMinutes": 30})
		r := e.As("admin").Post(base+"/"+r2["id"].(string)+"/reject", nil)
		wantPolicyViolation(t, r, "reason", "required")
		if r := e.As("admin").Post(base+"/"+r2["id"].(string)+"/reject", map[string]any{"reason": "one account is enough"}); r.Status != 200 || r.Map(t)["status"] != "rejected" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("PlatformAssignmentWins", func(t *testing.T) {
		m := submitWith(t, e, map[string]any{"platformId": meta, "identityType": "standard", "justification": "x"})
		if p := m["policy"].(map[string]any); p["policyId"] != ownerOnly || p["source"] != "platform_assignment" {
			t.Fatalf("policy = %v", p)
		}
		r := e.As("admin").Post(base+"/"+m["id"].(string)+"/approve", nil)
		if r.Status != 403 || r.Problem(t).Code != "approver_not_allowed" {
			t.Fatalf("admin under an owners-only policy: %d %s", r.Status, r.Body)
		}
		if r := e.As("admin").Post(base+"/"+m["id"].(string)+"/reject", map[string]any{"reason": "no"}); r.Status != 403 || r.Problem(t).Code != "approver_not_allowed" {
			t.Fatalf("admin rejecting under an owners-only policy: %d %s", r.Status, r.Body)
		}
		if r := e.As("owner").Post(base+"/"+m["id"].(string)+"/approve", nil); r.Status != 200 || r.Map(t)["status"] != "approved" {
			t.Fatalf("owner: %d %s", r.Status, r.Body)
		}
		waitExecutions(t, e)
	})
}

// TestRacingDistinctApprovals: two approvers of a two-approval request approving
// at once both count; the request is approved once.
func TestRacingDistinctApprovals(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	two := policy(t, e, map[string]any{"name": "Two", "approval": map[string]any{"requiredApprovals": 2, "approverRoles": []string{"agency_owner", "admin"}}})
	assign(t, e, map[string]any{"policyId": two, "scope": "client"})
	base := "/v1/clients/" + e.Seed.ClientID + "/access-requests"
	id := submit(t, e, e.Seed.Platforms["googleAds"], "standard")["id"].(string)
	done := make(chan *testenv.Response, 2)
	for _, h := range []string{"owner", "admin"} {
		go func() { done <- e.As(h).Post(base+"/"+id+"/approve", nil) }()
	}
	statuses := []string{}
	for range 2 {
		r := <-done
		if r.Status != 200 {
			t.Fatalf("approval: %d %s", r.Status, r.Body)
		}
		statuses = append(statuses, r.Map(t)["status"].(string))
	}
	got := e.As("owner").Get(base + "/" + id).Map(t)
	if got["status"] != "approved" && got["status"] != "provisioned" || len(got["approvals"].([]any)) != 2 {
		t.Fatalf("request = %v (answers %v)", got, statuses)
	}
	waitExecutions(t, e)
}

// TestTimeBoundAccess: a grant with a duration ends on time through the sweep
// (notice before, notice after, identity deactivated with its last grant); a new
// approval reactivates the identity; an admin revokes early.
func TestTimeBoundAccess(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	ads := e.Seed.Platforms["googleAds"]
	base := "/v1/clients/" + e.Seed.ClientID + "/access-requests"
	timed := policy(t, e, map[string]any{"name": "Timed", "duration": map[string]any{"maxMinutes": 240, "defaultMinutes": 60, "noticeMinutes": 15}})
	assign(t, e, map[string]any{"policyId": timed, "scope": "client"})
	id := submit(t, e, ads, "standard")["id"].(string)
	approved := e.As("admin").Post(base+"/"+id+"/approve", nil).Map(t)
	ends := timeField(t, approved, "accessEndsAt")
	waitExecutions(t, e)
	idnID := approved["identityId"].(string)
	identity := func() map[string]any {
		return e.As("owner").Get("/v1/clients/" + e.Seed.ClientID + "/identities/" + idnID).Map(t)
	}
	if i := identity(); i["status"] != "active" || i["activeGrants"] != 1.0 {
		t.Fatalf("identity = %v", i)
	}
	status := func() map[string]any { return e.As("owner").Get(base + "/" + id).Map(t) }

	t.Run("NoticeBeforeTheEnd", func(t *testing.T) {
		if s := runSweepFull(t, e, ends.Add(-16*time.Minute)); s.NoticesSent != 0 || s.AccessEnded != 0 {
			t.Fatalf("sweep 16m before = %+v", s)
		}
		if s := runSweepFull(t, e, ends.Add(-14*time.Minute)); s.NoticesSent != 1 || s.AccessEnded != 0 {
			t.Fatalf("sweep 14m before = %+v", s)
		}
		if s := runSweepFull(t, e, ends.Add(-13*time.Minute)); s.NoticesSent != 0 {
			t.Fatalf("notice sent twice: %+v", s)
		}
		if k := kinds(t, e, "clientUser"); !strings.Contains(k, "access_request.access_ending") {
			t.Fatalf("notifications = %s", k)
		}
		var list struct{ Items []map[string]any }
		e.As("clientUser").Get("/v1/notifications").JSON(t, &list)
		for _, n := range list.Items {
			if n["kind"] == "access_request.access_ending" {
				if at := timeField(t, n, "createdAt"); !at.Equal(ends.Add(-14 * time.Minute)) {
					t.Fatalf("notice dated %v, want the sweep's time %v", at, ends.Add(-14*time.Minute))
				}
			}
		}
		if status()["endNoticeSentAt"] == nil {
			t.Fatal("endNoticeSentAt not recorded")
		}
	})
	t.Run("NotBeforeItsEnd", func(t *testing.T) {
		if s := runSweepFull(t, e, ends.Add(-time.Second)); s.AccessEnded != 0 || s.GrantsRead != 0 {
			t.Fatalf("sweep a second early = %+v", s)
		}
	})
	t.Run("EndsOnTime", func(t *testing.T) {
		if s := runSweepFull(t, e, ends.Add(time.Millisecond)); s.AccessEnded != 1 || s.GrantsRead != 1 {
			t.Fatalf("sweep just after = %+v", s)
		}
		r := status()
		h := r["history"].([]any)
		last := h[len(h)-1].(map[string]any)
		if r["status"] != "revoked" || last["action"] != "access_ended" || last["by"] != "system:expiry" {
			t.Fatalf("request = %v", r)
		}
		if i := identity(); i["status"] != "deactivated" || i["activeGrants"] != 0.0 {
			t.Fatalf("identity = %v", i)
		}
		// The client's contacts hear that access expired (issue 15, item 4).
		for name, kinds := range contactNotices(t, e, e.Seed.ClientID) {
			if !strings.Contains(kinds, "client.access_expired") {
				t.Errorf("contact %s was not told the access expired: %s", name, kinds)
			}
		}
		var revoked struct{ Items []map[string]any }
		e.As("owner").Get(base+"?status=revoked").JSON(t, &revoked)
		if len(revoked.Items) != 1 || revoked.Items[0]["id"] != id {
			t.Fatalf("?status=revoked = %v", revoked.Items)
		}
		if k := kinds(t, e, "clientUser"); !strings.Contains(k, "access_request.access_ended") {
			t.Fatalf("notifications = %s", k)
		}
		ea := e.As("owner").Get("/v1/clients/" + e.Seed.ClientID + "/effective-access").Map(t)
		for _, c := range ea["cells"].([]any) {
			if c := c.(map[string]any); c["kind"] != "team_member" {
				t.Fatalf("access left after the end: %v", c)
			}
		}
		if r := e.As("owner").Post("/v1/clients/"+e.Seed.ClientID+"/identities/"+idnID+"/credentials/reveal", nil); r.Status != 409 || r.Problem(t).Code != "identity_not_active" {
			t.Fatalf("reveal after the end: %d %s", r.Status, r.Body)
		}
		if s := runSweepFull(t, e, ends.Add(time.Hour)); s.AccessEnded != 0 || s.GrantsRead != 0 {
			t.Fatalf("repeated sweep = %+v", s)
		}
	})
	t.Run("NewApprovalReactivates", func(t *testing.T) {
		again := submitWith(t, e, map[string]any{"platformId": ads, "identityType": "standard", "justification": "Back for Q3", "durationMinutes": 120})
		r := e.As("admin").Post(base+"/"+again["id"].(string)+"/approve", nil)
		m := r.Map(t)
		// the standard identity never got its credential: approved, waiting for it
		if r.Status != 200 || m["status"] != "approved" || m["identityId"] != idnID {
			t.Fatalf("%d %v", r.Status, m)
		}
		if i := identity(); i["status"] != "active" || i["activeGrants"] != 1.0 {
			t.Fatalf("identity = %v", i)
		}
		t.Run("EarlyRevoke", func(t *testing.T) {
			r := e.As("admin").Post(base+"/"+again["id"].(string)+"/revoke", map[string]any{"reason": "campaign cancelled"})
			m := r.Map(t)
			h := m["history"].([]any)
			if r.Status != 200 || m["status"] != "revoked" || h[len(h)-1].(map[string]any)["reason"] != "campaign cancelled" {
				t.Fatalf("%d %v", r.Status, m)
			}
			if i := identity(); i["status"] != "deactivated" {
				t.Fatalf("identity = %v", i)
			}
			if r := e.As("admin").Post(base+"/"+again["id"].(string)+"/revoke", nil); r.Status != 409 || r.Problem(t).Code != "access_not_active" {
				t.Fatalf("second revoke: %d %s", r.Status, r.Body)
			}
			if r := e.As("clientUser").Post(base+"/"+again["id"].(string)+"/revoke", nil); r.Status != 403 {
				t.Fatalf("client user revoke: %d", r.Status)
			}
			end := timeField(t, m, "accessEndsAt")
			if s := runSweepFull(t, e, end.Add(time.Minute)); s.AccessEnded != 0 || s.GrantsRead != 0 {
				t.Fatalf("sweep after an early revoke = %+v", s)
			}
		})
	})
}

type fullSweep struct{ Read, Expired, Raced, GrantsRead, AccessEnded, NoticesSent int }

func runSweepFull(t *testing.T, e *testenv.Env, at time.Time) fullSweep {
	t.Helper()
	s := sweepJSON(t, e, at)
	var out fullSweep
	for k, dst := range map[string]*int{"read": &out.Read, "expired": &out.Expired, "raced": &out.Raced, "grantsRead": &out.GrantsRead,
		"accessEnded": &out.AccessEnded, "noticesSent": &out.NoticesSent} {
		v, _ := s[k].(float64)
		*dst = int(v)
	}
	return out
}

// TestRoleTemplates: a template gives a request its identity type and default
// duration; it must match the platform's kind; its policy applies only where the
// client assigns none.
func TestRoleTemplates(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	owner := e.As("owner")
	ads, meta := e.Seed.Platforms["googleAds"], e.Seed.Platforms["meta"]
	twoStep := policy(t, e, map[string]any{"name": "Template policy", "approval": map[string]any{"requiredApprovals": 2, "approverRoles": []string{"agency_owner", "admin"}}})
	r := owner.Post("/v1/role-templates", map[string]any{"name": "Ads analyst", "platformKind": "google_ads", "identityType": "managed",
		"defaultDurationMinutes": 30, "governancePolicyId": twoStep})
	if r.Status != 201 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	tmpl := r.Map(t)["id"].(string)
	t.Run("Validation", func(t *testing.T) {
		for _, body := range []map[string]any{
			{"name": "x", "platformKind": "myspace", "identityType": "managed"},
			{"name": "x", "platformKind": "google_ads", "identityType": "robot"},
			{"name": "x", "platformKind": "google_ads", "identityType": "managed", "defaultDurationMinutes": -5},
		} {
			if r := owner.Post("/v1/role-templates", body); r.Status != 422 {
				t.Errorf("%v: %d %s", body, r.Status, r.Body)
			}
		}
		if r := owner.Post("/v1/role-templates", map[string]any{"name": "x", "platformKind": "google_ads", "identityType": "managed", "governancePolicyId": "gov_00000000000000000000000000"}); r.Status != 422 || !hasField(r.Problem(t), "governancePolicyId") {
			t.Errorf("unknown policy: %d %s", r.Status, r.Body)
		}
	})
	t.Run("ClientUsersSeeTemplates", func(t *testing.T) {
		var list struct{ Items []map[string]any }
		e.As("clientUser").Get("/v1/role-templates").JSON(t, &list)
		if len(list.Items) != 1 || list.Items[0]["id"] != tmpl {
			t.Fatalf("templates = %v", list.Items)
		}
	})
	t.Run("TemplateFillsTheRequest", func(t *testing.T) {
		m := submitWith(t, e, map[string]any{"platformId": ads, "roleTemplateId": tmpl, "justification": "Monthly report"})
		p := m["policy"].(map[string]any)
		if m["identityType"] != "managed" || m["durationMinutes"] != 30.0 || m["roleTemplateId"] != tmpl || p["source"] != "role_template" || p["policyId"] != twoStep {
			t.Fatalf("request = %v", m)
		}
		e.As("clientUser").Post("/v1/clients/"+e.Seed.ClientID+"/access-requests/"+m["id"].(string)+"/cancel", nil)
	})
	t.Run("ErrTemplateForAnotherKind", func(t *testing.T) {
		r := e.As("clientUser").Post("/v1/clients/"+e.Seed.ClientID+"/access-requests", map[string]any{"platformId": meta, "roleTemplateId": tmpl, "justification": "x"})
		if r.Status != 422 || !hasField(r.Problem(t), "roleTemplateId") {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrConflictingIdentityType", func(t *testing.T) {
		r := e.As("clientUser").Post("/v1/clients/"+e.Seed.ClientID+"/access-requests", map[string]any{"platformId": ads, "roleTemplateId": tmpl, "identityType": "standard", "justification": "x"})
		if r.Status != 422 || !hasField(r.Problem(t), "identityType") {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrUnknownTemplate", func(t *testing.T) {
		r := e.As("clientUser").Post("/v1/clients/"+e.Seed.ClientID+"/access-requests", map[string]any{"platformId": ads, "roleTemplateId": "rtp_missing", "justification": "x"})
		if r.Status != 422 || !hasField(r.Problem(t), "roleTemplateId") {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("ClientAssignmentBeatsTemplate", func(t *testing.T) {
		lax := policy(t, e, map[string]any{"name": "Client policy"})
		assign(t, e, map[string]any{"policyId": lax, "scope": "client"})
		m := submitWith(t, e, map[string]any{"platformId": ads, "roleTemplateId": tmpl, "justification": "Monthly report"})
		if p := m["policy"].(map[string]any); p["source"] != "client_assignment" || p["policyId"] != lax {
			t.Fatalf("policy = %v", p)
		}
	})
	t.Run("PatchTemplate", func(t *testing.T) {
		r := owner.Patch("/v1/role-templates/"+tmpl, map[string]any{"defaultDurationMinutes": 45})
		if r.Status != 200 || r.Map(t)["defaultDurationMinutes"] != 45.0 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if r := owner.Patch("/v1/role-templates/"+tmpl, map[string]any{}); r.Status != 422 {
			t.Fatalf("empty patch: %d", r.Status)
		}
		if r := owner.Patch("/v1/role-templates/"+tmpl, map[string]any{"governancePolicyId": "gov_00000000000000000000000000"}); r.Status != 422 || !hasField(r.Problem(t), "governancePolicyId") {
			t.Fatalf("patch to an unknown policy: %d %s", r.Status, r.Body)
		}
		if got := owner.Get("/v1/role-templates/" + tmpl).Map(t); got["governancePolicyId"] != twoStep {
			t.Fatalf("a refused patch changed the template: %v", got)
		}
	})
}

// TestClientGovernance: team groups become team assignments (and leave with the
// group), owners and policies are checked, bad input is refused whole.
func TestClientGovernance(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	owner := e.As("owner")
	path := "/v1/clients/" + e.Seed.ClientID + "/governance"
	admin, member, manager := e.Seed.Users["admin"].UserID, e.Seed.Users["member"].UserID, e.Seed.Users["manager"].UserID
	pol := policy(t, e, map[string]any{"name": "Client policy"})
	body := func(groups []any, owners []string) map[string]any {
		return map[string]any{"policyAssignments": []any{map[string]any{"policyId": pol, "scope": "client"}},
			"teamGroups": groups, "clientOwners": owners,
			"compliance": map[string]any{"dataResidency": "EU", "requireJustification": true, "auditRetentionDays": 730, "accessReviewEveryDays": 90}}
	}
	team := func() map[string]map[string]any {
		out := map[string]map[string]any{}
		c := owner.Get("/v1/clients/" + e.Seed.ClientID).Map(t)
		for _, tm := range c["team"].([]any) {
			tm := tm.(map[string]any)
			out[tm["memberId"].(string)] = tm
		}
		if n := c["counts"].(map[string]any)["team"]; n != float64(len(out)) {
			t.Fatalf("team count %v, team has %d", n, len(out))
		}
		return out
	}
	t.Run("GroupsBecomeAssignments", func(t *testing.T) {
		r := owner.Send("PUT", path, body([]any{map[string]any{"name": "Paid media", "role": "operator", "memberIds": []string{admin, member}}}, []string{manager}))
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		g := owner.Get(path).Map(t)
		if g["clientOwners"].([]any)[0] != manager || g["compliance"].(map[string]any)["auditRetentionDays"] != 730.0 || len(g["teamGroups"].([]any)) != 1 {
			t.Fatalf("governance = %v", g)
		}
		tm := team()
		if tm[admin]["role"] != "operator" || tm[admin]["group"] != "Paid media" || tm[member]["role"] != "operator" || tm[member]["group"] != "Paid media" || tm[manager]["group"] != nil {
			t.Fatalf("team = %v", tm)
		}
	})
	t.Run("ComplianceRequiresJustification", func(t *testing.T) {
		r := e.As("clientUser").Post("/v1/clients/"+e.Seed.ClientID+"/access-requests", map[string]any{"platformId": e.Seed.Platforms["googleAds"], "identityType": "standard"})
		wantPolicyViolation(t, r, "justification", "required")
	})
	t.Run("DirectAssignmentLeavesTheGroup", func(t *testing.T) {
		if r := owner.Send("PUT", "/v1/clients/"+e.Seed.ClientID+"/team/"+member, map[string]any{"role": "viewer"}); r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		g := owner.Get(path).Map(t)
		ids := g["teamGroups"].([]any)[0].(map[string]any)["memberIds"].([]any)
		if len(ids) != 1 || ids[0] != admin {
			t.Fatalf("group members = %v", ids)
		}
		if tm := team(); tm[member]["group"] != nil || tm[member]["role"] != "viewer" {
			t.Fatalf("member = %v", tm[member])
		}
	})
	t.Run("GroupRemovedAssignmentsGo", func(t *testing.T) {
		if r := owner.Send("PUT", path, body([]any{}, []string{})); r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		tm := team()
		if _, ok := tm[admin]; ok || tm[member] == nil || tm[manager] == nil {
			t.Fatalf("team = %v", tm)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		clientUser := e.Seed.Users["clientUser"].UserID
		for name, tt := range map[string]struct {
			body  map[string]any
			field string
		}{
			"UnknownPolicy":      {map[string]any{"policyAssignments": []any{map[string]any{"policyId": "gov_00000000000000000000000000", "scope": "client"}}, "teamGroups": []any{}, "clientOwners": []any{}, "compliance": map[string]any{}}, "policyAssignments"},
			"UnconfiguredScope":  {map[string]any{"policyAssignments": []any{map[string]any{"policyId": pol, "scope": e.Seed.Platforms["linkedin"]}}, "teamGroups": []any{}, "clientOwners": []any{}, "compliance": map[string]any{}}, "policyAssignments[0].scope"},
			"ScopeTwice":         {map[string]any{"policyAssignments": []any{map[string]any{"policyId": pol, "scope": "client"}, map[string]any{"policyId": pol, "scope": "client"}}, "teamGroups": []any{}, "clientOwners": []any{}, "compliance": map[string]any{}}, "policyAssignments[1].scope"},
			"MemberInTwoGroups":  {body([]any{map[string]any{"name": "A", "role": "viewer", "memberIds": []string{admin}}, map[string]any{"name": "B", "role": "viewer", "memberIds": []string{admin}}}, nil), "teamGroups[1].memberIds[0]"},
			"BadGroupRole":       {body([]any{map[string]any{"name": "A", "role": "boss", "memberIds": []string{admin}}}, nil), "teamGroups[0].role"},
			"ClientUserOwner":    {body([]any{}, []string{clientUser}), "clientOwners[0]"},
			"UnknownGroupMember": {body([]any{map[string]any{"name": "A", "role": "viewer", "memberIds": []string{"mbr_00000000000000000000000000"}}}, nil), "teamGroups[0].memberIds[0]"},
			"RetentionTooShort":  {map[string]any{"policyAssignments": []any{}, "teamGroups": []any{}, "clientOwners": []any{}, "compliance": map[string]any{"auditRetentionDays": 7}}, "compliance.auditRetentionDays"},
		} {
			t.Run(name, func(t *testing.T) {
				before := owner.Get(path).Map(t)["version"]
				r := owner.Send("PUT", path, tt.body)
				if r.Status != 422 || !hasField(r.Problem(t), tt.field) {
					t.Fatalf("%d %s, want a field error on %s", r.Status, r.Body, tt.field)
				}
				if after := owner.Get(path).Map(t)["version"]; after != before {
					t.Fatalf("refused PUT changed the client: version %v -> %v", before, after)
				}
			})
		}
	})
	t.Run("IfMatch", func(t *testing.T) {
		g := owner.Get(path)
		v := fmt.Sprintf(`"%v"`, g.Map(t)["version"])
		if r := owner.Send("PUT", path, body([]any{}, []string{}), "If-Match", v); r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if r := owner.Send("PUT", path, body([]any{}, []string{}), "If-Match", v); r.Status != 412 {
			t.Fatalf("stale: %d", r.Status)
		}
	})
	t.Run("ManagersReadOnly", func(t *testing.T) {
		if r := e.As("manager").Get(path); r.Status != 200 {
			t.Fatalf("%d", r.Status)
		}
		if r := e.As("manager").Send("PUT", path, body([]any{}, []string{})); r.Status != 403 {
			t.Fatalf("%d", r.Status)
		}
	})
}

// TestEffectiveAccessDerivation: every cell of the matrix is checked against the
// data that produced it (the requests, identities and team as the API shows them).
func TestEffectiveAccessDerivation(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	owner := e.As("owner")
	acme := e.Seed.ClientID
	ads, meta := e.Seed.Platforms["googleAds"], e.Seed.Platforms["meta"]
	two := policy(t, e, map[string]any{"name": "Two", "approval": map[string]any{"requiredApprovals": 2, "approverRoles": []string{"agency_owner", "admin"}},
		"duration": map[string]any{"maxMinutes": 600, "defaultMinutes": 0}})
	tmpl := owner.Post("/v1/role-templates", map[string]any{"name": "Ads", "platformKind": "google_ads", "identityType": "standard", "defaultDurationMinutes": 90}).Map(t)["id"].(string)
	admin, manager := e.Seed.Users["admin"].UserID, e.Seed.Users["manager"].UserID
	if r := owner.Send("PUT", "/v1/clients/"+acme+"/governance", map[string]any{
		"policyAssignments": []any{map[string]any{"policyId": two, "scope": ads}},
		"teamGroups":        []any{map[string]any{"name": "Analysts", "role": "viewer", "memberIds": []string{admin}}},
		"clientOwners":      []string{manager}, "compliance": map[string]any{}}); r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	base := "/v1/clients/" + acme + "/access-requests"
	a := submitWith(t, e, map[string]any{"platformId": ads, "roleTemplateId": tmpl, "justification": "Search terms audit"})["id"].(string)
	e.As("admin").Post(base+"/"+a+"/approve", nil)
	e.As("owner").Post(base+"/"+a+"/approve", nil)
	b := submitWith(t, e, map[string]any{"platformId": meta, "identityType": "standard", "justification": "Social ads"})["id"].(string)
	e.As("owner").Post(base+"/"+b+"/approve", nil)
	waitExecutions(t, e)

	requests := map[string]map[string]any{}
	for _, id := range []string{a, b} {
		requests[id] = owner.Get(base + "/" + id).Map(t)
	}
	var idns struct{ Items []map[string]any }
	owner.Get("/v1/clients/"+acme+"/identities").JSON(t, &idns)
	client := owner.Get("/v1/clients/" + acme).Map(t)
	ea := owner.Get("/v1/clients/" + acme + "/effective-access").Map(t)
	cells := ea["cells"].([]any)
	team := client["team"].([]any)
	platforms := client["platforms"].([]any)
	if want := len(idns.Items) + len(requests) + len(team)*len(platforms); len(cells) != want {
		t.Fatalf("%d cells, want %d identities + %d grants + %d team × %d platforms", len(cells), len(idns.Items), len(requests), len(team), len(platforms))
	}
	derivation := func(c map[string]any, source string) []map[string]any {
		var out []map[string]any
		for _, d := range c["derivation"].([]any) {
			if d := d.(map[string]any); d["source"] == source {
				out = append(out, d)
			}
		}
		return out
	}
	seen := map[string]bool{}
	for _, c := range cells {
		c := c.(map[string]any)
		key := fmt.Sprint(c["kind"], c["platformId"], c["principalId"])
		if seen[key] {
			t.Fatalf("cell twice: %s", key)
		}
		seen[key] = true
		switch c["kind"] {
		case "client_user":
			var r map[string]any
			for _, req := range requests {
				if req["platformId"] == c["platformId"] {
					r = req
				}
			}
			want := "granted"
			if r != nil && r["status"] == "approved" {
				want = "awaiting_credential" // a standard identity without its credential
			}
			if r == nil || c["principalId"] != r["requesterId"] || c["access"] != want || c["until"] != r["accessEndsAt"] {
				t.Fatalf("grant cell %v, request %v", c, r)
			}
			if d := derivation(c, "access_request"); len(d) != 1 || d[0]["id"] != r["id"] {
				t.Fatalf("request derivation %v", d)
			}
			approvals := r["approvals"].([]any)
			d := derivation(c, "approval")
			if len(d) != len(approvals) {
				t.Fatalf("approvals %v vs %v", d, approvals)
			}
			for i := range d {
				if d[i]["by"] != approvals[i].(map[string]any)["by"] || d[i]["at"] != approvals[i].(map[string]any)["at"] {
					t.Fatalf("approval %d: %v vs %v", i, d[i], approvals[i])
				}
			}
			pol := r["policy"].(map[string]any)
			if d := derivation(c, "policy"); len(d) != 1 || d[0]["id"] != pol["policyId"] || !strings.Contains(d[0]["detail"].(string), pol["source"].(string)) {
				t.Fatalf("policy derivation %v vs %v", d, pol)
			}
			if d := derivation(c, "identity"); len(d) != 1 || d[0]["id"] != r["identityId"] {
				t.Fatalf("identity derivation %v", d)
			}
			d = derivation(c, "role_template")
			if tid, ok := r["roleTemplateId"]; ok != (len(d) == 1) || (ok && d[0]["id"] != tid) {
				t.Fatalf("template derivation %v vs %v", d, r["roleTemplateId"])
			}
		case "identity":
			var i map[string]any
			for _, x := range idns.Items {
				if x["id"] == c["principalId"] {
					i = x
				}
			}
			if i == nil || i["platformId"] != c["platformId"] || c["access"] != "identity_active" {
				t.Fatalf("identity cell %v, identity %v", c, i)
			}
			if d := derivation(c, "access_request"); len(d) != 1 || d[0]["id"] != i["requestId"] {
				t.Fatalf("identity origin %v vs %v", d, i["requestId"])
			}
		case "team_member":
			var tm map[string]any
			for _, x := range team {
				if x.(map[string]any)["memberId"] == c["principalId"] {
					tm = x.(map[string]any)
				}
			}
			wantAccess := "view"
			if tm["identityAccess"] == true {
				wantAccess = "manage_identities"
			}
			if tm == nil || c["access"] != wantAccess || c["until"] != nil {
				t.Fatalf("team cell %v, assignment %v", c, tm)
			}
			if d := derivation(c, "team_assignment"); len(d) != 1 || d[0]["by"] != tm["assignedBy"] || d[0]["at"] != tm["assignedAt"] || !strings.HasSuffix(d[0]["detail"].(string), tm["role"].(string)) {
				t.Fatalf("assignment derivation %v vs %v", d, tm)
			}
			if d := derivation(c, "team_group"); (tm["group"] != nil) != (len(d) == 1) || (len(d) == 1 && d[0]["id"] != tm["group"]) {
				t.Fatalf("group derivation %v vs %v", d, tm["group"])
			}
			if d := derivation(c, "client_owner"); (c["principalId"] == manager) != (len(d) == 1) {
				t.Fatalf("owner derivation %v for %v", d, c["principalId"])
			}
		default:
			t.Fatalf("unknown cell kind %v", c)
		}
	}
	if !seen[fmt.Sprint("team_member", ads, admin)] || !seen[fmt.Sprint("client_user", ads, e.Seed.Users["clientUser"].UserID)] {
		t.Fatalf("expected cells missing: %v", seen)
	}
}
