package service_test

import (
	"sort"
	"strings"
	"testing"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// TestClientVisibility: owners and admins see every client; other staff the
// clients whose team they are on (from their principal, no read); client users no
// client's staff view. A client one may not see is not found, never forbidden.
func TestClientVisibility(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tests := []struct {
		who      string
		getAcme  string // error code of GetClient(Acme)
		listed   string // clients listed, by name
		requests string // error code of ListRequests(Acme)
	}{
		{"owner", "", "Acme,Globex", ""},
		{"admin", "", "Acme,Globex", ""},
		{"manager", "", "Acme", ""},
		{"member", "", "Acme", ""},
		{"outsider", ah.CodeNotFound, "", ah.CodeNotFound},
		{"clientUser", ah.CodeNotFound, "", ""},
		{"otherUser", ah.CodeNotFound, "", ah.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.who, func(t *testing.T) {
			p := w.as(tt.who)
			_, err := w.svc.GetClient(w.ctx, p, w.clientID)
			if code(err) != tt.getAcme {
				t.Errorf("GetClient = %q, want %q", code(err), tt.getAcme)
			}
			var names []string
			if p.Role != ah.RoleClientUser {
				list, _, err := w.svc.ListClients(w.ctx, p, ah.ClientActive, ah.Page{Limit: 50})
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range list {
					names = append(names, c.Name)
				}
				sort.Strings(names)
			}
			if got := strings.Join(names, ","); got != tt.listed {
				t.Errorf("ListClients = %s, want %s", got, tt.listed)
			}
			_, _, err = w.svc.ListRequests(w.ctx, p, w.clientID, "", ah.Page{Limit: 10})
			if code(err) != tt.requests {
				t.Errorf("ListRequests = %q, want %q", code(err), tt.requests)
			}
		})
	}
	t.Run("UnknownClientIsNotFoundForAdmins", func(t *testing.T) {
		_, _, err := w.svc.ListRequests(w.ctx, w.as("admin"), "cli_01jzzzzzzzzzzzzzzzzzzzzzzz", "", ah.Page{Limit: 10})
		if code(err) != ah.CodeNotFound {
			t.Fatalf("ListRequests of an unknown client = %v, want not_found", err)
		}
	})
	t.Run("TeamChangeReachesThePrincipal", func(t *testing.T) {
		if _, _, err := w.svc.PutTeamMember(w.ctx, w.as("owner"), w.otherID, w.ids["outsider"], ah.TeamRoleInput{Role: ah.TeamOperator}); err != nil {
			t.Fatal(err)
		}
		p := w.as("outsider")
		if p.TeamRole(w.otherID) != ah.TeamOperator {
			t.Fatalf("principal teams = %v", p.Teams)
		}
		if _, err := w.svc.GetClient(w.ctx, p, w.otherID); err != nil {
			t.Fatalf("GetClient after joining the team: %v", err)
		}
		if err := w.svc.DeleteTeamMember(w.ctx, w.as("owner"), w.otherID, w.ids["outsider"]); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.GetClient(w.ctx, w.as("outsider"), w.otherID); code(err) != ah.CodeNotFound {
			t.Fatalf("GetClient after leaving the team = %v, want not_found", err)
		}
	})
}

// TestMemberRules: who may invite and change whom.
func TestMemberRules(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	role := func(r ah.Role) *ah.Role { return &r }
	status := func(s ah.MemberStatus) *ah.MemberStatus { return &s }
	invites := []struct {
		who  string
		role ah.Role
		want string
	}{
		{"owner", ah.RoleOwner, ""},
		{"owner", ah.RoleAdmin, ""},
		{"admin", ah.RoleClientManager, ""},
		{"admin", ah.RoleMember, ""},
		{"admin", ah.RoleAdmin, ah.CodeOwnerOnly},
		{"admin", ah.RoleOwner, ah.CodeOwnerOnly},
		{"manager", ah.RoleMember, ah.CodeOwnerOnly},
	}
	for i, tt := range invites {
		_, err := w.svc.CreateMember(w.ctx, w.as(tt.who), ah.NewMemberInput{Email: strings.Repeat("x", i+1) + "@northwind.test", Name: "N", Role: tt.role}, nil)
		if code(err) != tt.want {
			t.Errorf("%s invites %s: %q, want %q", tt.who, tt.role, code(err), tt.want)
		}
	}
	if _, err := w.svc.CreateMember(w.ctx, w.as("owner"), ah.NewMemberInput{Email: "ADMIN@northwind.test", Name: "Dup", Role: ah.RoleMember}, nil); code(err) != ah.CodeEmailTaken {
		t.Errorf("an email in use (any case) = %q, want email_taken", code(err))
	}
	changes := []struct {
		name, who, target string
		patch             ah.MemberPatch
		want              string
	}{
		{"SelfRole", "admin", "admin", ah.MemberPatch{Role: role(ah.RoleOwner)}, ah.CodeSelfChange},
		{"SelfStatus", "owner", "owner", ah.MemberPatch{Status: status(ah.MemberDisabled)}, ah.CodeSelfChange},
		{"AdminDemotesOwner", "admin", "owner", ah.MemberPatch{Role: role(ah.RoleMember)}, ah.CodeOwnerOnly},
		{"AdminPromotesToAdmin", "admin", "member", ah.MemberPatch{Role: role(ah.RoleAdmin)}, ah.CodeOwnerOnly},
		{"ClientUserRole", "owner", "clientUser", ah.MemberPatch{Role: role(ah.RoleMember)}, ah.CodeValidation},
		{"AdminRenamesMember", "admin", "member", ah.MemberPatch{Name: new("Renamed")}, ""},
	}
	for _, tt := range changes {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.svc.UpdateMember(w.ctx, w.as(tt.who), w.ids[tt.target], tt.patch, nil)
			if code(err) != tt.want {
				t.Fatalf("= %v, want %q", err, tt.want)
			}
		})
	}
	t.Run("DisabledMemberCannotSignIn", func(t *testing.T) {
		if _, err := w.svc.UpdateMember(w.ctx, w.as("admin"), w.ids["member"], ah.MemberPatch{Status: status(ah.MemberDisabled)}, nil); err != nil {
			t.Fatal(err)
		}
		_, err := w.svc.ResolvePrincipal(w.ctx, claims("member", w.emails["member"]))
		if code(err) != ah.CodeMemberDisabled {
			t.Fatalf("disabled member signs in: %v", err)
		}
	})
	t.Run("StaleIfMatch", func(t *testing.T) {
		stale := 0
		_, err := w.svc.UpdateMember(w.ctx, w.as("admin"), w.ids["outsider"], ah.MemberPatch{Name: new("X")}, &stale)
		if code(err) != ah.CodePreconditionFailed {
			t.Fatalf("stale If-Match = %v", err)
		}
	})
}

