package httpapi_test

// The product documentation's promises (../shared/seeds), each through the API
// as a user takes it (issue 15).

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/accesshive/accesshive/infra/authn"
	"github.com/accesshive/accesshive/infra/testenv"
	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/dynamo"
)

// staffMember invites a member of agency staff as the owner and signs them in.
func staffMember(t *testing.T, e *testenv.Env, handle string, role string) (id string, c *testenv.Caller) {
	t.Helper()
	email := handle + "@northwind.example"
	r := e.As("owner").Post("/v1/members", map[string]any{"email": email, "name": strings.ToUpper(handle[:1]) + handle[1:], "role": role})
	if r.Status != 201 {
		t.Fatalf("invite %s: %d %s", handle, r.Status, r.Body)
	}
	c = e.With(e.Token("idp|"+handle, email))
	if me := c.Get("/v1/me"); me.Status != 200 {
		t.Fatalf("%s signs in: %d %s", handle, me.Status, me.Body)
	}
	return r.Map(t)["id"].(string), c
}

// TestDeniedFilter (seed: "filterable by status (pending, approved, denied,
// expired)"): denied is accepted as rejected's synonym; requests carry rejected.
func TestDeniedFilter(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	base := "/v1/clients/" + e.Seed.ClientID + "/access-requests"
	id := submit(t, e, e.Seed.Platforms["googleAds"], "standard")["id"].(string)
	submit(t, e, e.Seed.Platforms["meta"], "standard")
	if r := e.As("admin").Post(base+"/"+id+"/reject", map[string]any{"reason": "Not this quarter"}); r.Status != 200 {
		t.Fatalf("reject: %d %s", r.Status, r.Body)
	}
	for _, word := range []string{"denied", "rejected"} {
		var list struct{ Items []map[string]any }
		e.As("manager").Get(base+"?status="+word).JSON(t, &list)
		if len(list.Items) != 1 || list.Items[0]["id"] != id || list.Items[0]["status"] != "rejected" {
			t.Fatalf("?status=%s = %v", word, list.Items)
		}
	}
	r := e.As("manager").Get(base + "?status=refused")
	if r.Status != 422 || !strings.Contains(r.Problem(t).Errors[0].Message, "denied") {
		t.Fatalf("?status=refused: %d %s", r.Status, r.Body)
	}
}

// TestClientManagersOffboard (seed: "You need the Admin or Client Manager role"):
// a client manager who manages the client (manager on its team) previews and
// offboards it, confirming by name; one on the team in another role may not (403),
// one off the team does not see it (404).
func TestClientManagersOffboard(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	path := "/v1/clients/" + e.Seed.ClientID
	operatorID, operator := staffMember(t, e, "olga", "client_manager")
	_, outsider := staffMember(t, e, "oscar", "client_manager")
	if r := e.As("owner").Send("PUT", path+"/team/"+operatorID, map[string]any{"role": "operator"}); r.Status != 201 {
		t.Fatalf("team: %d %s", r.Status, r.Body)
	}
	for _, c := range []struct {
		name   string
		caller *testenv.Caller
		want   int
	}{{"OperatorOnTheTeam", operator, 403}, {"OffTheTeam", outsider, 404}, {"Member", e.As("member"), 403}} {
		t.Run(c.name, func(t *testing.T) {
			if r := c.caller.Get(path + "/offboarding"); r.Status != c.want {
				t.Fatalf("preview: %d %s", r.Status, r.Body)
			}
			if r := c.caller.Post(path+"/offboarding", map[string]any{"confirmName": "Acme Outdoor"}); r.Status != c.want {
				t.Fatalf("confirm: %d %s", r.Status, r.Body)
			}
		})
	}
	manager := e.As("manager")
	if p := manager.Get(path + "/offboarding"); p.Status != 200 || p.Map(t)["clientName"] != "Acme Outdoor" {
		t.Fatalf("manager preview: %d %s", p.Status, p.Body)
	}
	if r := manager.Post(path+"/offboarding", map[string]any{"confirmName": "acme outdoor"}); r.Status != 422 {
		t.Fatalf("a wrong name: %d", r.Status)
	}
	if r := manager.Post(path+"/offboarding", map[string]any{"confirmName": "Acme Outdoor"}); r.Status != 202 {
		t.Fatalf("manager confirm: %d %s", r.Status, r.Body)
	}
	waitExecutions(t, e)
	if c := e.As("admin").Get(path).Map(t); c["lifecycle"] != "archived" {
		t.Fatalf("client after the manager's offboarding: %v", c["lifecycle"])
	}
}

// TestWhoAsked (seed: "Each request shows the requester's name"): the request
// and every list carry who asked, by name and email; decisions carry who made
// them.
func TestWhoAsked(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	base := "/v1/clients/" + e.Seed.ClientID + "/access-requests"
	req := submit(t, e, e.Seed.Platforms["googleAds"], "standard")
	if req["requesterName"] != "Casey Client" || req["requesterEmail"] != "casey@acme-outdoor.example" {
		t.Fatalf("submitted = %v", req)
	}
	var list struct{ Items []map[string]any }
	e.As("manager").Get(base+"?status=pending").JSON(t, &list)
	if len(list.Items) != 1 || list.Items[0]["requesterName"] != "Casey Client" || list.Items[0]["requesterEmail"] != "casey@acme-outdoor.example" {
		t.Fatalf("pending list = %v", list.Items)
	}
	if p := e.As("admin").Get("/v1/clients/" + e.Seed.ClientID + "/offboarding").Map(t); p["pendingRequests"].([]any)[0].(map[string]any)["requesterName"] != "Casey Client" {
		t.Fatalf("offboarding preview = %v", p["pendingRequests"])
	}
	got := e.As("admin").Post(base+"/"+req["id"].(string)+"/approve", map[string]any{"reason": "ok"}).Map(t)
	if a := got["approvals"].([]any)[0].(map[string]any); a["byName"] != "Adam Admin" {
		t.Fatalf("approval = %v", a)
	}
	h := got["history"].([]any)
	if h[0].(map[string]any)["byName"] != "Casey Client" || h[1].(map[string]any)["byName"] != "Adam Admin" {
		t.Fatalf("history = %v", h)
	}
}

