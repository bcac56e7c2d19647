package memstore

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

func notificationKey(at time.Time, id string) string { return sortableTime(at) + "#" + id }

// PutNotification writes a notification; the same id and time write the same item.
func (s *Store) PutNotification(_ context.Context, n ah.Notification) error {
	if err := s.enter("PutNotification"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	a := s.agency(n.AgencyID)
	if a.notifications[n.MemberID] == nil {
		a.notifications[n.MemberID] = map[string]ah.Notification{}
	}
	a.notifications[n.MemberID][notificationKey(n.CreatedAt, n.ID)] = clone(n)
	return nil
}

// GetNotification reads one notification.
func (s *Store) GetNotification(_ context.Context, agencyID, memberID string, at time.Time, id string) (ah.Notification, bool, error) {
	if err := s.enter("GetNotification"); err != nil {
		return ah.Notification{}, false, err
	}
	defer s.mu.Unlock()
	if a := s.agencies[agencyID]; a != nil {
		if n, ok := a.notifications[memberID][notificationKey(at, id)]; ok {
			return clone(n), true, nil
		}
	}
	return ah.Notification{}, false, nil
}

// ListNotifications lists a member's notifications, newest first.
func (s *Store) ListNotifications(_ context.Context, agencyID, memberID string, p ah.Page) ([]ah.Notification, ah.Keys, error) {
	if err := s.enter("ListNotifications"); err != nil {
		return nil, nil, err
	}
	defer s.mu.Unlock()
	var all []ah.Notification
	if a := s.agencies[agencyID]; a != nil {
		for _, n := range a.notifications[memberID] {
			all = append(all, clone(n))
		}
	}
	out, next := page(all, func(n ah.Notification) string { return notificationKey(n.CreatedAt, n.ID) }, p, true)
	return out, next, nil
}

// MarkNotificationRead marks one notification read, once.
func (s *Store) MarkNotificationRead(_ context.Context, n ah.Notification, now time.Time) (bool, error) {
	if err := s.enter("MarkNotificationRead"); err != nil {
		return false, err
	}
	defer s.mu.Unlock()
	a := s.agencies[n.AgencyID]
	if a == nil {
		return false, nil
	}
	k := notificationKey(n.CreatedAt, n.ID)
	cur, ok := a.notifications[n.MemberID][k]
	if !ok || cur.ReadAt != nil {
		return false, nil
	}
	at := now
	cur.ReadAt = &at
	a.notifications[n.MemberID][k] = cur
	return true, nil
}

// Audit is an in-memory ah.AuditStore: the entries a test adds, read newest first
// with the same filters as the audit table's queries.
type Audit struct {
	mu      sync.Mutex
	entries map[string][]ah.AuditEntry // agency -> entries
}

var _ ah.AuditStore = (*Audit)(nil)

// Add records entries of an agency.
func (a *Audit) Add(agencyID string, entries ...ah.AuditEntry) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.entries == nil {
		a.entries = map[string][]ah.AuditEntry{}
	}
	for _, e := range entries {
		if e.Changes == nil {
			e.Changes = []byte("{}")
		}
		a.entries[agencyID] = append(a.entries[agencyID], clone(e))
	}
}

func (a *Audit) list(agencyID string, f ah.AuditFilter, p ah.Page) ([]ah.AuditEntry, ah.Keys) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var all []ah.AuditEntry
	for _, e := range a.entries[agencyID] {
		if (f.ClientID == "" || e.ClientID == f.ClientID) && (f.ActorID == "" || e.ActorID == f.ActorID) &&
			(f.Action == "" || e.Action == f.Action) && (f.From.IsZero() || !e.At.Before(f.From)) && (f.To.IsZero() || e.At.Before(f.To)) &&
			!slices.Contains(f.ExcludeTypes, e.EntityType) {
			all = append(all, clone(e))
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].At.After(all[j].At) })
	return page(all, func(e ah.AuditEntry) string { return sortableTime(e.At) + "#" + e.ID }, p, true)
}

// ListClientAudit lists a client's entries, newest first.
func (a *Audit) ListClientAudit(_ context.Context, agencyID, clientID string, f ah.AuditFilter, p ah.Page) ([]ah.AuditEntry, ah.Keys, error) {
	f.ClientID = clientID
	out, next := a.list(agencyID, f, p)
	return out, next, nil
}

// ListAgencyAudit lists an agency's entries, newest first.
func (a *Audit) ListAgencyAudit(_ context.Context, agencyID string, f ah.AuditFilter, p ah.Page) ([]ah.AuditEntry, ah.Keys, error) {
	out, next := a.list(agencyID, f, p)
	return out, next, nil
}
