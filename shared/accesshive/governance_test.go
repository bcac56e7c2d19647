package accesshive

import (
	"testing"
	"time"
)

func TestGrantMinutes(t *testing.T) {
	limited := PolicyRules{Duration: DurationRule{MaxMinutes: 120, DefaultMinutes: 60}}
	maxOnly := PolicyRules{Duration: DurationRule{MaxMinutes: 120}}
	open := PolicyRules{}
	for _, tt := range []struct {
		name                string
		rules               PolicyRules
		requested, template int
		want                int
		violation           bool
	}{
		{"RequestedWithinLimit", limited, 90, 0, 90, false},
		{"RequestedAtLimit", limited, 120, 0, 120, false},
		{"RequestedAboveLimit", limited, 121, 0, 0, true},
		{"PolicyDefault", limited, 0, 0, 60, false},
		{"TemplateDefaultBeatsPolicyDefault", limited, 0, 30, 30, false},
		{"TemplateDefaultCappedAtMax", limited, 0, 500, 120, false},
		{"MaxWhenNoDefault", maxOnly, 0, 0, 120, false},
		{"NoLimitNoDuration", open, 0, 0, 0, false},
		{"NoLimitRequested", open, 10000, 0, 10000, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.rules.GrantMinutes(tt.requested, tt.template)
			if (err != nil) != tt.violation || got != tt.want {
				t.Fatalf("GrantMinutes(%d, %d) = %d, %v; want %d (violation %v)", tt.requested, tt.template, got, err, tt.want, tt.violation)
			}
			if err != nil && (CodeOf(err) != CodePolicyViolation || KindOf(err) != KindInvalid) {
				t.Fatalf("error %v", err)
			}
		})
	}
}

func TestCheckJustification(t *testing.T) {
	strict := PolicyRules{Audit: AuditRule{JustificationRequired: true, JustificationMinLength: 10}}
	lax := PolicyRules{}
	for _, tt := range []struct {
		name       string
		rules      PolicyRules
		text       string
		compliance bool
		field      string // "" when accepted
	}{
		{"LongEnough", strict, "0123456789", false, ""},
		{"TooShort", strict, "012345678", false, "too_short"},
		{"SpacesDoNotCount", strict, "   abc     ", false, "too_short"},
		{"Missing", strict, "", false, "required"},
		{"LaxAcceptsNone", lax, "", false, ""},
		{"ComplianceRequiresOne", lax, "", true, "required"},
		{"ComplianceAcceptsAny", lax, "x", true, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.rules.CheckJustification(tt.text, tt.compliance)
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			e := ErrorOf(err)
			if e == nil || e.Code != CodePolicyViolation || len(e.Fields) != 1 || e.Fields[0].Code != tt.field {
				t.Fatalf("err = %v, want %s", err, tt.field)
			}
		})
	}
}

func TestAssignedPolicy(t *testing.T) {
	g := ClientGovernance{PolicyAssignments: []PolicyAssignment{{PolicyID: "client-pol", Scope: ScopeClient}, {PolicyID: "ads-pol", Scope: "pl_ads"}}}
	if id, src := g.AssignedPolicy("pl_ads"); id != "ads-pol" || src != PolicyFromPlatformAssignment {
		t.Fatalf("platform: %s %s", id, src)
	}
	if id, src := g.AssignedPolicy("pl_meta"); id != "client-pol" || src != PolicyFromClientAssignment {
		t.Fatalf("client: %s %s", id, src)
	}
	if id, _ := (ClientGovernance{}).AssignedPolicy("pl_ads"); id != "" {
		t.Fatalf("none: %s", id)
	}
}

// TestExpiredAccessNeedsAttention: a grant past its end that is still recorded
// makes the client need attention, with the count; before its end it does not.
func TestExpiredAccessNeedsAttention(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	c := Client{Lifecycle: ClientActive, SecurityPolicyID: "pol", Facts: ClientFacts{TechnicalContacts: 1, BusinessContacts: 1, TeamMembers: 1, Platforms: 1,
		AccessEnds: map[string]time.Time{"req_a": now.Add(time.Minute), "req_b": now.Add(-time.Minute), "req_c": now}}}
	at := c.Attention(now)
	if len(at) != 1 || at[0].Reason != "expired_access" || at[0].Count != 2 || c.Status(now) != ClientNeedsAttention {
		t.Fatalf("attention = %+v, status %s", at, c.Status(now))
	}
	if st := c.Status(now.Add(-2 * time.Minute)); st != ClientHealthy {
		t.Fatalf("before any end: %s", st)
	}
	c.Facts.FailedIdentities = 1
	c.Facts.PlatformHealth = map[string]PlatformStatus{"pl_ads": PlatformDegraded}
	reasons := []string{}
	for _, r := range c.Attention(now) {
		reasons = append(reasons, r.Reason)
	}
	if len(reasons) != 3 || reasons[0] != "failed_provisioning" || reasons[1] != "expired_access" || reasons[2] != "platform_not_operational" {
		t.Fatalf("reasons = %v", reasons)
	}
}

func TestGovernanceWithoutMember(t *testing.T) {
	g := ClientGovernance{TeamGroups: []TeamGroup{{Name: "A", Role: TeamViewer, MemberIDs: []string{"m1", "m2"}}, {Name: "B", Role: TeamViewer, MemberIDs: []string{"m2x"}}}}
	g = g.WithoutMember("m1").WithoutMember("m2x")
	if len(g.TeamGroups) != 1 || len(g.TeamGroups[0].MemberIDs) != 1 || g.TeamGroups[0].MemberIDs[0] != "m2" || g.GroupOf("m2") != "A" || g.GroupOf("m1") != "" {
		t.Fatalf("groups = %+v", g.TeamGroups)
	}
}
