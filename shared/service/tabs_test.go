package service_test

import (
	"testing"
	"time"

	"github.com/accesshive/accesshive/infra/memstore"
	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/service"
)

// TestIdentityAccess: the Identities tab and credentials need identity access:
// owners and admins, and team members whose team role includes it (manager,
// operator); viewers are refused, staff off the team see nothing.
func TestIdentityAccess(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	idn := w.provisioned("ads", ah.IdentityStandard)
	for _, tt := range []struct{ who, want string }{
		{"owner", ""}, {"admin", ""}, {"manager", ""},
		{"member", ah.CodeNoIdentityAccess}, {"outsider", ah.CodeNotFound}, {"clientUser", ah.CodeNotFound},
	} {
		t.Run(tt.who, func(t *testing.T) {
			p := w.as(tt.who)
			_, _, err := w.svc.ListClientIdentities(w.ctx, p, w.clientID, ah.Page{})
			if code(err) != tt.want {
				t.Errorf("list = %v, want %q", err, tt.want)
			}
			if _, err := w.svc.GetClientIdentity(w.ctx, p, w.clientID, idn.ID); code(err) != tt.want {
				t.Errorf("get = %v, want %q", err, tt.want)
			}
		})
	}
	if _, _, err := w.svc.ListClientIdentities(w.ctx, w.as("admin"), "cli_01jzzzzzzzzzzzzzzzzzzzzzzz", ah.Page{}); code(err) != ah.CodeNotFound {
		t.Fatalf("identities of an unknown client = %v", err)
	}
}

// TestEffectiveAccessThroughTheService: a provisioned grant shows the requester's
// access through the client's identity, and team members' access through their
// role.
func TestEffectiveAccessThroughTheService(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	idn := w.provisioned("ads", ah.IdentityStandard)
	ea, err := w.svc.GetEffectiveAccess(w.ctx, w.as("manager"), w.clientID)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	for _, c := range ea.Cells {
		found[c.Kind+"/"+c.PrincipalID+"/"+c.PlatformID] = c.Access
	}
	if found["client_user/"+w.ids["clientUser"]+"/"+w.platforms["ads"]] != ah.AccessAwaitingCredential {
		t.Fatalf("requester cell of a standard identity without its credential: %v", found)
	}
	if _, err := w.svc.ReplaceCredential(w.ctx, w.as("admin"), w.clientID, idn.ID, ah.CredentialInput{Username: "ops@acme.test", Password: "S3cret-pass-word!"}); err != nil {
		t.Fatal(err)
	}
	if ea, err = w.svc.GetEffectiveAccess(w.ctx, w.as("manager"), w.clientID); err != nil {
		t.Fatal(err)
	}
	for _, c := range ea.Cells {
		found[c.Kind+"/"+c.PrincipalID+"/"+c.PlatformID] = c.Access
	}
	if found["client_user/"+w.ids["clientUser"]+"/"+w.platforms["ads"]] != ah.AccessGranted {
		t.Fatalf("requester cell missing: %v", found)
	}
	if found["identity/"+idn.ID+"/"+w.platforms["ads"]] != ah.AccessIdentity {
		t.Fatalf("identity cell missing: %v", found)
	}
	if _, err := w.svc.GetEffectiveAccess(w.ctx, w.as("outsider"), w.clientID); code(err) != ah.CodeNotFound {
		t.Fatalf("outsider = %v", err)
	}
}

// TestActivity: a client's trail is read within the client's scope, newest first;
// an unknown client is not found, never an empty trail.
func TestActivity(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	at := w.clock.Now()
	w.audit.Add(w.agencyID,
		ah.AuditEntry{ID: "a1", At: at, ActorID: w.ids["admin"], Action: "client.update", EntityType: "client", EntityID: w.clientID, ClientID: w.clientID},
		ah.AuditEntry{ID: "a2", At: at.Add(time.Second), ActorID: w.ids["owner"], Action: "client.update", EntityType: "client", EntityID: w.clientID, ClientID: w.clientID},
		ah.AuditEntry{ID: "a3", At: at, ActorID: w.ids["owner"], Action: "client.update", EntityType: "client", EntityID: w.otherID, ClientID: w.otherID})
	list, _, err := w.svc.ListActivity(w.ctx, w.as("member"), w.clientID, ah.AuditFilter{}, ah.Page{Limit: 10})
	if err != nil || len(list) != 2 || list[0].ID != "a2" {
		t.Fatalf("activity = %+v, %v", list, err)
	}
	if _, _, err := w.svc.ListActivity(w.ctx, w.as("outsider"), w.clientID, ah.AuditFilter{}, ah.Page{}); code(err) != ah.CodeNotFound {
		t.Fatalf("outsider = %v", err)
	}
	if _, _, err := w.svc.ListActivity(w.ctx, w.as("owner"), "cli_01jzzzzzzzzzzzzzzzzzzzzzzz", ah.AuditFilter{}, ah.Page{}); code(err) != ah.CodeNotFound {
		t.Fatalf("unknown client = %v", err)
	}
	all, _, err := w.svc.SearchAudit(w.ctx, w.as("owner"), ah.AuditFilter{ActorID: w.ids["owner"]}, ah.Page{})
	if err != nil || len(all) != 2 {
		t.Fatalf("search by actor = %+v, %v", all, err)
	}
}

