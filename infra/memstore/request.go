package memstore

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

func pendingKey(platformID, requesterID string) string { return platformID + "#" + requesterID }

// CreateRequest writes a pending request with its pending guard, counted on the
// client's platform entry, if the client takes requests.
func (s *Store) CreateRequest(_ context.Context, r ah.AccessRequest, idem *ah.Idempotency) error {
	if err := s.enter("CreateRequest"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	r = clone(r)
	cd := s.client(r.AgencyID, r.ClientID)
	pk := pendingKey(r.PlatformID, r.RequesterID)
	t := &tx{}
	t.check(func() error {
		if cd != nil {
			if _, ok := cd.requests[r.ID]; ok {
				return errExists
			}
		}
		return nil
	})
	t.check(func() error {
		if cd != nil {
			if _, ok := cd.pending[pk]; ok {
				return errRequestPending
			}
		}
		return nil
	})
	t.check(func() error {
		if !open(cd) {
			return errClientClosed
		}
		return nil
	})
	t.check(func() error {
		if _, ok := cd.platforms[r.PlatformID]; !ok {
			return &ah.MissingError{What: "client_platform", ID: r.PlatformID}
		}
		return nil
	})
	t.apply(func() {
		cd.requests[r.ID] = r
		cd.pending[pk] = ah.PendingRequest{ID: r.ID, PlatformID: r.PlatformID, RequesterID: r.RequesterID, RequesterName: r.RequesterName, RequesterEmail: r.RequesterEmail, IdentityType: r.IdentityType,
			CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt}
		cp := cd.platforms[r.PlatformID]
		cp.PendingRequests++
		cd.platforms[r.PlatformID] = cp
	})
	return s.commit(idem, t)
}

// GetRequest reads one request.
func (s *Store) GetRequest(_ context.Context, agencyID, clientID, requestID string) (ah.AccessRequest, error) {
	if err := s.enter("GetRequest"); err != nil {
		return ah.AccessRequest{}, err
	}
	defer s.mu.Unlock()
	if cd := s.client(agencyID, clientID); cd != nil {
		if r, ok := cd.requests[requestID]; ok {
			return clone(r), nil
		}
	}
	return ah.AccessRequest{}, ah.NotFound("access request")
}

func (s *Store) requests(agencyID, clientID string, keep func(ah.AccessRequest) bool) []ah.AccessRequest {
	var out []ah.AccessRequest
	if cd := s.client(agencyID, clientID); cd != nil {
		for _, r := range cd.requests {
			if keep(r) {
				out = append(out, clone(r))
			}
		}
	}
	return out
}

func byCreation(r ah.AccessRequest) string { return sortableTime(r.CreatedAt) + "#" + r.ID }

// ListRequests lists a client's requests: of one status (oldest first) or all (by id).
func (s *Store) ListRequests(_ context.Context, agencyID, clientID string, status ah.RequestStatus, p ah.Page) ([]ah.AccessRequest, ah.Keys, error) {
	if err := s.enter("ListRequests"); err != nil {
		return nil, nil, err
	}
	defer s.mu.Unlock()
	all := s.requests(agencyID, clientID, func(r ah.AccessRequest) bool { return status == "" || r.Status == status })
	key := func(r ah.AccessRequest) string { return r.ID }
	if status != "" {
		key = byCreation
	}
	out, next := page(all, key, p, false)
	return out, next, nil
}

// ListRequesterRequests lists one requester's requests on a client, oldest first.
func (s *Store) ListRequesterRequests(_ context.Context, agencyID, clientID, requesterID string, status ah.RequestStatus, p ah.Page) ([]ah.AccessRequest, ah.Keys, error) {
	if err := s.enter("ListRequesterRequests"); err != nil {
		return nil, nil, err
	}
	defer s.mu.Unlock()
	all := s.requests(agencyID, clientID, func(r ah.AccessRequest) bool {
		return r.RequesterID == requesterID && (status == "" || r.Status == status)
	})
	out, next := page(all, byCreation, p, false)
	return out, next, nil
}

// CreateGrantedRequest writes a request granted at once with its grant.
func (s *Store) CreateGrantedRequest(_ context.Context, r ah.AccessRequest, g ah.NewGrant) error {
	if err := s.enter("CreateGrantedRequest"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	r = clone(r)
	cd := s.client(r.AgencyID, r.ClientID)
	if cd == nil {
		return ah.NotFound("client")
	}
	t := &tx{}
	t.check(func() error {
		if _, ok := cd.requests[r.ID]; ok {
			return errExists
		}
		if !open(cd) {
			return errAccessClosed
		}
		return nil
	})
	t.apply(func() { cd.requests[r.ID] = r })
	s.grantWrites(t, cd, r, g)
	return s.commit(nil, t)
}

// TransitionRequest writes a request's transition with what goes with it.
func (s *Store) TransitionRequest(_ context.Context, tr ah.RequestTransition) error {
	if err := s.enter("TransitionRequest"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	r := clone(tr.Request)
	cd := s.client(r.AgencyID, r.ClientID)
	t := &tx{}
	t.check(func() error {
		if cd == nil {
			return errRequestChanged
		}
		if cur, ok := cd.requests[r.ID]; !ok || cur.Version != tr.PrevVersion || cur.Status != tr.PrevStatus {
			return errRequestChanged
		}
		return nil
	})
	t.apply(func() { cd.requests[r.ID] = r })
	if tr.LeavePending {
		t.apply(func() {
			delete(cd.pending, pendingKey(r.PlatformID, r.RequesterID))
			if cp, ok := cd.platforms[r.PlatformID]; ok {
				cp.PendingRequests--
				cd.platforms[r.PlatformID] = cp
			}
		})
	}
	if tr.NewIdentity != nil {
		i := clone(*tr.NewIdentity)
		t.check(func() error {
			if _, ok := cd.identities[i.ID]; ok {
				return errExists
			}
			return nil
		})
		t.check(func() error {
			if _, ok := cd.identityFor[i.PlatformID]; ok {
				return errIdentityExists
			}
			return nil
		})
		t.apply(func() {
			cd.identities[i.ID] = i
			cd.identityFor[i.PlatformID] = i.ID
			if cp, ok := cd.platforms[r.PlatformID]; ok {
				cp.ProvisioningStatus = ah.ProvisioningInProgress
				cd.platforms[r.PlatformID] = cp
			}
		})
	}
	if tr.Grant != nil {
		s.grantWrites(t, cd, r, *tr.Grant)
	}
	if tr.NewIdentity != nil || tr.Grant != nil {
		t.check(func() error {
			if !open(cd) {
				return errAccessClosed
			}
			return nil
		})
	}
	return s.commit(nil, t)
}

func (s *Store) grantWrites(t *tx, cd *clientData, r ah.AccessRequest, g ah.NewGrant) {
	gr := clone(g.Grant)
	t.check(func() error {
		if _, ok := cd.grants[gr.RequestID]; ok {
			return errExists
		}
		return nil
	})
	t.apply(func() { cd.grants[gr.RequestID] = gr })
	if gr.EndsAt != nil {
		t.apply(func() {
			if cd.client.Facts.AccessEnds == nil {
				cd.client.Facts.AccessEnds = map[string]time.Time{}
			}
			cd.client.Facts.AccessEnds[gr.RequestID] = gr.EndsAt.UTC()
			bump(&cd.client.Meta, r.UpdatedBy, r.LastAction, r.UpdatedAt)
		})
	}
	if g.CountOnIdentity {
		t.check(func() error {
			if i, ok := cd.identities[gr.IdentityID]; !ok || i.Status != ah.IdentityActive {
				return ah.Conflict(ah.CodeIdentityNotActive, "the client's identity on this platform stopped being active meanwhile; approve again")
			}
			return nil
		})
		t.apply(func() {
			i := cd.identities[gr.IdentityID]
			i.ActiveGrants++
			bump(&i.Meta, r.UpdatedBy, r.LastAction, r.UpdatedAt)
			cd.identities[gr.IdentityID] = i
		})
	}
	if g.Reactivate != nil {
		i, prev := clone(*g.Reactivate), g.ReactivatePrev
		t.check(func() error {
			if cur, ok := cd.identities[i.ID]; !ok || cur.Version != prev || cur.Status != ah.IdentityDeactivated {
				return ah.Conflict(ah.CodeIdentityProvisioning, "the client's identity on this platform changed meanwhile; approve again")
			}
			return nil
		})
		t.apply(func() { cd.identities[i.ID] = i })
	}
}

// ReadSubmitContext reads the agency, the client, the platform and the template.
func (s *Store) ReadSubmitContext(_ context.Context, agencyID, clientID, platformID, templateID string) (ah.SubmitContext, error) {
	if err := s.enter("ReadSubmitContext"); err != nil {
		return ah.SubmitContext{}, err
	}
	defer s.mu.Unlock()
	var sc ah.SubmitContext
	a := s.agencies[agencyID]
	if a == nil || a.agency.ID == "" {
		return sc, ah.Internal("memstore.ReadSubmitContext", fmt.Errorf("agency %s not found", agencyID))
	}
	sc.Agency = clone(a.agency)
	cd := a.clients[clientID]
	if cd == nil {
		return sc, ah.NotFound("client")
	}
	sc.Client = cloneClient(cd.client)
	if p, ok := a.platforms[platformID]; ok {
		p = clone(p)
		sc.Platform = &p
	}
	if t, ok := a.templates[templateID]; ok && templateID != "" {
		t = clone(t)
		sc.Template = &t
	}
	return sc, nil
}

// due collects, under the lock, what a sweep visits, in time order; the sweep's
// callback runs without the lock (it writes).
func due[T any](s *Store, method string, now time.Time, pick func(a *agencyData, cd *clientData, emit func(time.Time, T))) ([]T, error) {
	if err := s.enter(method); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	type entry struct {
		at time.Time
		v  T
	}
	var all []entry
	for _, a := range s.agencies {
		for _, cd := range a.clients {
			pick(a, cd, func(at time.Time, v T) {
				if at.Before(now) {
					all = append(all, entry{at, v})
				}
			})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].at.Before(all[j].at) })
	out := make([]T, len(all))
	for i, e := range all {
		out[i] = e.v
	}
	return out, nil
}

func each[T any](items []T, err error, fn func(T) error) error {
	if err != nil {
		return err
	}
	for _, it := range items {
		if err := fn(it); err != nil {
			return err
		}
	}
	return nil
}

// ExpiredPending calls fn for each pending request whose expiry is before now.
func (s *Store) ExpiredPending(_ context.Context, now time.Time, fn func(ah.AccessRequest) error) error {
	items, err := due(s, "ExpiredPending", now, func(_ *agencyData, cd *clientData, emit func(time.Time, ah.AccessRequest)) {
		for _, r := range cd.requests {
			if r.Status == ah.RequestPending {
				emit(r.ExpiresAt, clone(r))
			}
		}
	})
	return each(items, err, fn)
}

// GetGrant reads one live grant.
func (s *Store) GetGrant(_ context.Context, agencyID, clientID, requestID string) (ah.AccessGrant, error) {
	if err := s.enter("GetGrant"); err != nil {
		return ah.AccessGrant{}, err
	}
	defer s.mu.Unlock()
	if cd := s.client(agencyID, clientID); cd != nil {
		if g, ok := cd.grants[requestID]; ok {
			return clone(g), nil
		}
	}
	return ah.AccessGrant{}, ah.NotFound("access grant")
}

// EndGrant writes a grant's end.
func (s *Store) EndGrant(_ context.Context, e ah.GrantEnd) error {
	if err := s.enter("EndGrant"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	r := clone(e.Request)
	cd := s.client(r.AgencyID, r.ClientID)
	t := &tx{}
	t.check(func() error {
		if cd == nil {
			return errGrantChanged
		}
		if cur, ok := cd.requests[r.ID]; !ok || cur.Version != e.PrevVersion || cur.Status != e.PrevStatus {
			return errGrantChanged
		}
		return nil
	})
	t.check(func() error {
		if _, ok := cd.grants[r.ID]; !ok {
			return errGrantChanged
		}
		return nil
	})
	t.apply(func() {
		cd.requests[r.ID] = r
		delete(cd.grants, r.ID)
	})
	if e.Grant.EndsAt != nil {
		t.apply(func() {
			delete(cd.client.Facts.AccessEnds, r.ID)
			bump(&cd.client.Meta, r.UpdatedBy, r.LastAction, r.UpdatedAt)
		})
	}
	if id := e.Grant.IdentityID; id != "" {
		t.check(func() error {
			i, ok := cd.identities[id]
			if !ok {
				if e.IdentityGrants == 0 && !e.Deactivate {
					return nil
				}
				return errGrantChanged
			}
			if i.ActiveGrants != e.IdentityGrants || (e.Deactivate && i.Status != ah.IdentityActive) {
				return errGrantChanged
			}
			return nil
		})
		t.apply(func() {
			i, ok := cd.identities[id]
			if !ok {
				return
			}
			i.ActiveGrants = max(e.IdentityGrants-1, 0)
			if e.Deactivate {
				i.Status = ah.IdentityDeactivated
				if e.Deprovision != nil {
					d := *e.Deprovision
					i.Deprovisioning = &d
				}
			}
			bump(&i.Meta, r.UpdatedBy, r.LastAction, r.UpdatedAt)
			cd.identities[id] = i
		})
	}
	return s.commit(nil, t)
}

// EndedGrants calls fn for each live grant whose end is before now.
func (s *Store) EndedGrants(_ context.Context, now time.Time, fn func(ah.EndedGrant) error) error {
	items, err := due(s, "EndedGrants", now, func(a *agencyData, cd *clientData, emit func(time.Time, ah.EndedGrant)) {
		for _, g := range cd.grants {
			if g.EndsAt != nil {
				emit(*g.EndsAt, ah.EndedGrant{AgencyID: a.agency.ID, AccessGrant: clone(g)})
			}
		}
	})
	return each(items, err, fn)
}

// DueEndNotices calls fn for each granted request whose end notice is due.
func (s *Store) DueEndNotices(_ context.Context, now time.Time, fn func(ah.AccessRequest) error) error {
	items, err := due(s, "DueEndNotices", now, func(_ *agencyData, cd *clientData, emit func(time.Time, ah.AccessRequest)) {
		for _, r := range cd.requests {
			if (r.Status == ah.RequestApproved || r.Status == ah.RequestProvisioned) && r.AccessEndsAt != nil && r.EndNoticeSentAt == nil {
				emit(r.AccessEndsAt.Add(-time.Duration(r.Policy.Duration.NoticeMinutes)*time.Minute), clone(r))
			}
		}
	})
	return each(items, err, fn)
}

// DueReminders calls fn for each planned reviewer reminder due before now.
func (s *Store) DueReminders(_ context.Context, now time.Time, fn func(ah.ReminderDue) error) error {
	items, err := due(s, "DueReminders", now, func(a *agencyData, cd *clientData, emit func(time.Time, ah.ReminderDue)) {
		for _, r := range cd.requests {
			if r.Status != ah.RequestPending {
				continue
			}
			for _, lead := range r.ReminderLeads {
				if !slices.Contains(r.RemindersSent, lead) {
					emit(r.ExpiresAt.Add(-time.Duration(lead)*time.Minute), ah.ReminderDue{AgencyID: r.AgencyID, ClientID: r.ClientID, RequestID: r.ID, LeadMinutes: lead})
				}
			}
		}
	})
	return each(items, err, fn)
}

// MarkReminderSent records a reminder on its pending request, once.
func (s *Store) MarkReminderSent(_ context.Context, d ah.ReminderDue, now time.Time) (bool, error) {
	if err := s.enter("MarkReminderSent"); err != nil {
		return false, err
	}
	defer s.mu.Unlock()
	cd := s.client(d.AgencyID, d.ClientID)
	if cd == nil {
		return false, nil
	}
	r, ok := cd.requests[d.RequestID]
	if !ok || r.Status != ah.RequestPending || slices.Contains(r.RemindersSent, d.LeadMinutes) {
		return false, nil
	}
	r.RemindersSent = append(r.RemindersSent, d.LeadMinutes)
	bump(&r.Meta, "system:expiry", "access_request.reminder", now)
	cd.requests[d.RequestID] = r
	return true, nil
}

// MarkEndNoticeSent records that the requester was told; a request that changed
// meanwhile is left alone.
func (s *Store) MarkEndNoticeSent(_ context.Context, r ah.AccessRequest, now time.Time) error {
	if err := s.enter("MarkEndNoticeSent"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	cd := s.client(r.AgencyID, r.ClientID)
	if cd == nil {
		return nil
	}
	cur, ok := cd.requests[r.ID]
	if !ok || cur.Version != r.Version {
		return nil
	}
	at := now
	cur.EndNoticeSentAt = &at
	bump(&cur.Meta, "system:expiry", "access_request.end_notice", now)
	cd.requests[r.ID] = cur
	return nil
}
