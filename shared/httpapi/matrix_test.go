package httpapi_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accesshive/accesshive/infra/localstack"
	"github.com/accesshive/accesshive/infra/testenv"
	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/httpapi"
)

// fixtures holds what a matrix call needs: ids from the seeded agency.
type fixtures struct {
	memberID, platformID, policyID, identityID, clientID, adminID string
	govPolicyID, templateID                                       string
}

var uniq atomic.Int64

func next() int64 { return uniq.Add(1) }

type callFunc func(e *testenv.Env, f fixtures) (method, path string, body any)

func simple(method, path string, body func(fixtures) any) callFunc {
	return func(_ *testenv.Env, f fixtures) (string, string, any) {
		p := strings.NewReplacer("{member}", f.memberID, "{platform}", f.platformID, "{policy}", f.policyID,
			"{identity}", f.identityID, "{client}", f.clientID, "{admin}", f.adminID,
			"{govpolicy}", f.govPolicyID, "{template}", f.templateID).Replace(path)
		if body == nil {
			return method, p, nil
		}
		return method, p, body(f)
	}
}

// matrixCall returns a valid request for a route, so an allowed role succeeds.
// Every route in the table must have one.
var matrixCall = map[string]callFunc{
	"health":          simple("GET", "/v1/health", nil),
	"me.get":          simple("GET", "/v1/me", nil),
	"settings.get":    simple("GET", "/v1/settings", nil),
	"settings.update": simple("PATCH", "/v1/settings", func(fixtures) any { return map[string]any{"accessRequestExpiryMinutes": 60 + next()} }),
	"members.list":    simple("GET", "/v1/members", nil),
	"members.create": simple("POST", "/v1/members", func(fixtures) any {
		return map[string]any{"email": fmt.Sprintf("m%d@northwind.example", next()), "name": "New Person", "role": "member"}
	}),
	"members.get":           simple("GET", "/v1/members/{member}", nil),
	"members.update":        simple("PATCH", "/v1/members/{member}", func(fixtures) any { return map[string]any{"name": fmt.Sprintf("Max %d", next())} }),
	"platforms.list":        simple("GET", "/v1/platforms", nil),
	"platforms.create":      simple("POST", "/v1/platforms", func(fixtures) any { return map[string]any{"name": "TikTok Ads", "kind": "tiktok"} }),
	"platforms.get":         simple("GET", "/v1/platforms/{platform}", nil),
	"platforms.update":      simple("PATCH", "/v1/platforms/{platform}", func(fixtures) any { return map[string]any{"description": fmt.Sprintf("note %d", next())} }),
	"securityPolicies.list": simple("GET", "/v1/security-policies", nil),
	"securityPolicies.create": simple("POST", "/v1/security-policies", func(fixtures) any {
		return map[string]any{"name": "Strict", "password": map[string]any{"minLength": 16}, "sessionLengthMinutes": 60, "mfa": "required"}
	}),
	"securityPolicies.get":    simple("GET", "/v1/security-policies/{policy}", nil),
	"securityPolicies.update": simple("PATCH", "/v1/security-policies/{policy}", func(fixtures) any { return map[string]any{"sessionLengthMinutes": 100 + next()} }),
	"identities.list":         simple("GET", "/v1/identities", nil),
	"identities.create": simple("POST", "/v1/identities", func(fixtures) any {
		return map[string]any{"displayName": "Shared ops", "email": fmt.Sprintf("ops%d@northwind.example", next()), "scope": "agency"}
	}),
	"identities.get": simple("GET", "/v1/identities/{identity}", nil),
	"clients.list":   simple("GET", "/v1/clients", nil),
	"clients.create": simple("POST", "/v1/clients", func(fixtures) any {
		return map[string]any{"name": fmt.Sprintf("Client %d", next()), "industry": "media", "region": "us", "timezone": "America/New_York"}
	}),
	"clients.get":          simple("GET", "/v1/clients/{client}", nil),
	"clients.update":       simple("PATCH", "/v1/clients/{client}", func(fixtures) any { return map[string]any{"description": fmt.Sprintf("v%d", next())} }),
	"clients.contacts.put": simple("PUT", "/v1/clients/{client}/contacts/matrix", func(fixtures) any { return contactBody(next()) }),
	"clients.contacts.delete": func(e *testenv.Env, f fixtures) (string, string, any) {
		path := fmt.Sprintf("/v1/clients/%s/contacts/del-%d", f.clientID, next())
		if r := e.As("owner").Send("PUT", path, contactBody(0)); r.Status != 201 {
			e.T.Fatalf("prepare contact: %d %s", r.Status, r.Body)
		}
		return "DELETE", path, nil
	},
	"clients.team.put": simple("PUT", "/v1/clients/{client}/team/{admin}", func(fixtures) any { return map[string]any{"role": "operator"} }),
	"clients.team.delete": func(e *testenv.Env, f fixtures) (string, string, any) {
		path := "/v1/clients/" + f.clientID + "/team/" + f.adminID
		if r := e.As("owner").Send("PUT", path, map[string]any{"role": "viewer"}); r.Status > 201 {
			e.T.Fatalf("prepare team: %d %s", r.Status, r.Body)
		}
		return "DELETE", path, nil
	},
	"clients.users.create": simple("POST", "/v1/clients/{client}/users", func(fixtures) any {
		return map[string]any{"email": fmt.Sprintf("cu%d@acme-outdoor.example", next()), "name": "Client Person"}
	}),
	"clients.platforms.list":  simple("GET", "/v1/clients/{client}/platforms", nil),
	"clients.platforms.put":   simple("PUT", "/v1/clients/{client}/platforms/{platform}", nil),
	"clients.identities.list": simple("GET", "/v1/clients/{client}/identities", nil),
	"clients.identities.get":  simple("GET", "/v1/clients/{client}/identities/idn_00000000000000000000000000", nil),
	"clients.requests.list":   simple("GET", "/v1/clients/{client}/access-requests?status=pending", nil),
	"clients.requests.get":    simple("GET", "/v1/clients/{client}/access-requests/req_00000000000000000000000000", nil),
	"clients.governance.get":  simple("GET", "/v1/clients/{client}/governance", nil),
	"clients.governance.put": simple("PUT", "/v1/clients/{client}/governance", func(fixtures) any {
		return map[string]any{"policyAssignments": []any{}, "teamGroups": []any{}, "clientOwners": []any{},
			"compliance": map[string]any{"dataResidency": "EU", "auditRetentionDays": 400 + next()%100}}
	}),
	"clients.requests.revoke": simple("POST", "/v1/clients/{client}/access-requests/req_00000000000000000000000000/revoke", nil),
	"governancePolicies.list": simple("GET", "/v1/governance-policies", nil),
	"governancePolicies.create": simple("POST", "/v1/governance-policies", func(fixtures) any {
		return map[string]any{"name": fmt.Sprintf("Policy %d", next()), "approval": map[string]any{"requiredApprovals": 2, "approverRoles": []string{"agency_owner", "admin"}}}
	}),
	"governancePolicies.get":    simple("GET", "/v1/governance-policies/{govpolicy}", nil),
	"governancePolicies.update": simple("PATCH", "/v1/governance-policies/{govpolicy}", func(fixtures) any { return map[string]any{"description": fmt.Sprint("rev ", next())} }),
	"roleTemplates.list":        simple("GET", "/v1/role-templates", nil),
	"roleTemplates.create": simple("POST", "/v1/role-templates", func(fixtures) any {
		return map[string]any{"name": fmt.Sprintf("Template %d", next()), "platformKind": "google_ads", "identityType": "standard", "defaultDurationMinutes": 60}
	}),
	"roleTemplates.get":           simple("GET", "/v1/role-templates/{template}", nil),
	"roleTemplates.update":        simple("PATCH", "/v1/role-templates/{template}", func(fixtures) any { return map[string]any{"defaultDurationMinutes": 30 + next()%60} }),
	"clients.effectiveAccess.get": simple("GET", "/v1/clients/{client}/effective-access", nil),
	"clients.activity.list":       simple("GET", "/v1/clients/{client}/activity", nil),
	"clients.identities.retry":    simple("POST", "/v1/clients/{client}/identities/idn_00000000000000000000000000/retry-provisioning", nil),
	"clients.requests.create": simple("POST", "/v1/clients/{client}/access-requests", func(f fixtures) any {
		return map[string]any{"platformId": f.platformID, "identityType": "standard", "justification": "matrix"}
	}),
	"clients.requests.approve": reviewCall("approve", "meta"),
	"clients.reviews.list":     simple("GET", "/v1/clients/{client}/reviews", nil),
	"clients.reviews.get":      simple("GET", "/v1/clients/{client}/reviews/rev_missing", nil),
	"clients.reviews.decide": simple("POST", "/v1/clients/{client}/reviews/rev_missing/items/grant-x/decision", func(fixtures) any {
		return map[string]any{"decision": "keep", "reason": "matrix"}
	}),
	"clients.breakGlass": simple("POST", "/v1/clients/{client}/break-glass", func(fixtures) any {
		return map[string]any{"platformId": "plt_00000000000000000000000000", "reason": "matrix"}
	}),
	"clients.requests.closeReview": simple("POST", "/v1/clients/{client}/access-requests/req_00000000000000000000000000/close-review", func(fixtures) any {
		return map[string]any{"note": "matrix"}
	}),
	"clients.requests.decide": simple("POST", "/v1/clients/{client}/access-request-decisions", func(fixtures) any {
		return map[string]any{"decisions": []any{map[string]any{"requestId": "req_00000000000000000000000000", "action": "reject"}}}
	}),
	"clients.requests.reject":   reviewCall("reject", "meta"),
	"clients.requests.cancel":   reviewCall("cancel", "meta"),
	"notifications.list":        simple("GET", "/v1/notifications", nil),
	"notifications.unreadCount": simple("GET", "/v1/notifications/unread-count", nil),
	"notifications.read":        simple("POST", "/v1/notifications/ntf_missing/read", nil),
	"notifications.readAll":     simple("POST", "/v1/notifications/read-all", nil),
	"webhooks.list":             simple("GET", "/v1/webhooks", nil),
	"scim.get":                  simple("GET", "/v1/scim", nil),
	"slack.get":                 simple("GET", "/v1/integrations/slack", nil),
	"slack.connect": simple("PUT", "/v1/integrations/slack", func(fixtures) any {
		return map[string]any{"botToken": localstack.DemoSlackToken, "signingSecret": "00000000000000000000000000000000"}
	}),
	"slack.disconnect":         simple("DELETE", "/v1/integrations/slack", nil),
	"clients.slackChannel.get": simple("GET", "/v1/clients/{client}/slack-channel", nil),
	"clients.slackChannel.put": simple("PUT", "/v1/clients/{client}/slack-channel", func(fixtures) any { return map[string]any{"channelId": "C0MATRIX01"} }),
	"scim.update": simple("PUT", "/v1/scim", func(fixtures) any {
		return map[string]any{"groupRoles": map[string]any{"Admins": "admin"}, "defaultRole": "member"}
	}),
	"scim.token":   simple("POST", "/v1/scim/token", nil),
	"scim.disable": simple("DELETE", "/v1/scim", nil),
	"webhooks.create": simple("POST", "/v1/webhooks", func(fixtures) any {
		return map[string]any{"url": "https://example.com/hooks", "eventTypes": []string{"*"}}
	}),
	"webhooks.get":                simple("GET", "/v1/webhooks/whk_missing", nil),
	"webhooks.update":             simple("PATCH", "/v1/webhooks/whk_missing", func(fixtures) any { return map[string]any{"description": "x"} }),
	"webhooks.delete":             simple("DELETE", "/v1/webhooks/whk_missing", nil),
	"webhooks.rotateSecret":       simple("POST", "/v1/webhooks/whk_missing/rotate-secret", nil),
	"webhooks.deliveries.list":    simple("GET", "/v1/webhooks/whk_missing/deliveries", nil),
	"clients.offboarding.get":     simple("GET", "/v1/clients/{client}/offboarding", nil),
	"clients.offboarding.confirm": simple("POST", "/v1/clients/{client}/offboarding", func(fixtures) any { return map[string]any{"confirmName": "not the name"} }),
	"audit.search":                simple("GET", "/v1/audit?action=client.create", nil),
	"clients.credentials.reveal":  simple("POST", "/v1/clients/{client}/identities/idn_00000000000000000000000000/credentials/reveal", nil),
	"identities.update":           simple("PATCH", "/v1/identities/idn_00000000000000000000000000", func(fixtures) any { return map[string]any{"displayName": "x"} }),
	"identities.credentials.replace": simple("PUT", "/v1/identities/idn_00000000000000000000000000/credentials", func(fixtures) any {
		return map[string]any{"username": "u", "password": "Long-enough-passw0rd!"}
	}),
	"identities.credentials.reveal":       simple("POST", "/v1/identities/idn_00000000000000000000000000/credentials/reveal", nil),
	"identities.credentials.rotate":       simple("POST", "/v1/identities/idn_00000000000000000000000000/credentials/rotate", nil),
	"clients.agencyIdentities.list":       simple("GET", "/v1/clients/{client}/agency-identities", nil),
	"clients.agencyIdentities.link":       simple("PUT", "/v1/clients/{client}/agency-identities/idn_00000000000000000000000000", nil),
	"clients.agencyIdentities.unlink":     simple("DELETE", "/v1/clients/{client}/agency-identities/idn_00000000000000000000000000", nil),
	"clients.requests.credentials.reveal": simple("POST", "/v1/clients/{client}/access-requests/req_00000000000000000000000000/credentials/reveal", nil),
	"clients.credentials.rotate":          simple("POST", "/v1/clients/{client}/identities/idn_00000000000000000000000000/credentials/rotate", nil),
	"clients.credentials.replace": simple("PUT", "/v1/clients/{client}/identities/idn_00000000000000000000000000/credentials", func(fixtures) any {
		return map[string]any{"username": "u", "password": "long enough password"}
	}),
}

