package service

import (
	"context"
	"fmt"
	"strings"

	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/dynamo"
)

var errClientArchived = ah.Conflict(ah.CodeClientArchived, "the client is archived; archived clients are read-only")

// seesAllClients reports whether the principal sees every client of the agency.
func seesAllClients(p ah.Principal) bool { return p.Is(ah.RoleOwner, ah.RoleAdmin) }

// visibleClient reads a client's detail if the principal may see it: owners and
// admins see every client, other staff only clients whose team they are on. Anyone
// else gets not found, so a client's existence does not leak.
func (s *Service) visibleClient(ctx context.Context, p ah.Principal, clientID string) (dynamo.ClientDetail, error) {
	d, err := s.store.GetClientDetail(ctx, p.AgencyID, clientID)
	if err != nil {
		return d, err
	}
	if seesAllClients(p) || (p.Role.IsAgencyRole() && d.TeamRole(p.MemberID) != "") {
		return d, nil
	}
	return dynamo.ClientDetail{}, ah.NotFound("client")
}

// detailView is a client's full view: status, checklist, contacts, team, platforms.
func (s *Service) detailView(d dynamo.ClientDetail) ah.ClientView {
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
	c := ah.Client{ID: NewID("cli"), AgencyID: p.AgencyID, Name: strings.TrimSpace(in.Name), Description: strings.TrimSpace(in.Description),
		Industry: in.Industry, Region: in.Region, Timezone: in.Timezone, SecurityPolicyID: policy, Lifecycle: ah.ClientActive,
		Facts: ah.ClientFacts{PlatformHealth: map[string]ah.PlatformStatus{}}}
	stampNew(&c.Meta, p.MemberID, "client.create", now)
	d := dynamo.ClientDetail{Client: c, Contacts: []ah.Contact{}, Team: []ah.TeamAssignment{}}
	for _, ci := range in.Contacts {
		ct := ah.Contact{ID: NewID("con"), Kind: ci.Kind, Name: strings.TrimSpace(ci.Name), Email: ah.NormalizeEmail(ci.Email), Phone: ci.Phone}
		d.Contacts = append(d.Contacts, ct)
		countContact(&d.Client.Facts, ct.Kind, 1)
	}
	team := in.Team
	if p.Role == ah.RoleClientManager && !onTeam(team, p.MemberID) {
		team = append(team, ah.TeamInput{MemberID: p.MemberID, Role: ah.TeamManager})
	}
	var members []string
	for _, t := range team {
		d.Team = append(d.Team, ah.TeamAssignment{MemberID: t.MemberID, Role: t.Role, IdentityAccess: t.Role.IdentityAccess(), AssignedAt: now, AssignedBy: p.MemberID})
		members = append(members, t.MemberID)
	}
	d.Client.Facts.TeamMembers = len(d.Team)
	w := dynamo.ClientWrite{Client: d.Client, Actor: p.MemberID, Action: "client.create",
		PutContacts: d.Contacts, PutTeam: d.Team, RequireMembers: members, RequirePolicy: policy}
	view := s.detailView(d)
	return create(p, now, idem, view, func(rec *dynamo.Idempotency) error { return s.store.WriteClient(ctx, w, rec) })
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
// active): every client for owners and admins, their teams' clients for others.
func (s *Service) ListClients(ctx context.Context, p ah.Principal, lifecycle ah.ClientLifecycle, page dynamo.Page) ([]ah.ClientView, dynamo.Keys, error) {
	var cs []ah.Client
	var next dynamo.Keys
	var err error
	if seesAllClients(p) {
		cs, next, err = s.store.ListClients(ctx, p.AgencyID, lifecycle, page)
	} else {
		cs, next, err = s.store.ListMemberClients(ctx, p.AgencyID, p.MemberID, lifecycle, page)
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

// mutateClient runs one change to a client the principal may see and that is not
// archived: change edits the detail in memory and fills the write; the result is
// written as one version-checked transaction.
func (s *Service) mutateClient(ctx context.Context, p ah.Principal, clientID string, ifMatch *int, action string,
	change func(d *dynamo.ClientDetail, w *dynamo.ClientWrite) error) (dynamo.ClientDetail, error) {
	d, err := s.visibleClient(ctx, p, clientID)
	if err != nil {
		return d, err
	}
	if d.Client.Lifecycle == ah.ClientArchived {
		return d, errClientArchived
	}
	if o := d.Client.Offboarding; o != nil && o.Status == "running" {
		return d, errOffboardingRunning
	}
	if err := checkIfMatch(ifMatch, d.Client.Version, d.Client.View(s.clock.Now())); err != nil {
		return d, err
	}
	w := dynamo.ClientWrite{PrevVersion: d.Client.Version, PrevName: d.Client.Name, Actor: p.MemberID, Action: action}
	if err := change(&d, &w); err != nil {
		return d, err
	}
	stampChange(&d.Client.Meta, p.MemberID, action, s.clock.Now())
	w.Client = d.Client
	if err := s.store.WriteClient(ctx, w, nil); err != nil {
		return d, fmt.Errorf("%s %s: %w", action, clientID, err)
	}
	return d, nil
}

// UpdateClient changes a client's basic information (name unique in the agency).
func (s *Service) UpdateClient(ctx context.Context, p ah.Principal, clientID string, patch ah.ClientPatch, ifMatch *int) (ah.ClientView, error) {
	if err := patch.Validate(); err != nil {
		return ah.ClientView{}, err
	}
	d, err := s.mutateClient(ctx, p, clientID, ifMatch, "client.update", func(d *dynamo.ClientDetail, w *dynamo.ClientWrite) error {
		c := &d.Client
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
			c.SecurityPolicyID = *patch.SecurityPolicyID
			w.RequirePolicy = c.SecurityPolicyID
		}
		return nil
	})
	if err != nil {
		return ah.ClientView{}, err
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
	ct := ah.Contact{ID: contactID, Kind: in.Kind, Name: strings.TrimSpace(in.Name), Email: ah.NormalizeEmail(in.Email), Phone: in.Phone}
	created := true
	_, err := s.mutateClient(ctx, p, clientID, nil, "client.contact.put", func(d *dynamo.ClientDetail, w *dynamo.ClientWrite) error {
		for _, old := range d.Contacts {
			if old.ID == contactID {
				created = false
				countContact(&d.Client.Facts, old.Kind, -1)
			}
		}
		countContact(&d.Client.Facts, ct.Kind, 1)
		w.PutContacts = []ah.Contact{ct}
		return nil
	})
	return ct, created, err
}

// DeleteContact removes a client contact.
func (s *Service) DeleteContact(ctx context.Context, p ah.Principal, clientID, contactID string) error {
	_, err := s.mutateClient(ctx, p, clientID, nil, "client.contact.delete", func(d *dynamo.ClientDetail, w *dynamo.ClientWrite) error {
		for _, old := range d.Contacts {
			if old.ID == contactID {
				countContact(&d.Client.Facts, old.Kind, -1)
				w.DeleteContacts = []string{contactID}
				return nil
			}
		}
		return ah.NotFound("contact")
	})
	return err
}

// PutTeamMember assigns an agency member to the client's team with a team role,
// or changes their team role. A member who was in a team group leaves it: the
// direct assignment is what counts from now on.
func (s *Service) PutTeamMember(ctx context.Context, p ah.Principal, clientID, memberID string, in ah.TeamRoleInput) (ah.TeamAssignment, bool, error) {
	if err := in.Validate(); err != nil {
		return ah.TeamAssignment{}, false, err
	}
	now := s.clock.Now()
	t := ah.TeamAssignment{MemberID: memberID, Role: in.Role, IdentityAccess: in.Role.IdentityAccess(), AssignedAt: now, AssignedBy: p.MemberID}
	created := true
	_, err := s.mutateClient(ctx, p, clientID, nil, "client.team.put", func(d *dynamo.ClientDetail, w *dynamo.ClientWrite) error {
		for _, old := range d.Team {
			if old.MemberID == memberID {
				created = false
				t.AssignedAt, t.AssignedBy = old.AssignedAt, old.AssignedBy
			}
		}
		if created {
			d.Client.Facts.TeamMembers++
		}
		// A direct assignment takes the member out of group management.
		d.Client.Governance = d.Client.Governance.WithoutMember(memberID)
		w.PutTeam = []ah.TeamAssignment{t}
		w.RequireMembers = []string{memberID}
		return nil
	})
	return t, created, err
}

// DeleteTeamMember removes a member from the client's team.
func (s *Service) DeleteTeamMember(ctx context.Context, p ah.Principal, clientID, memberID string) error {
	_, err := s.mutateClient(ctx, p, clientID, nil, "client.team.delete", func(d *dynamo.ClientDetail, w *dynamo.ClientWrite) error {
		if d.TeamRole(memberID) == "" {
			return ah.NotFound("team member")
		}
		d.Client.Facts.TeamMembers--
		d.Client.Governance = d.Client.Governance.WithoutMember(memberID)
		w.DeleteTeam = []string{memberID}
		return nil
	})
	return err
}

// CreateClientUser invites a person at the client. They sign in like any member
// (verified email binds them) and act only for this client.
func (s *Service) CreateClientUser(ctx context.Context, p ah.Principal, clientID string, in ah.NewClientUserInput, idem *Idem) (Created[ah.Member], error) {
	if err := in.Validate(); err != nil {
		return Created[ah.Member]{}, err
	}
	d, err := s.visibleClient(ctx, p, clientID)
	if err != nil {
		return Created[ah.Member]{}, err
	}
	if d.Client.Lifecycle == ah.ClientArchived {
		return Created[ah.Member]{}, errClientArchived
	}
	now := s.clock.Now()
	m := ah.Member{ID: NewID("mbr"), AgencyID: p.AgencyID, Email: ah.NormalizeEmail(in.Email), Name: strings.TrimSpace(in.Name),
		Role: ah.RoleClientUser, Status: ah.MemberInvited, ClientID: clientID}
	stampNew(&m.Meta, p.MemberID, "client.user.create", now)
	c := d.Client
	prev := c.Version
	stampChange(&c.Meta, p.MemberID, "client.user.create", now)
	w := dynamo.ClientWrite{Client: c, PrevVersion: prev, PrevName: c.Name, Actor: p.MemberID, Action: "client.user.create", NewMember: &m}
	return create(p, now, idem, m, func(rec *dynamo.Idempotency) error { return s.store.WriteClient(ctx, w, rec) })
}

// ListClientPlatforms lists the platforms configured for a client.
func (s *Service) ListClientPlatforms(ctx context.Context, p ah.Principal, clientID string) ([]ah.ClientPlatform, error) {
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
	pl, err := s.store.GetPlatform(ctx, p.AgencyID, platformID)
	if err != nil {
		return ah.ClientPlatform{}, false, err
	}
	if pl.Status != ah.PlatformOperational {
		return ah.ClientPlatform{}, false, &ah.Error{Kind: ah.KindConflict, Code: ah.CodePlatformNotOperational, Current: pl,
			Message: fmt.Sprintf("the platform is %s, not operational; connect it under Settings > Platforms before adding it to a client", pl.Status)}
	}
	var existing *ah.ClientPlatform
	cp := ah.ClientPlatform{PlatformID: pl.ID, Name: pl.Name, Kind: pl.Kind, PlatformStatus: pl.Status,
		ProvisioningStatus: ah.ProvisioningNotStarted, AddedAt: s.clock.Now(), AddedBy: p.MemberID}
	d, err := s.visibleClient(ctx, p, clientID)
	if err != nil {
		return ah.ClientPlatform{}, false, err
	}
	for i := range d.Platforms {
		if d.Platforms[i].PlatformID == platformID {
			existing = &d.Platforms[i]
		}
	}
	if existing != nil {
		return *existing, false, nil
	}
	_, err = s.mutateClient(ctx, p, clientID, nil, "client.platform.add", func(d *dynamo.ClientDetail, w *dynamo.ClientWrite) error {
		d.Client.Facts.Platforms++
		if d.Client.Facts.PlatformHealth == nil {
			d.Client.Facts.PlatformHealth = map[string]ah.PlatformStatus{}
		}
		d.Client.Facts.PlatformHealth[platformID] = pl.Status
		w.PutPlatforms = []ah.ClientPlatform{cp}
		w.RequireOperational = []string{platformID}
		return nil
	})
	return cp, true, err
}

// propagatePlatformStatus records a platform's new status on every client it is
// configured for, so each client's status reflects it without a read-time join.
// Each client is one idempotent transaction; a failure part-way is repaired by
// repeating the platform update.
func (s *Service) propagatePlatformStatus(ctx context.Context, p ah.Principal, pl ah.Platform) error {
	page := dynamo.Page{Limit: 100}
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
