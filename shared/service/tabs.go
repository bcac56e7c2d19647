package service

import (
	"context"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

var errNoIdentityAccess = &ah.Error{Kind: ah.KindForbidden, Code: ah.CodeNoIdentityAccess,
	Message: "your team role on this client does not include identity access; ask an admin to make you a manager or operator"}

// identityAccess allows owners and admins, and team members whose team role on
// the client includes identity access; staff off the team do not see the client.
func identityAccess(p ah.Principal, clientID string) error {
	if err := clientScope(p, clientID); err != nil {
		return err
	}
	if p.HasIdentityAccess(clientID) {
		return nil
	}
	return errNoIdentityAccess
}

// ListClientIdentities lists the client's dedicated identities (Identities tab):
// one Query, the visibility check is the principal's.
func (s *Service) ListClientIdentities(ctx context.Context, p ah.Principal, clientID string, page ah.Page) ([]ah.ClientIdentity, ah.Keys, error) {
	if err := identityAccess(p, clientID); err != nil {
		return nil, nil, err
	}
	items, next, err := s.store.ListClientIdentities(ctx, p.AgencyID, clientID, page)
	if err == nil {
		err = s.confirmClient(ctx, p, clientID, len(items) == 0 && len(page.After) == 0)
	}
	if err == nil {
		err = s.judgeAll(ctx, p.AgencyID, clientID, items)
	}
	return items, next, err
}

// GetClientIdentity reads one client-dedicated identity with its provisioning
// steps (one GetItem).
func (s *Service) GetClientIdentity(ctx context.Context, p ah.Principal, clientID, identityID string) (ah.ClientIdentity, error) {
	if err := identityAccess(p, clientID); err != nil {
		return ah.ClientIdentity{}, err
	}
	i, c, err := s.store.GetClientIdentityWithClient(ctx, p.AgencyID, clientID, identityID)
	if err != nil {
		return i, err
	}
	if needsJudging([]ah.ClientIdentity{i}) {
		pol, err := s.policyOf(ctx, c)
		if err != nil {
			return i, err
		}
		judge(&i, pol, s.clock.Now())
	}
	return i, nil
}

// ListActivity lists the client's audit trail, newest first (one Query a page).
func (s *Service) ListActivity(ctx context.Context, p ah.Principal, clientID string, f ah.AuditFilter, page ah.Page) ([]ah.AuditEntry, ah.Keys, error) {
	if err := clientScope(p, clientID); err != nil {
		return nil, nil, err
	}
	if s.audit == nil {
		return []ah.AuditEntry{}, nil, nil
	}
	f.ExcludeTypes = p.AuditExclusions(clientID)
	items, next, err := s.audit.ListClientAudit(ctx, p.AgencyID, clientID, f, page)
	if err != nil {
		return nil, nil, &ah.Error{Kind: ah.KindUnavailable, Code: ah.CodeUnavailable, Message: "the audit trail did not answer; retry", Err: err}
	}
	items = visibleEntries(p, items)
	return items, next, s.confirmClient(ctx, p, clientID, len(items) == 0 && len(page.After) == 0)
}

// visibleEntries keeps the entries the principal may read (the store already left
// out what it could; this is the rule itself, applied to every entry served).
func visibleEntries(p ah.Principal, items []ah.AuditEntry) []ah.AuditEntry {
	out := items[:0]
	for _, e := range items {
		if p.MaySeeAuditEntry(e) {
			out = append(out, e)
		}
	}
	return out
}

// SearchAudit lists the agency's audit trail across clients (owners, admins).
func (s *Service) SearchAudit(ctx context.Context, p ah.Principal, f ah.AuditFilter, page ah.Page) ([]ah.AuditEntry, ah.Keys, error) {
	if s.audit == nil {
		return []ah.AuditEntry{}, nil, nil
	}
	if !p.SeesAllClients() && !p.Audits() {
		return nil, nil, ah.Forbidden("the agency's audit trail is for owners, admins and auditors")
	}
	items, next, err := s.audit.ListAgencyAudit(ctx, p.AgencyID, f, page)
	if err != nil {
		return nil, nil, &ah.Error{Kind: ah.KindUnavailable, Code: ah.CodeUnavailable, Message: "the audit trail did not answer; retry", Err: err}
	}
	return visibleEntries(p, items), next, nil
}

func oneOf(s string, set []string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}
