package service

import (
	"context"
	"strings"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// CreatePlatform connects a platform; its status starts as given or connecting.
func (s *Service) CreatePlatform(ctx context.Context, p ah.Principal, in ah.NewPlatformInput, idem *Idem) (Created[ah.Platform], error) {
	if err := in.Validate(); err != nil {
		return Created[ah.Platform]{}, err
	}
	now := s.clock.Now()
	pl := ah.Platform{ID: NewID("plt"), AgencyID: p.AgencyID, Name: strings.TrimSpace(in.Name), Kind: in.Kind,
		Status: in.Status, Description: strings.TrimSpace(in.Description)}
	if pl.Status == "" {
		pl.Status = ah.PlatformConnecting
	}
	stampNew(&pl.Meta, p.MemberID, "platform.create", now)
	return create(p, now, idem, pl, func(rec *ah.Idempotency) error { return s.store.CreatePlatform(ctx, pl, rec) })
}

// GetPlatform reads a platform connection.
func (s *Service) GetPlatform(ctx context.Context, p ah.Principal, platformID string) (ah.Platform, error) {
	return s.store.GetPlatform(ctx, p.AgencyID, platformID)
}

// ListPlatforms lists the agency's platform connections.
func (s *Service) ListPlatforms(ctx context.Context, p ah.Principal, page ah.Page) ([]ah.Platform, ah.Keys, error) {
	return s.store.ListPlatforms(ctx, p.AgencyID, page)
}

// UpdatePlatform renames a platform or records a change in its connection status.
func (s *Service) UpdatePlatform(ctx context.Context, p ah.Principal, platformID string, patch ah.PlatformPatch, ifMatch *int) (ah.Platform, error) {
	if err := patch.Validate(); err != nil {
		return ah.Platform{}, err
	}
	pl, err := s.store.GetPlatform(ctx, p.AgencyID, platformID)
	if err != nil {
		return ah.Platform{}, err
	}
	if err := checkIfMatch(ifMatch, pl.Version, pl); err != nil {
		return ah.Platform{}, err
	}
	prev := pl.Version
	if patch.Name != nil {
		pl.Name = strings.TrimSpace(*patch.Name)
	}
	if patch.Description != nil {
		pl.Description = strings.TrimSpace(*patch.Description)
	}
	if patch.Status != nil {
		pl.Status = *patch.Status
	}
	stampChange(&pl.Meta, p.MemberID, "platform.update", s.clock.Now())
	if err := s.store.UpdatePlatform(ctx, pl, prev); err != nil {
		return ah.Platform{}, err
	}
	if patch.Status != nil {
		if err := s.propagatePlatformStatus(ctx, p, pl); err != nil {
			return ah.Platform{}, err
		}
	}
	return pl, nil
}
