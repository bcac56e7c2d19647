package service

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// CreateGovernancePolicy creates an agency governance policy; parts left out take
// the built-in rules.
func (s *Service) CreateGovernancePolicy(ctx context.Context, p ah.Principal, in ah.NewGovernancePolicyInput, idem *Idem) (Created[ah.GovernancePolicy], error) {
	if err := in.Validate(); err != nil {
		return Created[ah.GovernancePolicy]{}, err
	}
	now := s.clock.Now()
	pol := ah.GovernancePolicy{ID: NewID("gov"), AgencyID: p.AgencyID, Name: strings.TrimSpace(in.Name),
		Description: strings.TrimSpace(in.Description), PolicyRules: in.Rules()}
	stampNew(&pol.Meta, p.MemberID, "governance_policy.create", now)
	return create(p, now, idem, pol, func(rec *ah.Idempotency) error { return s.store.CreateGovernancePolicy(ctx, pol, rec) })
}

// GetGovernancePolicy reads a governance policy.
func (s *Service) GetGovernancePolicy(ctx context.Context, p ah.Principal, policyID string) (ah.GovernancePolicy, error) {
	return s.store.GetGovernancePolicy(ctx, p.AgencyID, policyID)
}

// ListGovernancePolicies lists the agency's governance policies.
func (s *Service) ListGovernancePolicies(ctx context.Context, p ah.Principal, page ah.Page) ([]ah.GovernancePolicy, ah.Keys, error) {
	return s.store.ListGovernancePolicies(ctx, p.AgencyID, page)
}

// UpdateGovernancePolicy changes a policy. Requests already submitted keep the
// rules they were evaluated against (copied onto each request).
func (s *Service) UpdateGovernancePolicy(ctx context.Context, p ah.Principal, policyID string, patch ah.GovernancePolicyPatch, ifMatch *int) (ah.GovernancePolicy, error) {
	pol, err := s.store.GetGovernancePolicy(ctx, p.AgencyID, policyID)
	if err != nil {
		return pol, err
	}
	if err := checkIfMatch(ifMatch, pol.Version, pol); err != nil {
		return ah.GovernancePolicy{}, err
	}
	prev := pol.Version
	if pol, err = patch.Apply(pol); err != nil {
		return ah.GovernancePolicy{}, err
	}
	stampChange(&pol.Meta, p.MemberID, "governance_policy.update", s.clock.Now())
	return pol, s.store.UpdateGovernancePolicy(ctx, pol, prev)
}

// CreateRoleTemplate creates a role template (its policy, if named, must exist).
func (s *Service) CreateRoleTemplate(ctx context.Context, p ah.Principal, in ah.RoleTemplateInput, idem *Idem) (Created[ah.RoleTemplate], error) {
	if err := in.Validate(); err != nil {
		return Created[ah.RoleTemplate]{}, err
	}
	now := s.clock.Now()
	t := ah.RoleTemplate{ID: NewID("rtp"), AgencyID: p.AgencyID, Name: strings.TrimSpace(in.Name), Description: strings.TrimSpace(in.Description),
		PlatformKind: in.PlatformKind, IdentityType: in.IdentityType, DefaultDurationMinutes: in.DefaultDurationMinutes,
		GovernancePolicyID: strings.TrimSpace(in.GovernancePolicyID)}
	stampNew(&t.Meta, p.MemberID, "role_template.create", now)
	res, err := create(p, now, idem, t, func(rec *ah.Idempotency) error { return s.store.CreateRoleTemplate(ctx, t, rec) })
	return res, missingField(err, unknownGovernancePolicy)
}

func unknownGovernancePolicy(*ah.MissingError) (string, string) {
	return "governancePolicyId", "no such governance policy in this agency"
}

// GetRoleTemplate reads a role template.
func (s *Service) GetRoleTemplate(ctx context.Context, p ah.Principal, templateID string) (ah.RoleTemplate, error) {
	return s.store.GetRoleTemplate(ctx, p.AgencyID, templateID)
}

