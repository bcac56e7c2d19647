package memstore

import (
	"context"
	"sort"
	"strings"
	"time"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// clientTx is one transaction over a client aggregate, as shared/dynamo builds it:
// the client item (new, or at its previous version) first, then what goes with the
// change, each condition in the same order.
type clientTx struct {
	s       *Store
	t       *tx
	a       *agencyData
	c       ah.Client
	touched map[string]bool // members whose item the change updates or checks
}

func (s *Store) clientTx(c ah.Client, prevVersion int) *clientTx {
	a := s.agency(c.AgencyID)
	ct := &clientTx{s: s, t: &tx{}, a: a, c: cloneClient(c), touched: map[string]bool{}}
	ct.t.check(func() error {
		cur := a.clients[c.ID]
		if prevVersion == 0 {
			if cur != nil {
				return errExists
			}
			return nil
		}
		if cur == nil || cur.client.Version != prevVersion {
			return errClientChanged
		}
		return nil
	})
	ct.t.apply(func() {
		if a.clients[c.ID] == nil {
			a.clients[c.ID] = &clientData{contacts: map[string]ah.Contact{}, team: map[string]ah.TeamAssignment{},
				platforms: map[string]ah.ClientPlatform{}, grants: map[string]ah.AccessGrant{}, identities: map[string]ah.ClientIdentity{}, links: map[string]ah.IdentityLink{},
				identityFor: map[string]string{}, pending: map[string]ah.PendingRequest{}, requests: map[string]ah.AccessRequest{}}
		}
		a.clients[c.ID].client = ct.c
	})
	return ct
}

func (ct *clientTx) data() *clientData { return ct.a.clients[ct.c.ID] }

func (ct *clientTx) claimName(oldName string) {
	name := lower(ct.c.Name)
	ct.t.check(func() error {
		if _, ok := ct.a.clientNames[name]; ok {
			return errClientName
		}
		return nil
	})
	ct.t.apply(func() {
		if oldName != "" {
			delete(ct.a.clientNames, lower(oldName))
		}
		ct.a.clientNames[name] = ct.c.ID
	})
}

// staff is the condition a member named on a team must meet: enabled agency staff.
func (ct *clientTx) staff(memberID string, index int) func() error {
	return func() error {
		m, ok := ct.a.members[memberID]
		if !ok || m.Role == ah.RoleClientUser || m.Status == ah.MemberDisabled {
			return &ah.MissingError{What: "member", ID: memberID, Index: index}
		}
		return nil
	}
}

// memberTeam records a team change on the member's item (version bumped, stamped
// with the client change).
func (ct *clientTx) memberTeam(memberID string, role ah.TeamRole) {
	ct.t.apply(func() {
		m, ok := ct.a.members[memberID]
		if !ok {
			return
		}
		if m.Teams == nil {
			m.Teams = map[string]ah.TeamRole{}
		}
		if role == "" {
			delete(m.Teams, ct.c.ID)
		} else {
			m.Teams[ct.c.ID] = role
		}
		m.Version++
		m.UpdatedAt, m.UpdatedBy, m.LastAction = ct.c.UpdatedAt, ct.c.UpdatedBy, ct.c.LastAction
		ct.a.members[memberID] = m
	})
}

func (ct *clientTx) putTeam(ta ah.TeamAssignment, index int) {
	ct.touched[ta.MemberID] = true
	ta = clone(ta)
	ct.t.check(ct.staff(ta.MemberID, index))
	ct.t.apply(func() { ct.data().team[ta.MemberID] = ta })
	ct.memberTeam(ta.MemberID, ta.Role)
}

func (ct *clientTx) deleteTeam(memberID string) {
	ct.touched[memberID] = true
	ct.t.apply(func() { delete(ct.data().team, memberID) })
	ct.memberTeam(memberID, "")
}

func (ct *clientTx) putContact(c ah.Contact) {
	c = clone(c)
	ct.t.apply(func() { ct.data().contacts[c.ID] = c })
}

func (ct *clientTx) putPlatform(cp ah.ClientPlatform) {
	cp = clone(cp)
	ct.t.apply(func() { ct.data().platforms[cp.PlatformID] = cp })
}

func (ct *clientTx) putLink(l ah.IdentityLink) {
	ct.t.check(func() error {
		if i, ok := ct.a.identities[l.IdentityID]; !ok || i.Status != ah.IdentityActive {
			return &ah.MissingError{What: "identity", ID: l.IdentityID}
		}
		return nil
	})
	ct.t.apply(func() { ct.data().links[l.IdentityID] = l })
}

func (ct *clientTx) requirePolicy(id string) {
	ct.t.check(func() error {
		if _, ok := ct.a.secPolicies[id]; !ok {
			return &ah.MissingError{What: "security_policy", ID: id}
		}
		return nil
	})
}

// GetClientDetail reads a client and its detail.
func (s *Store) GetClientDetail(_ context.Context, agencyID, clientID string) (ah.ClientDetail, error) {
	if err := s.enter("GetClientDetail"); err != nil {
		return ah.ClientDetail{}, err
	}
	defer s.mu.Unlock()
	return s.detail(agencyID, clientID, false)
}

// ReadClientAccess reads the detail with the client's identities and pending requests.
func (s *Store) ReadClientAccess(_ context.Context, agencyID, clientID string) (ah.ClientDetail, error) {
	if err := s.enter("ReadClientAccess"); err != nil {
		return ah.ClientDetail{}, err
	}
	defer s.mu.Unlock()
	return s.detail(agencyID, clientID, true)
}

func sorted[T any](m map[string]T) []T {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]T, 0, len(keys))
	for _, k := range keys {
		out = append(out, clone(m[k]))
	}
	return out
}

