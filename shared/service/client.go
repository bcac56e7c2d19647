package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

var errClientArchived = ah.Conflict(ah.CodeClientArchived, "the client is archived; archived clients are read-only")

// seesClient reports whether the principal may see a client: owners and admins
// every client, other staff the clients whose team they are on (their principal
// carries their teams, so this needs no read). Anyone else sees none.
func seesClient(p ah.Principal, clientID string) bool { return p.SeesClient(clientID) }

// clientScope answers not found for a client the principal may not see, so a
// client's existence does not leak.
func clientScope(p ah.Principal, clientID string) error {
	if !seesClient(p, clientID) {
		return ah.NotFound("client")
	}
	return nil
}

// confirmClient answers not found for a client that does not exist, when a list
// of its items came back empty for an owner or admin (whose principal names no
// clients): a foreign or unknown client is 404, never an empty list. Team members'
// principals name only clients that exist, and a non-empty list proves it, so
// this costs a read only for an empty page.
func (s *Service) confirmClient(ctx context.Context, p ah.Principal, clientID string, empty bool) error {
	if !empty || !p.SeesAllClients() {
		return nil
	}
	ok, err := s.store.ClientExists(ctx, p.AgencyID, clientID)
	if err == nil && !ok {
		return ah.NotFound("client")
	}
	return err
}

// visibleClient reads a client's detail if the principal may see it.
func (s *Service) visibleClient(ctx context.Context, p ah.Principal, clientID string) (ah.ClientDetail, error) {
	if err := clientScope(p, clientID); err != nil {
		return ah.ClientDetail{}, err
	}
	return s.store.GetClientDetail(ctx, p.AgencyID, clientID)
}

// detailView is a client's full view: status, checklist, contacts, team, platforms.
func (s *Service) detailView(d ah.ClientDetail) ah.ClientView {
	v := d.Client.View(s.clock.Now())
	v.Contacts, v.Team, v.Platforms = d.Contacts, d.Team, d.Platforms
	if v.Contacts == nil {
		v.Contacts = []ah.Contact{}
	}
	if v.Team == nil {
		v.Team = []ah.TeamAssignment{}
	}
	if v.Platforms == nil {
		v.Platforms = []ah.ClientPlatform{}
	}
	return v
}

func countContact(f *ah.ClientFacts, kind ah.ContactKind, delta int) {
	if kind == ah.ContactTechnical {
		f.TechnicalContacts += delta
	} else {
		f.BusinessContacts += delta
	}
}

// missingField turns what a store write found missing into the field error the
// caller sees; fields names the input field of each referenced member by index.
func missingField(err error, fields func(*ah.MissingError) (field, message string)) error {
	var m *ah.MissingError
	if !errors.As(err, &m) {
		return err
	}
	field, msg := fields(m)
	var v ah.Validation
	v.Add(field, ah.FieldUnknown, "%s", msg)
	return v.Err()
}

func unknownPolicy(m *ah.MissingError) (string, string) {
	return "securityPolicyId", "no such security policy in this agency"
}

