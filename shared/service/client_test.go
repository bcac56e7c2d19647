package service_test

import (
	"testing"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// TestCreateClientRules: the creation flow's checks, each refusal writing nothing,
// and what a created client looks like.
func TestCreateClientRules(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	base := func() ah.NewClientInput {
		return ah.NewClientInput{Name: "Initech", Industry: "technology", Region: "us", Timezone: "America/Chicago"}
	}
	tests := []struct {
		name  string
		who   string
		in    func(*ah.NewClientInput)
		code  string
		field string
	}{
		{"DuplicateNameAnyCase", "owner", func(in *ah.NewClientInput) { in.Name = "ACME" }, ah.CodeClientNameTaken, ""},
		{"UnknownIndustry", "owner", func(in *ah.NewClientInput) { in.Industry = "mining" }, ah.CodeValidation, "industry"},
		{"UnknownTimezone", "owner", func(in *ah.NewClientInput) { in.Timezone = "Mars/Olympus" }, ah.CodeValidation, "timezone"},
		{"UnknownPolicy", "owner", func(in *ah.NewClientInput) { in.SecurityPolicyID = "pol_01jzzzzzzzzzzzzzzzzzzzzzzz" }, ah.CodeValidation, "securityPolicyId"},
		{"ClientUserOnTeam", "owner", func(in *ah.NewClientInput) {
			in.Team = []ah.TeamInput{{MemberID: w.ids["member"], Role: ah.TeamViewer}, {MemberID: w.ids["clientUser"], Role: ah.TeamViewer}}
		}, ah.CodeValidation, "team[1].memberId"},
		{"UnknownMemberOnTeam", "owner", func(in *ah.NewClientInput) {
			in.Team = []ah.TeamInput{{MemberID: "mbr_01jzzzzzzzzzzzzzzzzzzzzzzz", Role: ah.TeamViewer}}
		}, ah.CodeValidation, "team[0].memberId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base()
			tt.in(&in)
			_, err := w.svc.CreateClient(w.ctx, w.as(tt.who), in, nil)
			if code(err) != tt.code || fieldOf(err) != tt.field {
				t.Fatalf("= %v (field %q), want %s on %q", err, fieldOf(err), tt.code, tt.field)
			}
			list, _, _ := w.store.ListClients(w.ctx, w.agencyID, ah.ClientActive, ah.Page{})
			if len(list) != 2 {
				t.Fatalf("%d clients after a refused creation, want 2", len(list))
			}
			m, _ := w.store.GetMember(w.ctx, w.agencyID, w.ids["member"])
			if len(m.Teams) != 1 {
				t.Fatalf("a refused creation changed a member's teams: %v", m.Teams)
			}
		})
	}
	t.Run("ManagerJoinsWhatTheyCreate", func(t *testing.T) {
		in := base()
		in.Contacts = []ah.ContactInput{{Kind: ah.ContactTechnical, Name: "Tech", Email: "Tech@Initech.test"}}
		c, err := w.svc.CreateClient(w.ctx, w.as("outsider"), in, nil)
		if err != nil {
			t.Fatal(err)
		}
		v := c.Value
		if len(v.Team) != 1 || v.Team[0].MemberID != w.ids["outsider"] || v.Team[0].Role != ah.TeamManager {
			t.Fatalf("team = %+v", v.Team)
		}
		if len(v.Contacts) != 1 || v.Contacts[0].Email != "tech@initech.test" {
			t.Fatalf("contacts = %+v", v.Contacts)
		}
		if p := w.as("outsider"); p.TeamRole(v.ID) != ah.TeamManager {
			t.Fatalf("the creator's principal does not carry the new team: %v", p.Teams)
		}
		done := map[string]bool{}
		for _, c := range v.Checklist {
			done[c.Item] = c.Done
		}
		if !done["technical_contact"] || done["business_contact"] || !done["team"] || done["platform"] || !done["security_policy"] {
			t.Fatalf("checklist = %+v", v.Checklist)
		}
	})
}

