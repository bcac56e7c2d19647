package service

import (
	"context"
	"strings"
	"time"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

func newPolicy(agencyID string, in ah.NewSecurityPolicyInput, actor string, now time.Time) ah.SecurityPolicy {
	pol := ah.SecurityPolicy{ID: NewID("pol"), AgencyID: agencyID, Name: strings.TrimSpace(in.Name),
		Description: strings.TrimSpace(in.Description), Password: *in.Password,
		SessionLengthMinutes: in.SessionLengthMinutes, MFA: in.MFA}
	if in.Workspace != nil {
		pol.Workspace = *in.Workspace
	}
	stampNew(&pol.Meta, actor, "security_policy.create", now)
	return pol
}

// CreateSecurityPolicy creates a security policy. A new policy is never the default
// on creation; make it the default with PATCH isDefault or the settings.
func (s *Service) CreateSecurityPolicy(ctx context.Context, p ah.Principal, in ah.NewSecurityPolicyInput, idem *Idem) (Created[ah.SecurityPolicy], error) {
	if err := in.Validate(); err != nil {
		return Created[ah.SecurityPolicy]{}, err
	}
	now := s.clock.Now()
	pol := newPolicy(p.AgencyID, in, p.MemberID, now)
	return create(p, now, idem, pol, func(rec *ah.Idempotency) error { return s.store.CreateSecurityPolicy(ctx, pol, rec) })
}

// GetSecurityPolicy reads a security policy.
func (s *Service) GetSecurityPolicy(ctx context.Context, p ah.Principal, policyID string) (ah.SecurityPolicy, error) {
	return s.store.GetSecurityPolicy(ctx, p.AgencyID, policyID)
}

// ListSecurityPolicies lists the agency's security policies.
func (s *Service) ListSecurityPolicies(ctx context.Context, p ah.Principal, page ah.Page) ([]ah.SecurityPolicy, ah.Keys, error) {
	return s.store.ListSecurityPolicies(ctx, p.AgencyID, page)
}

// UpdateSecurityPolicy changes a policy's rules. isDefault: true moves the agency
// default to this policy (one transaction with the agency and the old default).
func (s *Service) UpdateSecurityPolicy(ctx context.Context, p ah.Principal, policyID string, patch ah.SecurityPolicyPatch, ifMatch *int) (ah.SecurityPolicy, error) {
	if err := patch.Validate(); err != nil {
		return ah.SecurityPolicy{}, err
	}
	pol, err := s.store.GetSecurityPolicy(ctx, p.AgencyID, policyID)
	if err != nil {
		return ah.SecurityPolicy{}, err
	}
	if err := checkIfMatch(ifMatch, pol.Version, pol); err != nil {
		return ah.SecurityPolicy{}, err
	}
	rulesChanged := patch.Name != nil || patch.Description != nil || patch.Password != nil || patch.SessionLengthMinutes != nil || patch.MFA != nil || patch.Workspace != nil
	if rulesChanged {
		prev := pol.Version
		if patch.Name != nil {
			pol.Name = strings.TrimSpace(*patch.Name)
		}
		if patch.Description != nil {
			pol.Description = strings.TrimSpace(*patch.Description)
		}
		if patch.Password != nil {
			pol.Password = *patch.Password
		}
		if patch.SessionLengthMinutes != nil {
			pol.SessionLengthMinutes = *patch.SessionLengthMinutes
		}
		if patch.MFA != nil {
			pol.MFA = *patch.MFA
		}
		if patch.Workspace != nil {
			pol.Workspace = *patch.Workspace
		}
		stampChange(&pol.Meta, p.MemberID, "security_policy.update", s.clock.Now())
		if err := s.store.UpdateSecurityPolicy(ctx, pol, prev); err != nil {
			return ah.SecurityPolicy{}, err
		}
		if patch.Password != nil || patch.Name != nil || patch.Workspace != nil {
			// The policy's clients' identities are judged again under the new rules
			// (and the clients keep the policy as it now is).
			// The change stands either way; a client missed here is recounted
			// at its next credential change.
			if err := s.reevaluatePolicy(ctx, p, pol); err != nil {
				s.log.WarnContext(ctx, "re-evaluate compliance after a policy change", "policyId", pol.ID, "error", err.Error())
			}
		}
	}
	if patch.IsDefault != nil && *patch.IsDefault && !pol.IsDefault {
		if _, err := s.UpdateSettings(ctx, p, ah.SettingsPatch{DefaultSecurityPolicyID: &pol.ID}, nil); err != nil {
			return ah.SecurityPolicy{}, err
		}
		return s.store.GetSecurityPolicy(ctx, p.AgencyID, policyID)
	}
	return pol, nil
}
