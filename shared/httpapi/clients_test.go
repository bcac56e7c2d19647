package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/accesshive/accesshive/infra/testenv"
)

func newClientBody(name string) map[string]any {
	return map[string]any{
		"name": name, "description": "Retail", "industry": "retail", "region": "eu", "timezone": "Europe/Berlin",
		"contacts": []map[string]any{
			{"kind": "technical", "name": "Tom", "email": "tom@client.example", "phone": "+49 30 901820"},
			{"kind": "business", "name": "Bea", "email": "bea@client.example"},
		},
	}
}

func TestCreateClient(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	admin, manager := e.As("admin"), e.As("manager")
	memberID := e.Seed.Users["member"].UserID
	settings := e.As("owner").Get("/v1/settings").Map(t)

	body := newClientBody("Zephyr Bikes")
	body["team"] = []map[string]any{{"memberId": memberID, "role": "operator"}}
	r := admin.Post("/v1/clients", body, "Idempotency-Key", "zephyr-1")
	if r.Status != 201 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	c := r.Map(t)
	id := c["id"].(string)
	t.Run("AllStepsWritten", func(t *testing.T) {
		d := admin.Get("/v1/clients/" + id).Map(t)
		if d["securityPolicyId"] != settings["defaultSecurityPolicyId"] {
			t.Errorf("security policy = %v, want the agency default %v", d["securityPolicyId"], settings["defaultSecurityPolicyId"])
		}
		if d["timezone"] != "Europe/Berlin" || d["region"] != "eu" || d["industry"] != "retail" || d["lifecycle"] != "active" {
			t.Errorf("basic info = %v", d)
		}
		if n := len(d["contacts"].([]any)); n != 2 {
			t.Errorf("%d contacts, want 2", n)
		}
		team := d["team"].([]any)
		if len(team) != 1 || team[0].(map[string]any)["role"] != "operator" || team[0].(map[string]any)["identityAccess"] != true {
			t.Errorf("team = %v", team)
		}
	})
	t.Run("OnboardingUntilPlatform", func(t *testing.T) {
		if c["status"] != "onboarding" {
			t.Fatalf("status = %v, want onboarding", c["status"])
		}
		remaining := []string{}
		for _, it := range c["checklist"].([]any) {
			item := it.(map[string]any)
			if item["done"] == false {
				remaining = append(remaining, item["item"].(string))
			}
		}
		if strings.Join(remaining, ",") != "platform" {
			t.Fatalf("remaining checklist = %v, want [platform]", remaining)
		}
		if r := admin.Send("PUT", "/v1/clients/"+id+"/platforms/"+e.Seed.Platforms["meta"], nil); r.Status != 201 {
			t.Fatalf("add platform: %d %s", r.Status, r.Body)
		}
		if st := admin.Get("/v1/clients/" + id).Map(t)["status"]; st != "healthy" {
			t.Fatalf("status after last checklist item = %v, want healthy", st)
		}
	})
	t.Run("IdempotentRetry", func(t *testing.T) {
		again := admin.Post("/v1/clients", body, "Idempotency-Key", "zephyr-1")
		if again.Status != 201 || again.Map(t)["id"] != id || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry: %d %s", again.Status, again.Body)
		}
	})
	t.Run("ErrDuplicateNameAnyCase", func(t *testing.T) {
		r := admin.Post("/v1/clients", newClientBody("  zephyr BIKES "))
		if r.Status != 409 || r.Problem(t).Code != "client_name_taken" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("SameNameInOtherAgency", func(t *testing.T) {
		if r := e.As("otherOwner").Post("/v1/clients", newClientBody("Zephyr Bikes")); r.Status != 201 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("ManagerJoinsOwnClientTeam", func(t *testing.T) {
		r := manager.Post("/v1/clients", newClientBody("Manager Made"))
		if r.Status != 201 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		team := r.Map(t)["team"].([]any)
		if len(team) != 1 || team[0].(map[string]any)["memberId"] != e.Seed.Users["manager"].UserID || team[0].(map[string]any)["role"] != "manager" {
			t.Fatalf("team = %v", team)
		}
		if r := manager.Get("/v1/clients/" + r.Map(t)["id"].(string)); r.Status != 200 {
			t.Fatalf("creator cannot read own client: %d", r.Status)
		}
	})
	bad := []struct {
		name  string
		patch func(map[string]any)
		field string
	}{
		{"ErrTimezone", func(b map[string]any) { b["timezone"] = "Mars/Olympus" }, "timezone"},
		{"ErrTimezoneLocal", func(b map[string]any) { b["timezone"] = "Local" }, "timezone"},
		{"ErrRegion", func(b map[string]any) { b["region"] = "moon" }, "region"},
		{"ErrIndustry", func(b map[string]any) { b["industry"] = "piracy" }, "industry"},
		{"ErrNameMissing", func(b map[string]any) { delete(b, "name") }, "name"},
		{"ErrContactEmail", func(b map[string]any) {
			b["contacts"] = []map[string]any{{"kind": "technical", "name": "X", "email": "nope"}}
		}, "contacts[0].email"},
		{"ErrContactKind", func(b map[string]any) {
			b["contacts"] = []map[string]any{{"kind": "legal", "name": "X", "email": "x@y.example"}}
		}, "contacts[0].kind"},
		{"ErrContactPhone", func(b map[string]any) {
			b["contacts"] = []map[string]any{{"kind": "business", "name": "X", "email": "x@y.example", "phone": "call me"}}
		}, "contacts[0].phone"},
		{"ErrTeamRole", func(b map[string]any) { b["team"] = []map[string]any{{"memberId": memberID, "role": "boss"}} }, "team[0].role"},
		{"ErrTeamTwice", func(b map[string]any) {
			b["team"] = []map[string]any{{"memberId": memberID, "role": "viewer"}, {"memberId": memberID, "role": "manager"}}
		}, "team[1].memberId"},
		{"ErrTeamUnknownMember", func(b map[string]any) {
			b["team"] = []map[string]any{{"memberId": "mbr_00000000000000000000000000", "role": "viewer"}}
		}, "team[0].memberId"},
		{"ErrTeamClientUser", func(b map[string]any) {
			b["team"] = []map[string]any{{"memberId": e.Seed.Users["clientUser"].UserID, "role": "viewer"}}
		}, "team[0].memberId"},
		{"ErrUnknownPolicy", func(b map[string]any) { b["securityPolicyId"] = "pol_00000000000000000000000000" }, "securityPolicyId"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			b := newClientBody("Bad " + tt.name)
			tt.patch(b)
			r := admin.Post("/v1/clients", b)
			if r.Status != 422 || !hasField(r.Problem(t), tt.field) {
				t.Fatalf("%d %s, want 422 with field %s", r.Status, r.Body, tt.field)
			}
			// Nothing was written: the name is still free.
			ok := newClientBody("Bad " + tt.name)
			if r := admin.Post("/v1/clients", ok); r.Status != 201 {
				t.Fatalf("name not free after a refused create: %d %s", r.Status, r.Body)
			}
		})
	}
}

func TestClientVisibility(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	admin := e.As("admin")
	r := admin.Post("/v1/clients", newClientBody("Hidden Co"))
	hidden := r.Map(t)["id"].(string)
	acme := e.Seed.ClientID

	t.Run("MemberNotOnTeamGets404", func(t *testing.T) {
		for _, h := range []string{"member", "manager"} {
			if r := e.As(h).Get("/v1/clients/" + hidden); r.Status != 404 {
				t.Errorf("%s reading a client they are not on: %d", h, r.Status)
			}
		}
	})
	t.Run("ListShowsOnlyTeamClients", func(t *testing.T) {
		names := func(h string) []string {
			var list struct{ Items []map[string]any }
			e.As(h).Get("/v1/clients").JSON(t, &list)
			var out []string
			for _, c := range list.Items {
				out = append(out, c["name"].(string))
			}
			return out
		}
		if got := names("member"); strings.Join(got, ",") != "Acme Outdoor" {
			t.Errorf("member sees %v, want [Acme Outdoor]", got)
		}
		if got := names("admin"); strings.Join(got, ",") != "Acme Outdoor,Hidden Co" {
			t.Errorf("admin sees %v, want both, by name", got)
		}
	})
	t.Run("ViewerCannotListIdentities", func(t *testing.T) {
		r := e.As("member").Get("/v1/clients/" + acme + "/identities")
		if r.Status != 403 || r.Problem(t).Code != "no_identity_access" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if r := e.As("manager").Get("/v1/clients/" + acme + "/identities"); r.Status != 200 {
			t.Fatalf("manager with identity access: %d %s", r.Status, r.Body)
		}
	})
	t.Run("GrantingIdentityAccess", func(t *testing.T) {
		memberID := e.Seed.Users["member"].UserID
		if r := admin.Send("PUT", "/v1/clients/"+acme+"/team/"+memberID, map[string]any{"role": "operator"}); r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if r := e.As("member").Get("/v1/clients/" + acme + "/identities"); r.Status != 200 {
			t.Fatalf("operator: %d %s", r.Status, r.Body)
		}
	})
	t.Run("AddedToTeamSeesClient", func(t *testing.T) {
		memberID := e.Seed.Users["member"].UserID
		if r := admin.Send("PUT", "/v1/clients/"+hidden+"/team/"+memberID, map[string]any{"role": "viewer"}); r.Status != 201 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if r := e.As("member").Get("/v1/clients/" + hidden); r.Status != 200 {
			t.Fatalf("member on team: %d", r.Status)
		}
		if r := admin.Send("DELETE", "/v1/clients/"+hidden+"/team/"+memberID, nil); r.Status != 204 {
			t.Fatalf("remove: %d %s", r.Status, r.Body)
		}
		if r := e.As("member").Get("/v1/clients/" + hidden); r.Status != 404 {
			t.Fatalf("removed member still sees client: %d", r.Status)
		}
	})
	t.Run("ManagerCannotChangeOthersClients", func(t *testing.T) {
		if r := e.As("manager").Patch("/v1/clients/"+hidden, map[string]any{"description": "x"}); r.Status != 404 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("ClientUserCannotReadClient", func(t *testing.T) {
		if r := e.As("clientUser").Get("/v1/clients/" + acme); r.Status != 403 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
}

func TestClientPlatforms(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	admin := e.As("admin")
	acme := e.Seed.ClientID
	t.Run("ErrDisconnected", func(t *testing.T) {
		r := admin.Send("PUT", "/v1/clients/"+acme+"/platforms/"+e.Seed.Platforms["linkedin"], nil)
		if r.Status != 409 || r.Problem(t).Code != "platform_not_operational" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if !strings.Contains(r.Problem(t).Detail, "disconnected") {
			t.Errorf("detail does not say why: %s", r.Problem(t).Detail)
		}
	})
	t.Run("ErrConnecting", func(t *testing.T) {
		r := admin.Post("/v1/platforms", map[string]any{"name": "GA4", "kind": "google_analytics"})
		pid := r.Map(t)["id"].(string)
		if r := admin.Send("PUT", "/v1/clients/"+acme+"/platforms/"+pid, nil); r.Status != 409 {
			t.Fatalf("connecting platform added: %d %s", r.Status, r.Body)
		}
		admin.Patch("/v1/platforms/"+pid, map[string]any{"status": "operational"})
		if r := admin.Send("PUT", "/v1/clients/"+acme+"/platforms/"+pid, map[string]any{}); r.Status != 201 {
			t.Fatalf("operational platform not added: %d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrUnknownPlatform", func(t *testing.T) {
		if r := admin.Send("PUT", "/v1/clients/"+acme+"/platforms/plt_00000000000000000000000000", nil); r.Status != 404 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("AddTwiceIsIdempotent", func(t *testing.T) {
		r := admin.Send("PUT", "/v1/clients/"+acme+"/platforms/"+e.Seed.Platforms["meta"], nil)
		if r.Status != 200 || r.Map(t)["platformStatus"] != "operational" || r.Map(t)["provisioningStatus"] != "not_started" || r.Map(t)["pendingRequests"] != float64(0) {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		var list struct{ Items []map[string]any }
		admin.Get("/v1/clients/"+acme+"/platforms").JSON(t, &list)
		n := 0
		for _, p := range list.Items {
			if p["platformId"] == e.Seed.Platforms["meta"] {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("meta configured %d times", n)
		}
	})
	t.Run("DegradedPlatformNeedsAttention", func(t *testing.T) {
		if st := admin.Get("/v1/clients/" + acme).Map(t)["status"]; st != "healthy" {
			t.Fatalf("seeded client status = %v, want healthy", st)
		}
		ads := e.Seed.Platforms["googleAds"]
		if r := admin.Patch("/v1/platforms/"+ads, map[string]any{"status": "degraded"}); r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		c := admin.Get("/v1/clients/" + acme).Map(t)
		if c["status"] != "needs_attention" {
			t.Fatalf("status = %v, want needs_attention", c["status"])
		}
		reasons := c["attention"].([]any)
		if len(reasons) != 1 || reasons[0].(map[string]any)["reason"] != "platform_not_operational" || reasons[0].(map[string]any)["platformId"] != ads {
			t.Fatalf("attention = %v", reasons)
		}
		var list struct{ Items []map[string]any }
		admin.Get("/v1/clients").JSON(t, &list)
		if list.Items[0]["status"] != "needs_attention" {
			t.Fatalf("list status = %v", list.Items[0]["status"])
		}
		admin.Patch("/v1/platforms/"+ads, map[string]any{"status": "operational"})
		if st := admin.Get("/v1/clients/" + acme).Map(t)["status"]; st != "healthy" {
			t.Fatalf("status after recovery = %v, want healthy", st)
		}
	})
}

func TestClientChanges(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	admin := e.As("admin")
	acme := e.Seed.ClientID
	path := "/v1/clients/" + acme
	t.Run("PatchWithIfMatch", func(t *testing.T) {
		etag := admin.Get(path).Header.Get("ETag")
		r := admin.Patch(path, map[string]any{"timezone": "Europe/Paris", "name": "Acme Outdoor EU"}, "If-Match", etag)
		if r.Status != 200 || r.Map(t)["timezone"] != "Europe/Paris" || r.Map(t)["name"] != "Acme Outdoor EU" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if r := admin.Patch(path, map[string]any{"description": "late"}, "If-Match", etag); r.Status != 412 {
			t.Fatalf("stale If-Match: %d", r.Status)
		}
	})
	t.Run("RenameFreesOldName", func(t *testing.T) {
		if r := admin.Post("/v1/clients", newClientBody("Acme Outdoor")); r.Status != 201 {
			t.Fatalf("old name not freed: %d %s", r.Status, r.Body)
		}
		if r := admin.Patch(path, map[string]any{"name": "ACME OUTDOOR"}); r.Status != 409 || r.Problem(t).Code != "client_name_taken" {
			t.Fatalf("rename onto a taken name: %d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrPatchValues", func(t *testing.T) {
		for field, v := range map[string]any{"timezone": "Nowhere/City", "region": "atlantis", "industry": "x", "securityPolicyId": "pol_00000000000000000000000000"} {
			r := admin.Patch(path, map[string]any{field: v})
			if r.Status != 422 || !hasField(r.Problem(t), field) {
				t.Errorf("%s=%v: %d %s", field, v, r.Status, r.Body)
			}
		}
	})
	t.Run("Contacts", func(t *testing.T) {
		cpath := path + "/contacts/billing"
		r := admin.Send("PUT", cpath, map[string]any{"kind": "business", "name": "Bill", "email": "Bill@Acme.example"})
		if r.Status != 201 || r.Map(t)["email"] != "bill@acme.example" || r.Map(t)["id"] != "billing" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if r := admin.Send("PUT", cpath, map[string]any{"kind": "technical", "name": "Bill", "email": "bill@acme.example"}); r.Status != 200 {
			t.Fatalf("replace: %d %s", r.Status, r.Body)
		}
		if r := admin.Send("PUT", path+"/contacts/bad%20id", map[string]any{"kind": "business", "name": "B", "email": "b@acme.example"}); r.Status != 422 {
			t.Fatalf("bad contact id: %d %s", r.Status, r.Body)
		}
		if r := admin.Send("DELETE", cpath, nil); r.Status != 204 || len(r.Body) != 0 {
			t.Fatalf("delete: %d %s", r.Status, r.Body)
		}
		if r := admin.Send("DELETE", cpath, nil); r.Status != 404 {
			t.Fatalf("delete again: %d", r.Status)
		}
	})
	t.Run("RemovingLastBusinessContactReturnsToOnboarding", func(t *testing.T) {
		d := admin.Get(path).Map(t)
		for _, c := range d["contacts"].([]any) {
			c := c.(map[string]any)
			if c["kind"] == "business" {
				if r := admin.Send("DELETE", path+"/contacts/"+c["id"].(string), nil); r.Status != 204 {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
			}
		}
		d = admin.Get(path).Map(t)
		if d["status"] != "onboarding" {
			t.Fatalf("status = %v, want onboarding", d["status"])
		}
		for _, it := range d["checklist"].([]any) {
			it := it.(map[string]any)
			if it["item"] == "business_contact" && it["done"] != false {
				t.Fatalf("checklist says business contact done: %v", it)
			}
		}
	})
	t.Run("Team", func(t *testing.T) {
		adminID := e.Seed.Users["admin"].UserID
		if r := admin.Send("PUT", path+"/team/"+adminID, map[string]any{"role": "chief"}); r.Status != 422 {
			t.Fatalf("bad team role: %d", r.Status)
		}
		if r := admin.Send("PUT", path+"/team/mbr_00000000000000000000000000", map[string]any{"role": "viewer"}); r.Status != 422 {
			t.Fatalf("unknown member: %d %s", r.Status, r.Body)
		}
		if r := admin.Send("DELETE", path+"/team/mbr_00000000000000000000000000", nil); r.Status != 404 {
			t.Fatalf("delete unknown team member: %d", r.Status)
		}
	})
	t.Run("ClientUsers", func(t *testing.T) {
		r := admin.Post(path+"/users", map[string]any{"email": "dee@acme.example", "name": "Dee"})
		if r.Status != 201 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		m := r.Map(t)
		if m["role"] != "client_user" || m["clientId"] != acme || m["status"] != "invited" {
			t.Fatalf("client user = %v", m)
		}
		me := e.Do(testenv.Request{Method: "GET", Path: "/v1/me", Token: e.Token("idp|dee", "dee@acme.example")})
		if me.Status != 200 || me.Map(t)["clientId"] != acme || me.Map(t)["role"] != "client_user" {
			t.Fatalf("client user sign-in: %d %s", me.Status, me.Body)
		}
		if r := admin.Post(path+"/users", map[string]any{"email": "dee@acme.example", "name": "Dee"}); r.Status != 409 {
			t.Fatalf("duplicate client user: %d", r.Status)
		}
		if r := e.As("owner").Patch("/v1/members/"+m["id"].(string), map[string]any{"role": "admin"}); r.Status != 422 {
			t.Fatalf("re-roling a client user: %d %s", r.Status, r.Body)
		}
	})
	t.Run("Tabs", func(t *testing.T) {
		for _, tab := range []string{"access-requests", "access-requests?status=expired", "activity"} {
			r := admin.Get(path + "/" + tab)
			if r.Status != 200 || !strings.Contains(string(r.Body), `"items":[]`) {
				t.Errorf("%s: %d %s", tab, r.Status, r.Body)
			}
		}
		if r := admin.Get(path + "/access-requests?status=refused"); r.Status != 422 {
			t.Errorf("unknown request status filter: %d", r.Status)
		}
		g := admin.Get(path + "/governance").Map(t)
		if g["clientId"] != acme || len(g["policyAssignments"].([]any)) != 0 || len(g["clientOwners"].([]any)) != 0 || g["compliance"].(map[string]any)["auditRetentionDays"] != 365.0 {
			t.Errorf("governance = %v", g)
		}
		ea := admin.Get(path + "/effective-access").Map(t)
		if len(ea["platforms"].([]any)) != 2 {
			t.Errorf("effective access platforms = %v", ea["platforms"])
		}
	})
	t.Run("ErrListStatus", func(t *testing.T) {
		if r := admin.Get("/v1/clients?status=deleted"); r.Status != 422 {
			t.Fatalf("%d", r.Status)
		}
		var list struct{ Items []any }
		admin.Get("/v1/clients?status=archived").JSON(t, &list)
		if len(list.Items) != 0 {
			t.Fatalf("archived list = %v", list.Items)
		}
	})
}

func TestClientListPagination(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	admin := e.As("admin")
	for i := range 5 {
		if r := admin.Post("/v1/clients", newClientBody(fmt.Sprintf("Page %d", i))); r.Status != 201 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	}
	var names []string
	path := "/v1/clients?limit=2"
	for range 10 {
		var page struct {
			Items      []map[string]any
			NextCursor string
		}
		admin.Get(path).JSON(t, &page)
		for _, c := range page.Items {
			names = append(names, c["name"].(string))
			if _, detail := c["contacts"]; detail {
				t.Fatal("list items carry detail collections")
			}
		}
		if page.NextCursor == "" {
			break
		}
		path = "/v1/clients?limit=2&cursor=" + page.NextCursor
	}
	if strings.Join(names, ",") != "Acme Outdoor,Page 0,Page 1,Page 2,Page 3,Page 4" {
		t.Fatalf("names = %v", names)
	}
}
