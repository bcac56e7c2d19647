package service

import (
	"context"

	ah "github.com/accesshive/accesshive/shared/accesshive"
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
// Client-dedicated identities are created by approved access requests.
func (s *Service) ListClientIdentities(ctx context.Context, p ah.Principal, clientID string, _ dynamo.Page) ([]ah.ClientIdentity, dynamo.Keys, error) {
	d, err := s.visibleClient(ctx, p, clientID)
	if err != nil {
		return nil, nil, err
	}
	if err := identityAccess(p, d); err != nil {
		return nil, nil, err
	}
	return []ah.ClientIdentity{}, nil, nil
}

// GetClientIdentity reads one client-dedicated identity.
func (s *Service) GetClientIdentity(ctx context.Context, p ah.Principal, clientID, identityID string) (ah.ClientIdentity, error) {
	d, err := s.visibleClient(ctx, p, clientID)
	if err != nil {
		return ah.ClientIdentity{}, err
	}
	if err := identityAccess(p, d); err != nil {
		return ah.ClientIdentity{}, err
	}
	return ah.ClientIdentity{}, ah.NotFound("identity")
}

// ListClientAccessRequests lists the client's access requests, filtered by status.
func (s *Service) ListClientAccessRequests(ctx context.Context, p ah.Principal, clientID string, status string, _ dynamo.Page) ([]ah.AccessRequest, dynamo.Keys, error) {
	if status != "" && !oneOf(status, ah.RequestStatuses) {
		var v ah.Validation
		v.Add("status", ah.FieldUnknown, "status must be one of pending, approved, provisioned, rejected, expired")
		return nil, nil, v.Err()
	}
	if _, err := s.visibleClient(ctx, p, clientID); err != nil {
		return nil, nil, err
	}
	return []ah.AccessRequest{}, nil, nil
}

// GetClientAccessRequest reads one access request with its history.
func (s *Service) GetClientAccessRequest(ctx context.Context, p ah.Principal, clientID, requestID string) (ah.AccessRequest, error) {
	if _, err := s.visibleClient(ctx, p, clientID); err != nil {
		return ah.AccessRequest{}, err
	}
	return ah.AccessRequest{}, ah.NotFound("access request")
}

// GetGovernance returns the client's Governance tab.
func (s *Service) GetGovernance(ctx context.Context, p ah.Principal, clientID string) (ah.Governance, error) {
	d, err := s.visibleClient(ctx, p, clientID)
	if err != nil {
		return ah.Governance{}, err
	}
	owners := []string{}
	for _, t := range d.Team {
		if t.Role == ah.TeamManager {
			owners = append(owners, t.MemberID)
		}
	}
	return ah.Governance{
		ClientID:          clientID,
		PolicyAssignments: []ah.PolicyAssignment{{Kind: "security_policy", PolicyID: d.Client.SecurityPolicyID, Scope: "client"}},
		TeamGroups:        []ah.TeamGroup{},
		ClientOwners:      owners,
		Compliance:        ah.ComplianceSettings{DataResidency: d.Client.Region, AuditRetentionDays: 365},
	}, nil
}

// GetEffectiveAccess returns the client's effective access matrix.
func (s *Service) GetEffectiveAccess(ctx context.Context, p ah.Principal, clientID string) (ah.EffectiveAccess, error) {
	d, err := s.visibleClient(ctx, p, clientID)
	if err != nil {
		return ah.EffectiveAccess{}, err
	}
	return ah.EffectiveAccess{ClientID: clientID, Platforms: detailView(d).Platforms, Cells: []ah.AccessCell{}}, nil
}

// ListActivity lists the client's audit trail, newest first.
func (s *Service) ListActivity(ctx context.Context, p ah.Principal, clientID string, _ dynamo.Page) ([]ah.AuditEntry, dynamo.Keys, error) {
	if _, err := s.visibleClient(ctx, p, clientID); err != nil {
		return nil, nil, err
	}
	return []ah.AuditEntry{}, nil, nil
}

func oneOf(s string, set []string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}