// TestClientChanges: renames keep names unique, team and contact changes keep
// the facts the status is computed from, a stale version is refused.
func TestClientChanges(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	owner := w.as("owner")
	t.Run("RenameFreesTheOldName", func(t *testing.T) {
		if _, err := w.svc.UpdateClient(w.ctx, owner, w.otherID, ah.ClientPatch{Name: new("acme")}, nil); code(err) != ah.CodeClientNameTaken {
			t.Fatalf("rename onto another's name = %v", err)
		}
		if _, err := w.svc.UpdateClient(w.ctx, owner, w.otherID, ah.ClientPatch{Name: new("Globex Corp")}, nil); err != nil {
			t.Fatal(err)
		}
		w.newClient(owner, "Globex")
		if _, err := w.svc.UpdateClient(w.ctx, owner, w.otherID, ah.ClientPatch{Name: new("GLOBEX CORP")}, nil); err != nil {
			t.Fatalf("changing only the case of its own name = %v", err)
		}
	})
	t.Run("StaleIfMatch", func(t *testing.T) {
		v, _ := w.svc.GetClient(w.ctx, owner, w.clientID)
		stale := v.Version - 1
		if _, err := w.svc.UpdateClient(w.ctx, owner, w.clientID, ah.ClientPatch{Description: new("d")}, &stale); code(err) != ah.CodePreconditionFailed {
			t.Fatalf("= %v", err)
		}
		if _, err := w.svc.UpdateClient(w.ctx, owner, w.clientID, ah.ClientPatch{Description: new("d")}, &v.Version); err != nil {
			t.Fatalf("current If-Match = %v", err)
		}
	})
	t.Run("LostWriteIsAConflict", func(t *testing.T) {
		w.store.FailNext("UpdateClient", ah.Conflict(ah.CodeVersionConflict, "changed"))
		if _, err := w.svc.UpdateClient(w.ctx, owner, w.clientID, ah.ClientPatch{Description: new("e")}, nil); code(err) != ah.CodeVersionConflict {
			t.Fatalf("= %v", err)
		}
	})
	t.Run("Contacts", func(t *testing.T) {
		_, created, err := w.svc.PutContact(w.ctx, owner, w.clientID, "ops", ah.ContactInput{Kind: ah.ContactBusiness, Name: "Ops", Email: "ops@acme.test"})
		if err != nil || !created {
			t.Fatalf("put = %v (created %v)", err, created)
		}
		_, created, _ = w.svc.PutContact(w.ctx, owner, w.clientID, "ops", ah.ContactInput{Kind: ah.ContactTechnical, Name: "Ops", Email: "ops@acme.test"})
		d, _ := w.store.GetClientDetail(w.ctx, w.agencyID, w.clientID)
		if created || d.Client.Facts.BusinessContacts != 0 || d.Client.Facts.TechnicalContacts != 1 {
			t.Fatalf("after a kind change: created %v, facts %+v", created, d.Client.Facts)
		}
		if err := w.svc.DeleteContact(w.ctx, owner, w.clientID, "ops"); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.DeleteContact(w.ctx, owner, w.clientID, "ops"); code(err) != ah.CodeNotFound {
			t.Fatalf("delete twice = %v", err)
		}
		d, _ = w.store.GetClientDetail(w.ctx, w.agencyID, w.clientID)
		if d.Client.Facts.TechnicalContacts != 0 || len(d.Contacts) != 0 {
			t.Fatalf("facts %+v", d.Client.Facts)
		}
	})
	t.Run("Team", func(t *testing.T) {
		if _, _, err := w.svc.PutTeamMember(w.ctx, owner, w.clientID, w.ids["otherUser"], ah.TeamRoleInput{Role: ah.TeamViewer}); code(err) != ah.CodeValidation || fieldOf(err) != "memberId" {
			t.Fatalf("client user on a team = %v", err)
		}
		if err := w.svc.DeleteTeamMember(w.ctx, owner, w.clientID, w.ids["outsider"]); code(err) != ah.CodeNotFound {
			t.Fatalf("remove a non-member = %v", err)
		}
		_, created, err := w.svc.PutTeamMember(w.ctx, owner, w.clientID, w.ids["member"], ah.TeamRoleInput{Role: ah.TeamOperator})
		d, _ := w.store.GetClientDetail(w.ctx, w.agencyID, w.clientID)
		if err != nil || created || d.Client.Facts.TeamMembers != 2 || w.as("member").TeamRole(w.clientID) != ah.TeamOperator {
			t.Fatalf("role change: %v created=%v facts=%+v", err, created, d.Client.Facts)
		}
	})
	t.Run("Platforms", func(t *testing.T) {
		if _, _, err := w.svc.AddClientPlatform(w.ctx, owner, w.clientID, w.platforms["down"]); code(err) != ah.CodePlatformNotOperational {
			t.Fatalf("add a disconnected platform = %v", err)
		}
		cp, created, err := w.svc.AddClientPlatform(w.ctx, owner, w.clientID, w.platforms["ads"])
		if err != nil || created || cp.PlatformID != w.platforms["ads"] {
			t.Fatalf("add again = %+v %v %v", cp, created, err)
		}
		// the platform going down between the read and the write is caught in the transaction
		w.store.FailNext("AddClientPlatform", ah.Conflict(ah.CodePlatformNotOperational, "went down"))
		w.newClient(owner, "Hooli")
	})
}