// TestLastOwner: two owners disable each other, the second with the principal it
// held before it was disabled (the API caches principals for a few seconds): the
// store's owner count refuses the change that would leave none, and writes nothing.
func TestLastOwner(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	status := func(s ah.MemberStatus) *ah.MemberStatus { return &s }
	second := must(w.svc.CreateMember(w.ctx, w.as("owner"), ah.NewMemberInput{Email: "second@northwind.test", Name: "S", Role: ah.RoleOwner}, nil)).Value
	w.emails["second"] = second.Email
	first, stale := w.as("owner"), w.as("second")
	if _, err := w.svc.UpdateMember(w.ctx, first, second.ID, ah.MemberPatch{Status: status(ah.MemberDisabled)}, nil); err != nil {
		t.Fatalf("disable one of two owners: %v", err)
	}
	before, _ := w.store.GetMember(w.ctx, w.agencyID, w.ids["owner"])
	_, err := w.svc.UpdateMember(w.ctx, stale, w.ids["owner"], ah.MemberPatch{Status: status(ah.MemberDisabled)}, nil)
	if code(err) != ah.CodeLastOwner {
		t.Fatalf("disabling the last enabled owner = %v, want last_owner", err)
	}
	after, _ := w.store.GetMember(w.ctx, w.agencyID, w.ids["owner"])
	if after.Version != before.Version || after.Status != before.Status {
		t.Fatal("a refused change wrote the member")
	}
	if _, err := w.svc.UpdateMember(w.ctx, first, second.ID, ah.MemberPatch{Status: status(ah.MemberActive)}, nil); err != nil {
		t.Fatalf("re-enable the second owner: %v", err)
	}
}