func (s *Store) detail(agencyID, clientID string, access bool) (ah.ClientDetail, error) {
	cd := s.client(agencyID, clientID)
	if cd == nil {
		return ah.ClientDetail{}, ah.NotFound("client")
	}
	d := ah.ClientDetail{Client: cloneClient(cd.client), Contacts: sorted(cd.contacts), Team: sorted(cd.team),
		Platforms: sorted(cd.platforms), Grants: sorted(cd.grants), Links: sorted(cd.links)}
	if access {
		d.Identities = sorted(cd.identities)
		d.Pending = sorted(cd.pending)
	}
	return d, nil
}

// ListClients lists an agency's clients of one lifecycle by name.
func (s *Store) ListClients(_ context.Context, agencyID string, lifecycle ah.ClientLifecycle, p ah.Page) ([]ah.Client, ah.Keys, error) {
	if err := s.enter("ListClients"); err != nil {
		return nil, nil, err
	}
	defer s.mu.Unlock()
	var all []ah.Client
	if a := s.agencies[agencyID]; a != nil {
		for _, cd := range a.clients {
			if cd.client.Lifecycle == lifecycle {
				all = append(all, cloneClient(cd.client))
			}
		}
	}
	out, next := page(all, func(c ah.Client) string { return lower(c.Name) + "#" + c.ID }, p, false)
	return out, next, nil
}

// ClientExists reports whether the agency has the client.
func (s *Store) ClientExists(_ context.Context, agencyID, clientID string) (bool, error) {
	if err := s.enter("ClientExists"); err != nil {
		return false, err
	}
	defer s.mu.Unlock()
	return s.client(agencyID, clientID) != nil, nil
}

// GetClient reads one client.
func (s *Store) GetClient(ctx context.Context, agencyID, clientID string) (ah.Client, error) {
	cs, err := s.GetClients(ctx, agencyID, []string{clientID})
	if err != nil {
		return ah.Client{}, err
	}
	if len(cs) == 0 {
		return ah.Client{}, ah.NotFound("client")
	}
	return cs[0], nil
}

// GetClients reads clients by id; missing ones are absent.
func (s *Store) GetClients(_ context.Context, agencyID string, ids []string) ([]ah.Client, error) {
	if err := s.enter("GetClients"); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []ah.Client
	for _, id := range ids {
		if cd := s.client(agencyID, id); cd != nil {
			out = append(out, cloneClient(cd.client))
		}
	}
	return out, nil
}

