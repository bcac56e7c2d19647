package service

import (
	"context"
	"fmt"
	"strings"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// operatorActor is who the bootstrap command writes as.
const operatorActor = "operator"

// CreateAgencyResult is a new agency with its first owner.
type CreateAgencyResult struct {
	Agency ah.Agency `json:"agency"`
	Owner  ah.Member `json:"owner"`
}

// CreateAgency creates an agency, its first owner and its default security policy.
// It is the operator's bootstrap, not an API route. Returns email_taken when the
// owner's email is already a member anywhere.
func (s *Service) CreateAgency(ctx context.Context, in ah.NewAgencyInput) (CreateAgencyResult, error) {
	if err := in.Validate(); err != nil {
		return CreateAgencyResult{}, err
	}
	now := s.clock.Now()
	agencyID := NewID("agy")
	policy := newPolicy(agencyID, ah.DefaultSecurityPolicy(), operatorActor, now)
	policy.IsDefault = true
	a := ah.Agency{ID: agencyID, Name: strings.TrimSpace(in.AgencyName), Settings: ah.Settings{
		AccessRequestExpiryMinutes: ah.DefaultAccessRequestExpiryMinutes,
		DefaultSecurityPolicyID:    policy.ID,
		AuditRetentionDays:         ah.DefaultAuditRetentionDays,
	}}
	stampNew(&a.Meta, operatorActor, "agency.create", now)
	owner := ah.Member{ID: NewID("mbr"), AgencyID: agencyID, Email: ah.NormalizeEmail(in.OwnerEmail),
		Name: strings.TrimSpace(in.OwnerName), Role: ah.RoleOwner, Status: ah.MemberInvited, Subject: in.OwnerSubject, Teams: map[string]ah.TeamRole{}}
	if owner.Subject != "" {
		owner.Status = ah.MemberActive
	}
	stampNew(&owner.Meta, operatorActor, "member.create", now)
	if err := s.store.CreateAgency(ctx, ah.AgencyCreation{Agency: a, Owner: owner, Policy: policy}); err != nil {
		return CreateAgencyResult{}, fmt.Errorf("create agency %q: %w", a.Name, err)
	}
	return CreateAgencyResult{Agency: a, Owner: owner}, nil
}

// Me describes the caller.
func (s *Service) Me(ctx context.Context, p ah.Principal) (ah.Me, error) {
	a, err := s.store.GetAgency(ctx, p.AgencyID)
	if err != nil {
		return ah.Me{}, fmt.Errorf("me: %w", err)
	}
	return ah.Me{Principal: p, AgencyName: a.Name}, nil
}

// GetSettings returns the caller's agency settings.
func (s *Service) GetSettings(ctx context.Context, p ah.Principal) (ah.SettingsView, error) {
	a, err := s.store.GetAgency(ctx, p.AgencyID)
	if err != nil {
		return ah.SettingsView{}, fmt.Errorf("get settings: %w", err)
	}
	return a.View(), nil
}

// UpdateSettings changes agency settings. Moving the default security policy
// rewrites both policies' isDefault in the same transaction, so there is always
// exactly one default.
func (s *Service) UpdateSettings(ctx context.Context, p ah.Principal, patch ah.SettingsPatch, ifMatch *int) (ah.SettingsView, error) {
	const op = "service.UpdateSettings"
	if err := patch.Validate(); err != nil {
		return ah.SettingsView{}, err
	}
	a, err := s.store.GetAgency(ctx, p.AgencyID)
	if err != nil {
		return ah.SettingsView{}, err
	}
	if err := checkIfMatch(ifMatch, a.Version, a.View()); err != nil {
		return ah.SettingsView{}, err
	}
	prev := a.Version
	now := s.clock.Now()
	opts := ah.AgencyUpdate{PrevVersion: prev}
	if patch.AgencyName != nil {
		a.Name = strings.TrimSpace(*patch.AgencyName)
	}
	if patch.AccessRequestExpiryMinutes != nil {
		a.Settings.AccessRequestExpiryMinutes = *patch.AccessRequestExpiryMinutes
	}
	if patch.AuditRetentionDays != nil {
		a.Settings.AuditRetentionDays = *patch.AuditRetentionDays
	}
	if patch.EscalationMinutes != nil {
		a.Settings.EscalationMinutes = *patch.EscalationMinutes
	}
	if patch.ReminderLeadMinutes != nil {
		a.Settings.ReminderLeadMinutes = append([]int{}, *patch.ReminderLeadMinutes...)
	}
	if id := patch.DefaultSecurityPolicyID; id != nil && *id != a.Settings.DefaultSecurityPolicyID {
		newDef, err := s.store.GetSecurityPolicy(ctx, p.AgencyID, *id)
		if ah.KindOf(err) == ah.KindNotFound {
			var v ah.Validation
			v.Add("defaultSecurityPolicyId", ah.FieldUnknown, "no such security policy in this agency")
			return ah.SettingsView{}, v.Err()
		}
		if err != nil {
			return ah.SettingsView{}, err
		}
		oldDef, err := s.store.GetSecurityPolicy(ctx, p.AgencyID, a.Settings.DefaultSecurityPolicyID)
		if err != nil {
			return ah.SettingsView{}, ah.Internal(op, fmt.Errorf("read current default policy: %w", err))
		}
		opts.NewDefaultPrev, opts.OldDefaultPrev = newDef.Version, oldDef.Version
		newDef.IsDefault, oldDef.IsDefault = true, false
		stampChange(&newDef.Meta, p.MemberID, "security_policy.set_default", now)
		stampChange(&oldDef.Meta, p.MemberID, "security_policy.unset_default", now)
		opts.NewDefault, opts.OldDefault = &newDef, &oldDef
		a.Settings.DefaultSecurityPolicyID = newDef.ID
	}
	if id := patch.DefaultGovernancePolicyID; id != nil && *id != "" {
		if _, err := s.store.GetGovernancePolicy(ctx, p.AgencyID, *id); ah.KindOf(err) == ah.KindNotFound {
			var v ah.Validation
			v.Add("defaultGovernancePolicyId", ah.FieldUnknown, "no such governance policy in this agency")
			return ah.SettingsView{}, v.Err()
		} else if err != nil {
			return ah.SettingsView{}, err
		}
	}
	if id := patch.DefaultGovernancePolicyID; id != nil {
		a.Settings.DefaultGovernancePolicyID = *id
	}
	stampChange(&a.Meta, p.MemberID, "settings.update", now)
	opts.Agency = a
	if err := s.store.UpdateAgency(ctx, opts); err != nil {
		return ah.SettingsView{}, err
	}
	return a.View(), nil
}