// TestGovernance: team groups become team assignments, leaving a group leaves the
// team, client owners must be enabled staff, policies must exist and platform
// scopes must be configured.
func TestGovernance(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	owner := w.as("owner")
	pol := must(w.svc.CreateGovernancePolicy(w.ctx, owner, ah.NewGovernancePolicyInput{Name: "Strict"}, nil)).Value
	in := ah.ClientGovernance{
		PolicyAssignments: []ah.PolicyAssignment{{PolicyID: pol.ID, Scope: ah.ScopeClient}},
		TeamGroups:        []ah.TeamGroup{{Name: "Ops", Role: ah.TeamOperator, MemberIDs: []string{w.ids["outsider"], w.ids["member"]}}},
		ClientOwners:      []string{w.ids["manager"]},
	}
	g, err := w.svc.PutGovernance(w.ctx, owner, w.clientID, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := w.store.GetClientDetail(w.ctx, w.agencyID, w.clientID)
	if d.TeamRole(w.ids["outsider"]) != ah.TeamOperator || d.TeamRole(w.ids["member"]) != ah.TeamOperator || d.Client.Facts.TeamMembers != 3 {
		t.Fatalf("team = %+v facts %+v", d.Team, d.Client.Facts)
	}
	if w.as("outsider").TeamRole(w.clientID) != ah.TeamOperator {
		t.Fatal("a group member's principal does not carry the team")
	}
	r := w.submit("ads", ah.IdentityStandard)
	if r.Policy.PolicyID != pol.ID || r.Policy.Source != ah.PolicyFromClientAssignment {
		t.Fatalf("request policy = %+v", r.Policy)
	}
	tests := []struct {
		name  string
		in    func(ah.ClientGovernance) ah.ClientGovernance
		field string
	}{
		{"UnknownPolicy", func(g ah.ClientGovernance) ah.ClientGovernance {
			g.PolicyAssignments = []ah.PolicyAssignment{{PolicyID: "gpo_01jzzzzzzzzzzzzzzzzzzzzzzz", Scope: ah.ScopeClient}}
			return g
		}, "policyAssignments"},
		{"UnconfiguredPlatformScope", func(g ah.ClientGovernance) ah.ClientGovernance {
			g.PolicyAssignments = []ah.PolicyAssignment{{PolicyID: pol.ID, Scope: w.platforms["down"]}}
			return g
		}, "policyAssignments[0].scope"},
		{"ClientUserAsOwner", func(g ah.ClientGovernance) ah.ClientGovernance {
			g.ClientOwners = []string{w.ids["clientUser"]}
			return g
		}, "clientOwners[0]"},
		{"ClientUserInGroup", func(g ah.ClientGovernance) ah.ClientGovernance {
			g.TeamGroups = []ah.TeamGroup{{Name: "Ops", Role: ah.TeamOperator, MemberIDs: []string{w.ids["outsider"], w.ids["otherUser"]}}}
			return g
		}, "teamGroups[0].memberIds[1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.svc.PutGovernance(w.ctx, owner, w.clientID, tt.in(in), nil)
			if code(err) != ah.CodeValidation || fieldOf(err) != tt.field {
				t.Fatalf("= %v (field %q), want validation on %q", err, fieldOf(err), tt.field)
			}
			now, _ := w.svc.GetGovernance(w.ctx, owner, w.clientID)
			if now.Version != g.Version {
				t.Fatal("a refused change wrote the client")
			}
		})
	}
	t.Run("LeavingTheGroupLeavesTheTeam", func(t *testing.T) {
		in.TeamGroups[0].MemberIDs = []string{w.ids["member"]}
		if _, err := w.svc.PutGovernance(w.ctx, owner, w.clientID, in, nil); err != nil {
			t.Fatal(err)
		}
		d, _ := w.store.GetClientDetail(w.ctx, w.agencyID, w.clientID)
		if d.TeamRole(w.ids["outsider"]) != "" || d.Client.Facts.TeamMembers != 2 {
			t.Fatalf("team = %+v", d.Team)
		}
		if _, err := w.svc.GetClient(w.ctx, w.as("outsider"), w.clientID); code(err) != ah.CodeNotFound {
			t.Fatalf("a member who left the group still sees the client: %v", err)
		}
	})
}

// TestSettings: the expiry window applies to new requests; the default security
// policy moves with exactly one default.
func TestSettings(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	owner := w.as("owner")
	if _, err := w.svc.UpdateSettings(w.ctx, owner, ah.SettingsPatch{AccessRequestExpiryMinutes: new(30)}, nil); err != nil {
		t.Fatal(err)
	}
	if r := w.submit("ads", ah.IdentityStandard); r.ExpiresAt.Sub(r.CreatedAt).Minutes() != 30 {
		t.Fatalf("window %v", r.ExpiresAt.Sub(r.CreatedAt))
	}
	if _, err := w.svc.UpdateSettings(w.ctx, owner, ah.SettingsPatch{DefaultSecurityPolicyID: new("pol_01jzzzzzzzzzzzzzzzzzzzzzzz")}, nil); code(err) != ah.CodeValidation {
		t.Fatalf("unknown default = %v", err)
	}
	tight := ah.DefaultSecurityPolicy()
	tight.Name = "Tight"
	pol := must(w.svc.CreateSecurityPolicy(w.ctx, owner, tight, nil)).Value
	if _, err := w.svc.UpdateSettings(w.ctx, owner, ah.SettingsPatch{DefaultSecurityPolicyID: &pol.ID}, nil); err != nil {
		t.Fatal(err)
	}
	list, _, _ := w.svc.ListSecurityPolicies(w.ctx, owner, ah.Page{})
	defaults := 0
	for _, p := range list {
		if p.IsDefault {
			defaults++
			if p.ID != pol.ID {
				t.Fatalf("default is %s, want %s", p.ID, pol.ID)
			}
		}
	}
	if defaults != 1 {
		t.Fatalf("%d default policies", defaults)
	}
}
