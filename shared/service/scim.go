package service

// SCIM 2.0 provisioning of agency staff from the agency's identity provider. The
// protocol (resources, filters, PATCH paths) is the scim package's and the
// elimity-com/scim library's; here is what a provisioning call means for members:
//
//   - a User is a staff member (never an owner, never a client user: those answer
//     404 to SCIM); userName is the member's email;
//   - creating a user whose email is an unmanaged member of the same agency takes
//     that member over; an email of another agency is 409 (uniqueness);
//   - active=false disables the member at once: every API call it makes is
//     refused from then on (its tokens carry no role; the member record does);
//   - DELETE disables the member and hides it from SCIM; it stays for the trail;
//   - group membership sets the role: the most privileged role the agency maps
//     any of the member's groups to, else the default role.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

func (s *Service) scimStore() (ah.SCIMStore, error) {
	st, ok := s.store.(ah.SCIMStore)
	if !ok {
		return nil, ah.Internal("service.scim", fmt.Errorf("the store keeps no SCIM connection"))
	}
	return st, nil
}

// HashSCIMToken is how a token is kept and looked up.
func HashSCIMToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// GetSCIMConfig reads the agency's SCIM connection.
func (s *Service) GetSCIMConfig(ctx context.Context, p ah.Principal) (ah.SCIMConfig, error) {
	st, err := s.scimStore()
	if err != nil {
		return ah.SCIMConfig{}, err
	}
	return st.GetSCIMConfig(ctx, p.AgencyID)
}

// UpdateSCIMConfig sets the group-to-role mapping. Members' roles follow at the
// provider's next change of their groups.
func (s *Service) UpdateSCIMConfig(ctx context.Context, p ah.Principal, in ah.SCIMConfigInput, ifMatch *int) (ah.SCIMConfig, error) {
	st, err := s.scimStore()
	if err != nil {
		return ah.SCIMConfig{}, err
	}
	if err := in.Validate(); err != nil {
		return ah.SCIMConfig{}, err
	}
	c, err := st.GetSCIMConfig(ctx, p.AgencyID)
	if err != nil {
		return ah.SCIMConfig{}, err
	}
	if err := checkIfMatch(ifMatch, c.Version, c); err != nil {
		return ah.SCIMConfig{}, err
	}
	prev := c.Version
	c.GroupRoles, c.DefaultRole = in.GroupRoles, in.DefaultRole
	if c.GroupRoles == nil {
		c.GroupRoles = map[string]ah.Role{}
	}
	s.stampSCIM(&c, p.MemberID, "scim.configure")
	if err := st.PutSCIMConfig(ctx, c, "", prev); err != nil {
		return ah.SCIMConfig{}, err
	}
	return c, nil
}

func (s *Service) stampSCIM(c *ah.SCIMConfig, actor, action string) {
	if c.Version == 0 {
		stampNew(&c.Meta, actor, action, s.clock.Now())
		return
	}
	stampChange(&c.Meta, actor, action, s.clock.Now())
}

