package service

import (
	"context"
	"fmt"
	"strings"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// CreateMember invites a member of agency staff. Owners may invite any role; admins
// may invite client managers and members. Returns email_taken when the email is a
// member already (of any agency: one person signs in to one agency).
func (s *Service) CreateMember(ctx context.Context, p ah.Principal, in ah.NewMemberInput, idem *Idem) (Created[ah.Member], error) {
	if err := in.Validate(); err != nil {
		return Created[ah.Member]{}, err
	}
	if !p.Role.CanManageRole(in.Role) {
		return Created[ah.Member]{}, ah.E(ah.KindForbidden, ah.CodeOwnerOnly, "your role cannot invite members with role %s", in.Role)
	}
	now := s.clock.Now()
	m := ah.Member{ID: NewID("mbr"), AgencyID: p.AgencyID, Email: ah.NormalizeEmail(in.Email),
		Name: strings.TrimSpace(in.Name), Role: in.Role, Status: ah.MemberInvited, Teams: map[string]ah.TeamRole{}}
	stampNew(&m.Meta, p.MemberID, "member.create", now)
	return create(p, now, idem, m, func(rec *ah.Idempotency) error { return s.store.CreateMember(ctx, m, rec) })
}

// GetMember reads a member of the caller's agency.
func (s *Service) GetMember(ctx context.Context, p ah.Principal, memberID string) (ah.Member, error) {
	return s.store.GetMember(ctx, p.AgencyID, memberID)
}

// ListMembers lists the caller's agency's members.
func (s *Service) ListMembers(ctx context.Context, p ah.Principal, page ah.Page) ([]ah.Member, ah.Keys, error) {
	return s.store.ListMembers(ctx, p.AgencyID, page)
}

// UpdateMember renames, re-roles, disables or re-enables a member, or corrects
// their email. The caller must be able to manage both the member's current and
// new role; nobody changes their own role, status or email; the agency always
// keeps one enabled owner (last_owner). A corrected email is claimed for the
// member alone (email_taken); a member who had signed in is unbound and invited
// again, so only a sign-in with the new address, verified, gets in.
func (s *Service) UpdateMember(ctx context.Context, p ah.Principal, memberID string, patch ah.MemberPatch, ifMatch *int) (ah.Member, error) {
	if err := patch.Validate(); err != nil {
		return ah.Member{}, err
	}
	m, err := s.store.GetMember(ctx, p.AgencyID, memberID)
	if err != nil {
		return ah.Member{}, err
	}
	if m.Role == ah.RoleClientUser && patch.Role != nil {
		var v ah.Validation
		v.Add("role", ah.FieldInvalid, "a client user's role cannot change; invite the person as agency staff instead")
		return ah.Member{}, v.Err()
	}
	self := m.ID == p.MemberID
	if self && (patch.Role != nil || patch.Status != nil || patch.Email != nil) {
		return ah.Member{}, ah.E(ah.KindForbidden, ah.CodeSelfChange, "you cannot change your own role, status or email; ask another owner or admin")
	}
	if !self && (!p.Role.CanManageRole(m.Role) || (patch.Role != nil && !p.Role.CanManageRole(*patch.Role))) {
		return ah.Member{}, ah.E(ah.KindForbidden, ah.CodeOwnerOnly, "your role cannot manage members with role %s", m.Role)
	}
	if err := checkIfMatch(ifMatch, m.Version, m); err != nil {
		return ah.Member{}, err
	}
	prev := m.Version
	wasOwner := m.Role == ah.RoleOwner && m.Status != ah.MemberDisabled
	if patch.Name != nil {
		m.Name = strings.TrimSpace(*patch.Name)
	}
	if patch.Role != nil {
		m.Role = *patch.Role
	}
	if patch.Status != nil {
		switch {
		case *patch.Status == ah.MemberDisabled:
			m.Status = ah.MemberDisabled
		case m.Status == ah.MemberDisabled && m.Subject == "":
			m.Status = ah.MemberInvited
		case m.Status == ah.MemberDisabled:
			m.Status = ah.MemberActive
		}
	}
	isOwner := m.Role == ah.RoleOwner && m.Status != ah.MemberDisabled
	delta := 0
	switch {
	case wasOwner && !isOwner:
		delta = -1
	case !wasOwner && isOwner:
		delta = 1
	}
	if patch.Email != nil && ah.NormalizeEmail(*patch.Email) != m.Email {
		c := ah.MemberEmailChange{PrevVersion: prev, OwnerDelta: delta, PrevEmail: m.Email, PrevSubject: m.Subject}
		m.Email, m.Subject = ah.NormalizeEmail(*patch.Email), ""
		if m.Status == ah.MemberActive {
			m.Status = ah.MemberInvited
		}
		stampChange(&m.Meta, p.MemberID, "member.email_change", s.clock.Now())
		c.Member = m
		if err := s.store.ChangeMemberEmail(ctx, c); err != nil {
			return ah.Member{}, fmt.Errorf("change member email: %w", err)
		}
		s.principals.forget(c.PrevSubject)
		return m, nil
	}
	stampChange(&m.Meta, p.MemberID, "member.update", s.clock.Now())
	if err := s.store.UpdateMember(ctx, m, prev, delta); err != nil {
		return ah.Member{}, fmt.Errorf("update member: %w", err)
	}
	s.principals.forget(m.Subject)
	return m, nil
}