// CreateClient creates a client with everything the five-step flow collects, in one
// transaction: the client (name unique in the agency, case-insensitively), its
// contacts and team, with the security policy (agency default when omitted) and
// every team member checked. A client manager who creates a client joins its team as
// manager, so they can see what they made.
func (s *Service) CreateClient(ctx context.Context, p ah.Principal, in ah.NewClientInput, idem *Idem) (Created[ah.ClientView], error) {
	if err := in.Validate(); err != nil {
		return Created[ah.ClientView]{}, err
	}
	policy := in.SecurityPolicyID
	if policy == "" {
		a, err := s.store.GetAgency(ctx, p.AgencyID)
		if err != nil {
			return Created[ah.ClientView]{}, err
		}
		policy = a.Settings.DefaultSecurityPolicyID
	}
	now := s.clock.Now()
	c := ah.Client{ID: NewID(ah.PrefixClient), AgencyID: p.AgencyID, Name: strings.TrimSpace(in.Name), Description: strings.TrimSpace(in.Description),
		Industry: in.Industry, Region: in.Region, Timezone: in.Timezone, SecurityPolicyID: policy, Lifecycle: ah.ClientActive,
		Facts: ah.ClientFacts{PlatformHealth: map[string]ah.PlatformStatus{}}}
	if policy != "" {
		// The policy as compliance judges it, kept on the client (no read per tab).
		pol, err := s.store.GetSecurityPolicy(ctx, p.AgencyID, policy)
		if ah.KindOf(err) == ah.KindNotFound {
			field, msg := unknownPolicy(&ah.MissingError{What: "security_policy", ID: policy})
			var v ah.Validation
			v.Add(field, ah.FieldUnknown, "%s", msg)
			return Created[ah.ClientView]{}, v.Err()
		}
		if err != nil {
			return Created[ah.ClientView]{}, err
		}
		snap := pol.Snapshot()
		c.Facts.Policy = &snap
	}
	stampNew(&c.Meta, p.MemberID, "client.create", now)
	d := ah.ClientDetail{Client: c, Contacts: []ah.Contact{}, Team: []ah.TeamAssignment{}}
	for _, ci := range in.Contacts {
		ct := ah.Contact{ID: NewID(ah.PrefixContact), Kind: ci.Kind, Name: strings.TrimSpace(ci.Name), Email: ah.NormalizeEmail(ci.Email), Phone: ci.Phone}
		d.Contacts = append(d.Contacts, ct)
		countContact(&d.Client.Facts, ct.Kind, 1)
	}
	team := in.Team
	if p.Role == ah.RoleClientManager && !onTeam(team, p.MemberID) {
		team = append(team, ah.TeamInput{MemberID: p.MemberID, Role: ah.TeamManager})
	}
	for _, t := range team {
		d.Team = append(d.Team, ah.TeamAssignment{MemberID: t.MemberID, Role: t.Role, IdentityAccess: t.Role.IdentityAccess(), AssignedAt: now, AssignedBy: p.MemberID})
	}
	d.Client.Facts.TeamMembers = len(d.Team)
	// Linking agency identities at creation takes the same team-role check as
	// linking later: owners and admins, or a creator whose role on the new team
	// includes identity access.
	if len(in.IdentityIDs) > 0 && !p.SeesAllClients() {
		allowed := false
		for _, t := range d.Team {
			allowed = allowed || (t.MemberID == p.MemberID && t.IdentityAccess)
		}
		if !allowed {
			return Created[ah.ClientView]{}, ah.PolicyViolation("identityIds", ah.CodeNoIdentityAccess,
				"linking identities needs identity access on the client: a manager or operator role on its team")
		}
	}
	for _, id := range in.IdentityIDs {
		d.Links = append(d.Links, ah.IdentityLink{IdentityID: id, LinkedAt: now, LinkedBy: p.MemberID, LinkedByName: p.Name})
	}
	view := s.detailView(d)
	res, err := create(p, now, idem, view, func(rec *ah.Idempotency) error {
		return s.store.CreateClient(ctx, ah.ClientCreation{Client: d.Client, Contacts: d.Contacts, Team: d.Team, Links: d.Links}, rec)
	})
	if err == nil && !res.Replayed {
		for _, t := range d.Team {
			s.principals.forgetMember(t.MemberID)
		}
	}
	return res, missingField(err, func(m *ah.MissingError) (string, string) {
		if m.What == "member" {
			return fmt.Sprintf("team[%d].memberId", m.Index), "no enabled agency member " + m.ID + " (client users cannot be on a team)"
		}
		if m.What == "identity" {
			return fmt.Sprintf("identityIds[%d]", slices.Index(in.IdentityIDs, m.ID)), "no active agency identity " + m.ID + "; create it first under Identities"
		}
		return unknownPolicy(m)
	})
}

func onTeam(team []ah.TeamInput, memberID string) bool {
	for _, t := range team {
		if t.MemberID == memberID {
			return true
		}
	}
	return false
}

// GetClient returns a client's detail: status, checklist, attention reasons,
// contacts, team and platforms (one Query).
func (s *Service) GetClient(ctx context.Context, p ah.Principal, clientID string) (ah.ClientView, error) {
	d, err := s.visibleClient(ctx, p, clientID)
	if err != nil {
		return ah.ClientView{}, err
	}
	return s.detailView(d), nil
}

