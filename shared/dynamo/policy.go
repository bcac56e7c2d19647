package dynamo

import (
	"context"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

type policyItem struct {
	keys
	ah.SecurityPolicy
}

func newPolicyItem(p ah.SecurityPolicy) policyItem {
	return policyItem{keys: keys{PK: agencyPK(p.AgencyID), SK: policySK(p.ID), Type: typePolicy}, SecurityPolicy: p}
}

var errPolicyNotFound = ah.NotFound("security policy")

// CreateSecurityPolicy writes a new (non-default) security policy.
func (s *Store) CreateSecurityPolicy(ctx context.Context, p ah.SecurityPolicy, idem *ah.Idempotency) error {
	return s.create(ctx, "dynamo.CreateSecurityPolicy", newPolicyItem(p), idem)
}

// GetSecurityPolicy reads a security policy.
func (s *Store) GetSecurityPolicy(ctx context.Context, agencyID, policyID string) (ah.SecurityPolicy, error) {
	it, err := get[policyItem](ctx, s, "dynamo.GetSecurityPolicy", agencyPK(agencyID), policySK(policyID), errPolicyNotFound)
	return it.SecurityPolicy, err
}

// ListSecurityPolicies lists an agency's security policies.
func (s *Store) ListSecurityPolicies(ctx context.Context, agencyID string, page ah.Page) ([]ah.SecurityPolicy, ah.Keys, error) {
	return list(ctx, s, "dynamo.ListSecurityPolicies", prefixQuery(agencyPK(agencyID), policyPrefix), page, func(it policyItem) ah.SecurityPolicy { return it.SecurityPolicy })
}

// UpdateSecurityPolicy writes a changed policy if its version is still prevVersion.
// Making a policy the default goes through UpdateAgency, which moves the flag.
func (s *Store) UpdateSecurityPolicy(ctx context.Context, p ah.SecurityPolicy, prevVersion int) error {
	return s.replace(ctx, "dynamo.UpdateSecurityPolicy", newPolicyItem(p), prevVersion)
}