// reviewCall acts on the client user's pending request for a platform, submitting
// one when none is pending (after earlier executions finished, so an approval
// never meets an identity still provisioning).
func reviewCall(action, platform string) callFunc {
	return func(e *testenv.Env, f fixtures) (string, string, any) {
		base := "/v1/clients/" + f.clientID + "/access-requests"
		var list struct{ Items []map[string]any }
		e.As("clientUser").Get(base+"?status=pending").JSON(e.T, &list)
		for _, r := range list.Items {
			if r["platformId"] == e.Seed.Platforms[platform] {
				return "POST", base + "/" + r["id"].(string) + "/" + action, nil
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = e.Stack.WaitForExecutions(ctx)
		r := e.As("clientUser").Post(base, map[string]any{"platformId": e.Seed.Platforms[platform], "identityType": "standard", "justification": "matrix"})
		if r.Status != 201 {
			e.T.Fatalf("prepare request: %d %s", r.Status, r.Body)
		}
		return "POST", base + "/" + r.Map(e.T)["id"].(string) + "/" + action, nil
	}
}

func contactBody(n int64) map[string]any {
	return map[string]any{"kind": "technical", "name": fmt.Sprintf("Contact %d", n), "email": "it@acme-outdoor.example"}
}

// allowedAnswer overrides the 2xx an allowed role expects, per route and handle:
// the seeded member is on the client's team as a viewer (no identity access), and
// routes whose resources arrive in later issues answer 404 for a made-up id.
var allowedAnswer = map[string]map[string]int{
	"clients.identities.list":             {"member": 403},
	"clients.identities.get":              {"owner": 404, "admin": 404, "manager": 404, "member": 403},
	"clients.requests.get":                {"owner": 404, "admin": 404, "manager": 404, "member": 404, "clientUser": 404},
	"clients.identities.retry":            {"owner": 404, "admin": 404},
	"clients.credentials.reveal":          {"owner": 404, "admin": 404},
	"clients.credentials.rotate":          {"owner": 404, "admin": 404},
	"clients.credentials.replace":         {"owner": 404, "admin": 404},
	"clients.requests.revoke":             {"owner": 404, "admin": 404},
	"clients.requests.credentials.reveal": {"clientUser": 404},
	// Staff reach review routes; the request's rules decide (built-in: owners and admins).
	"clients.requests.approve":        {"manager": 403, "member": 403},
	"clients.reviews.get":             {"owner": 404, "admin": 404, "manager": 404, "member": 404, "auditor": 404},
	"clients.reviews.decide":          {"owner": 404, "admin": 404, "manager": 403, "member": 403},
	"clients.breakGlass":              {"owner": 409, "admin": 409, "manager": 409},
	"clients.requests.closeReview":    {"owner": 404, "admin": 404},
	"notifications.read":              {"owner": 404, "admin": 404, "manager": 404, "member": 404, "auditor": 404, "clientUser": 404},
	"webhooks.get":                    {"owner": 404, "admin": 404},
	"clients.slackChannel.get":        {"owner": 404, "admin": 404, "manager": 404},
	"webhooks.update":                 {"owner": 404, "admin": 404},
	"webhooks.delete":                 {"owner": 404, "admin": 404},
	"webhooks.rotateSecret":           {"owner": 404, "admin": 404},
	"webhooks.deliveries.list":        {"owner": 404, "admin": 404},
	"clients.requests.reject":         {"manager": 403, "member": 403},
	"identities.update":               {"owner": 404, "admin": 404},
	"identities.credentials.replace":  {"owner": 404, "admin": 404},
	"identities.credentials.reveal":   {"owner": 404, "admin": 404},
	"identities.credentials.rotate":   {"owner": 404, "admin": 404},
	"clients.agencyIdentities.list":   {"member": 403},
	"clients.agencyIdentities.link":   {"owner": 404, "admin": 404, "manager": 404, "member": 403},
	"clients.agencyIdentities.unlink": {"owner": 404, "admin": 404, "manager": 404, "member": 403},
	// The matrix must not archive its fixture client: a wrong name is refused (the
	// real offboarding is TestOffboarding).
	"clients.offboarding.confirm": {"owner": 422, "admin": 422, "manager": 422},
}

// wantRoles is the contract (DESIGN §5 and docs/role-matrix.md), written down apart
// from the route table so a change to either is caught: O owner, A admin, C client
// manager, M member, U client user; "public" needs no token.
var wantRoles = map[string]string{
	"health":                              "public",
	"me.get":                              "OACMDU",
	"settings.get":                        "OA",
	"settings.update":                     "O",
	"members.list":                        "OA",
	"members.create":                      "OA",
	"members.get":                         "OA",
	"members.update":                      "OA",
	"platforms.list":                      "OAC",
	"platforms.create":                    "OA",
	"platforms.get":                       "OAC",
	"platforms.update":                    "OA",
	"securityPolicies.list":               "OAC",
	"securityPolicies.create":             "OA",
	"securityPolicies.get":                "OAC",
	"securityPolicies.update":             "OA",
	"identities.list":                     "OAC",
	"identities.create":                   "OA",
	"identities.get":                      "OAC",
	"clients.list":                        "OACM",
	"clients.create":                      "OAC",
	"clients.get":                         "OACM",
	"clients.update":                      "OAC",
	"clients.contacts.put":                "OAC",
	"clients.contacts.delete":             "OAC",
	"clients.team.put":                    "OAC",
	"clients.team.delete":                 "OAC",
	"clients.users.create":                "OAC",
	"clients.platforms.list":              "OACMU",
	"clients.platforms.put":               "OAC",
	"clients.identities.list":             "OACM",
	"clients.identities.get":              "OACM",
	"clients.governance.get":              "OACM",
	"clients.governance.put":              "OA",
	"clients.requests.revoke":             "OA",
	"governancePolicies.list":             "OAC",
	"governancePolicies.create":           "OA",
	"governancePolicies.get":              "OAC",
	"governancePolicies.update":           "OA",
	"roleTemplates.list":                  "OACMU",
	"roleTemplates.create":                "OA",
	"roleTemplates.get":                   "OACMU",
	"roleTemplates.update":                "OA",
	"clients.effectiveAccess.get":         "OACMD",
	"clients.activity.list":               "OACMD",
	"clients.identities.retry":            "OA",
	"clients.requests.create":             "U",
	"clients.requests.list":               "OACMU",
	"clients.requests.get":                "OACMU",
	"clients.requests.approve":            "OACM",
	"clients.reviews.list":                "OACMD",
	"clients.reviews.get":                 "OACMD",
	"clients.reviews.decide":              "OACM",
	"clients.breakGlass":                  "OAC",
	"clients.requests.closeReview":        "OA",
	"clients.requests.decide":             "OACM",
	"clients.requests.reject":             "OACM",
	"clients.requests.cancel":             "U",
	"clients.requests.credentials.reveal": "U",
	"identities.update":                   "OA",
	"identities.credentials.replace":      "OA",
	"identities.credentials.reveal":       "OA",
	"identities.credentials.rotate":       "OA",
	"clients.agencyIdentities.list":       "OACM",
	"clients.agencyIdentities.link":       "OACM",
	"clients.agencyIdentities.unlink":     "OACM",
	"notifications.list":                  "OACMDU",
	"notifications.unreadCount":           "OACMDU",
	"notifications.read":                  "OACMDU",
	"notifications.readAll":               "OACMDU",
	"webhooks.list":                       "OA",
	"scim.get":                            "O",
	"slack.get":                           "OA",
	"slack.connect":                       "OA",
	"slack.disconnect":                    "OA",
	"clients.slackChannel.get":            "OAC",
	"clients.slackChannel.put":            "OAC",
	"scim.update":                         "O",
	"scim.token":                          "O",
	"scim.disable":                        "O",
	"webhooks.create":                     "OA",
	"webhooks.get":                        "OA",
	"webhooks.update":                     "OA",
	"webhooks.delete":                     "OA",
	"webhooks.rotateSecret":               "OA",
	"webhooks.deliveries.list":            "OA",
	"audit.search":                        "OAD",
	"clients.offboarding.get":             "OAC",
	"clients.offboarding.confirm":         "OAC",
	"clients.credentials.reveal":          "OA",
	"clients.credentials.rotate":          "OA",
	"clients.credentials.replace":         "OA",
}

var roleLetters = map[byte]ah.Role{'O': ah.RoleOwner, 'A': ah.RoleAdmin, 'C': ah.RoleClientManager, 'M': ah.RoleMember, 'D': ah.RoleAuditor, 'U': ah.RoleClientUser}

// handles maps the seeded handles to their roles.
var handles = map[string]ah.Role{
	"owner": ah.RoleOwner, "admin": ah.RoleAdmin, "manager": ah.RoleClientManager, "member": ah.RoleMember,
	"auditor": ah.RoleAuditor, "clientUser": ah.RoleClientUser,
}

func seedFixtures(t testing.TB, e *testenv.Env) fixtures {
	owner := e.As("owner")
	f := fixtures{memberID: e.Seed.Users["member"].UserID, platformID: e.Seed.Platforms["googleAds"],
		clientID: e.Seed.ClientID, adminID: e.Seed.Users["admin"].UserID}
	r := owner.Get("/v1/settings")
	f.policyID, _ = r.Map(t)["defaultSecurityPolicyId"].(string)
	r = owner.Post("/v1/identities", map[string]any{"displayName": "Ads identity", "email": "ads@northwind.example", "scope": "platform", "platformId": f.platformID})
	if r.Status != 201 {
		t.Fatalf("create identity: %d %s", r.Status, r.Body)
	}
	f.identityID, _ = r.Map(t)["id"].(string)
	r = owner.Post("/v1/governance-policies", map[string]any{"name": "Matrix policy"})
	if r.Status != 201 {
		t.Fatalf("create governance policy: %d %s", r.Status, r.Body)
	}
	f.govPolicyID, _ = r.Map(t)["id"].(string)
	r = owner.Post("/v1/role-templates", map[string]any{"name": "Matrix template", "platformKind": "google_ads", "identityType": "standard"})
	if r.Status != 201 {
		t.Fatalf("create role template: %d %s", r.Status, r.Body)
	}
	f.templateID, _ = r.Map(t)["id"].(string)
	return f
}

// TestRouteRoleTenantMatrix asserts every cell: each route for each role (allowed:
// success; denied: 403 forbidden), without a token (401), and with another agency's
// owner (404 for any id of this agency; own data otherwise).
func TestRouteRoleTenantMatrix(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	f := seedFixtures(t, e)
	for _, rt := range httpapi.RouteTable() {
		call, ok := matrixCall[rt.Name]
		if !ok {
			t.Errorf("route %s (%s %s) has no matrix fixture: add one to matrixCall", rt.Name, rt.Method, rt.Path)
			continue
		}
		want, ok := wantRoles[rt.Name]
		if !ok {
			t.Errorf("route %s has no expected roles: add it to wantRoles", rt.Name)
			continue
		}
		if got := roleString(rt); got != want {
			t.Errorf("route %s allows %q, the contract says %q", rt.Name, got, want)
		}
		t.Run(rt.Name, func(t *testing.T) {
			for handle, role := range handles {
				method, path, body := call(e, f)
				r := e.As(handle).Send(method, path, body)
				allowed := rt.Public || containsRole(rt.Roles, role)
				want, override := allowedAnswer[rt.Name][handle]
				switch {
				case allowed && override && r.Status != want:
					t.Errorf("%s as %s: status %d, want %d: %s", rt.Name, role, r.Status, want, r.Body)
				case allowed && override:
				case allowed && (r.Status < 200 || r.Status > 299):
					t.Errorf("%s as %s: status %d, want 2xx: %s", rt.Name, role, r.Status, r.Body)
				case !allowed && r.Status != 403:
					t.Errorf("%s as %s: status %d, want 403: %s", rt.Name, role, r.Status, r.Body)
				case !allowed && r.Problem(t).Code != ah.CodeForbidden:
					t.Errorf("%s as %s: code %s, want forbidden", rt.Name, role, r.Problem(t).Code)
				}
			}
			method, path, body := call(e, f)
			anon := e.Do(testenv.Request{Method: method, Path: path, Body: body})
			if rt.Public && anon.Status != 200 {
				t.Errorf("%s without token: %d, want 200", rt.Name, anon.Status)
			}
			if !rt.Public && anon.Status != 401 {
				t.Errorf("%s without token: %d, want 401", rt.Name, anon.Status)
			}
			method, path, body = call(e, f)
			other := e.As("otherOwner").Send(method, path, body)
			switch {
			case !rt.Public && !containsRole(rt.Roles, ah.RoleOwner):
				if other.Status != 403 { // the role gate answers before any lookup
					t.Errorf("%s by another agency's owner: %d, want 403", rt.Name, other.Status)
				}
			case strings.Contains(rt.Path, "{"):
				if other.Status != 404 {
					t.Errorf("%s by another agency's owner: %d, want 404: %s", rt.Name, other.Status, other.Body)
				}
			default:
				if other.Status < 200 || other.Status > 299 {
					t.Errorf("%s by another agency's owner (own agency): %d, want 2xx: %s", rt.Name, other.Status, other.Body)
				}
			}
		})
	}
}

func roleString(rt httpapi.RouteInfo) string {
	if rt.Public {
		return "public"
	}
	var b strings.Builder
	for _, l := range []byte("OACMDU") {
		if containsRole(rt.Roles, roleLetters[l]) {
			b.WriteByte(l)
		}
	}
	return b.String()
}

func containsRole(roles []ah.Role, r ah.Role) bool {
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}

// TestRoleMatrixDoc keeps docs/role-matrix.md equal to the route table.
// Regenerate with: UPDATE_DOCS=1 go test ./shared/httpapi -run TestRoleMatrixDoc
func TestRoleMatrixDoc(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("# Role matrix\n\n")
	b.WriteString("Generated from the route table in `shared/httpapi/routes.go` by `TestRoleMatrixDoc`; the same table\n")
	b.WriteString("drives dispatch and `TestRouteRoleTenantMatrix`, which asserts every cell. ✅ allowed, — refused with\n")
	b.WriteString("403 `forbidden`. Another agency's ids answer 404 for every role; no token answers 401.\n\n")
	b.WriteString("| Route | Method and path |")
	for _, r := range ah.AllRoles {
		fmt.Fprintf(&b, " %s |", r)
	}
	b.WriteString("\n|---|---|")
	for range ah.AllRoles {
		b.WriteString(":-:|")
	}
	b.WriteString("\n")
	for _, rt := range httpapi.RouteTable() {
		fmt.Fprintf(&b, "| %s | `%s %s` |", rt.Name, rt.Method, rt.Path)
		for _, r := range ah.AllRoles {
			switch {
			case rt.Public:
				b.WriteString(" public |")
			case containsRole(rt.Roles, r):
				b.WriteString(" ✅ |")
			default:
				b.WriteString(" — |")
			}
		}
		b.WriteString("\n")
	}
	b.WriteString(roleMatrixNotes)
	const path = "../../docs/role-matrix.md"
	if os.Getenv("UPDATE_DOCS") != "" {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != b.String() {
		t.Fatalf("docs/role-matrix.md is out of date with the route table; run UPDATE_DOCS=1 go test ./shared/httpapi -run TestRoleMatrixDoc")
	}
}

const roleMatrixNotes = `
## Rules beyond the route gate

These are enforced in the service layer and tested in ` + "`shared/httpapi/*_test.go`" + `:

- **Managing members.** An owner manages every role. An admin manages client managers, members and
  client users, never owners or other admins (403 ` + "`owner_only`" + `). Nobody changes their own role or status
  (403 ` + "`self_change`" + `). An agency always keeps at least one enabled owner (409 ` + "`last_owner`" + `).
- **Auditors.** An auditor reads every client's Activity (identity entries included), the agency
  audit search and every client's Effective Access (identity rows included), and nothing else: no
  client list or tabs, no credentials, no changes. Owners and admins invite auditors.
- **Reads for client managers.** Client managers read platforms, security policies and agency identities
  (they choose them when creating a client) but cannot change them.
- **Client visibility.** Owners and admins see every client; client managers and members see the
  clients whose team they are on (any other client answers 404). Identities need a team role with
  identity access (` + "`manager`, `operator`" + `; a ` + "`viewer`" + ` gets 403 ` + "`no_identity_access`" + `).
- **client_user** acts for their own client only: they submit, list (their own), read and cancel
  access requests and read notifications; another client's ids answer 404.
- **Reviews.** Nobody approves or rejects their own request (403 ` + "`self_approval`" + `). The governance
  policy a request was evaluated against names the roles that may review it (403
  ` + "`approver_not_allowed`" + `) and how many different people must approve (409 ` + "`already_approved`" + ` for a
  second approval by the same person); see docs/governance.md.
- **Role templates** are readable by every role (client users name them in requests); only owners and
  admins change them.
`