// TestCorrectAnEmail (seed: "verify that the client user's email address is
// correct in their profile"): an admin corrects a client user's email; their old
// sign-in stops working, and only a sign-in with the new address, verified, gets
// in. The correction is in the audit trail.
func TestCorrectAnEmail(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	casey := e.Seed.Users["clientUser"]
	path := "/v1/members/" + casey.UserID
	const fixed = "casey.c@acme-outdoor.example"
	t.Run("ErrTaken", func(t *testing.T) {
		r := e.As("admin").Patch(path, map[string]any{"email": "admin@northwind.example"})
		if r.Status != 409 || r.Problem(t).Code != "email_taken" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrNotAnEmail", func(t *testing.T) {
		if r := e.As("admin").Patch(path, map[string]any{"email": "casey"}); r.Status != 422 || !hasField(r.Problem(t), "email") {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrOwnEmail", func(t *testing.T) {
		r := e.As("admin").Patch("/v1/members/"+e.Seed.Users["admin"].UserID, map[string]any{"email": "adam@northwind.example"})
		if r.Status != 403 || r.Problem(t).Code != "self_change" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrManagerCannot", func(t *testing.T) {
		if r := e.As("manager").Patch(path, map[string]any{"email": fixed}); r.Status != 403 {
			t.Fatalf("%d", r.Status)
		}
	})
	r := e.As("admin").Patch(path, map[string]any{"email": "Casey.C@Acme-Outdoor.example"})
	if r.Status != 200 || r.Map(t)["email"] != fixed || r.Map(t)["status"] != "invited" {
		t.Fatalf("correct: %d %s", r.Status, r.Body)
	}
	if me := e.With(casey.Token).Get("/v1/me"); me.Status != 403 || me.Problem(t).Code != "not_a_member" {
		t.Fatalf("the old sign-in after the correction: %d %s", me.Status, me.Body)
	}
	unverified, err := e.Stack.Issuer.Mint(authn.TokenOpts{Subject: "idp|casey-new", Email: fixed, Extra: map[string]any{"email_verified": false}})
	if err != nil {
		t.Fatal(err)
	}
	if me := e.With(unverified).Get("/v1/me"); me.Status != 403 {
		t.Fatalf("an unverified new address: %d %s", me.Status, me.Body)
	}
	me := e.With(e.Token("idp|casey-new", fixed)).Get("/v1/me")
	if me.Status != 200 || me.Map(t)["memberId"] != casey.UserID {
		t.Fatalf("a verified new address: %d %s", me.Status, me.Body)
	}
	if m := e.As("admin").Get(path).Map(t); m["status"] != "active" || m["email"] != fixed {
		t.Fatalf("member = %v", m)
	}
	if err := e.Stack.DrainStreams(context.Background()); err != nil {
		t.Fatal(err)
	}
	var trail struct{ Items []map[string]any }
	e.As("owner").Get("/v1/audit?action=member.email_change").JSON(t, &trail)
	var entry map[string]any
	for _, it := range trail.Items {
		if it["entityType"] == "member" && it["entityId"] == casey.UserID {
			entry = it
		}
	}
	if entry == nil || entry["actorId"] != e.Seed.Users["admin"].UserID ||
		entry["changes"].(map[string]any)["email"].(map[string]any)["after"] != fixed {
		t.Fatalf("audit = %v", trail.Items)
	}
}

// TestRetryStuckProvisioning (seed: "Use the Retry Provisioning button if it has
// been more than a minute"): an identity whose Workspace call hangs cannot be
// retried at once (409 identity_provisioning); after a minute without progress it
// can, the stuck execution is stopped, and when the hung call later completes the
// identity ends with one Workspace user, one stored credential and one "ready"
// notification.
func TestRetryStuckProvisioning(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	acme := e.Seed.ClientID
	admin := e.As("admin")
	e.Stack.Directory.Hold()
	defer e.Stack.Directory.Release()
	id := submit(t, e, e.Seed.Platforms["googleAds"], "managed")["id"].(string)
	ar := admin.Post("/v1/clients/"+acme+"/access-requests/"+id+"/approve", nil)
	identityID, _ := ar.Map(t)["identityId"].(string)
	if ar.Status != 200 || identityID == "" {
		t.Fatalf("approve: %d %s", ar.Status, ar.Body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.Stack.Directory.Held() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the provisioning never called Workspace")
		}
		time.Sleep(10 * time.Millisecond)
	}
	ipath := "/v1/clients/" + acme + "/identities/" + identityID
	if st := stepStatuses(t, admin.Get(ipath).Map(t)); st["create_workspace_user"] != "running" {
		t.Fatalf("steps while Workspace hangs: %v", st)
	}
	r := admin.Post(ipath+"/retry-provisioning", nil)
	if r.Status != 409 || r.Problem(t).Code != "identity_provisioning" {
		t.Fatalf("retry within the minute: %d %s", r.Status, r.Body)
	}
	later := time.Now().Add(time.Minute + time.Second)
	e.Stack.SetClock(func() time.Time { return later })
	r = admin.Post(ipath+"/retry-provisioning", nil)
	if r.Status != 202 {
		t.Fatalf("retry after a minute: %d %s", r.Status, r.Body)
	}
	if got := r.Map(t); got["status"] != "provisioning" || got["provisioning"].(map[string]any)["attempt"] != float64(2) {
		t.Fatalf("after the retry: %v", got)
	}
	e.Stack.Directory.Release()
	drain(t, e)
	idn := admin.Get(ipath).Map(t)
	if idn["status"] != "active" || idn["credentialStatus"] != "stored" || idn["provisioning"].(map[string]any)["attempt"] != float64(2) {
		t.Fatalf("after the hung call completed: %v", idn)
	}
	var users []string
	for _, u := range e.Stack.Directory.Users() {
		if strings.Contains(u, strings.ReplaceAll(identityID, "_", "-")) {
			users = append(users, u)
		}
	}
	if len(users) != 1 {
		t.Fatalf("Workspace users of the identity: %v", users)
	}
	var stopped int
	for _, ex := range e.Stack.StepFunctions.Executions(e.Stack.MachineARN("ProvisioningStateMachine")) {
		if ex.Status == "ABORTED" {
			stopped++
		}
	}
	if stopped != 1 {
		t.Errorf("%d provisioning executions stopped, want the stuck one; logs: %s", stopped, grepLogs(e, "stuck"))
	}
	if got := kinds(t, e, "clientUser"); got != "access_request.approved,access_request.provisioned" {
		t.Fatalf("requester notifications = %s", got)
	}
	if c := admin.Post(ipath+"/credentials/reveal", nil); c.Status != 200 {
		t.Fatalf("reveal: %d %s", c.Status, c.Body)
	} else if u, _ := e.Stack.Directory.User(c.Map(t)["username"].(string)); u["password"] != c.Map(t)["password"] {
		t.Fatal("the stored credential is not the Workspace user's password")
	}
}

// grepLogs returns the stack's log lines that contain s.
func grepLogs(e *testenv.Env, s string) string {
	var out []string
	for _, l := range strings.Split(e.Logs.String(), "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestStandardIdentityWaitsForItsCredential (seed: Provisioned is "The identity is
// ready and credentials are available"): a standard request stays approved while
// its identity has no credential (the platform shows awaiting_credential, the
// Effective Access cell awaiting_credential); the admin's credential makes it
// provisioned in the same write; then the requester, and only they, reveal it,
// and the reveal is audited.
func TestStandardIdentityWaitsForItsCredential(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	acme, meta := e.Seed.ClientID, e.Seed.Platforms["meta"]
	base := "/v1/clients/" + acme + "/access-requests"
	admin, user := e.As("admin"), e.As("clientUser")
	id := submit(t, e, meta, "standard")["id"].(string)
	if r := admin.Post(base+"/"+id+"/approve", nil); r.Status != 200 || r.Map(t)["status"] != "approved" {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	waitExecutions(t, e)
	req := user.Get(base + "/" + id).Map(t)
	idnID := req["identityId"].(string)
	ipath := "/v1/clients/" + acme + "/identities/" + idnID
	if req["status"] != "approved" {
		t.Fatalf("request before the credential: %v", req["status"])
	}
	if idn := admin.Get(ipath).Map(t); idn["status"] != "active" || idn["credentialStatus"] != "none" {
		t.Fatalf("identity before the credential: %v", idn)
	}
	platformStatus := func() any {
		var list struct{ Items []map[string]any }
		admin.Get("/v1/clients/"+acme+"/platforms").JSON(t, &list)
		for _, p := range list.Items {
			if p["platformId"] == meta {
				return p["provisioningStatus"]
			}
		}
		return nil
	}
	if got := platformStatus(); got != "awaiting_credential" {
		t.Fatalf("platform before the credential: %v", got)
	}
	reveal := base + "/" + id + "/credentials/reveal"
	if r := user.Post(reveal, nil); r.Status != 409 || r.Problem(t).Code != "access_not_active" {
		t.Fatalf("reveal before the credential: %d %s", r.Status, r.Body)
	}
	if r := admin.Send("PUT", ipath+"/credentials", map[string]any{"username": "casey.meta@acme-outdoor.example", "password": "Str0ng-enough-pass!"}); r.Status != 200 {
		t.Fatalf("supply the credential: %d %s", r.Status, r.Body)
	}
	req = user.Get(base + "/" + id).Map(t)
	hist := req["history"].([]any)
	last := hist[len(hist)-1].(map[string]any)
	if req["status"] != "provisioned" || last["action"] != "provisioned" || last["byName"] != "Adam Admin" {
		t.Fatalf("request after the credential: %v (last event %v)", req["status"], last)
	}
	if got := platformStatus(); got != "provisioned" {
		t.Fatalf("platform after the credential: %v", got)
	}
	r := user.Post(reveal, nil)
	if r.Status != 200 {
		t.Fatalf("the requester reveals: %d %s", r.Status, r.Body)
	}
	if c := r.Map(t); c["username"] != "casey.meta@acme-outdoor.example" || c["password"] != "Str0ng-enough-pass!" {
		t.Fatalf("revealed %v", c)
	}
	if idn := admin.Get(ipath).Map(t); idn["lastRevealedBy"] != e.Seed.Users["clientUser"].UserID {
		t.Fatalf("the reveal is not recorded: %v", idn)
	}
	if r := e.As("manager").Post(reveal, nil); r.Status != 403 {
		t.Fatalf("staff on the requester's route: %d %s", r.Status, r.Body)
	}
	if r := admin.Post("/v1/clients/"+acme+"/users", map[string]any{"email": "pat@acme-outdoor.example", "name": "Pat"}); r.Status != 201 {
		t.Fatalf("invite: %d %s", r.Status, r.Body)
	}
	other := e.With(e.Token("idp|pat", "pat@acme-outdoor.example"))
	if r := other.Post(reveal, nil); r.Status != 404 {
		t.Fatalf("another client user reveals: %d %s", r.Status, r.Body)
	}
	drain(t, e)
	var list struct{ Items []map[string]any }
	admin.Get("/v1/clients/"+acme+"/activity?action=identity.credential.reveal_by_requester").JSON(t, &list)
	if len(list.Items) != 1 || list.Items[0]["actorId"] != e.Seed.Users["clientUser"].UserID {
		t.Fatalf("audit of the requester's reveal: %v", list.Items)
	}
}

// attention returns a client's attention reasons by name with their counts.
func attention(t *testing.T, e *testenv.Env, clientID string) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, a := range e.As("admin").Get("/v1/clients/" + clientID).Map(t)["attention"].([]any) {
		a := a.(map[string]any)
		out[a["reason"].(string)] = a["count"]
	}
	return out
}

// TestSecurityPolicyApplied (seed: "The security policy controls password
// requirements, session length, and multi-factor authentication (MFA)
// enforcement for this client's access"): a supplied credential the policy does
// not allow is refused naming the rules; generated passwords have the policy's
// length; Workspace users are created in the policy's organizational unit and
// asked to change their password; a stricter policy flags the identities on the
// Identities and Effective Access tabs and the client needs attention until their
// credentials are replaced.
func TestSecurityPolicyApplied(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	acme := e.Seed.ClientID
	admin, owner := e.As("admin"), e.As("owner")
	e.Stack.Directory.AddOrgUnit("/AccessHive/Acme")
	pr := admin.Post("/v1/security-policies", map[string]any{"name": "Acme strict", "sessionLengthMinutes": 60, "mfa": "required",
		"password":  map[string]any{"minLength": 32, "requireUppercase": true, "requireLowercase": true, "requireNumber": true, "requireSymbol": true},
		"workspace": map[string]any{"orgUnitPath": "/AccessHive/Acme", "changePasswordAtNextLogin": true}})
	if pr.Status != 201 {
		t.Fatalf("create policy: %d %s", pr.Status, pr.Body)
	}
	policyID := pr.Map(t)["id"].(string)
	if r := admin.Send("PATCH", "/v1/clients/"+acme, map[string]any{"securityPolicyId": policyID}); r.Status != 200 {
		t.Fatalf("assign policy: %d %s", r.Status, r.Body)
	}
	base := "/v1/clients/" + acme + "/access-requests"
	std := submit(t, e, e.Seed.Platforms["meta"], "standard")["id"].(string)
	mgd := submit(t, e, e.Seed.Platforms["googleAds"], "managed")["id"].(string)
	for _, id := range []string{std, mgd} {
		if r := admin.Post(base+"/"+id+"/approve", nil); r.Status != 200 {
			t.Fatalf("approve: %d %s", r.Status, r.Body)
		}
	}
	waitExecutions(t, e)
	stdPath := "/v1/clients/" + acme + "/identities/" + admin.Get(base + "/" + std).Map(t)["identityId"].(string)
	mgdPath := "/v1/clients/" + acme + "/identities/" + admin.Get(base + "/" + mgd).Map(t)["identityId"].(string)

	t.Run("SuppliedCredentialChecked", func(t *testing.T) {
		r := admin.Send("PUT", stdPath+"/credentials", map[string]any{"username": "ops@acme-outdoor.example", "password": "password"})
		p := r.Problem(t)
		if r.Status != 422 || p.Code != "policy_violation" || len(p.Errors) != 1 || p.Errors[0].Field != "password" || p.Errors[0].Code != "password_policy" ||
			!strings.Contains(p.Errors[0].Message, "at least 32 characters") || !strings.Contains(p.Errors[0].Message, "a symbol") || strings.Contains(p.Errors[0].Message, "lower-case") {
			t.Fatalf("weak credential: %d %s", r.Status, r.Body)
		}
		if idn := admin.Get(stdPath).Map(t); idn["credentialStatus"] != "none" {
			t.Fatalf("a refused credential was stored: %v", idn["credentialStatus"])
		}
		r = admin.Send("PUT", stdPath+"/credentials", map[string]any{"username": "ops@acme-outdoor.example", "password": "Correct-Horse-Battery-Staple-2026!"})
		if r.Status != 200 || r.Map(t)["compliance"].(map[string]any)["compliant"] != true {
			t.Fatalf("strong credential: %d %s", r.Status, r.Body)
		}
	})
	t.Run("GeneratedPasswordAndWorkspaceUser", func(t *testing.T) {
		rv := admin.Post(mgdPath+"/credentials/reveal", nil)
		c := rv.Map(t)
		if rv.Status != 200 {
			t.Fatalf("reveal: %d %s; identity %s; logs %s", rv.Status, rv.Body, admin.Get(mgdPath).Body, grepLogs(e, "error"))
		}
		if n := len(c["password"].(string)); n != 32 {
			t.Fatalf("generated password of %d characters under a 32-character policy", n)
		}
		u, _ := e.Stack.Directory.User(c["username"].(string))
		if u["orgUnitPath"] != "/AccessHive/Acme" || u["changePasswordAtNextLogin"] != true {
			t.Fatalf("Workspace user: %v", u)
		}
		if idn := admin.Get(mgdPath).Map(t); idn["compliance"].(map[string]any)["compliant"] != true {
			t.Fatalf("managed identity compliance: %v", idn["compliance"])
		}
		if a := attention(t, e, acme); a["noncompliant_identities"] != nil {
			t.Fatalf("attention while compliant: %v", a)
		}
	})
	t.Run("StricterPolicyFlags", func(t *testing.T) {
		r := owner.Send("PATCH", "/v1/security-policies/"+policyID, map[string]any{"password": map[string]any{"minLength": 40,
			"requireUppercase": true, "requireLowercase": true, "requireNumber": true, "requireSymbol": true}})
		if r.Status != 200 {
			t.Fatalf("tighten the policy: %d %s", r.Status, r.Body)
		}
		if a := attention(t, e, acme); a["noncompliant_identities"] != 2.0 {
			t.Fatalf("attention after the policy changed: %v", a)
		}
		if c := admin.Get("/v1/clients/" + acme).Map(t); c["status"] != "needs_attention" {
			t.Fatalf("client status %v", c["status"])
		}
		comp := admin.Get(stdPath).Map(t)["compliance"].(map[string]any)
		if comp["compliant"] != false || comp["policyVersion"] != 2.0 || !strings.Contains(fmt.Sprint(comp["reasons"]), "at least 40 characters") {
			t.Fatalf("standard identity compliance: %v", comp)
		}
		var ea struct{ Cells []map[string]any }
		admin.Get("/v1/clients/"+acme+"/effective-access").JSON(t, &ea)
		flagged := 0
		for _, c := range ea.Cells {
			if c["kind"] == "identity" && c["compliant"] == false && strings.Contains(fmt.Sprint(c["derivation"]), "security_policy") {
				flagged++
			}
		}
		if flagged != 2 {
			t.Fatalf("%d identity cells flagged on Effective Access: %v", flagged, ea.Cells)
		}
	})
	t.Run("NewCredentialsComply", func(t *testing.T) {
		if r := admin.Post(mgdPath+"/credentials/rotate", nil); r.Status != 200 || r.Map(t)["compliance"].(map[string]any)["compliant"] != true {
			t.Fatalf("rotate: %d %s", r.Status, r.Body)
		}
		if c := admin.Post(mgdPath+"/credentials/reveal", nil).Map(t); len(c["password"].(string)) != 40 {
			t.Fatalf("rotated password of %d characters", len(c["password"].(string)))
		}
		if a := attention(t, e, acme); a["noncompliant_identities"] != 1.0 {
			t.Fatalf("attention after the rotation: %v", a)
		}
		if r := admin.Send("PUT", stdPath+"/credentials", map[string]any{"username": "ops@acme-outdoor.example",
			"password": "Correct-Horse-Battery-Staple-And-More-2026!"}); r.Status != 200 {
			t.Fatalf("replace: %d %s", r.Status, r.Body)
		}
		if a := attention(t, e, acme); a["noncompliant_identities"] != nil {
			t.Fatalf("attention after both were replaced: %v", a)
		}
	})
}

// contactNotices drains the stream and returns, per contact name, the kinds of the
// notifications stored for the client's contacts (contacts are not members: their
// notices are read from the table).
func contactNotices(t *testing.T, e *testenv.Env, clientID string) map[string]string {
	t.Helper()
	drain(t, e)
	var c struct{ Contacts []map[string]any }
	e.As("owner").Get("/v1/clients/"+clientID).JSON(t, &c)
	store := dynamo.NewStore(e.Stack.DB, e.Stack.Tables["Table"])
	out := map[string]string{}
	for _, ct := range c.Contacts {
		items, _, err := store.ListNotifications(context.Background(), e.Seed.AgencyID, "contact:"+ct["id"].(string), ah.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, n := range items {
			if n.EmailStatus != ah.EmailSent {
				t.Errorf("notice %s to %s: email %s", n.ID, ct["name"], n.EmailStatus)
			}
			kinds = append(kinds, n.Kind)
		}
		sort.Strings(kinds)
		out[ct["name"].(string)] = strings.Join(kinds, ",")
	}
	return out
}

// TestContactsHearWhatConcernsTheClient (seed: "These contacts receive
// notifications and are used for escalation"): both contacts hear when the client
// needs attention (a failed provisioning, a platform not operational); a failure
// nobody retried within the agency's escalation time goes to the technical
// contact, once.
func TestContactsHearWhatConcernsTheClient(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	acme := e.Seed.ClientID
	admin := e.As("admin")
	if r := e.As("owner").Patch("/v1/settings", map[string]any{"escalationMinutes": 30}); r.Status != 200 || r.Map(t)["escalationMinutes"] != 30.0 {
		t.Fatalf("settings: %d %s", r.Status, r.Body)
	}
	e.Stack.Directory.Fail(403, 1)
	id := submit(t, e, e.Seed.Platforms["googleAds"], "managed")["id"].(string)
	if r := admin.Post("/v1/clients/"+acme+"/access-requests/"+id+"/approve", nil); r.Status != 200 {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	waitExecutions(t, e)
	got := contactNotices(t, e, acme)
	for _, name := range []string{"Tara Tech", "Ben Business"} {
		if got[name] != "client.needs_attention" {
			t.Fatalf("%s after the failed provisioning: %q (all: %v)", name, got[name], got)
		}
	}
	if r := admin.Patch("/v1/platforms/"+e.Seed.Platforms["meta"], map[string]any{"status": "degraded"}); r.Status != 200 {
		t.Fatalf("platform: %d %s", r.Status, r.Body)
	}
	if got := contactNotices(t, e, acme); got["Ben Business"] != "client.needs_attention,client.needs_attention" {
		t.Fatalf("after a platform degraded: %v", got)
	}
	failedAt := time.Now()
	if s := sweepJSON(t, e, failedAt.Add(29*time.Minute)); s["escalated"] != 0.0 {
		t.Fatalf("escalated before the agency's 30 minutes: %v", s)
	}
	if s := sweepJSON(t, e, failedAt.Add(31*time.Minute)); s["escalated"] != 1.0 {
		t.Fatalf("sweep after 31 minutes: %v", s)
	}
	if s := sweepJSON(t, e, failedAt.Add(40*time.Minute)); s["escalated"] != 0.0 {
		t.Fatalf("escalated twice: %v", s)
	}
	got = contactNotices(t, e, acme)
	if !strings.Contains(got["Tara Tech"], "client.provisioning_escalated") || strings.Contains(got["Ben Business"], "escalated") {
		t.Fatalf("escalation went to %v, want the technical contact alone", got)
	}
	if n := strings.Count(got["Tara Tech"], "escalated"); n != 1 {
		t.Fatalf("%d escalations", n)
	}
}

// TestOffboardingDisablesClientUsers (issue 15, item 9): offboarding disables the
// client's users (403 member_disabled) and tells them and the contacts that it
// started and finished.
func TestOffboardingDisablesClientUsers(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	acme := e.Seed.ClientID
	user := e.As("clientUser")
	if r := user.Get("/v1/me"); r.Status != 200 {
		t.Fatalf("before: %d", r.Status)
	}
	if r := e.As("admin").Post("/v1/clients/"+acme+"/offboarding", map[string]any{"confirmName": "Acme Outdoor"}); r.Status != 202 {
		t.Fatalf("offboard: %d %s", r.Status, r.Body)
	}
	waitExecutions(t, e)
	c := e.As("admin").Get("/v1/clients/" + acme).Map(t)
	if c["lifecycle"] != "archived" {
		t.Fatalf("client after offboarding: %v", c["offboarding"])
	}
	steps := map[string]string{}
	for _, st := range c["offboarding"].(map[string]any)["steps"].([]any) {
		st := st.(map[string]any)
		steps[st["name"].(string)] = st["status"].(string)
	}
	if steps["disable_client_users"] != "done" {
		t.Fatalf("steps: %v", steps)
	}
	e.Stack.SetClock(func() time.Time { return time.Now().Add(10 * time.Second) }) // past the API's principal cache
	if r := user.Get("/v1/me"); r.Status != 403 || r.Problem(t).Code != "member_disabled" {
		t.Fatalf("the client user after offboarding: %d %s", r.Status, r.Body)
	}
	for name, kinds := range contactNotices(t, e, acme) {
		if kinds != "client.offboarding_finished,client.offboarding_started" {
			t.Errorf("contact %s heard %q", name, kinds)
		}
	}
	store := dynamo.NewStore(e.Stack.DB, e.Stack.Tables["Table"])
	items, _, err := store.ListNotifications(context.Background(), e.Seed.AgencyID, e.Seed.Users["clientUser"].UserID, ah.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, n := range items {
		kinds = append(kinds, n.Kind)
	}
	sort.Strings(kinds)
	if got := strings.Join(kinds, ","); got != "client.offboarding_finished,client.offboarding_started" {
		t.Fatalf("the client user heard %q", got)
	}
}

// TestEndedAccessEndsAtTheTarget (issue 15, item 10): when a managed identity's
// last grant ends, its Workspace user is suspended and its password replaced with
// one nobody saw (through the provisioning machine's deprovisioning branch); an
// approval meanwhile waits (409); the next approval provisions the user again,
// unsuspended, with a fresh password that the vault and Workspace agree on.
func TestEndedAccessEndsAtTheTarget(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	acme, ads := e.Seed.ClientID, e.Seed.Platforms["googleAds"]
	base := "/v1/clients/" + acme + "/access-requests"
	admin := e.As("admin")
	first := submit(t, e, ads, "managed")["id"].(string)
	if r := admin.Post(base+"/"+first+"/approve", nil); r.Status != 200 {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	waitExecutions(t, e)
	ipath := "/v1/clients/" + acme + "/identities/" + admin.Get(base + "/" + first).Map(t)["identityId"].(string)
	seen := admin.Post(ipath+"/credentials/reveal", nil).Map(t)
	email, seenPassword := seen["username"].(string), seen["password"].(string)

	e.Stack.Directory.Hold()
	if r := admin.Post(base+"/"+first+"/revoke", map[string]any{"reason": "Campaign over"}); r.Status != 200 {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	second := submit(t, e, ads, "managed")["id"].(string)
	if r := admin.Post(base+"/"+second+"/approve", nil); r.Status != 409 || r.Problem(t).Code != "identity_provisioning" {
		t.Fatalf("approve while the user is being suspended: %d %s", r.Status, r.Body)
	}
	e.Stack.Directory.Release()
	waitExecutions(t, e)
	u, _ := e.Stack.Directory.User(email)
	if u["suspended"] != true || u["password"] == seenPassword {
		t.Fatalf("Workspace user after the last grant ended: suspended %v, password changed %v", u["suspended"], u["password"] != seenPassword)
	}
	idn := admin.Get(ipath).Map(t)
	dep, _ := idn["deprovisioning"].(map[string]any)
	if idn["status"] != "deactivated" || idn["credentialStatus"] != "revoked" || dep["status"] != "done" || dep["attempt"] != 1.0 {
		t.Fatalf("identity after deprovisioning: %v", idn)
	}
	drain(t, e)
	var act struct{ Items []map[string]any }
	admin.Get("/v1/clients/"+acme+"/activity?action=identity.deprovision").JSON(t, &act)
	if len(act.Items) != 1 {
		t.Fatalf("audit of the deprovisioning: %v", act.Items)
	}

	r := admin.Post(base+"/"+second+"/approve", nil)
	if r.Status != 200 || r.Map(t)["status"] != "approved" {
		t.Fatalf("approve again: %d %s", r.Status, r.Body)
	}
	waitExecutions(t, e)
	if got := admin.Get(base + "/" + second).Map(t)["status"]; got != "provisioned" {
		t.Fatalf("the new request: %v", got)
	}
	idn = admin.Get(ipath).Map(t)
	if idn["status"] != "active" || idn["credentialStatus"] != "stored" || idn["activeGrants"] != 1.0 {
		t.Fatalf("identity provisioned again: %v", idn)
	}
	fresh := admin.Post(ipath+"/credentials/reveal", nil).Map(t)["password"].(string)
	u, _ = e.Stack.Directory.User(email)
	if u["suspended"] != false || fresh == seenPassword || u["password"] != fresh {
		t.Fatalf("Workspace user provisioned again: suspended %v, fresh password %v, matches the vault %v", u["suspended"], fresh != seenPassword, u["password"] == fresh)
	}
	var users []string
	for _, x := range e.Stack.Directory.Users() {
		if x == strings.ToLower(email) {
			users = append(users, x)
		}
	}
	if len(users) != 1 {
		t.Fatalf("Workspace users: %v", users)
	}
}

// TestExpiredAccessEndsAtTheTarget: access that reaches its end time (the expiry
// sweep, another function with its own permissions) deprovisions the managed
// identity's Workspace user too.
func TestExpiredAccessEndsAtTheTarget(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	base := "/v1/clients/" + e.Seed.ClientID + "/access-requests"
	timed := policy(t, e, map[string]any{"name": "Timed", "duration": map[string]any{"maxMinutes": 240, "defaultMinutes": 60, "noticeMinutes": 15}})
	assign(t, e, map[string]any{"policyId": timed, "scope": "client"})
	id := submit(t, e, e.Seed.Platforms["googleAds"], "managed")["id"].(string)
	approved := e.As("admin").Post(base+"/"+id+"/approve", nil).Map(t)
	ends := timeField(t, approved, "accessEndsAt")
	waitExecutions(t, e)
	ipath := "/v1/clients/" + e.Seed.ClientID + "/identities/" + approved["identityId"].(string)
	email := e.As("admin").Get(ipath).Map(t)["email"].(string)
	if s := runSweepFull(t, e, ends.Add(time.Millisecond)); s.AccessEnded != 1 {
		t.Fatalf("sweep = %+v", s)
	}
	waitExecutions(t, e)
	if u, _ := e.Stack.Directory.User(email); u["suspended"] != true {
		t.Fatalf("Workspace user after the access expired: %v; logs %s", u, grepLogs(e, "deprovision"))
	}
	if idn := e.As("admin").Get(ipath).Map(t); idn["deprovisioning"].(map[string]any)["status"] != "done" {
		t.Fatalf("identity: %v", idn)
	}
}

// TestAgencyIdentitiesLinked (seed: "If you plan to assign identities during
// setup, create them first"): agency identities are linked at client creation and
// later (identity access on the client needed), shown on the client's Identities
// and Effective Access tabs with who linked them, and managed like
// client-dedicated ones: credentials checked by policy, revealed (audited),
// rotated, deactivated, unlinked.
func TestAgencyIdentitiesLinked(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	acme := e.Seed.ClientID
	admin, manager := e.As("admin"), e.As("manager")
	newIdentity := func(body map[string]any) string {
		r := admin.Post("/v1/identities", body)
		if r.Status != 201 {
			t.Fatalf("create identity: %d %s", r.Status, r.Body)
		}
		return r.Map(t)["id"].(string)
	}
	shared := newIdentity(map[string]any{"displayName": "Agency analytics", "email": "analytics@northwind.example", "scope": "agency"})
	ads := newIdentity(map[string]any{"displayName": "Agency Ads", "email": "ads@northwind.example", "scope": "platform", "platformId": e.Seed.Platforms["googleAds"]})

	t.Run("AtCreation", func(t *testing.T) {
		r := admin.Post("/v1/clients", map[string]any{"name": "Birch Cafe", "industry": "hospitality", "region": "eu", "timezone": "Europe/London",
			"identityIds": []string{shared}})
		if r.Status != 201 {
			t.Fatalf("create client: %d %s", r.Status, r.Body)
		}
		var list struct{ Items []map[string]any }
		admin.Get("/v1/clients/"+r.Map(t)["id"].(string)+"/agency-identities").JSON(t, &list)
		if len(list.Items) != 1 || list.Items[0]["identityId"] != shared || list.Items[0]["linkedByName"] != "Adam Admin" ||
			list.Items[0]["identity"].(map[string]any)["displayName"] != "Agency analytics" {
			t.Fatalf("linked at creation: %v", list.Items)
		}
		bad := admin.Post("/v1/clients", map[string]any{"name": "Cedar Gym", "industry": "other", "region": "eu", "timezone": "Europe/London",
			"identityIds": []string{"idn_00000000000000000000000000"}})
		if bad.Status != 422 || bad.Problem(t).Errors[0].Field != "identityIds[0]" {
			t.Fatalf("unknown identity at creation: %d %s", bad.Status, bad.Body)
		}
		if r := admin.Get("/v1/clients?lifecycle=active"); strings.Contains(string(r.Body), "Cedar Gym") {
			t.Fatal("a refused creation left a client behind")
		}
	})
	t.Run("LaterWithATeamRoleCheck", func(t *testing.T) {
		path := "/v1/clients/" + acme + "/agency-identities/" + ads
		if r := e.As("member").Send("PUT", path, nil); r.Status != 403 || r.Problem(t).Code != "no_identity_access" {
			t.Fatalf("a viewer on the team links: %d %s", r.Status, r.Body)
		}
		if r := manager.Send("PUT", path, nil); r.Status != 201 {
			t.Fatalf("the team's manager links: %d %s", r.Status, r.Body)
		}
		if r := manager.Send("PUT", path, nil); r.Status != 200 {
			t.Fatalf("linking again: %d %s", r.Status, r.Body)
		}
		// Two linked identities are read with the client's access in two round
		// trips, whatever the number of links.
		if r := manager.Send("PUT", "/v1/clients/"+acme+"/agency-identities/"+shared, nil); r.Status != 201 {
			t.Fatalf("link the agency-wide identity: %d %s", r.Status, r.Body)
		}
		admin.Get("/v1/me")
		e.Stack.Calls.Reset()
		var ea struct{ Cells []map[string]any }
		admin.Get("/v1/clients/"+acme+"/effective-access").JSON(t, &ea)
		calls := e.Stack.Calls.Names("ApiFunction")
		sort.Strings(calls)
		if got := strings.Join(calls, ","); got != "DynamoDB.BatchGetItem,DynamoDB.Query" {
			t.Fatalf("effective access with two links: calls = %s", got)
		}
		if r := manager.Send("DELETE", "/v1/clients/"+acme+"/agency-identities/"+shared, nil); r.Status != 204 {
			t.Fatalf("unlink: %d", r.Status)
		}
		admin.Get("/v1/clients/"+acme+"/effective-access").JSON(t, &ea)
		var cells []map[string]any
		for _, c := range ea.Cells {
			if c["kind"] == "agency_identity" {
				cells = append(cells, c)
			}
		}
		if len(cells) != 1 || cells[0]["platformId"] != e.Seed.Platforms["googleAds"] || cells[0]["access"] != "identity_active" ||
			!strings.Contains(fmt.Sprint(cells[0]["derivation"]), "agency identity \"Agency Ads\" (platform), linked by") {
			t.Fatalf("Effective Access cells of the linked identity: %v", cells)
		}
		e.As("member").Get("/v1/clients/"+acme+"/effective-access").JSON(t, &ea)
		for _, c := range ea.Cells {
			if c["kind"] == "agency_identity" {
				t.Fatalf("a viewer without identity access sees %v", c)
			}
		}
	})
	t.Run("Credentials", func(t *testing.T) {
		base := "/v1/identities/" + ads
		if r := admin.Send("PUT", base+"/credentials", map[string]any{"username": "ads@northwind.example", "password": "password"}); r.Status != 422 ||
			r.Problem(t).Errors[0].Code != "password_policy" {
			t.Fatalf("weak credential: %d %s", r.Status, r.Body)
		}
		if r := admin.Send("PUT", base+"/credentials", map[string]any{"username": "ads@northwind.example", "password": "Agency-Ads-Passw0rd!"}); r.Status != 200 ||
			r.Map(t)["credentialStatus"] != "stored" {
			t.Fatalf("replace: %d %s", r.Status, r.Body)
		}
		c := admin.Post(base+"/credentials/reveal", nil).Map(t)
		if c["username"] != "ads@northwind.example" || c["password"] != "Agency-Ads-Passw0rd!" {
			t.Fatalf("reveal: %v", c)
		}
		if r := admin.Post(base+"/credentials/rotate", nil); r.Status != 200 || r.Map(t)["credentialStatus"] != "rotated" {
			t.Fatalf("rotate: %d %s", r.Status, r.Body)
		}
		c = admin.Post(base+"/credentials/reveal", nil).Map(t)
		if c["username"] != "ads@northwind.example" || c["password"] == "Agency-Ads-Passw0rd!" || len(c["password"].(string)) < 24 {
			t.Fatalf("after rotation: %v", c)
		}
		if i := admin.Get(base).Map(t); i["lastRevealedBy"] != e.Seed.Users["admin"].UserID {
			t.Fatalf("reveal not recorded: %v", i)
		}
		if r := manager.Post(base+"/credentials/reveal", nil); r.Status != 403 {
			t.Fatalf("a client manager reveals: %d", r.Status)
		}
	})
	t.Run("DeactivateAndUnlink", func(t *testing.T) {
		if r := admin.Patch("/v1/identities/"+ads, map[string]any{"status": "deactivated"}); r.Status != 200 || r.Map(t)["status"] != "deactivated" {
			t.Fatalf("deactivate: %d %s", r.Status, r.Body)
		}
		if r := admin.Post("/v1/identities/"+ads+"/credentials/reveal", nil); r.Status != 409 || r.Problem(t).Code != "identity_not_active" {
			t.Fatalf("reveal a deactivated identity: %d %s", r.Status, r.Body)
		}
		var ea struct{ Cells []map[string]any }
		admin.Get("/v1/clients/"+acme+"/effective-access").JSON(t, &ea)
		for _, c := range ea.Cells {
			if c["kind"] == "agency_identity" && c["access"] != "deactivated" {
				t.Fatalf("a deactivated identity's cell: %v", c)
			}
		}
		if r := manager.Send("DELETE", "/v1/clients/"+acme+"/agency-identities/"+ads, nil); r.Status != 204 {
			t.Fatalf("unlink: %d %s", r.Status, r.Body)
		}
		var list struct{ Items []map[string]any }
		admin.Get("/v1/clients/"+acme+"/agency-identities").JSON(t, &list)
		if len(list.Items) != 0 {
			t.Fatalf("after unlinking: %v", list.Items)
		}
		drain(t, e)
		var act struct{ Items []map[string]any }
		admin.Get("/v1/clients/"+acme+"/activity?action=client.identity.link").JSON(t, &act)
		if len(act.Items) == 0 {
			t.Fatal("the link is not in the client's Activity")
		}
	})
}