// ListRoleTemplates lists the agency's role templates (client users see them too,
// to name one in a request).
func (s *Service) ListRoleTemplates(ctx context.Context, p ah.Principal, page ah.Page) ([]ah.RoleTemplate, ah.Keys, error) {
	return s.store.ListRoleTemplates(ctx, p.AgencyID, page)
}

// UpdateRoleTemplate changes a role template.
func (s *Service) UpdateRoleTemplate(ctx context.Context, p ah.Principal, templateID string, patch ah.RoleTemplatePatch, ifMatch *int) (ah.RoleTemplate, error) {
	t, err := s.store.GetRoleTemplate(ctx, p.AgencyID, templateID)
	if err != nil {
		return t, err
	}
	if err := checkIfMatch(ifMatch, t.Version, t); err != nil {
		return ah.RoleTemplate{}, err
	}
	prev := t.Version
	if t, err = patch.Apply(t); err != nil {
		return ah.RoleTemplate{}, err
	}
	stampChange(&t.Meta, p.MemberID, "role_template.update", s.clock.Now())
	return t, missingField(s.store.UpdateRoleTemplate(ctx, t, prev), unknownGovernancePolicy)
}

// policyFor chooses the policy a request is evaluated against, most specific first:
// the client's assignment for the platform, the client's assignment, the role
// template's policy, the agency default, the built-in rules. A template never
// overrides what the client's governance assigns: a requester cannot pick a laxer
// policy by naming a template.
func (s *Service) policyFor(ctx context.Context, a ah.Agency, gov ah.ClientGovernance, platformID string, tmpl *ah.RoleTemplate) (ah.AppliedPolicy, error) {
	id, source := gov.AssignedPolicy(platformID)
	if id == "" && tmpl != nil && tmpl.GovernancePolicyID != "" {
		id, source = tmpl.GovernancePolicyID, ah.PolicyFromTemplate
	}
	if id == "" && a.Settings.DefaultGovernancePolicyID != "" {
		id, source = a.Settings.DefaultGovernancePolicyID, ah.PolicyFromAgencyDefault
	}
	if id == "" {
		return ah.AppliedPolicy{Name: "Built-in rules", Source: ah.PolicyBuiltIn, PolicyRules: ah.BuiltInRules()}, nil
	}
	pol, err := s.store.GetGovernancePolicy(ctx, a.ID, id)
	if err != nil {
		// Policies cannot be deleted and assignments are checked when written.
		return ah.AppliedPolicy{}, ah.Internal("service.policyFor", fmt.Errorf("policy %s (%s): %w", id, source, err))
	}
	return ah.AppliedPolicy{PolicyID: pol.ID, Name: pol.Name, Version: pol.Version, Source: source, PolicyRules: pol.PolicyRules}, nil
}

func governanceView(c ah.Client) ah.Governance {
	return ah.Governance{ClientID: c.ID, ClientGovernance: c.Governance.Normalized(), Version: c.Version}
}

// GetGovernance returns the client's Governance tab (one Query: it is stored on
// the client).
func (s *Service) GetGovernance(ctx context.Context, p ah.Principal, clientID string) (ah.Governance, error) {
	d, err := s.visibleClient(ctx, p, clientID)
	if err != nil {
		return ah.Governance{}, err
	}
	return governanceView(d.Client), nil
}

