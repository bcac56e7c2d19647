package httpapi_test

import (
	"context"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/accesshive/accesshive/infra/authn"
	"github.com/accesshive/accesshive/infra/testenv"
	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// TestInvitationNeedsAVerifiedEmail (finding 1): a token binds to an invitation
// only when email_verified is true (the JSON boolean, or the string "true" some
// identity providers send). A missing claim, false, "False" or "false" never
// binds: the caller is not a member and the invitation stays open.
func TestInvitationNeedsAVerifiedEmail(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	owner := e.As("owner")
	id := owner.Post("/v1/members", map[string]any{"email": "nora@northwind.example", "name": "Nora", "role": "admin"}).Map(t)["id"].(string)
	mint := func(sub string, verified any) string {
		tok, err := testenv.Issuer(t).Mint(authn.TokenOpts{Subject: sub, Extra: map[string]any{"email": "nora@northwind.example", "email_verified": verified}})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	for name, verified := range map[string]any{"Missing": nil, "False": false, "StringFalse": "false", "CapitalFalse": "False", "Yes": "yes", "One": 1} {
		t.Run(name, func(t *testing.T) {
			r := e.Do(testenv.Request{Method: "GET", Path: "/v1/me", Token: mint("attacker-"+name, verified)})
			if r.Status != 403 || r.Problem(t).Code != "not_a_member" {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
		})
	}
	if m := owner.Get("/v1/members/" + id).Map(t); m["status"] != "invited" {
		t.Fatalf("the invitation was taken: %v", m)
	}
	t.Run("StringTrueBinds", func(t *testing.T) {
		r := e.Do(testenv.Request{Method: "GET", Path: "/v1/me", Token: mint("idp|nora", "true")})
		if r.Status != 200 || r.Map(t)["memberId"] != id {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
}

// TestNoApprovalDuringOffboarding (finding 2): once offboarding answers 202, an
// approval answers 409 offboarding_in_progress and creates nothing: no identity,
// no provisioning execution, no Workspace user. The offboarding's own steps are
// held (every call of its function fails) so they cannot reject the request first.
func TestNoApprovalDuringOffboarding(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	acme := e.Seed.ClientID
	id := submit(t, e, e.Seed.Platforms["googleAds"], "managed")["id"].(string)
	e.Stack.Calls.InjectFault(func(fn, op string) error {
		if fn == "OffboardClientFunction" {
			return &smithy.GenericAPIError{Code: "InternalServerError", Message: "held"}
		}
		return nil
	})
	defer e.Stack.Calls.InjectFault(nil)
	name := e.As("admin").Get("/v1/clients/" + acme).Map(t)["name"]
	if r := e.As("admin").Post("/v1/clients/"+acme+"/offboarding", map[string]any{"confirmName": name}); r.Status != 202 {
		t.Fatalf("offboarding: %d %s", r.Status, r.Body)
	}
	prov := e.Stack.MachineARN("ProvisioningStateMachine")
	before := len(e.Stack.StepFunctions.Executions(prov))
	r := e.As("owner").Post("/v1/clients/"+acme+"/access-requests/"+id+"/approve", nil)
	if r.Status != 409 || r.Problem(t).Code != "offboarding_in_progress" {
		t.Fatalf("approve during offboarding: %d %s", r.Status, r.Body)
	}
	if st := e.As("owner").Get("/v1/clients/" + acme + "/access-requests/" + id).Map(t)["status"]; st != "pending" {
		t.Fatalf("request = %v", st)
	}
	var idns struct{ Items []map[string]any }
	e.As("owner").Get("/v1/clients/"+acme+"/identities").JSON(t, &idns)
	for _, i := range idns.Items {
		if i["platformId"] == e.Seed.Platforms["googleAds"] {
			t.Fatalf("an identity was created: %v", i)
		}
	}
	if n := len(e.Stack.StepFunctions.Executions(prov)); n != before {
		t.Fatalf("%d provisioning executions started", n-before)
	}
}

// TestParallelRotations (finding 3): six rotations of one identity at once. One
// answers 200 and five 409 rotation_in_progress; the secret gains one version
// and Workspace sees one password change: a 409 changed nothing.
func TestParallelRotations(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	ipath := provisioned(t, e, e.Seed.Platforms["googleAds"], "managed")
	idn := e.As("admin").Get(ipath).Map(t)
	sm := secretsmanager.NewFromConfig(e.Stack.AWS)
	name := e.Stack.SecretName(ah.CredentialSecretName(e.Seed.AgencyID, e.Seed.ClientID, idn["id"].(string)))
	versions := func() int {
		out, err := sm.ListSecretVersionIds(context.Background(), &secretsmanager.ListSecretVersionIdsInput{SecretId: &name, IncludeDeprecated: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Versions)
	}
	before, calls := versions(), e.Stack.Directory.Calls()
	const n = 6
	statuses := make([]*testenv.Response, n)
	var wg sync.WaitGroup
	for k := range n {
		wg.Go(func() { statuses[k] = e.As("admin").Post(ipath+"/credentials/rotate", nil) })
	}
	wg.Wait()
	ok, busy := 0, 0
	for _, r := range statuses {
		switch {
		case r.Status == 200:
			ok++
		case r.Status == 409 && r.Problem(t).Code == "rotation_in_progress":
			busy++
		default:
			t.Errorf("unexpected answer %d %s", r.Status, r.Body)
		}
	}
	if ok < 1 || ok+busy != n {
		t.Fatalf("%d rotated, %d rotation_in_progress", ok, busy)
	}
	// each 200 is one rotation: one new version and one Workspace call apiece
	if v, c := versions()-before, e.Stack.Directory.Calls()-calls; v != ok || c != ok {
		t.Fatalf("%d rotations answered 200, but %d new secret versions and %d Workspace calls", ok, v, c)
	}
}

// TestAuditVisibility (finding 4): who reads which audit entry follows the rule of
// the resource it describes. Each team role × each entry type of a client's trail:
// identity entries (their email, status, provisioning, credential reveals) only
// with identity access (owner, admin, team manager or operator), everything else
// of the client to whoever sees the client; the Effective Access tab shows no
// identity to a viewer either.
func TestAuditVisibility(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	acme := e.Seed.ClientID
	operator := e.As("admin").Post("/v1/members", map[string]any{"email": "olga@northwind.example", "name": "Olga", "role": "member"}).Map(t)["id"].(string)
	if r := e.As("admin").Send("PUT", "/v1/clients/"+acme+"/team/"+operator, map[string]any{"role": "operator"}); r.Status >= 300 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	olga := e.With(e.Token("idp|olga", "olga@northwind.example"))
	ipath := provisioned(t, e, e.Seed.Platforms["googleAds"], "managed")
	if r := e.As("admin").Post(ipath+"/credentials/reveal", nil); r.Status != 200 {
		t.Fatalf("reveal: %d %s", r.Status, r.Body)
	}
	drain(t, e)
	types := func(c *testenv.Caller) (map[string]bool, int) {
		r := c.Get("/v1/clients/" + acme + "/activity?limit=100")
		if r.Status != 200 {
			return nil, r.Status
		}
		var list struct{ Items []map[string]any }
		r.JSON(t, &list)
		seen := map[string]bool{}
		for _, en := range list.Items {
			seen[en["entityType"].(string)] = true
		}
		return seen, r.Status
	}
	everything, _ := types(e.As("owner"))
	for _, want := range []string{"client", "client_team", "client_platform", "access_request", "access_grant", "client_identity", "client_identity_guard"} {
		if !everything[want] {
			t.Fatalf("the fixture's trail has no %s entry: %v", want, everything)
		}
	}
	identity := map[string]bool{"client_identity": true, "client_identity_guard": true}
	for _, tt := range []struct {
		who        string
		caller     *testenv.Caller
		identities bool
	}{
		{"owner", e.As("owner"), true},
		{"admin", e.As("admin"), true},
		{"team manager", e.As("manager"), true},
		{"team operator", olga, true},
		{"team viewer", e.As("member"), false},
	} {
		t.Run(tt.who, func(t *testing.T) {
			seen, status := types(tt.caller)
			if status != 200 {
				t.Fatalf("activity: %d", status)
			}
			for typ := range everything {
				if want := !identity[typ] || tt.identities; seen[typ] != want {
					t.Errorf("%s entries visible = %v, want %v", typ, seen[typ], want)
				}
			}
			ea := tt.caller.Get("/v1/clients/" + acme + "/effective-access")
			var m struct{ Cells []ah.AccessCell }
			ea.JSON(t, &m)
			identityCells, identityRefs := 0, 0
			for _, c := range m.Cells {
				if c.Kind == "identity" {
					identityCells++
				}
				for _, d := range c.Derivation {
					if d.Source == "identity" {
						identityRefs++
					}
				}
			}
			if (identityCells > 0) != tt.identities || (identityRefs > 0) != tt.identities {
				t.Errorf("effective access: %d identity cells, %d identity derivations; identity access %v", identityCells, identityRefs, tt.identities)
			}
		})
	}
	t.Run("AgencySearchIsForOwnersAndAdmins", func(t *testing.T) {
		if r := e.As("manager").Get("/v1/audit"); r.Status != 403 {
			t.Fatalf("manager searching the agency trail: %d", r.Status)
		}
	})
}
