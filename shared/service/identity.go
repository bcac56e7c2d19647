package service

import (
	"context"
	"strings"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// CreateIdentity creates an agency identity (the wizard): agency-wide, or the
// agency's one identity on a platform. Its credentials are supplied later
// (credentialStatus none). Returns platform_identity_exists for a second identity on
// the same platform and a field error for an unknown platform.
func (s *Service) CreateIdentity(ctx context.Context, p ah.Principal, in ah.NewIdentityInput, idem *Idem) (Created[ah.Identity], error) {
	if err := in.Validate(); err != nil {
		return Created[ah.Identity]{}, err
	}
	now := s.clock.Now()
	id := ah.Identity{ID: NewID("idn"), AgencyID: p.AgencyID, DisplayName: strings.TrimSpace(in.DisplayName),
		Email: ah.NormalizeEmail(in.Email), Scope: in.Scope, PlatformID: in.PlatformID, IdentityType: in.IdentityType,
		Status: ah.IdentityActive, CredentialStatus: ah.CredentialNone}
	if id.IdentityType == "" {
		id.IdentityType = ah.IdentityStandard
	}
	stampNew(&id.Meta, p.MemberID, "identity.create", now)
	res, err := create(p, now, idem, id, func(rec *ah.Idempotency) error { return s.store.CreateIdentity(ctx, id, rec) })
	return res, missingField(err, func(*ah.MissingError) (string, string) { return "platformId", "no such platform in this agency" })
}

// GetIdentity reads an agency identity.
func (s *Service) GetIdentity(ctx context.Context, p ah.Principal, identityID string) (ah.Identity, error) {
	return s.store.GetIdentity(ctx, p.AgencyID, identityID)
}

// ListIdentities lists the agency's identities.
func (s *Service) ListIdentities(ctx context.Context, p ah.Principal, page ah.Page) ([]ah.Identity, ah.Keys, error) {
	return s.store.ListIdentities(ctx, p.AgencyID, page)
}
