package dynamo

import (
	"context"
	"fmt"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

type identityItem struct {
	keys
	ah.Identity
}

func newIdentityItem(i ah.Identity) identityItem {
	return identityItem{keys: keys{PK: agencyPK(i.AgencyID), SK: identitySK(i.ID), Type: typeIdentity}, Identity: i}
}

var (
	errIdentityNotFound = ah.NotFound("identity")
	errPlatformIdentity = ah.Conflict(ah.CodePlatformIdentity, "the agency already has an identity on this platform")
)

// CreateIdentity writes a new agency identity. A platform-scoped identity claims its
// platform (one agency identity per platform) and requires the platform to exist.
func (s *Store) CreateIdentity(ctx context.Context, i ah.Identity, idem *ah.Idempotency) error {
	const op = "dynamo.CreateIdentity"
	var extra []write
	if i.Scope == ah.ScopePlatform {
		g, err := s.guardWrite(guard{keys: keys{PK: agencyPK(i.AgencyID), SK: platformIdentityGuardSK(i.PlatformID), Type: typeIdentityGuard},
			AgencyID: i.AgencyID, TargetID: i.ID, UpdatedBy: i.UpdatedBy, LastAction: i.LastAction}, errPlatformIdentity)
		if err != nil {
			return ah.Internal(op, fmt.Errorf("platform guard: %w", err))
		}
		extra = append(extra, mustExist(s.table, agencyPK(i.AgencyID), platformSK(i.PlatformID), &ah.MissingError{What: "platform", ID: i.PlatformID}), g)
	}
	return s.create(ctx, op, newIdentityItem(i), idem, extra...)
}

// GetIdentity reads an agency identity.
func (s *Store) GetIdentity(ctx context.Context, agencyID, identityID string) (ah.Identity, error) {
	it, err := get[identityItem](ctx, s, "dynamo.GetIdentity", agencyPK(agencyID), identitySK(identityID), errIdentityNotFound)
	return it.Identity, err
}

// ListIdentities lists an agency's identities.
func (s *Store) ListIdentities(ctx context.Context, agencyID string, page ah.Page) ([]ah.Identity, ah.Keys, error) {
	return list(ctx, s, "dynamo.ListIdentities", prefixQuery(agencyPK(agencyID), identityPrefix), page, func(it identityItem) ah.Identity { return it.Identity })
}

// UpdateIdentity writes a changed agency identity at its previous version.
func (s *Store) UpdateIdentity(ctx context.Context, i ah.Identity, prevVersion int) error {
	return s.replace(ctx, "dynamo.UpdateIdentity", newIdentityItem(i), prevVersion)
}

// GetIdentities reads agency identities by id in one BatchGetItem (up to 100;
// missing ones are absent).
func (s *Store) GetIdentities(ctx context.Context, agencyID string, ids []string) ([]ah.Identity, error) {
	const op = "dynamo.GetIdentities"
	if len(ids) == 0 {
		return nil, nil
	}
	wanted := make([]map[string]types.AttributeValue, len(ids))
	for i, id := range ids {
		wanted[i] = key(agencyPK(agencyID), identitySK(id))
	}
	got, err := s.batchGet(ctx, op, wanted)
	if err != nil {
		return nil, err
	}
	out := make([]ah.Identity, 0, len(got))
	for _, raw := range got {
		var it identityItem
		if err := unmarshal(raw, &it); err != nil {
			return nil, ah.Internal(op, err)
		}
		out = append(out, it.Identity)
	}
	return out, nil
}
