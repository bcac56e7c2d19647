package httpapi_test

import (
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/accesshive/accesshive/infra/testenv"
)

// scimFixture reads a request body recorded in testdata/scim, with its
// placeholders filled.
func scimFixture(t *testing.T, name string, vars map[string]string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/scim/" + name)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for k, v := range vars {
		s = strings.ReplaceAll(s, "{{"+k+"}}", v)
	}
	return s
}

// scimCall is one SCIM request with the agency's token, as an IdP sends it.
func scimCall(e *testenv.Env, token, method, path, body string) *testenv.Response {
	e.T.Helper()
	req := testenv.Request{Method: method, Path: "/scim/v2" + path, Headers: map[string]string{"Authorization": "Bearer " + token, "Accept": "application/scim+json"}}
	if body != "" {
		req.Body = body
		req.Headers["Content-Type"] = "application/scim+json"
	}
	return e.Do(req)
}

func issueSCIMToken(t *testing.T, c *testenv.Caller) string {
	t.Helper()
	r := c.Post("/v1/scim/token", nil)
	tok, _ := r.Map(t)["token"].(string)
	if r.Status != 200 || !strings.HasPrefix(tok, "ahscim_") || r.Map(t)["baseUrl"] != "/scim/v2" {
		t.Fatalf("issue token: %d %s", r.Status, r.Body)
	}
	return tok
}

func memberRole(t *testing.T, e *testenv.Env, id string) (role, status string) {
	t.Helper()
	m := e.As("owner").Get("/v1/members/" + id).Map(t)
	role, _ = m["role"].(string)
	status, _ = m["status"].(string)
	return role, status
}

