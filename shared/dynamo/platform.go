package dynamo

import (
	"context"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

type platformItem struct {
	keys
	ah.Platform
}

func newPlatformItem(p ah.Platform) platformItem {
	return platformItem{keys: keys{PK: agencyPK(p.AgencyID), SK: platformSK(p.ID), Type: typePlatform}, Platform: p}
}

var errPlatformNotFound = ah.NotFound("platform")

// CreatePlatform writes a new platform connection.
func (s *Store) CreatePlatform(ctx context.Context, p ah.Platform, idem *ah.Idempotency) error {
	return s.create(ctx, "dynamo.CreatePlatform", newPlatformItem(p), idem)
}

// GetPlatform reads a platform connection.
func (s *Store) GetPlatform(ctx context.Context, agencyID, platformID string) (ah.Platform, error) {
	it, err := get[platformItem](ctx, s, "dynamo.GetPlatform", agencyPK(agencyID), platformSK(platformID), errPlatformNotFound)
	return it.Platform, err
}

// ListPlatforms lists an agency's platform connections.
func (s *Store) ListPlatforms(ctx context.Context, agencyID string, page ah.Page) ([]ah.Platform, ah.Keys, error) {
	return list(ctx, s, "dynamo.ListPlatforms", prefixQuery(agencyPK(agencyID), platformPrefix), page, func(it platformItem) ah.Platform { return it.Platform })
}

// UpdatePlatform writes a changed platform if its version is still prevVersion.
func (s *Store) UpdatePlatform(ctx context.Context, p ah.Platform, prevVersion int) error {
	return s.replace(ctx, "dynamo.UpdatePlatform", newPlatformItem(p), prevVersion)
}
