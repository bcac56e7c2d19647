package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/accesshive/accesshive/infra/testenv"
)

func TestMembers(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	owner, admin := e.As("owner"), e.As("admin")
	ownerID, adminID := e.Seed.Users["owner"].UserID, e.Seed.Users["admin"].UserID

	t.Run("OwnerInvitesAnyRole", func(t *testing.T) {
		r := owner.Post("/v1/members", map[string]any{"email": "Second.Owner@Northwind.Example", "name": " Second ", "role": "agency_owner"})
		if r.Status != 201 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		m := r.Map(t)
		if m["status"] != "invited" || m["email"] != "second.owner@northwind.example" || m["name"] != "Second" || m["version"] != float64(1) {
			t.Fatalf("member = %v", m)
		}
		if m["updatedBy"] != ownerID || m["lastAction"] != "member.create" {
			t.Fatalf("not stamped with actor and action: %v", m)
		}
	})
	t.Run("ErrAdminInvitesOwner", func(t *testing.T) {
		r := admin.Post("/v1/members", map[string]any{"email": "o3@northwind.example", "name": "O", "role": "agency_owner"})
		if r.Status != 403 || r.Problem(t).Code != "owner_only" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrAdminInvitesAdmin", func(t *testing.T) {
		r := admin.Post("/v1/members", map[string]any{"email": "a3@northwind.example", "name": "A", "role": "admin"})
		if r.Status != 403 || r.Problem(t).Code != "owner_only" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrAdminChangesOwner", func(t *testing.T) {
		r := admin.Patch("/v1/members/"+ownerID, map[string]any{"name": "Hacked"})
		if r.Status != 403 || r.Problem(t).Code != "owner_only" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrAdminPromotesToAdmin", func(t *testing.T) {
		r := admin.Patch("/v1/members/"+e.Seed.Users["member"].UserID, map[string]any{"role": "admin"})
		if r.Status != 403 || r.Problem(t).Code != "owner_only" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrEmailTaken", func(t *testing.T) {
		r := owner.Post("/v1/members", map[string]any{"email": "ADMIN@northwind.example", "name": "Dup", "role": "member"})
		if r.Status != 409 || r.Problem(t).Code != "email_taken" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrEmailTakenInOtherAgency", func(t *testing.T) {
		r := e.As("otherOwner").Post("/v1/members", map[string]any{"email": "member@northwind.example", "name": "Dup", "role": "member"})
		if r.Status != 409 || r.Problem(t).Code != "email_taken" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrSelfRoleChange", func(t *testing.T) {
		r := admin.Patch("/v1/members/"+adminID, map[string]any{"role": "member"})
		if r.Status != 403 || r.Problem(t).Code != "self_change" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("SelfRename", func(t *testing.T) {
		if r := admin.Patch("/v1/members/"+adminID, map[string]any{"name": "Adam A."}); r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("RoleChangeAppliesAtOnce", func(t *testing.T) {
		mgr := e.Seed.Users["manager"]
		if r := owner.Patch("/v1/members/"+mgr.UserID, map[string]any{"role": "member"}); r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if r := e.As("manager").Get("/v1/platforms"); r.Status != 403 {
			t.Fatalf("demoted manager still reads platforms: %d", r.Status)
		}
		if r := owner.Patch("/v1/members/"+mgr.UserID, map[string]any{"role": "client_manager"}); r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if r := e.As("manager").Get("/v1/platforms"); r.Status != 200 {
			t.Fatalf("restored manager cannot read platforms: %d", r.Status)
		}
	})
	t.Run("DisabledMemberLocksOut", func(t *testing.T) {
		id := e.Seed.Users["member"].UserID
		if r := admin.Patch("/v1/members/"+id, map[string]any{"status": "disabled"}); r.Status != 200 || r.Map(t)["status"] != "disabled" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		r := e.As("member").Get("/v1/me")
		if r.Status != 403 || r.Problem(t).Code != "member_disabled" {
			t.Fatalf("disabled member: %d %s", r.Status, r.Body)
		}
		if r := admin.Patch("/v1/members/"+id, map[string]any{"status": "active"}); r.Status != 200 || r.Map(t)["status"] != "active" {
			t.Fatalf("re-enable: %d %s", r.Status, r.Body)
		}
		if r := e.As("member").Get("/v1/me"); r.Status != 200 {
			t.Fatalf("re-enabled member: %d", r.Status)
		}
	})
}

// TestLastOwner: nobody demotes themselves, and when two owners demote each other at
// once, exactly one succeeds and one enabled owner remains.
func TestLastOwner(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	owner := e.As("owner")
	ownerID := e.Seed.Users["owner"].UserID
	if r := owner.Patch("/v1/members/"+ownerID, map[string]any{"role": "admin"}); r.Status != 403 || r.Problem(t).Code != "self_change" {
		t.Fatalf("self demote: %d %s", r.Status, r.Body)
	}
	r := owner.Post("/v1/members", map[string]any{"email": "o2@northwind.example", "name": "Owner Two", "role": "agency_owner"})
	o2ID := r.Map(t)["id"].(string)
	o2 := e.Token("idp|o2", "o2@northwind.example")
	if r := e.Do(testenv.Request{Method: "GET", Path: "/v1/me", Token: o2}); r.Status != 200 {
		t.Fatalf("second owner sign-in: %d", r.Status)
	}
	var wg sync.WaitGroup
	var a, b *testenv.Response
	wg.Add(2)
	go func() { defer wg.Done(); a = owner.Patch("/v1/members/"+o2ID, map[string]any{"role": "admin"}) }()
	go func() {
		defer wg.Done()
		b = e.Do(testenv.Request{Method: "PATCH", Path: "/v1/members/" + ownerID, Token: o2, Body: map[string]any{"role": "admin"}})
	}()
	wg.Wait()
	wins := 0
	for _, r := range []*testenv.Response{a, b} {
		switch {
		case r.Status == 200:
			wins++
		case r.Status == 409 && (r.Problem(t).Code == "last_owner" || r.Problem(t).Code == "version_conflict"):
		case r.Status == 403: // the loser was demoted before its request was authorized
		default:
			t.Errorf("unexpected answer %d %s", r.Status, r.Body)
		}
	}
	if wins != 1 {
		t.Fatalf("%d demotions succeeded, want exactly 1: %d %s / %d %s", wins, a.Status, a.Body, b.Status, b.Body)
	}
	var list struct{ Items []map[string]any }
	e.Do(testenv.Request{Method: "GET", Path: "/v1/members", Token: map[bool]string{true: owner.Token, false: o2}[a.Status != 200]}).JSON(t, &list)
	owners := 0
	for _, m := range list.Items {
		if m["role"] == "agency_owner" && m["status"] != "disabled" {
			owners++
		}
	}
	if owners != 1 {
		t.Fatalf("%d enabled owners remain, want 1", owners)
	}
}

func TestFirstSignIn(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	owner := e.As("owner")
	r := owner.Post("/v1/members", map[string]any{"email": "new@northwind.example", "name": "New", "role": "member"})
	id := r.Map(t)["id"].(string)
	me := func(tok string) *testenv.Response {
		return e.Do(testenv.Request{Method: "GET", Path: "/v1/me", Token: tok})
	}
	t.Run("ErrUnverifiedEmail", func(t *testing.T) {
		tok, _ := testenv.Issuer(t).Mint(authnOpts("sub-unverified", "new@northwind.example", false))
		if r := me(tok); r.Status != 403 || r.Problem(t).Code != "not_a_member" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrUnknownEmail", func(t *testing.T) {
		if r := me(e.Token("sub-stranger", "stranger@example.com")); r.Status != 403 || r.Problem(t).Code != "not_a_member" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("BindsByVerifiedEmail", func(t *testing.T) {
		r := me(e.Token("idp|new", "New@Northwind.example"))
		if r.Status != 200 || r.Map(t)["memberId"] != id {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if m := owner.Get("/v1/members/" + id).Map(t); m["status"] != "active" || m["lastAction"] != "member.sign_in" {
			t.Fatalf("member after sign-in = %v", m)
		}
	})
	t.Run("BoundSubjectNeedsNoEmail", func(t *testing.T) {
		if r := me(e.Token("idp|new", "")); r.Status != 200 || r.Map(t)["memberId"] != id {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrOtherSubjectSameEmail", func(t *testing.T) {
		if r := me(e.Token("idp|impostor", "new@northwind.example")); r.Status != 403 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
}

func TestSecurityPolicies(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	owner, admin := e.As("owner"), e.As("admin")
	settings := owner.Get("/v1/settings").Map(t)
	oldDefault := settings["defaultSecurityPolicyId"].(string)
	if p := owner.Get("/v1/security-policies/" + oldDefault).Map(t); p["isDefault"] != true || p["mfa"] != "required" {
		t.Fatalf("agency default = %v", p)
	}
	r := admin.Post("/v1/security-policies", map[string]any{"name": "Client strict", "password": map[string]any{"minLength": 20, "requireSymbol": true}, "sessionLengthMinutes": 30, "mfa": "required"})
	if r.Status != 201 || r.Map(t)["isDefault"] != false {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	newID := r.Map(t)["id"].(string)
	t.Run("ErrUnsetDefault", func(t *testing.T) {
		r := admin.Patch("/v1/security-policies/"+oldDefault, map[string]any{"isDefault": false})
		if r.Status != 422 || !hasField(r.Problem(t), "isDefault") {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("MoveDefault", func(t *testing.T) {
		r := admin.Patch("/v1/security-policies/"+newID, map[string]any{"isDefault": true})
		if r.Status != 200 || r.Map(t)["isDefault"] != true {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if p := owner.Get("/v1/security-policies/" + oldDefault).Map(t); p["isDefault"] != false {
			t.Fatalf("old default still default: %v", p)
		}
		if s := owner.Get("/v1/settings").Map(t); s["defaultSecurityPolicyId"] != newID {
			t.Fatalf("settings default = %v", s["defaultSecurityPolicyId"])
		}
		var list struct{ Items []map[string]any }
		owner.Get("/v1/security-policies").JSON(t, &list)
		defaults := 0
		for _, p := range list.Items {
			if p["isDefault"] == true {
				defaults++
			}
		}
		if defaults != 1 {
			t.Fatalf("%d default policies, want exactly 1", defaults)
		}
	})
	t.Run("MoveBackThroughSettings", func(t *testing.T) {
		r := owner.Patch("/v1/settings", map[string]any{"defaultSecurityPolicyId": oldDefault, "accessRequestExpiryMinutes": 90})
		if r.Status != 200 || r.Map(t)["defaultSecurityPolicyId"] != oldDefault || r.Map(t)["accessRequestExpiryMinutes"] != float64(90) {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if p := owner.Get("/v1/security-policies/" + newID).Map(t); p["isDefault"] != false {
			t.Fatalf("moved-away default still default: %v", p)
		}
	})
	t.Run("ErrOtherAgencyPolicyAsDefault", func(t *testing.T) {
		r := e.As("otherOwner").Patch("/v1/settings", map[string]any{"defaultSecurityPolicyId": newID})
		if r.Status != 422 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
}

func TestIdentities(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	admin := e.As("admin")
	plat := e.Seed.Platforms["googleAds"]
	r := admin.Post("/v1/identities", map[string]any{"displayName": "Ads ops", "email": "ads-ops@northwind.example", "scope": "platform", "platformId": plat, "identityType": "managed"})
	if r.Status != 201 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	m := r.Map(t)
	if m["status"] != "active" || m["credentialStatus"] != "none" || m["platformId"] != plat || m["identityType"] != "managed" {
		t.Fatalf("identity = %v", m)
	}
	t.Run("ErrSecondOnPlatform", func(t *testing.T) {
		r := admin.Post("/v1/identities", map[string]any{"displayName": "Ads 2", "email": "ads2@northwind.example", "scope": "platform", "platformId": plat})
		if r.Status != 409 || r.Problem(t).Code != "platform_identity_exists" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrOtherAgencyPlatform", func(t *testing.T) {
		r := e.As("otherOwner").Post("/v1/identities", map[string]any{"displayName": "X", "email": "x@globex.example", "scope": "platform", "platformId": plat})
		if r.Status != 422 || !hasField(r.Problem(t), "platformId") {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("AgencyWideDefaultsToStandard", func(t *testing.T) {
		r := admin.Post("/v1/identities", map[string]any{"displayName": "Shared", "email": "shared@northwind.example", "scope": "agency"})
		if r.Status != 201 || r.Map(t)["identityType"] != "standard" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrAgencyScopeWithPlatform", func(t *testing.T) {
		r := admin.Post("/v1/identities", map[string]any{"displayName": "S", "email": "s@northwind.example", "scope": "agency", "platformId": plat})
		if r.Status != 422 || !hasField(r.Problem(t), "platformId") {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
}

// TestLogs checks one access-log line per request and that no token or credential
// reaches a log line.
func TestLogs(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	owner := e.As("owner")
	owner.Get("/v1/me")
	owner.Post("/v1/members", map[string]any{"email": "broken"})
	logs := e.Logs.String()
	if strings.Contains(logs, owner.Token) || strings.Contains(logs, "Bearer") || strings.Contains(logs, "eyJ") {
		t.Fatal("a token reached the logs")
	}
	var found bool
	for _, line := range strings.Split(logs, "\n") {
		if !strings.Contains(line, `"msg":"request"`) || !strings.Contains(line, `"path":"/v1/me"`) {
			continue
		}
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		for _, k := range []string{"requestId", "route", "status", "durationMs", "memberId", "agencyId"} {
			if entry[k] == nil || entry[k] == "" {
				t.Errorf("access log lacks %s: %s", k, line)
			}
		}
		found = true
	}
	if !found {
		t.Fatalf("no access log line for /v1/me in:\n%s", logs)
	}
}

// TestBootstrapThroughLambdaAPI creates an agency the way an operator does, by
// invoking the bootstrap function through the Lambda Invoke API.
func TestBootstrapThroughLambdaAPI(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	lam := httptest.NewServer(e.Stack.LambdaAPI())
	defer lam.Close()
	invoke := func(name, payload string) (*http.Response, map[string]any) {
		resp, err := http.Post(lam.URL+"/2015-03-31/functions/"+name+"/invocations", "application/json", bytes.NewBufferString(payload))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		var m map[string]any
		_ = json.Unmarshal(data, &m)
		return resp, m
	}
	resp, out := invoke("BootstrapFunction", `{"agencyName":"Acme Agency","ownerEmail":"boss@acme.example","ownerName":"Boss"}`)
	if resp.StatusCode != 200 || resp.Header.Get("X-Amz-Function-Error") != "" {
		t.Fatalf("invoke: %d %v", resp.StatusCode, out)
	}
	agency := out["agency"].(map[string]any)
	if agency["name"] != "Acme Agency" {
		t.Fatalf("agency = %v", agency)
	}
	r := e.Do(testenv.Request{Method: "GET", Path: "/v1/me", Token: e.Token("idp|boss", "boss@acme.example")})
	if r.Status != 200 || r.Map(t)["role"] != "agency_owner" || r.Map(t)["agencyId"] != agency["id"] {
		t.Fatalf("new owner's first sign-in: %d %s", r.Status, r.Body)
	}
	t.Run("ErrDuplicateOwner", func(t *testing.T) {
		resp, out := invoke("BootstrapFunction", `{"agencyName":"Acme 2","ownerEmail":"boss@acme.example","ownerName":"Boss"}`)
		if resp.Header.Get("X-Amz-Function-Error") != "Unhandled" || !strings.Contains(out["errorMessage"].(string), "email_taken") {
			t.Fatalf("duplicate bootstrap: %v", out)
		}
	})
	t.Run("ErrInvalidInput", func(t *testing.T) {
		resp, out := invoke("BootstrapFunction", `{"agencyName":"","ownerEmail":"nope"}`)
		if resp.Header.Get("X-Amz-Function-Error") != "Unhandled" || !strings.Contains(out["errorMessage"].(string), "validation_failed") {
			t.Fatalf("invalid bootstrap: %v", out)
		}
	})
	t.Run("ErrUnknownFunction", func(t *testing.T) {
		if resp, _ := invoke("NoSuchFunction", `{}`); resp.StatusCode != 404 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
}