// IssueSCIMToken issues the agency's SCIM bearer token (replacing any earlier one
// at once) and answers it, this once. Only its hash is kept.
func (s *Service) IssueSCIMToken(ctx context.Context, p ah.Principal) (ah.SCIMToken, error) {
	st, err := s.scimStore()
	if err != nil {
		return ah.SCIMToken{}, err
	}
	c, err := st.GetSCIMConfig(ctx, p.AgencyID)
	if err != nil {
		return ah.SCIMToken{}, err
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token := "ahscim_" + base64.RawURLEncoding.EncodeToString(b)
	prev := c.Version
	now := s.clock.Now()
	c.AgencyID, c.Enabled, c.TokenHint, c.TokenIssuedAt, c.TokenIssuedBy = p.AgencyID, true, token[len(token)-4:], &now, p.MemberID
	if c.GroupRoles == nil {
		c.GroupRoles = map[string]ah.Role{}
	}
	s.stampSCIM(&c, p.MemberID, "scim.issue_token")
	if err := st.PutSCIMConfig(ctx, c, HashSCIMToken(token), prev); err != nil {
		return ah.SCIMToken{}, err
	}
	return ah.SCIMToken{SCIMConfig: c, Token: token, BaseURL: ah.SCIMBasePath}, nil
}

// DisableSCIM removes the connection: the token stops working at once. Members
// it created stay as they are. Disconnecting what is not connected is done.
func (s *Service) DisableSCIM(ctx context.Context, p ah.Principal) error {
	st, err := s.scimStore()
	if err != nil {
		return err
	}
	if err := st.DeleteSCIMConfig(ctx, p.AgencyID); ah.KindOf(err) != ah.KindNotFound {
		return err
	}
	return nil
}

// SCIMAgency authenticates a provider's bearer token: the agency it belongs to.
func (s *Service) SCIMAgency(ctx context.Context, token string) (string, error) {
	st, err := s.scimStore()
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(token, "ahscim_") || len(token) > 200 {
		return "", ah.E(ah.KindUnauthenticated, ah.CodeUnauthenticated, "not a SCIM token of this service")
	}
	agencyID, err := st.AgencyBySCIMToken(ctx, HashSCIMToken(token))
	if ah.KindOf(err) == ah.KindNotFound {
		return "", ah.E(ah.KindUnauthenticated, ah.CodeUnauthenticated, "the SCIM token is not valid (revoked or replaced?)")
	}
	return agencyID, err
}

// scimVisible: a member SCIM may see and change.
func scimVisible(m ah.Member, agencyID string) bool {
	return m.AgencyID == agencyID && m.Role != ah.RoleOwner && m.Role != ah.RoleClientUser && !m.SCIMDeleted
}

var errSCIMUserNotFound = ah.NotFound("user")

// SCIMGetUser reads a user.
func (s *Service) SCIMGetUser(ctx context.Context, agencyID, id string) (ah.Member, error) {
	m, err := s.store.GetMember(ctx, agencyID, id)
	if ah.KindOf(err) == ah.KindNotFound || err == nil && !scimVisible(m, agencyID) {
		return ah.Member{}, errSCIMUserNotFound
	}
	return m, err
}

// SCIMGetUserByEmail finds a user by userName (its email).
func (s *Service) SCIMGetUserByEmail(ctx context.Context, agencyID, email string) (ah.Member, error) {
	m, err := s.store.MemberByEmail(ctx, ah.NormalizeEmail(email))
	if ah.KindOf(err) == ah.KindNotFound || err == nil && !scimVisible(m, agencyID) {
		return ah.Member{}, errSCIMUserNotFound
	}
	return m, err
}

// SCIMListUsers reads every user of the agency.
func (s *Service) SCIMListUsers(ctx context.Context, agencyID string) ([]ah.Member, error) {
	var out []ah.Member
	page := ah.Page{Limit: 100}
	for {
		ms, next, err := s.store.ListMembers(ctx, agencyID, page)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if scimVisible(m, agencyID) {
				out = append(out, m)
			}
		}
		if len(next) == 0 {
			return out, nil
		}
		page.After = next
	}
}

// SCIMCreateUser creates a member (or takes over an unmanaged one of the agency
// with this email).
func (s *Service) SCIMCreateUser(ctx context.Context, agencyID string, in ah.SCIMUserInput) (ah.Member, error) {
	if err := in.Validate(); err != nil {
		return ah.Member{}, err
	}
	st, err := s.scimStore()
	if err != nil {
		return ah.Member{}, err
	}
	cfg, err := st.GetSCIMConfig(ctx, agencyID)
	if err != nil {
		return ah.Member{}, err
	}
	email := ah.NormalizeEmail(in.UserName)
	existing, err := s.store.MemberByEmail(ctx, email)
	switch {
	case err == nil && existing.AgencyID == agencyID && (existing.SCIMDeleted || !existing.SCIMManaged) && existing.Role != ah.RoleOwner && existing.Role != ah.RoleClientUser:
		existing.SCIMManaged, existing.SCIMDeleted = true, false
		return s.scimApply(ctx, existing, in, "member.scim_link")
	case err == nil:
		return ah.Member{}, ah.Conflict(ah.CodeEmailTaken, "a member with this email already exists")
	case ah.KindOf(err) != ah.KindNotFound:
		return ah.Member{}, err
	}
	now := s.clock.Now()
	m := ah.Member{ID: NewID("mbr"), AgencyID: agencyID, Email: email, Name: in.Name(), Role: cfg.RoleFor(nil), Status: ah.MemberInvited,
		Teams: map[string]ah.TeamRole{}, ExternalID: in.ExternalID, SCIMManaged: true}
	if !in.Active {
		m.Status = ah.MemberDisabled
	}
	stampNew(&m.Meta, ah.SCIMActor, "member.scim_create", now)
	if err := s.store.CreateMember(ctx, m, nil); err != nil {
		return ah.Member{}, err
	}
	return m, nil
}

