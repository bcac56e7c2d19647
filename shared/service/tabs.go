package service

import (
	"context"

	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/audit"
	"github.com/accesshive/accesshive/shared/dynamo"
)

var errNoIdentityAccess = &ah.Error{Kind: ah.KindForbidden, Code: ah.CodeNoIdentityAccess,
	Message: "your team role on this client does not include identity access; ask an admin to make you a manager or operator"}

// identityAccess allows owners and admins, and team members whose team role
// includes identity access.
func identityAccess(p ah.Principal, d dynamo.ClientDetail) error {
	if seesAllClients(p) || d.TeamRole(p.MemberID).IdentityAccess() {
		return nil
	}
	return errNoIdentityAccess
}

// ListClientIdentities lists the client's dedicated identities (Identities tab).
func (s *Service) ListClientIdentities(ctx context.Context, p ah.Principal, clientID string, page dynamo.Page) ([]ah.ClientIdentity, dynamo.Keys, error) {
	d, err := s.visibleClient(ctx, p, clientID)
	if err != nil {
		return nil, nil, err
	}
	if err := identityAccess(p, d); err != nil {
		return nil, nil, err
	}
	return s.store.ListClientIdentities(ctx, p.AgencyID, clientID, page)
}

// GetClientIdentity reads one client-dedicated identity with its provisioning steps.
// One round trip: owners and admins read the identity; a team member reads it
// with their team assignment in one BatchGetItem.
func (s *Service) GetClientIdentity(ctx context.Context, p ah.Principal, clientID, identityID string) (ah.ClientIdentity, error) {
	if seesAllClients(p) {
		return s.store.GetClientIdentity(ctx, p.AgencyID, clientID, identityID)
	}
	if !p.Role.IsAgencyRole() {
		return ah.ClientIdentity{}, ah.NotFound("client")
	}
	role, i, found, err := s.store.ClientIdentityOfTeam(ctx, p.AgencyID, clientID, p.MemberID, identityID)
	switch {
	case err != nil:
		return ah.ClientIdentity{}, err
	case role == "":
		return ah.ClientIdentity{}, ah.NotFound("client")
	case !role.IdentityAccess():
		return ah.ClientIdentity{}, errNoIdentityAccess
	case !found:
		return ah.ClientIdentity{}, ah.NotFound("identity")
	}
	return i, nil
}

// ListActivity lists the client's audit trail, newest first (one Query a page).
func (s *Service) ListActivity(ctx context.Context, p ah.Principal, clientID string, f audit.Filter, page dynamo.Page) ([]ah.AuditEntry, dynamo.Keys, error) {
	if _, err := s.visibleClient(ctx, p, clientID); err != nil {
		return nil, nil, err
	}
	if s.audit == nil {
		return []ah.AuditEntry{}, nil, nil
	}
	res, err := s.audit.ListClient(ctx, p.AgencyID, clientID, f, page.Limit, page.After)
	if err != nil {
		return nil, nil, &ah.Error{Kind: ah.KindUnavailable, Code: ah.CodeUnavailable, Message: "the audit trail did not answer; retry", Err: err}
	}
	return res.Items, res.Next, nil
}

// SearchAudit lists the agency's audit trail across clients (owners, admins).
func (s *Service) SearchAudit(ctx context.Context, p ah.Principal, f audit.Filter, page dynamo.Page) ([]ah.AuditEntry, dynamo.Keys, error) {
	if s.audit == nil {
		return []ah.AuditEntry{}, nil, nil
	}
	res, err := s.audit.ListAgency(ctx, p.AgencyID, f, page.Limit, page.After)
	if err != nil {
		return nil, nil, &ah.Error{Kind: ah.KindUnavailable, Code: ah.CodeUnavailable, Message: "the audit trail did not answer; retry", Err: err}
	}
	return res.Items, res.Next, nil
}

func oneOf(s string, set []string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}