// PutGovernance replaces the client's governance in one transaction: policy
// assignments (each policy must exist; a platform scope must be configured for the
// client), team groups (each group member gets a team assignment with the group's
// role; members who left every group leave the team; a direct assignment of a
// member listed in a group becomes the group's), client owners (enabled agency
// staff) and compliance settings.
func (s *Service) PutGovernance(ctx context.Context, p ah.Principal, clientID string, in ah.ClientGovernance, ifMatch *int) (ah.Governance, error) {
	if err := in.Validate(); err != nil {
		return ah.Governance{}, err
	}
	in = in.Normalized()
	d, ch, err := s.changeClient(ctx, p, clientID, ifMatch, "client.governance.put")
	if err != nil {
		return ah.Governance{}, err
	}
	now := ch.Client.UpdatedAt
	g := ah.GovernanceChange{ClientChange: ch}
	configured := map[string]bool{}
	for _, cp := range d.Platforms {
		configured[cp.PlatformID] = true
	}
	var v ah.Validation
	for i, a := range in.PolicyAssignments {
		if a.Scope != ah.ScopeClient && !configured[a.Scope] {
			v.Add(fmt.Sprintf("policyAssignments[%d].scope", i), ah.FieldUnknown, "scope must be client or a platform configured for this client")
		}
		g.RequirePolicies = append(g.RequirePolicies, a.PolicyID)
	}
	if err := v.Err(); err != nil {
		return ah.Governance{}, err
	}
	// Each member the write names, in order, with the field it came from.
	var fields []string
	current := map[string]ah.TeamAssignment{}
	for _, t := range d.Team {
		current[t.MemberID] = t
	}
	grouped := map[string]bool{}
	for gi, grp := range in.TeamGroups {
		for mi, m := range grp.MemberIDs {
			grouped[m] = true
			t, onTeam := current[m]
			if !onTeam {
				t = ah.TeamAssignment{MemberID: m, AssignedAt: now, AssignedBy: p.MemberID}
				g.Client.Facts.TeamMembers++
			}
			if onTeam && t.Role == grp.Role && t.Group == grp.Name {
				continue
			}
			t.Role, t.IdentityAccess, t.Group = grp.Role, grp.Role.IdentityAccess(), grp.Name
			g.PutTeam = append(g.PutTeam, t)
			g.RequireMembers = append(g.RequireMembers, m)
			fields = append(fields, fmt.Sprintf("teamGroups[%d].memberIds[%d]", gi, mi))
		}
	}
	for _, t := range d.Team {
		if t.Group != "" && !grouped[t.MemberID] {
			g.DeleteTeam = append(g.DeleteTeam, t.MemberID)
			g.Client.Facts.TeamMembers--
		}
	}
	for i, o := range in.ClientOwners {
		g.RequireMembers = append(g.RequireMembers, o)
		fields = append(fields, fmt.Sprintf("clientOwners[%d]", i))
	}
	// Access reviews: the first opens a cadence from now; a changed cadence
	// starts again from now; none takes the client out of the review index.
	oldEvery := d.Client.Governance.Compliance.AccessReviewEveryDays
	switch every := in.Compliance.AccessReviewEveryDays; {
	case every == 0:
		g.Client.NextReviewAt = nil
	case every != oldEvery || g.Client.NextReviewAt == nil:
		next := now.Add(time.Duration(every) * 24 * time.Hour)
		g.Client.NextReviewAt = &next
	}
	g.Client.Governance = in
	if err := s.store.SetClientGovernance(ctx, g); err != nil {
		return ah.Governance{}, missingField(err, func(m *ah.MissingError) (string, string) {
			if m.What == "governance_policy" {
				return "policyAssignments", "no governance policy " + m.ID + " in this agency"
			}
			return fields[m.Index], "no enabled agency member " + m.ID + " (client users cannot be on a team)"
		})
	}
	for _, t := range g.PutTeam {
		s.principals.forgetMember(t.MemberID)
	}
	for _, id := range g.DeleteTeam {
		s.principals.forgetMember(id)
	}
	return governanceView(g.Client), nil
}

// GetEffectiveAccess returns the client's effective access matrix: every live
// grant (requester × platform, through the client's identity), every identity, and
// every team member's access through their team role, each cell with the facts it
// derives from. One Query of the client's partition (detail, grants, identities).
func (s *Service) GetEffectiveAccess(ctx context.Context, p ah.Principal, clientID string) (ah.EffectiveAccess, error) {
	if err := clientScope(p, clientID); err != nil {
		return ah.EffectiveAccess{}, err
	}
	d, err := s.store.ReadClientAccess(ctx, p.AgencyID, clientID)
	if err != nil {
		return ah.EffectiveAccess{}, err
	}
	now := s.clock.Now()
	if needsJudging(d.Identities) {
		pol, err := s.policyOf(ctx, d.Client)
		if err != nil {
			return ah.EffectiveAccess{}, err
		}
		for k := range d.Identities {
			judge(&d.Identities[k], pol, now)
		}
	}
	if d.Linked, err = s.linked(ctx, d); err != nil {
		return ah.EffectiveAccess{}, err
	}
	ea := EffectiveAccessOf(d, d.Identities, now)
	if !p.HasIdentityAccess(clientID) && !p.Audits() {
		ea.Cells = withoutIdentities(ea.Cells)
	}
	return ea, nil
}