// SCIMReplaceUser sets a user's attributes to what the provider sent.
func (s *Service) SCIMReplaceUser(ctx context.Context, agencyID, id string, in ah.SCIMUserInput) (ah.Member, error) {
	if err := in.Validate(); err != nil {
		return ah.Member{}, err
	}
	m, err := s.SCIMGetUser(ctx, agencyID, id)
	if err != nil {
		return ah.Member{}, err
	}
	m.SCIMManaged = true
	return s.scimApply(ctx, m, in, "member.scim_update")
}

// scimApply writes a member as the provider describes it: name, external id,
// status, and email (a changed email unbinds the sign-in, as a correction does).
func (s *Service) scimApply(ctx context.Context, m ah.Member, in ah.SCIMUserInput, action string) (ah.Member, error) {
	prev := m.Version
	m.Name, m.ExternalID = in.Name(), in.ExternalID
	switch {
	case !in.Active:
		m.Status = ah.MemberDisabled
	case m.Status == ah.MemberDisabled && m.Subject == "":
		m.Status = ah.MemberInvited
	case m.Status == ah.MemberDisabled:
		m.Status = ah.MemberActive
	}
	stampChange(&m.Meta, ah.SCIMActor, action, s.clock.Now())
	if email := ah.NormalizeEmail(in.UserName); email != m.Email {
		c := ah.MemberEmailChange{PrevVersion: prev, PrevEmail: m.Email, PrevSubject: m.Subject}
		m.Email, m.Subject = email, ""
		if m.Status == ah.MemberActive {
			m.Status = ah.MemberInvited
		}
		c.Member = m
		if err := s.store.ChangeMemberEmail(ctx, c); err != nil {
			return ah.Member{}, err
		}
		s.principals.forget(c.PrevSubject)
		return m, nil
	}
	if err := s.store.UpdateMember(ctx, m, prev, 0); err != nil {
		return ah.Member{}, err
	}
	s.principals.forget(m.Subject)
	return m, nil
}

// SCIMDeleteUser disables the member and hides it from SCIM.
func (s *Service) SCIMDeleteUser(ctx context.Context, agencyID, id string) error {
	m, err := s.SCIMGetUser(ctx, agencyID, id)
	if err != nil {
		return err
	}
	prev := m.Version
	m.Status, m.SCIMDeleted, m.SCIMManaged, m.SCIMGroups = ah.MemberDisabled, true, false, nil
	stampChange(&m.Meta, ah.SCIMActor, "member.scim_delete", s.clock.Now())
	if err := s.store.UpdateMember(ctx, m, prev, 0); err != nil {
		return err
	}
	s.principals.forget(m.Subject)
	// Its groups no longer list it.
	st, err := s.scimStore()
	if err != nil {
		return err
	}
	groups, err := st.ListSCIMGroups(ctx, agencyID)
	if err != nil {
		return err
	}
	for _, g := range groups {
		if slices.Contains(g.Members, id) {
			in := ah.SCIMGroupInput{DisplayName: g.DisplayName, ExternalID: g.ExternalID, Members: slices.DeleteFunc(slices.Clone(g.Members), func(x string) bool { return x == id })}
			if _, err := s.SCIMReplaceGroup(ctx, agencyID, g.ID, in); err != nil {
				return err
			}
		}
	}
	return nil
}

// SCIMGetGroup reads a group.
func (s *Service) SCIMGetGroup(ctx context.Context, agencyID, id string) (ah.SCIMGroup, error) {
	st, err := s.scimStore()
	if err != nil {
		return ah.SCIMGroup{}, err
	}
	return st.GetSCIMGroup(ctx, agencyID, id)
}

// SCIMListGroups reads every group.
func (s *Service) SCIMListGroups(ctx context.Context, agencyID string) ([]ah.SCIMGroup, error) {
	st, err := s.scimStore()
	if err != nil {
		return nil, err
	}
	return st.ListSCIMGroups(ctx, agencyID)
}

