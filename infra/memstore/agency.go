package memstore

import (
	"context"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// memberChecks are the conditions and changes of creating a member: the member,
// its email guard and, when known, its subject guard.
func (s *Store) memberWrite(t *tx, m ah.Member) {
	m = cloneMember(m)
	t.check(func() error {
		if a := s.agencies[m.AgencyID]; a != nil {
			if _, ok := a.members[m.ID]; ok {
				return errExists
			}
		}
		return nil
	})
	t.check(func() error {
		if _, ok := s.emails[m.Email]; ok {
			return errEmailTaken
		}
		return nil
	})
	if m.Subject != "" {
		t.check(func() error {
			if _, ok := s.subjects[m.Subject]; ok {
				return errSubjectTaken
			}
			return nil
		})
	}
	t.apply(func() {
		s.agency(m.AgencyID).members[m.ID] = m
		s.emails[m.Email] = memberRef{m.AgencyID, m.ID}
		if m.Subject != "" {
			s.subjects[m.Subject] = memberRef{m.AgencyID, m.ID}
		}
	})
}

// CreateAgency writes the agency, its owner and its default policy.
func (s *Store) CreateAgency(_ context.Context, c ah.AgencyCreation) error {
	if err := s.enter("CreateAgency"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	t := &tx{}
	t.check(func() error {
		if a := s.agencies[c.Agency.ID]; a != nil && a.agency.ID != "" {
			return errExists
		}
		return nil
	})
	s.memberWrite(t, c.Owner)
	t.apply(func() {
		a := s.agency(c.Agency.ID)
		a.agency = clone(c.Agency)
		a.secPolicies[c.Policy.ID] = clone(c.Policy)
		a.owners++
	})
	return s.commit(nil, t)
}

// GetAgency reads an agency.
func (s *Store) GetAgency(_ context.Context, agencyID string) (ah.Agency, error) {
	if err := s.enter("GetAgency"); err != nil {
		return ah.Agency{}, err
	}
	defer s.mu.Unlock()
	a := s.agencies[agencyID]
	if a == nil || a.agency.ID == "" {
		return ah.Agency{}, ah.NotFound("agency")
	}
	return clone(a.agency), nil
}

// UpdateAgency writes a changed agency (and a moved default policy).
func (s *Store) UpdateAgency(_ context.Context, u ah.AgencyUpdate) error {
	if err := s.enter("UpdateAgency"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	a := s.agency(u.Agency.ID)
	t := &tx{}
	t.check(func() error {
		if a.agency.ID == "" || a.agency.Version != u.PrevVersion {
			return errStale
		}
		return nil
	})
	if u.NewDefault != nil && u.OldDefault != nil {
		for _, p := range []struct {
			pol  *ah.SecurityPolicy
			prev int
		}{{u.NewDefault, u.NewDefaultPrev}, {u.OldDefault, u.OldDefaultPrev}} {
			pol, prev := clone(*p.pol), p.prev
			t.check(func() error {
				if cur, ok := a.secPolicies[pol.ID]; !ok || cur.Version != prev {
					return errStale
				}
				return nil
			})
			t.apply(func() { a.secPolicies[pol.ID] = pol })
		}
	}
	t.apply(func() { a.agency = clone(u.Agency) })
	return s.commit(nil, t)
}

// CreateMember writes a member with its email guard; an owner counts as one.
func (s *Store) CreateMember(_ context.Context, m ah.Member, idem *ah.Idempotency) error {
	if err := s.enter("CreateMember"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	t := &tx{}
	s.memberWrite(t, m)
	if m.Role == ah.RoleOwner {
		t.apply(func() { s.agency(m.AgencyID).owners++ })
	}
	return s.commit(idem, t)
}

// GetMember reads a member.
func (s *Store) GetMember(_ context.Context, agencyID, memberID string) (ah.Member, error) {
	if err := s.enter("GetMember"); err != nil {
		return ah.Member{}, err
	}
	defer s.mu.Unlock()
	return s.member(agencyID, memberID)
}

func (s *Store) member(agencyID, memberID string) (ah.Member, error) {
	if a := s.agencies[agencyID]; a != nil {
		if m, ok := a.members[memberID]; ok {
			return cloneMember(m), nil
		}
	}
	return ah.Member{}, ah.NotFound("member")
}

// ListMembers lists an agency's members in id order.
func (s *Store) ListMembers(_ context.Context, agencyID string, p ah.Page) ([]ah.Member, ah.Keys, error) {
	if err := s.enter("ListMembers"); err != nil {
		return nil, nil, err
	}
	defer s.mu.Unlock()
	var all []ah.Member
	if a := s.agencies[agencyID]; a != nil {
		for _, m := range a.members {
			all = append(all, cloneMember(m))
		}
	}
	out, next := page(all, func(m ah.Member) string { return m.ID }, p, false)
	return out, next, nil
}

// UpdateMember writes a changed member, moving the owner count by ownerDelta.
func (s *Store) UpdateMember(_ context.Context, m ah.Member, prevVersion, ownerDelta int) error {
	if err := s.enter("UpdateMember"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	a := s.agency(m.AgencyID)
	t := &tx{}
	t.check(func() error {
		if cur, ok := a.members[m.ID]; !ok || cur.Version != prevVersion {
			return errStale
		}
		return nil
	})
	if ownerDelta < 0 {
		t.check(func() error {
			if a.owners+ownerDelta < 1 {
				return errLastOwner
			}
			return nil
		})
	}
	t.apply(func() {
		a.members[m.ID] = cloneMember(m)
		a.owners += ownerDelta
	})
	return s.commit(nil, t)
}

// MemberBySubject finds the member bound to a subject.
func (s *Store) MemberBySubject(_ context.Context, subject string) (ah.Member, error) {
	if err := s.enter("MemberBySubject"); err != nil {
		return ah.Member{}, err
	}
	defer s.mu.Unlock()
	if ref, ok := s.subjects[subject]; ok {
		if m, err := s.member(ref.agencyID, ref.memberID); err == nil && m.Subject == subject {
			return m, nil
		}
	}
	return ah.Member{}, ah.NotFound("member")
}

// MemberByEmail finds the member an email belongs to.
func (s *Store) MemberByEmail(_ context.Context, email string) (ah.Member, error) {
	if err := s.enter("MemberByEmail"); err != nil {
		return ah.Member{}, err
	}
	defer s.mu.Unlock()
	if ref, ok := s.emails[email]; ok {
		return s.member(ref.agencyID, ref.memberID)
	}
	return ah.Member{}, ah.NotFound("member")
}

// BindSubject stores the subject m signed in with, claimed for m alone.
func (s *Store) BindSubject(_ context.Context, m ah.Member, prevVersion int) error {
	if err := s.enter("BindSubject"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	a := s.agency(m.AgencyID)
	t := &tx{}
	t.check(func() error {
		if cur, ok := a.members[m.ID]; !ok || cur.Version != prevVersion {
			return errStale
		}
		return nil
	})
	t.check(func() error {
		if _, ok := s.subjects[m.Subject]; ok {
			return errSubjectTaken
		}
		return nil
	})
	t.apply(func() {
		a.members[m.ID] = cloneMember(m)
		s.subjects[m.Subject] = memberRef{m.AgencyID, m.ID}
	})
	return s.commit(nil, t)
}

// versioned is what the simple aggregates share: an id and a version.
type versioned interface {
	ah.Platform | ah.SecurityPolicy | ah.GovernancePolicy | ah.RoleTemplate | ah.Identity
}

// createIn, getIn, listIn and replaceIn are the simple aggregates' operations on
// their map in the agency.
func createIn[T versioned](s *Store, method string, idem *ah.Idempotency, agencyID, id string, v T,
	m func(*agencyData) map[string]T, extra func(*tx, *agencyData)) error {
	if err := s.enter(method); err != nil {
		return err
	}
	defer s.mu.Unlock()
	a := s.agency(agencyID)
	t := &tx{}
	t.check(func() error {
		if _, ok := m(a)[id]; ok {
			return errExists
		}
		return nil
	})
	if extra != nil {
		extra(t, a)
	}
	v = clone(v)
	t.apply(func() { m(a)[id] = v })
	return s.commit(idem, t)
}

func getIn[T versioned](s *Store, method, agencyID, id, what string, m func(*agencyData) map[string]T) (T, error) {
	var zero T
	if err := s.enter(method); err != nil {
		return zero, err
	}
	defer s.mu.Unlock()
	if a := s.agencies[agencyID]; a != nil {
		if v, ok := m(a)[id]; ok {
			return clone(v), nil
		}
	}
	return zero, ah.NotFound(what)
}

func listIn[T versioned](s *Store, method, agencyID string, p ah.Page, m func(*agencyData) map[string]T, id func(T) string) ([]T, ah.Keys, error) {
	if err := s.enter(method); err != nil {
		return nil, nil, err
	}
	defer s.mu.Unlock()
	var all []T
	if a := s.agencies[agencyID]; a != nil {
		for _, v := range m(a) {
			all = append(all, clone(v))
		}
	}
	out, next := page(all, id, p, false)
	return out, next, nil
}

func replaceIn[T versioned](s *Store, method, agencyID, id string, v T, prevVersion int, version func(T) int,
	m func(*agencyData) map[string]T, extra func(*tx, *agencyData)) error {
	if err := s.enter(method); err != nil {
		return err
	}
	defer s.mu.Unlock()
	a := s.agency(agencyID)
	t := &tx{}
	t.check(func() error {
		if cur, ok := m(a)[id]; !ok || version(cur) != prevVersion {
			return errStale
		}
		return nil
	})
	if extra != nil {
		extra(t, a)
	}
	v = clone(v)
	t.apply(func() { m(a)[id] = v })
	return s.commit(nil, t)
}

func platformsOf(a *agencyData) map[string]ah.Platform           { return a.platforms }
func secPoliciesOf(a *agencyData) map[string]ah.SecurityPolicy   { return a.secPolicies }
func govPoliciesOf(a *agencyData) map[string]ah.GovernancePolicy { return a.govPolicies }
func templatesOf(a *agencyData) map[string]ah.RoleTemplate       { return a.templates }
func identitiesOf(a *agencyData) map[string]ah.Identity          { return a.identities }
func platformVersion(p ah.Platform) int                          { return p.Version }
func secPolicyVersion(p ah.SecurityPolicy) int                   { return p.Version }
func govPolicyVersion(p ah.GovernancePolicy) int                 { return p.Version }
func templateVersion(t ah.RoleTemplate) int                      { return t.Version }
func platformID(p ah.Platform) string                            { return p.ID }
func secPolicyID(p ah.SecurityPolicy) string                     { return p.ID }
func govPolicyID(p ah.GovernancePolicy) string                   { return p.ID }
func templateID(t ah.RoleTemplate) string                        { return t.ID }
func identityID(i ah.Identity) string                            { return i.ID }
func requireGovPolicy(t *tx, a *agencyData, id string, index int) {
	t.check(govPolicyCheck(a, id, index))
}
func govPolicyCheck(a *agencyData, id string, index int) func() error {
	return func() error {
		if _, ok := a.govPolicies[id]; !ok {
			return &ah.MissingError{What: "governance_policy", ID: id, Index: index}
		}
		return nil
	}
}

// CreatePlatform writes a platform connection.
func (s *Store) CreatePlatform(_ context.Context, p ah.Platform, idem *ah.Idempotency) error {
	return createIn(s, "CreatePlatform", idem, p.AgencyID, p.ID, p, platformsOf, nil)
}

// GetPlatform reads a platform connection.
func (s *Store) GetPlatform(_ context.Context, agencyID, id string) (ah.Platform, error) {
	return getIn(s, "GetPlatform", agencyID, id, "platform", platformsOf)
}

// ListPlatforms lists the agency's platform connections.
func (s *Store) ListPlatforms(_ context.Context, agencyID string, p ah.Page) ([]ah.Platform, ah.Keys, error) {
	return listIn(s, "ListPlatforms", agencyID, p, platformsOf, platformID)
}

// UpdatePlatform writes a changed platform.
func (s *Store) UpdatePlatform(_ context.Context, p ah.Platform, prev int) error {
	return replaceIn(s, "UpdatePlatform", p.AgencyID, p.ID, p, prev, platformVersion, platformsOf, nil)
}

// CreateSecurityPolicy writes a security policy.
func (s *Store) CreateSecurityPolicy(_ context.Context, p ah.SecurityPolicy, idem *ah.Idempotency) error {
	return createIn(s, "CreateSecurityPolicy", idem, p.AgencyID, p.ID, p, secPoliciesOf, nil)
}

// GetSecurityPolicy reads a security policy.
func (s *Store) GetSecurityPolicy(_ context.Context, agencyID, id string) (ah.SecurityPolicy, error) {
	return getIn(s, "GetSecurityPolicy", agencyID, id, "security policy", secPoliciesOf)
}

// ListSecurityPolicies lists the agency's security policies.
func (s *Store) ListSecurityPolicies(_ context.Context, agencyID string, p ah.Page) ([]ah.SecurityPolicy, ah.Keys, error) {
	return listIn(s, "ListSecurityPolicies", agencyID, p, secPoliciesOf, secPolicyID)
}

// UpdateSecurityPolicy writes a changed security policy.
func (s *Store) UpdateSecurityPolicy(_ context.Context, p ah.SecurityPolicy, prev int) error {
	return replaceIn(s, "UpdateSecurityPolicy", p.AgencyID, p.ID, p, prev, secPolicyVersion, secPoliciesOf, nil)
}

// CreateGovernancePolicy writes a governance policy.
func (s *Store) CreateGovernancePolicy(_ context.Context, p ah.GovernancePolicy, idem *ah.Idempotency) error {
	return createIn(s, "CreateGovernancePolicy", idem, p.AgencyID, p.ID, p, govPoliciesOf, nil)
}

// GetGovernancePolicy reads a governance policy.
func (s *Store) GetGovernancePolicy(_ context.Context, agencyID, id string) (ah.GovernancePolicy, error) {
	return getIn(s, "GetGovernancePolicy", agencyID, id, "governance policy", govPoliciesOf)
}

// ListGovernancePolicies lists the agency's governance policies.
func (s *Store) ListGovernancePolicies(_ context.Context, agencyID string, p ah.Page) ([]ah.GovernancePolicy, ah.Keys, error) {
	return listIn(s, "ListGovernancePolicies", agencyID, p, govPoliciesOf, govPolicyID)
}

// UpdateGovernancePolicy writes a changed governance policy.
func (s *Store) UpdateGovernancePolicy(_ context.Context, p ah.GovernancePolicy, prev int) error {
	return replaceIn(s, "UpdateGovernancePolicy", p.AgencyID, p.ID, p, prev, govPolicyVersion, govPoliciesOf, nil)
}

// CreateRoleTemplate writes a role template; its policy, if named, must exist.
func (s *Store) CreateRoleTemplate(_ context.Context, rt ah.RoleTemplate, idem *ah.Idempotency) error {
	return createIn(s, "CreateRoleTemplate", idem, rt.AgencyID, rt.ID, rt, templatesOf, func(t *tx, a *agencyData) {
		if rt.GovernancePolicyID != "" {
			requireGovPolicy(t, a, rt.GovernancePolicyID, 0)
		}
	})
}

// GetRoleTemplate reads a role template.
func (s *Store) GetRoleTemplate(_ context.Context, agencyID, id string) (ah.RoleTemplate, error) {
	return getIn(s, "GetRoleTemplate", agencyID, id, "role template", templatesOf)
}

// ListRoleTemplates lists the agency's role templates.
func (s *Store) ListRoleTemplates(_ context.Context, agencyID string, p ah.Page) ([]ah.RoleTemplate, ah.Keys, error) {
	return listIn(s, "ListRoleTemplates", agencyID, p, templatesOf, templateID)
}

// UpdateRoleTemplate writes a changed role template; its policy must exist.
func (s *Store) UpdateRoleTemplate(_ context.Context, rt ah.RoleTemplate, prev int) error {
	return replaceIn(s, "UpdateRoleTemplate", rt.AgencyID, rt.ID, rt, prev, templateVersion, templatesOf, func(t *tx, a *agencyData) {
		if rt.GovernancePolicyID != "" {
			requireGovPolicy(t, a, rt.GovernancePolicyID, 0)
		}
	})
}

// CreateIdentity writes an agency identity; a platform-scoped one claims its
// platform, which must exist.
func (s *Store) CreateIdentity(_ context.Context, i ah.Identity, idem *ah.Idempotency) error {
	return createIn(s, "CreateIdentity", idem, i.AgencyID, i.ID, i, identitiesOf, func(t *tx, a *agencyData) {
		if i.Scope != ah.ScopePlatform {
			return
		}
		t.check(func() error {
			if _, ok := a.platforms[i.PlatformID]; !ok {
				return &ah.MissingError{What: "platform", ID: i.PlatformID}
			}
			return nil
		})
		t.check(func() error {
			if _, ok := a.platformIdentity[i.PlatformID]; ok {
				return errPlatformIdentity
			}
			return nil
		})
		t.apply(func() { a.platformIdentity[i.PlatformID] = i.ID })
	})
}

// GetIdentity reads an agency identity.
func (s *Store) GetIdentity(_ context.Context, agencyID, id string) (ah.Identity, error) {
	return getIn(s, "GetIdentity", agencyID, id, "identity", identitiesOf)
}

// ListIdentities lists the agency's identities.
func (s *Store) ListIdentities(_ context.Context, agencyID string, p ah.Page) ([]ah.Identity, ah.Keys, error) {
	return listIn(s, "ListIdentities", agencyID, p, identitiesOf, identityID)
}

// ChangeMemberEmail moves a member to a new email, releasing the old one and its
// subject.
func (s *Store) ChangeMemberEmail(_ context.Context, c ah.MemberEmailChange) error {
	if err := s.enter("ChangeMemberEmail"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	m := c.Member
	a := s.agency(m.AgencyID)
	t := &tx{}
	t.check(func() error {
		if cur, ok := a.members[m.ID]; !ok || cur.Version != c.PrevVersion {
			return errStale
		}
		return nil
	})
	t.check(func() error {
		if _, ok := s.emails[m.Email]; ok {
			return errEmailTaken
		}
		return nil
	})
	if c.OwnerDelta < 0 {
		t.check(func() error {
			if a.owners+c.OwnerDelta < 1 {
				return errLastOwner
			}
			return nil
		})
	}
	t.apply(func() {
		a.members[m.ID] = cloneMember(m)
		a.owners += c.OwnerDelta
		delete(s.emails, c.PrevEmail)
		s.emails[m.Email] = memberRef{m.AgencyID, m.ID}
		if c.PrevSubject != "" {
			delete(s.subjects, c.PrevSubject)
		}
	})
	return s.commit(nil, t)
}

// UpdateIdentity writes a changed agency identity.
func (s *Store) UpdateIdentity(_ context.Context, i ah.Identity, prev int) error {
	return replaceIn(s, "UpdateIdentity", i.AgencyID, i.ID, i, prev, func(x ah.Identity) int { return x.Version }, identitiesOf, nil)
}

// GetIdentities reads agency identities by id; missing ones are absent.
func (s *Store) GetIdentities(ctx context.Context, agencyID string, ids []string) ([]ah.Identity, error) {
	var out []ah.Identity
	for _, id := range ids {
		i, err := s.GetIdentity(ctx, agencyID, id)
		if ah.KindOf(err) == ah.KindNotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	return out, nil
}