// CreateClient writes a client with its name, contacts and team.
func (s *Store) CreateClient(_ context.Context, c ah.ClientCreation, idem *ah.Idempotency) error {
	if err := s.enter("CreateClient"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	ct := s.clientTx(c.Client, 0)
	ct.claimName("")
	for _, x := range c.Contacts {
		ct.putContact(x)
	}
	for i, ta := range c.Team {
		ct.putTeam(ta, i)
	}
	for _, l := range c.Links {
		ct.putLink(l)
	}
	if c.Client.SecurityPolicyID != "" {
		ct.requirePolicy(c.Client.SecurityPolicyID)
	}
	return s.commit(idem, ct.t)
}

// UpdateClient writes a client's basic information.
func (s *Store) UpdateClient(_ context.Context, u ah.ClientUpdate) error {
	if err := s.enter("UpdateClient"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	ct := s.clientTx(u.Client, u.PrevVersion)
	if !strings.EqualFold(u.Client.Name, u.PrevName) {
		ct.claimName(u.PrevName)
	}
	if u.PolicyChanged {
		ct.requirePolicy(u.Client.SecurityPolicyID)
	}
	return s.commit(nil, ct.t)
}

// PutContact creates or replaces a contact.
func (s *Store) PutContact(_ context.Context, c ah.ClientChange, x ah.Contact) error {
	if err := s.enter("PutContact"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	ct := s.clientTx(c.Client, c.PrevVersion)
	ct.putContact(x)
	return s.commit(nil, ct.t)
}

// PutIdentityLink links an active agency identity to the client.
func (s *Store) PutIdentityLink(_ context.Context, c ah.ClientChange, l ah.IdentityLink) error {
	if err := s.enter("PutIdentityLink"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	ct := s.clientTx(c.Client, c.PrevVersion)
	ct.putLink(l)
	return s.commit(nil, ct.t)
}

// DeleteIdentityLink unlinks an agency identity.
func (s *Store) DeleteIdentityLink(_ context.Context, c ah.ClientChange, identityID string) error {
	if err := s.enter("DeleteIdentityLink"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	ct := s.clientTx(c.Client, c.PrevVersion)
	ct.t.apply(func() { delete(ct.data().links, identityID) })
	return s.commit(nil, ct.t)
}

// DeleteContact removes a contact.
func (s *Store) DeleteContact(_ context.Context, c ah.ClientChange, contactID string) error {
	if err := s.enter("DeleteContact"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	ct := s.clientTx(c.Client, c.PrevVersion)
	ct.t.apply(func() { delete(ct.data().contacts, contactID) })
	return s.commit(nil, ct.t)
}

// PutTeamMember assigns a member to the client's team.
func (s *Store) PutTeamMember(_ context.Context, c ah.ClientChange, ta ah.TeamAssignment) error {
	if err := s.enter("PutTeamMember"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	ct := s.clientTx(c.Client, c.PrevVersion)
	ct.putTeam(ta, 0)
	return s.commit(nil, ct.t)
}

// DeleteTeamMember takes a member off the client's team.
func (s *Store) DeleteTeamMember(_ context.Context, c ah.ClientChange, memberID string) error {
	if err := s.enter("DeleteTeamMember"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	ct := s.clientTx(c.Client, c.PrevVersion)
	ct.deleteTeam(memberID)
	return s.commit(nil, ct.t)
}

// AddClientPlatform configures a platform for the client if it is operational.
func (s *Store) AddClientPlatform(_ context.Context, c ah.ClientChange, cp ah.ClientPlatform) error {
	if err := s.enter("AddClientPlatform"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	ct := s.clientTx(c.Client, c.PrevVersion)
	ct.putPlatform(cp)
	ct.t.check(func() error {
		if p, ok := ct.a.platforms[cp.PlatformID]; !ok || p.Status != ah.PlatformOperational {
			return errNotOperational
		}
		return nil
	})
	return s.commit(nil, ct.t)
}

// CreateClientUser creates a client user of the client.
func (s *Store) CreateClientUser(_ context.Context, c ah.ClientChange, m ah.Member, idem *ah.Idempotency) error {
	if err := s.enter("CreateClientUser"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	ct := s.clientTx(c.Client, c.PrevVersion)
	s.memberWrite(ct.t, m)
	return s.commit(idem, ct.t)
}

// SetClientGovernance writes a client's governance with its team changes.
func (s *Store) SetClientGovernance(_ context.Context, g ah.GovernanceChange) error {
	if err := s.enter("SetClientGovernance"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	ct := s.clientTx(g.Client, g.PrevVersion)
	index := map[string]int{}
	for i, m := range g.RequireMembers {
		if _, ok := index[m]; !ok {
			index[m] = i
		}
	}
	for _, ta := range g.PutTeam {
		i, ok := index[ta.MemberID]
		if !ok {
			i = len(g.RequireMembers)
		}
		ct.putTeam(ta, i)
	}
	for _, id := range g.DeleteTeam {
		ct.deleteTeam(id)
	}
	for i, m := range g.RequireMembers {
		if !ct.touched[m] {
			ct.touched[m] = true
			ct.t.check(ct.staff(m, i))
		}
	}
	seen := map[string]bool{}
	i := 0
	for _, id := range g.RequirePolicies {
		if seen[id] {
			continue
		}
		seen[id] = true
		ct.t.check(govPolicyCheck(ct.a, id, i))
		i++
	}
	return s.commit(nil, ct.t)
}

// SaveOffboarding writes the client's offboarding progress.
func (s *Store) SaveOffboarding(_ context.Context, c ah.ClientChange) error {
	if err := s.enter("SaveOffboarding"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	return s.commit(nil, s.clientTx(c.Client, c.PrevVersion).t)
}

// RevokeClientPlatforms records the client's platforms as revoked.
func (s *Store) RevokeClientPlatforms(_ context.Context, c ah.ClientChange, platforms []ah.ClientPlatform) error {
	if err := s.enter("RevokeClientPlatforms"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	ct := s.clientTx(c.Client, c.PrevVersion)
	for _, cp := range platforms {
		ct.putPlatform(cp)
	}
	return s.commit(nil, ct.t)
}

// ClientsOfPlatform lists the clients a platform is configured for.
func (s *Store) ClientsOfPlatform(_ context.Context, agencyID, platformID string, p ah.Page) ([]string, ah.Keys, error) {
	if err := s.enter("ClientsOfPlatform"); err != nil {
		return nil, nil, err
	}
	defer s.mu.Unlock()
	var ids []string
	if a := s.agencies[agencyID]; a != nil {
		for id, cd := range a.clients {
			if _, ok := cd.platforms[platformID]; ok {
				ids = append(ids, id)
			}
		}
	}
	out, next := page(ids, func(id string) string { return id }, p, false)
	return out, next, nil
}

// SetClientPlatformHealth records a platform's status on one client.
func (s *Store) SetClientPlatformHealth(_ context.Context, agencyID, clientID, platformID string, status ah.PlatformStatus, actor string, now time.Time) error {
	if err := s.enter("SetClientPlatformHealth"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	cd := s.client(agencyID, clientID)
	if cd == nil {
		return ah.Internal("memstore.SetClientPlatformHealth", errExists)
	}
	cp, ok := cd.platforms[platformID]
	if !ok {
		return ah.Internal("memstore.SetClientPlatformHealth", errExists)
	}
	cp.PlatformStatus = status
	cd.platforms[platformID] = cp
	if cd.client.Facts.PlatformHealth == nil {
		cd.client.Facts.PlatformHealth = map[string]ah.PlatformStatus{}
	}
	cd.client.Facts.PlatformHealth[platformID] = status
	bump(&cd.client.Meta, actor, "client.platform_health", now)
	return nil
}

// bump moves an item's version on and stamps it.
func bump(m *ah.Meta, by, action string, now time.Time) {
	m.Version++
	m.UpdatedAt, m.UpdatedBy, m.LastAction = now, by, action
}

// SetNonCompliant records the client's count of non-compliant identities.
func (s *Store) SetNonCompliant(_ context.Context, agencyID, clientID string, n int, pol ah.PolicySnapshot, now time.Time, actor string) error {
	if err := s.enter("SetNonCompliant"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	cd := s.client(agencyID, clientID)
	if cd == nil {
		return ah.NotFound("client")
	}
	cd.client.Facts.NonCompliantIdentities = n
	cd.client.Facts.Policy = &pol
	bump(&cd.client.Meta, actor, "client.compliance", now)
	return nil
}