// SCIMCreateGroup creates a group; its members' roles follow.
func (s *Service) SCIMCreateGroup(ctx context.Context, agencyID string, in ah.SCIMGroupInput) (ah.SCIMGroup, error) {
	g := ah.SCIMGroup{ID: NewID("grp"), AgencyID: agencyID}
	stampNew(&g.Meta, ah.SCIMActor, "scim_group.create", s.clock.Now())
	return s.saveGroup(ctx, g, 0, in, false)
}

// SCIMReplaceGroup sets a group's name and members; the roles of the members it
// gains and loses follow.
func (s *Service) SCIMReplaceGroup(ctx context.Context, agencyID, id string, in ah.SCIMGroupInput) (ah.SCIMGroup, error) {
	st, err := s.scimStore()
	if err != nil {
		return ah.SCIMGroup{}, err
	}
	g, err := st.GetSCIMGroup(ctx, agencyID, id)
	if err != nil {
		return ah.SCIMGroup{}, err
	}
	prev := g.Version
	stampChange(&g.Meta, ah.SCIMActor, "scim_group.update", s.clock.Now())
	return s.saveGroup(ctx, g, prev, in, false)
}

// SCIMDeleteGroup deletes a group; its members' roles follow.
func (s *Service) SCIMDeleteGroup(ctx context.Context, agencyID, id string) error {
	st, err := s.scimStore()
	if err != nil {
		return err
	}
	g, err := st.GetSCIMGroup(ctx, agencyID, id)
	if err != nil {
		return err
	}
	_, err = s.saveGroup(ctx, g, g.Version, ah.SCIMGroupInput{DisplayName: g.DisplayName}, true)
	return err
}

// saveGroup writes a group as in describes it (or deletes it) with the role
// changes of every member it gains or loses, in one transaction.
func (s *Service) saveGroup(ctx context.Context, g ah.SCIMGroup, prev int, in ah.SCIMGroupInput, deleted bool) (ah.SCIMGroup, error) {
	if err := in.Validate(); err != nil {
		return ah.SCIMGroup{}, err
	}
	st, err := s.scimStore()
	if err != nil {
		return ah.SCIMGroup{}, err
	}
	cfg, err := st.GetSCIMConfig(ctx, g.AgencyID)
	if err != nil {
		return ah.SCIMGroup{}, err
	}
	groups, err := st.ListSCIMGroups(ctx, g.AgencyID)
	if err != nil {
		return ah.SCIMGroup{}, err
	}
	old := g.Members
	g.DisplayName, g.ExternalID, g.Members = strings.TrimSpace(in.DisplayName), in.ExternalID, dedupe(in.Members)
	if deleted {
		g.Members = nil
	}
	names := map[string]string{}
	for _, x := range groups {
		names[x.ID] = x.DisplayName
	}
	names[g.ID] = g.DisplayName
	affected := dedupe(append(slices.Clone(old), g.Members...))
	var changes []ah.MemberChange
	for _, id := range affected {
		m, err := s.store.GetMember(ctx, g.AgencyID, id)
		if ah.KindOf(err) == ah.KindNotFound || err == nil && !scimVisible(m, g.AgencyID) {
			if slices.Contains(g.Members, id) {
				var v ah.Validation
				v.Add("members", ah.FieldUnknown, "member %s is not a user of this SCIM service", clip(id, 40))
				return ah.SCIMGroup{}, v.Err()
			}
			continue // gone meanwhile: nothing to change
		}
		if err != nil {
			return ah.SCIMGroup{}, err
		}
		in := slices.Contains(g.Members, id)
		groupsOf := slices.DeleteFunc(slices.Clone(m.SCIMGroups), func(x string) bool { return x == g.ID })
		if in {
			groupsOf = append(groupsOf, g.ID)
		}
		var groupNames []string
		for _, gid := range groupsOf {
			groupNames = append(groupNames, names[gid])
		}
		role := cfg.RoleFor(groupNames)
		if slices.Equal(groupsOf, m.SCIMGroups) && role == m.Role {
			continue
		}
		prevV := m.Version
		m.SCIMGroups, m.Role = groupsOf, role
		stampChange(&m.Meta, ah.SCIMActor, "member.scim_groups", s.clock.Now())
		changes = append(changes, ah.MemberChange{Member: m, PrevVersion: prevV})
	}
	if err := st.SaveSCIMGroup(ctx, g, prev, deleted, changes); err != nil {
		return ah.SCIMGroup{}, err
	}
	for _, c := range changes {
		s.principals.forget(c.Member.Subject)
	}
	return g, nil
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