// TestSCIM: an identity provider provisions staff with the request shapes Okta
// and Entra ID send: users are created, looked up by userName, renamed,
// deactivated (the member is refused at once) and deleted; groups map to roles
// by the agency's mapping; tokens authenticate one agency, are shown once and
// replaced at once; another agency's users do not exist; bad input changes nothing.
func TestSCIM(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	owner := e.As("owner")

	// The connection: owner only, mapping validated.
	if r := owner.Get("/v1/scim"); r.Status != 200 || r.Map(t)["enabled"] != false {
		t.Fatalf("scim before: %d %s", r.Status, r.Body)
	}
	if r := owner.Send("PUT", "/v1/scim", map[string]any{"groupRoles": map[string]any{"Everyone": "agency_owner"}}); r.Status != 422 {
		t.Fatalf("owner role by group: %d %s", r.Status, r.Body)
	}
	if r := owner.Send("PUT", "/v1/scim", map[string]any{"groupRoles": map[string]any{
		"AccessHive Admins": "admin", "AccessHive Managers": "client_manager", "AccessHive Auditors": "auditor"}, "defaultRole": "member"}); r.Status != 200 {
		t.Fatalf("map groups: %d %s", r.Status, r.Body)
	}
	token := issueSCIMToken(t, owner)
	if r := owner.Get("/v1/scim"); r.Map(t)["enabled"] != true || strings.Contains(string(r.Body), token) || r.Map(t)["tokenHint"] != token[len(token)-4:] {
		t.Fatalf("scim after: %s", r.Body)
	}

	t.Run("authentication", func(t *testing.T) {
		for _, tok := range []string{"", "ahscim_not-a-token", e.Seed.Users["owner"].Token} {
			if r := scimCall(e, tok, "GET", "/Users", ""); r.Status != 401 || !strings.Contains(string(r.Body), "urn:ietf:params:scim:api:messages:2.0:Error") {
				t.Errorf("token %.12q: %d %s", tok, r.Status, r.Body)
			}
		}
		for _, p := range []string{"/ServiceProviderConfig", "/Schemas", "/ResourceTypes"} {
			if r := scimCall(e, token, "GET", p, ""); r.Status != 200 {
				t.Errorf("%s: %d %s", p, r.Status, r.Body)
			}
		}
		if !strings.Contains(string(scimCall(e, token, "GET", "/ServiceProviderConfig", "").Body), `"patch":{"supported":true}`) {
			t.Error("PATCH is not announced")
		}
	})

	// Okta: look up, create, look up again.
	lookup := "/Users?filter=" + url.QueryEscape(`userName eq "dana.devops@northwind.example"`)
	if r := scimCall(e, token, "GET", lookup, ""); r.Status != 200 || r.Map(t)["totalResults"] != 0.0 {
		t.Fatalf("lookup before: %d %s", r.Status, r.Body)
	}
	r := scimCall(e, token, "POST", "/Users", scimFixture(t, "okta/create_user.json", nil))
	if r.Status != 201 {
		t.Fatalf("okta create user: %d %s", r.Status, r.Body)
	}
	dana := r.Map(t)["id"].(string)
	if r.Map(t)["userName"] != "dana.devops@northwind.example" || r.Map(t)["externalId"] != "00u1okta9dana" || r.Map(t)["active"] != true {
		t.Fatalf("created user: %s", r.Body)
	}
	if r := scimCall(e, token, "GET", lookup, ""); r.Map(t)["totalResults"] != 1.0 {
		t.Fatalf("lookup after: %s", r.Body)
	}
	if role, status := memberRole(t, e, dana); role != "member" || status != "invited" {
		t.Fatalf("new member: %s %s", role, status)
	}
	if r := scimCall(e, token, "POST", "/Users", scimFixture(t, "okta/create_user.json", nil)); r.Status != 409 || !strings.Contains(string(r.Body), "uniqueness") {
		t.Fatalf("second create: %d %s", r.Status, r.Body)
	}
	// An email of another agency's member is not this agency's to create.
	other := strings.Replace(scimFixture(t, "okta/create_user.json", nil), "dana.devops@northwind.example", "owner@globex.example", 2)
	if r := scimCall(e, token, "POST", "/Users", other); r.Status != 409 {
		t.Fatalf("another agency's email: %d %s", r.Status, r.Body)
	}
	// Bad input: 400 and nothing created.
	bad := strings.Replace(scimFixture(t, "okta/create_user.json", nil), "dana.devops@northwind.example", "not-an-email", 2)
	if r := scimCall(e, token, "POST", "/Users", bad); r.Status != 400 {
		t.Fatalf("bad userName: %d %s", r.Status, r.Body)
	}
	if r := scimCall(e, token, "GET", "/Users?filter="+url.QueryEscape(`userName eq "not-an-email"`), ""); r.Map(t)["totalResults"] != 0.0 {
		t.Fatalf("a refused user exists: %s", r.Body)
	}

	// Groups map to roles: added to Admins, the member is an admin; the group
	// renamed to Managers, a client manager; removed, the default role.
	r = scimCall(e, token, "POST", "/Groups", scimFixture(t, "okta/create_group.json", nil))
	if r.Status != 201 {
		t.Fatalf("okta create group: %d %s", r.Status, r.Body)
	}
	group := r.Map(t)["id"].(string)
	vars := map[string]string{"userId": dana, "groupId": group}
	for _, step := range []struct{ fixture, role string }{
		{"okta/add_member.json", "admin"}, {"okta/rename_group.json", "client_manager"}, {"okta/remove_member.json", "member"}, {"okta/add_member.json", "client_manager"},
	} {
		if r := scimCall(e, token, "PATCH", "/Groups/"+group, scimFixture(t, step.fixture, vars)); r.Status != 200 && r.Status != 204 {
			t.Fatalf("%s: %d %s", step.fixture, r.Status, r.Body)
		}
		if role, _ := memberRole(t, e, dana); role != step.role {
			t.Fatalf("after %s: role %s, want %s", step.fixture, role, step.role)
		}
	}
	if r := scimCall(e, token, "GET", "/Users/"+dana, ""); !strings.Contains(string(r.Body), `"display":"AccessHive Managers"`) {
		t.Fatalf("user's groups: %s", r.Body)
	}
	// A group may not list someone who is not a SCIM user (an owner).
	addOwner := scimFixture(t, "okta/add_member.json", map[string]string{"userId": e.Seed.Users["owner"].UserID})
	if r := scimCall(e, token, "PATCH", "/Groups/"+group, addOwner); r.Status != 400 {
		t.Fatalf("owner in a group: %d %s", r.Status, r.Body)
	}
	if role, _ := memberRole(t, e, e.Seed.Users["owner"].UserID); role != "agency_owner" {
		t.Fatalf("the owner's role changed: %s", role)
	}

	// Replace (PUT) renames.
	if r := scimCall(e, token, "PUT", "/Users/"+dana, scimFixture(t, "okta/replace_user.json", vars)); r.Status != 200 || r.Map(t)["displayName"] != "Dana Ops" {
		t.Fatalf("okta replace: %d %s", r.Status, r.Body)
	}

	// The member signs in; deactivated in the IdP, it is refused at once.
	danaToken := e.Token("okta|dana", "dana.devops@northwind.example")
	if r := e.With(danaToken).Get("/v1/me"); r.Status != 200 {
		t.Fatalf("dana signs in: %d %s", r.Status, r.Body)
	}
	if r := scimCall(e, token, "PATCH", "/Users/"+dana, scimFixture(t, "okta/deactivate_user.json", nil)); r.Status != 200 || r.Map(t)["active"] != false {
		t.Fatalf("okta deactivate: %d %s", r.Status, r.Body)
	}
	if r := e.With(danaToken).Get("/v1/clients"); r.Status != 403 || r.Problem(t).Code != "member_disabled" {
		t.Fatalf("a deactivated member's call: %d %s", r.Status, r.Body)
	}

	// Entra ID: create, group with a value-list remove, a path PATCH with a string boolean.
	r = scimCall(e, token, "POST", "/Users", scimFixture(t, "entra/create_user.json", nil))
	if r.Status != 201 {
		t.Fatalf("entra create user: %d %s", r.Status, r.Body)
	}
	erin := r.Map(t)["id"].(string)
	r = scimCall(e, token, "POST", "/Groups", scimFixture(t, "entra/create_group.json", nil))
	if r.Status != 201 {
		t.Fatalf("entra create group: %d %s", r.Status, r.Body)
	}
	auditors := r.Map(t)["id"].(string)
	if r := scimCall(e, token, "PATCH", "/Groups/"+auditors, scimFixture(t, "entra/update_group.json", map[string]string{"userId": erin, "otherUserId": dana})); r.Status != 200 && r.Status != 204 {
		t.Fatalf("entra update group: %d %s", r.Status, r.Body)
	}
	if role, _ := memberRole(t, e, erin); role != "auditor" {
		t.Fatalf("erin: %s", role)
	}
	if r := scimCall(e, token, "PATCH", "/Users/"+erin, scimFixture(t, "entra/update_user.json", nil)); r.Status != 200 {
		t.Fatalf("entra update user: %d %s", r.Status, r.Body)
	}
	if m := owner.Get("/v1/members/" + erin).Map(t); m["name"] != "Erin Entra-Lee" || m["status"] != "disabled" || m["updatedBy"] != "system:scim" {
		t.Fatalf("erin after the update: %v", m)
	}

	// Another agency's token sees none of it.
	otherToken := issueSCIMToken(t, e.As("otherOwner"))
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/Users/" + dana, ""}, {"PATCH", "/Users/" + dana, scimFixture(t, "okta/deactivate_user.json", nil)},
		{"DELETE", "/Users/" + dana, ""}, {"GET", "/Groups/" + group, ""},
	} {
		if r := scimCall(e, otherToken, c.method, c.path, c.body); r.Status != 404 {
			t.Errorf("other agency %s %s: %d %s", c.method, c.path, r.Status, r.Body)
		}
	}
	if r := scimCall(e, otherToken, "GET", "/Users", ""); r.Map(t)["totalResults"] != 0.0 {
		t.Fatalf("other agency lists: %s", r.Body)
	}
	// Owners and client users are not SCIM users.
	for _, id := range []string{e.Seed.Users["owner"].UserID, e.Seed.Users["clientUser"].UserID} {
		if r := scimCall(e, token, "GET", "/Users/"+id, ""); r.Status != 404 {
			t.Errorf("GET %s: %d", id, r.Status)
		}
	}

	// Deleted: gone from SCIM, kept (disabled) for the trail, out of its groups.
	if r := scimCall(e, token, "DELETE", "/Users/"+dana, ""); r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if r := scimCall(e, token, "GET", "/Users/"+dana, ""); r.Status != 404 {
		t.Fatalf("deleted user: %d", r.Status)
	}
	if _, status := memberRole(t, e, dana); status != "disabled" {
		t.Fatalf("deleted member: %s", status)
	}
	if r := scimCall(e, token, "GET", "/Groups/"+group, ""); strings.Contains(string(r.Body), dana) {
		t.Fatalf("deleted user still in its group: %s", r.Body)
	}

	// A new token replaces the old one at once; disconnecting stops the new one.
	newToken := issueSCIMToken(t, owner)
	if r := scimCall(e, token, "GET", "/Users", ""); r.Status != 401 {
		t.Fatalf("replaced token: %d", r.Status)
	}
	if r := scimCall(e, newToken, "GET", "/Users", ""); r.Status != 200 {
		t.Fatalf("new token: %d %s", r.Status, r.Body)
	}
	if r := owner.Send("DELETE", "/v1/scim", nil); r.Status != 204 {
		t.Fatalf("disconnect: %d %s", r.Status, r.Body)
	}
	if r := scimCall(e, newToken, "GET", "/Users", ""); r.Status != 401 {
		t.Fatalf("token after disconnecting: %d", r.Status)
	}
}