// TestPlatformStatusReachesClients: a platform going down is recorded on every
// client it is configured for, which then needs attention.
func TestPlatformStatusReachesClients(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	degraded := ah.PlatformDegraded
	if _, err := w.svc.UpdatePlatform(w.ctx, w.as("owner"), w.platforms["ads"], ah.PlatformPatch{Status: &degraded}, nil); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{w.clientID, w.otherID} {
		v, err := w.svc.GetClient(w.ctx, w.as("owner"), id)
		if err != nil {
			t.Fatal(err)
		}
		if v.Status != ah.ClientNeedsAttention {
			t.Fatalf("client %s status %s, want needs_attention", id, v.Status)
		}
	}
	r := w.submit("ads", ah.IdentityStandard)
	if r.Status != ah.RequestPending {
		t.Fatalf("submit on a degraded platform: %s", r.Status)
	}
	stale := 0
	if _, err := w.svc.UpdatePlatform(w.ctx, w.as("owner"), w.platforms["ads"], ah.PlatformPatch{Name: new("Ads")}, &stale); code(err) != ah.CodePreconditionFailed {
		t.Fatalf("stale If-Match = %v", err)
	}
}

// TestRoleTemplates: a template names an existing policy; a request naming a
// template for another platform kind is refused; one for this kind takes its
// identity type and duration.
func TestRoleTemplates(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	owner := w.as("owner")
	if _, err := w.svc.CreateRoleTemplate(w.ctx, owner, ah.RoleTemplateInput{Name: "T", PlatformKind: ah.KindGoogleAds, IdentityType: ah.IdentityManaged,
		GovernancePolicyID: "gpo_01jzzzzzzzzzzzzzzzzzzzzzzz"}, nil); code(err) != ah.CodeValidation || fieldOf(err) != "governancePolicyId" {
		t.Fatalf("unknown policy = %v", err)
	}
	tpl := must(w.svc.CreateRoleTemplate(w.ctx, owner, ah.RoleTemplateInput{Name: "Ads analyst", PlatformKind: ah.KindGoogleAds,
		IdentityType: ah.IdentityManaged, DefaultDurationMinutes: 90}, nil)).Value
	_, err := w.svc.SubmitRequest(w.ctx, w.as("clientUser"), w.clientID, ah.NewAccessRequestInput{PlatformID: w.platforms["meta"], RoleTemplateID: tpl.ID, Justification: "x"}, nil)
	if code(err) != ah.CodeValidation || fieldOf(err) != "roleTemplateId" {
		t.Fatalf("template for another kind = %v", err)
	}
	r := must(w.svc.SubmitRequest(w.ctx, w.as("clientUser"), w.clientID, ah.NewAccessRequestInput{PlatformID: w.platforms["ads"], RoleTemplateID: tpl.ID, Justification: "x"}, nil)).Value
	if r.IdentityType != ah.IdentityManaged || r.DurationMinutes != 90 {
		t.Fatalf("request = %s %d", r.IdentityType, r.DurationMinutes)
	}
	list, _, err := w.svc.ListRoleTemplates(w.ctx, w.as("clientUser"), ah.Page{})
	if err != nil || len(list) != 1 {
		t.Fatalf("templates = %v, %v", list, err)
	}
}

// TestAgencyIdentities: one agency identity per platform, on a platform that exists.
func TestAgencyIdentities(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	owner := w.as("owner")
	in := ah.NewIdentityInput{DisplayName: "Ads ops", Email: "ads@northwind.test", Scope: ah.ScopePlatform, PlatformID: w.platforms["ads"]}
	if _, err := w.svc.CreateIdentity(w.ctx, owner, in, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.CreateIdentity(w.ctx, owner, in, nil); code(err) != ah.CodePlatformIdentity {
		t.Fatalf("second on the platform = %v", err)
	}
	in.PlatformID = "pla_01jzzzzzzzzzzzzzzzzzzzzzzz"
	if _, err := w.svc.CreateIdentity(w.ctx, owner, in, nil); code(err) != ah.CodeValidation || fieldOf(err) != "platformId" {
		t.Fatalf("unknown platform = %v", err)
	}
	list, _, _ := w.svc.ListIdentities(w.ctx, owner, ah.Page{})
	if len(list) != 1 {
		t.Fatalf("%d identities", len(list))
	}
}

// TestPrincipalCache: with a cache, a role change applies at once to the member
// whose role changed (the change forgets their principal).
func TestPrincipalCache(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	svc := service.New(service.Options{Store: w.store, Clock: w.clock, PrincipalTTL: time.Minute, Workflows: &memstore.Workflows{}})
	c := claims("member", w.emails["member"])
	p, err := svc.ResolvePrincipal(w.ctx, c)
	if err != nil || p.Role != ah.RoleMember {
		t.Fatal(err)
	}
	calls := w.store.Calls("MemberBySubject")
	if _, err := svc.ResolvePrincipal(w.ctx, c); err != nil || w.store.Calls("MemberBySubject") != calls {
		t.Fatalf("a cached principal was read again (%v)", err)
	}
	admin, _ := svc.ResolvePrincipal(w.ctx, claims("owner", w.emails["owner"]))
	role := ah.RoleClientManager
	if _, err := svc.UpdateMember(w.ctx, admin, w.ids["member"], ah.MemberPatch{Role: &role}, nil); err != nil {
		t.Fatal(err)
	}
	if p, _ := svc.ResolvePrincipal(w.ctx, c); p.Role != ah.RoleClientManager {
		t.Fatalf("role after the change = %s", p.Role)
	}
	if _, err := svc.ResolvePrincipal(w.ctx, service.Claims{Subject: "sub|nobody", Email: "nobody@x.test", EmailVerified: true}); code(err) != ah.CodeNotAMember {
		t.Fatalf("stranger = %v", err)
	}
	if _, err := svc.ResolvePrincipal(w.ctx, service.Claims{Subject: "sub|unverified", Email: "admin@northwind.test"}); code(err) != ah.CodeNotAMember {
		t.Fatalf("unverified email binds a member: %v", err)
	}
}