// withoutIdentities is the matrix for a reader without identity access (as the
// Identities tab refuses them): no identity rows, and no identity named in how a
// client user's access derives.
func withoutIdentities(cells []ah.AccessCell) []ah.AccessCell {
	out := make([]ah.AccessCell, 0, len(cells))
	for _, c := range cells {
		if c.Kind == "identity" || c.Kind == "agency_identity" {
			continue
		}
		der := make([]ah.Derivation, 0, len(c.Derivation))
		for _, d := range c.Derivation {
			if d.Source != "identity" {
				der = append(der, d)
			}
		}
		c.Derivation = der
		out = append(out, c)
	}
	return out
}

// EffectiveAccessOf derives the matrix from the client's detail and identities.
func EffectiveAccessOf(d ah.ClientDetail, idns []ah.ClientIdentity, now time.Time) ah.EffectiveAccess {
	byID := map[string]ah.ClientIdentity{}
	cells := []ah.AccessCell{}
	for _, i := range idns {
		byID[i.ID] = i
		if i.Status == ah.IdentityDeactivated {
			continue
		}
		at := i.CreatedAt
		cell := ah.AccessCell{PlatformID: i.PlatformID, PrincipalID: i.ID, Kind: "identity", Access: identityAccessLevel(i.Status),
			Derivation: []ah.Derivation{
				{Source: "identity", ID: i.ID, At: &at, Detail: fmt.Sprintf("%s identity, %d live grant(s)", i.IdentityType, i.ActiveGrants)},
				{Source: "access_request", ID: i.RequestID, Detail: "the request whose approval created the identity"},
			}}
		if c := i.Compliance; c != nil {
			ok := c.Compliant
			cell.Compliant = &ok
			detail := fmt.Sprintf("the credential meets security policy version %d", c.PolicyVersion)
			if !ok {
				detail = fmt.Sprintf("the credential does not meet security policy version %d: %s", c.PolicyVersion, strings.Join(c.Reasons, "; "))
			}
			cell.Derivation = append(cell.Derivation, ah.Derivation{Source: "security_policy", ID: c.PolicyID, Detail: detail})
		}
		cells = append(cells, cell)
	}
	for _, g := range d.Grants {
		access := ah.AccessGranted
		if i, ok := byID[g.IdentityID]; ok && i.Status != ah.IdentityActive {
			access = identityAccessLevel(i.Status)
			if i.Status == ah.IdentityProvisioning {
				access = ah.AccessProvisioning
			}
		} else if ok && i.IdentityType == ah.IdentityStandard && !hasCredential(i) {
			access = ah.AccessAwaitingCredential
		}
		if g.EndsAt != nil && !g.EndsAt.After(now) {
			access = ah.AccessEndedPending
		}
		granted := g.GrantedAt
		der := []ah.Derivation{{Source: "access_request", ID: g.RequestID, By: g.RequesterID, At: &granted,
			Detail: fmt.Sprintf("%s access requested by %s", g.IdentityType, g.RequesterID)}}
		for _, a := range g.Approvals {
			at := a.At
			der = append(der, ah.Derivation{Source: "approval", ID: g.RequestID, By: a.By, At: &at, Detail: "approved as " + string(a.Role)})
		}
		der = append(der, ah.Derivation{Source: "policy", ID: g.Policy.PolicyID,
			Detail: fmt.Sprintf("%s (version %d, from %s): %d approval(s)", g.Policy.Name, g.Policy.Version, g.Policy.Source, g.Policy.Approval.RequiredApprovals)})
		if g.RoleTemplateID != "" {
			der = append(der, ah.Derivation{Source: "role_template", ID: g.RoleTemplateID})
		}
		der = append(der, ah.Derivation{Source: "identity", ID: g.IdentityID, Detail: "the client-dedicated identity the access goes through"})
		kind := "client_user"
		if g.BreakGlass {
			// Emergency access by agency staff, taken without approval.
			kind = "break_glass"
			der = append([]ah.Derivation{{Source: "break_glass", ID: g.RequestID, By: g.RequesterID, At: &granted,
				Detail: "break-glass access without approval, until its end time; its review stays open until an admin closes it"}}, der[1:]...)
		}
		cells = append(cells, ah.AccessCell{PlatformID: g.PlatformID, PrincipalID: g.RequesterID, Kind: kind, Access: access, Until: g.EndsAt, Derivation: der})
	}
	// Agency identities linked to the client: on their platform, or (agency-wide
	// ones) on every platform of the client.
	for _, l := range d.Linked {
		at := l.LinkedAt
		access := ah.AccessIdentity
		if l.Identity.Status != ah.IdentityActive {
			access = string(l.Identity.Status)
		}
		der := []ah.Derivation{{Source: "identity_link", ID: l.IdentityID, By: l.LinkedBy, At: &at,
			Detail: fmt.Sprintf("agency identity %q (%s), linked by %s", l.Identity.DisplayName, l.Identity.Scope, nameOr(l.LinkedByName, l.LinkedBy))}}
		for _, cp := range d.Platforms {
			if l.Identity.Scope == ah.ScopePlatform && l.Identity.PlatformID != cp.PlatformID {
				continue
			}
			cells = append(cells, ah.AccessCell{PlatformID: cp.PlatformID, PrincipalID: l.IdentityID, Kind: "agency_identity", Access: access, Derivation: der})
		}
	}
	owners := map[string]bool{}
	for _, o := range d.Client.Governance.ClientOwners {
		owners[o] = true
	}
	for _, t := range d.Team {
		access := ah.AccessView
		if t.Role.IdentityAccess() {
			access = ah.AccessManage
		}
		at := t.AssignedAt
		der := []ah.Derivation{{Source: "team_assignment", ID: t.MemberID, By: t.AssignedBy, At: &at, Detail: "team role " + string(t.Role)}}
		if t.Group != "" {
			der = append(der, ah.Derivation{Source: "team_group", ID: t.Group, Detail: "assigned through the team group"})
		}
		if owners[t.MemberID] {
			der = append(der, ah.Derivation{Source: "client_owner", ID: t.MemberID, Detail: "accountable for this client's access"})
		}
		for _, cp := range d.Platforms {
			cells = append(cells, ah.AccessCell{PlatformID: cp.PlatformID, PrincipalID: t.MemberID, Kind: "team_member", Access: access, Derivation: der})
		}
	}
	kindOrder := map[string]int{"identity": 0, "agency_identity": 1, "client_user": 2, "break_glass": 3, "team_member": 4}
	sort.SliceStable(cells, func(a, b int) bool {
		x, y := cells[a], cells[b]
		if x.PlatformID != y.PlatformID {
			return x.PlatformID < y.PlatformID
		}
		if x.Kind != y.Kind {
			return kindOrder[x.Kind] < kindOrder[y.Kind]
		}
		return x.PrincipalID < y.PrincipalID
	})
	platforms := d.Platforms
	if platforms == nil {
		platforms = []ah.ClientPlatform{}
	}
	return ah.EffectiveAccess{ClientID: d.Client.ID, AsOf: now, Platforms: platforms, Cells: cells}
}

func nameOr(name, id string) string {
	if name != "" {
		return name
	}
	return id
}

func identityAccessLevel(st ah.IdentityStatus) string {
	switch st {
	case ah.IdentityActive:
		return ah.AccessIdentity
	case ah.IdentityProvisioning:
		return ah.AccessProvisioning
	case ah.IdentityFailed:
		return ah.AccessFailed
	}
	return string(st)
}