// ListClients lists the clients the principal sees, of one lifecycle (default
// active): every client for owners and admins (one Query, by name), their teams'
// clients for others (one BatchGetItem of the clients on their principal, a page at
// a time in id order, sorted by name within the page).
func (s *Service) ListClients(ctx context.Context, p ah.Principal, lifecycle ah.ClientLifecycle, page ah.Page) ([]ah.ClientView, ah.Keys, error) {
	var cs []ah.Client
	var next ah.Keys
	var err error
	if p.SeesAllClients() {
		cs, next, err = s.store.ListClients(ctx, p.AgencyID, lifecycle, page)
	} else {
		cs, next, err = s.teamClients(ctx, p, lifecycle, page)
	}
	if err != nil {
		return nil, nil, err
	}
	out := make([]ah.ClientView, len(cs))
	now := s.clock.Now()
	for i, c := range cs {
		out[i] = c.View(now)
	}
	return out, next, nil
}

// teamClients pages through the clients on a member's principal.
func (s *Service) teamClients(ctx context.Context, p ah.Principal, lifecycle ah.ClientLifecycle, page ah.Page) ([]ah.Client, ah.Keys, error) {
	if !p.Role.IsAgencyRole() {
		return nil, nil, nil
	}
	ids := make([]string, 0, len(p.Teams))
	for id := range p.Teams {
		if after := page.After["clientId"]; after == "" || id > after {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	limit := page.Limit
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	var next ah.Keys
	if len(ids) > limit {
		ids = ids[:limit]
		next = ah.Keys{"clientId": ids[limit-1]}
	}
	cs, err := s.store.GetClients(ctx, p.AgencyID, ids)
	if err != nil {
		return nil, nil, err
	}
	out := cs[:0]
	for _, c := range cs {
		if c.Lifecycle == lifecycle {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out, next, nil
}

// changeClient reads a client the principal may see for a change: not archived,
// not being offboarded, at the If-Match version when given. It returns the detail
// and the change's stamp (the client as it will be written, version bumped).
func (s *Service) changeClient(ctx context.Context, p ah.Principal, clientID string, ifMatch *int, action string) (ah.ClientDetail, ah.ClientChange, error) {
	d, err := s.visibleClient(ctx, p, clientID)
	if err != nil {
		return d, ah.ClientChange{}, err
	}
	if d.Client.Lifecycle == ah.ClientArchived {
		return d, ah.ClientChange{}, errClientArchived
	}
	if o := d.Client.Offboarding; o != nil && o.Status == "running" {
		return d, ah.ClientChange{}, errOffboardingRunning
	}
	if err := checkIfMatch(ifMatch, d.Client.Version, d.Client.View(s.clock.Now())); err != nil {
		return d, ah.ClientChange{}, err
	}
	ch := ah.ClientChange{Client: d.Client, PrevVersion: d.Client.Version}
	stampChange(&ch.Client.Meta, p.MemberID, action, s.clock.Now())
	return d, ch, nil
}

// UpdateClient changes a client's basic information (name unique in the agency).
func (s *Service) UpdateClient(ctx context.Context, p ah.Principal, clientID string, patch ah.ClientPatch, ifMatch *int) (ah.ClientView, error) {
	if err := patch.Validate(); err != nil {
		return ah.ClientView{}, err
	}
	d, ch, err := s.changeClient(ctx, p, clientID, ifMatch, "client.update")
	if err != nil {
		return ah.ClientView{}, err
	}
	u := ah.ClientUpdate{ClientChange: ch, PrevName: d.Client.Name}
	c := &u.Client
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&c.Name, patch.Name)
	set(&c.Description, patch.Description)
	set(&c.Industry, patch.Industry)
	set(&c.Region, patch.Region)
	set(&c.Timezone, patch.Timezone)
	if patch.SecurityPolicyID != nil && *patch.SecurityPolicyID != c.SecurityPolicyID {
		c.SecurityPolicyID, u.PolicyChanged = *patch.SecurityPolicyID, true
	}
	if err := s.store.UpdateClient(ctx, u); err != nil {
		return ah.ClientView{}, missingField(err, unknownPolicy)
	}
	d.Client = u.Client
	if u.PolicyChanged {
		// The client's identities are judged against the policy it now has.
		s.reevaluateLogged(ctx, p.AgencyID, clientID, p.MemberID)
		if nd, err := s.store.GetClientDetail(ctx, p.AgencyID, clientID); err == nil {
			d = nd
		}
	}
	return s.detailView(d), nil
}

// PutContact creates or replaces a client contact at a caller-chosen id.
func (s *Service) PutContact(ctx context.Context, p ah.Principal, clientID, contactID string, in ah.ContactInput) (ah.Contact, bool, error) {
	if !ah.ValidContactID(contactID) {
		var v ah.Validation
		v.Add("contactId", ah.FieldInvalid, "contactId must be 1 to 64 letters, digits, _ or -")
		return ah.Contact{}, false, v.Err()
	}
	if err := in.Validate(); err != nil {
		return ah.Contact{}, false, err
	}
	d, ch, err := s.changeClient(ctx, p, clientID, nil, "client.contact.put")
	if err != nil {
		return ah.Contact{}, false, err
	}
	ct := ah.Contact{ID: contactID, Kind: in.Kind, Name: strings.TrimSpace(in.Name), Email: ah.NormalizeEmail(in.Email), Phone: in.Phone}
	created := true
	for _, old := range d.Contacts {
		if old.ID == contactID {
			created = false
			countContact(&ch.Client.Facts, old.Kind, -1)
		}
	}
	countContact(&ch.Client.Facts, ct.Kind, 1)
	return ct, created, s.store.PutContact(ctx, ch, ct)
}

// DeleteContact removes a client contact.
func (s *Service) DeleteContact(ctx context.Context, p ah.Principal, clientID, contactID string) error {
	d, ch, err := s.changeClient(ctx, p, clientID, nil, "client.contact.delete")
	if err != nil {
		return err
	}
	for _, old := range d.Contacts {
		if old.ID == contactID {
			countContact(&ch.Client.Facts, old.Kind, -1)
			return s.store.DeleteContact(ctx, ch, contactID)
		}
	}
	return ah.NotFound("contact")
}

// PutTeamMember assigns an agency member to the client's team with a team role,
// or changes their team role. A member who was in a team group leaves it: the
// direct assignment is what counts from now on.
func (s *Service) PutTeamMember(ctx context.Context, p ah.Principal, clientID, memberID string, in ah.TeamRoleInput) (ah.TeamAssignment, bool, error) {
	if err := in.Validate(); err != nil {
		return ah.TeamAssignment{}, false, err
	}
	d, ch, err := s.changeClient(ctx, p, clientID, nil, "client.team.put")
	if err != nil {
		return ah.TeamAssignment{}, false, err
	}
	now := ch.Client.UpdatedAt
	t := ah.TeamAssignment{MemberID: memberID, Role: in.Role, IdentityAccess: in.Role.IdentityAccess(), AssignedAt: now, AssignedBy: p.MemberID}
	created := true
	for _, old := range d.Team {
		if old.MemberID == memberID {
			created = false
			t.AssignedAt, t.AssignedBy = old.AssignedAt, old.AssignedBy
		}
	}
	if created {
		ch.Client.Facts.TeamMembers++
	}
	// A direct assignment takes the member out of group management.
	ch.Client.Governance = ch.Client.Governance.WithoutMember(memberID)
	if err := s.store.PutTeamMember(ctx, ch, t); err != nil {
		return ah.TeamAssignment{}, false, missingField(err, func(m *ah.MissingError) (string, string) {
			return "memberId", "no enabled agency member " + m.ID + " (client users cannot be on a team)"
		})
	}
	s.principals.forgetMember(memberID)
	return t, created, nil
}

// DeleteTeamMember removes a member from the client's team.
func (s *Service) DeleteTeamMember(ctx context.Context, p ah.Principal, clientID, memberID string) error {
	d, ch, err := s.changeClient(ctx, p, clientID, nil, "client.team.delete")
	if err != nil {
		return err
	}
	if d.TeamRole(memberID) == "" {
		return ah.NotFound("team member")
	}
	ch.Client.Facts.TeamMembers--
	ch.Client.Governance = ch.Client.Governance.WithoutMember(memberID)
	if err := s.store.DeleteTeamMember(ctx, ch, memberID); err != nil {
		return err
	}
	s.principals.forgetMember(memberID)
	return nil
}

// CreateClientUser invites a person at the client. They sign in like any member
// (verified email binds them) and act only for this client.
func (s *Service) CreateClientUser(ctx context.Context, p ah.Principal, clientID string, in ah.NewClientUserInput, idem *Idem) (Created[ah.Member], error) {
	if err := in.Validate(); err != nil {
		return Created[ah.Member]{}, err
	}
	_, ch, err := s.changeClient(ctx, p, clientID, nil, "client.user.create")
	if err != nil {
		return Created[ah.Member]{}, err
	}
	now := ch.Client.UpdatedAt
	m := ah.Member{ID: NewID(ah.PrefixMember), AgencyID: p.AgencyID, Email: ah.NormalizeEmail(in.Email), Name: strings.TrimSpace(in.Name),
		Role: ah.RoleClientUser, Status: ah.MemberInvited, ClientID: clientID, Teams: map[string]ah.TeamRole{}}
	stampNew(&m.Meta, p.MemberID, "client.user.create", now)
	return create(p, now, idem, m, func(rec *ah.Idempotency) error { return s.store.CreateClientUser(ctx, ch, m, rec) })
}

// ListClientPlatforms lists the platforms configured for a client.
func (s *Service) ListClientPlatforms(ctx context.Context, p ah.Principal, clientID string) ([]ah.ClientPlatform, error) {
	if p.Role == ah.RoleClientUser && p.ClientID == clientID {
		// A client user lists their own client's platforms, to ask for access.
		d, err := s.store.GetClientDetail(ctx, p.AgencyID, clientID)
		if err != nil {
			return nil, err
		}
		return s.detailView(d).Platforms, nil
	}
	d, err := s.visibleClient(ctx, p, clientID)
	if err != nil {
		return nil, err
	}
	return s.detailView(d).Platforms, nil
}

// AddClientPlatform configures an operational agency platform for a client. The
// platform's status is checked again inside the transaction, so a platform that
// goes down meanwhile is never added. Adding one already configured changes nothing.
func (s *Service) AddClientPlatform(ctx context.Context, p ah.Principal, clientID, platformID string) (ah.ClientPlatform, bool, error) {
	if err := clientScope(p, clientID); err != nil {
		return ah.ClientPlatform{}, false, err
	}
	pl, err := s.store.GetPlatform(ctx, p.AgencyID, platformID)
	if err != nil {
		return ah.ClientPlatform{}, false, err
	}
	if pl.Status != ah.PlatformOperational {
		return ah.ClientPlatform{}, false, &ah.Error{Kind: ah.KindConflict, Code: ah.CodePlatformNotOperational, Current: pl,
			Message: fmt.Sprintf("the platform is %s, not operational; connect it under Settings > Platforms before adding it to a client", pl.Status)}
	}
	d, ch, err := s.changeClient(ctx, p, clientID, nil, "client.platform.add")
	if err != nil {
		return ah.ClientPlatform{}, false, err
	}
	for _, cp := range d.Platforms {
		if cp.PlatformID == platformID {
			return cp, false, nil
		}
	}
	cp := ah.ClientPlatform{PlatformID: pl.ID, Name: pl.Name, Kind: pl.Kind, PlatformStatus: pl.Status,
		ProvisioningStatus: ah.ProvisioningNotStarted, AddedAt: ch.Client.UpdatedAt, AddedBy: p.MemberID}
	ch.Client.Facts.Platforms++
	if ch.Client.Facts.PlatformHealth == nil {
		ch.Client.Facts.PlatformHealth = map[string]ah.PlatformStatus{}
	}
	ch.Client.Facts.PlatformHealth[platformID] = pl.Status
	return cp, true, s.store.AddClientPlatform(ctx, ch, cp)
}

// propagatePlatformStatus records a platform's new status on every client it is
// configured for, so each client's status reflects it without a read-time join.
// Each client is one idempotent transaction; a failure part-way is repaired by
// repeating the platform update.
func (s *Service) propagatePlatformStatus(ctx context.Context, p ah.Principal, pl ah.Platform) error {
	page := ah.Page{Limit: 100}
	for {
		ids, next, err := s.store.ClientsOfPlatform(ctx, p.AgencyID, pl.ID, page)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := s.store.SetClientPlatformHealth(ctx, p.AgencyID, id, pl.ID, pl.Status, p.MemberID, s.clock.Now()); err != nil {
				return fmt.Errorf("record platform %s status on client %s: %w", pl.ID, id, err)
			}
		}
		if len(next) == 0 {
			return nil
		}
		page.After = next
	}
}
