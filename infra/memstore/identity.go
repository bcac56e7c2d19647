package memstore

import (
	"context"
	"fmt"
	"time"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// provisioningActor stamps provisioning's writes, as shared/dynamo does.
const provisioningActor = "provisioning"

// ClientIdentityFor returns the client's identity on a platform, if any.
func (s *Store) ClientIdentityFor(_ context.Context, agencyID, clientID, platformID string) (ah.ClientIdentity, bool, error) {
	if err := s.enter("ClientIdentityFor"); err != nil {
		return ah.ClientIdentity{}, false, err
	}
	defer s.mu.Unlock()
	if cd := s.client(agencyID, clientID); cd != nil {
		if id, ok := cd.identityFor[platformID]; ok {
			if i, ok := cd.identities[id]; ok {
				return clone(i), true, nil
			}
			return ah.ClientIdentity{}, false, ah.NotFound("identity")
		}
	}
	return ah.ClientIdentity{}, false, nil
}

// GetClientIdentityWithClient reads an identity and its client.
func (s *Store) GetClientIdentityWithClient(ctx context.Context, agencyID, clientID, identityID string) (ah.ClientIdentity, ah.Client, error) {
	c, err := s.GetClient(ctx, agencyID, clientID)
	if err != nil {
		return ah.ClientIdentity{}, ah.Client{}, err
	}
	i, err := s.GetClientIdentity(ctx, agencyID, clientID, identityID)
	return i, c, err
}

// GetClientIdentity reads one client-dedicated identity.
func (s *Store) GetClientIdentity(_ context.Context, agencyID, clientID, identityID string) (ah.ClientIdentity, error) {
	if err := s.enter("GetClientIdentity"); err != nil {
		return ah.ClientIdentity{}, err
	}
	defer s.mu.Unlock()
	if cd := s.client(agencyID, clientID); cd != nil {
		if i, ok := cd.identities[identityID]; ok {
			return clone(i), nil
		}
	}
	return ah.ClientIdentity{}, ah.NotFound("identity")
}

// ListClientIdentities lists a client's identities by id.
func (s *Store) ListClientIdentities(_ context.Context, agencyID, clientID string, p ah.Page) ([]ah.ClientIdentity, ah.Keys, error) {
	if err := s.enter("ListClientIdentities"); err != nil {
		return nil, nil, err
	}
	defer s.mu.Unlock()
	var all []ah.ClientIdentity
	if cd := s.client(agencyID, clientID); cd != nil {
		for _, i := range cd.identities {
			all = append(all, clone(i))
		}
	}
	out, next := page(all, func(i ah.ClientIdentity) string { return i.ID }, p, false)
	return out, next, nil
}

// UpdateClientIdentity writes a changed identity at its previous version.
func (s *Store) UpdateClientIdentity(_ context.Context, i ah.ClientIdentity, prevVersion int) error {
	if err := s.enter("UpdateClientIdentity"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	cd := s.client(i.AgencyID, i.ClientID)
	if cd == nil {
		return errStale
	}
	if cur, ok := cd.identities[i.ID]; !ok || cur.Version != prevVersion {
		return errStale
	}
	cd.identities[i.ID] = clone(i)
	return nil
}

// RetryProvisioning starts a new attempt on a failed or stuck identity.
func (s *Store) RetryProvisioning(_ context.Context, r ah.ProvisioningRetry) error {
	if err := s.enter("RetryProvisioning"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	i := r.Identity
	cd := s.client(i.AgencyID, i.ClientID)
	conflict := ah.Conflict(ah.CodeVersionConflict, "the identity changed meanwhile (its provisioning moved, or it is no longer failed); read it again")
	if cd == nil {
		return conflict
	}
	cur, ok := cd.identities[i.ID]
	switch {
	case !ok || cur.Version != r.PrevVersion:
		return conflict
	case r.Stuck && (cur.Status != ah.IdentityProvisioning || cur.Provisioning.Attempt != r.PrevAttempt || !cur.UpdatedAt.Equal(r.PrevUpdatedAt)):
		return conflict
	case !r.Stuck && cur.Status != ah.IdentityFailed:
		return conflict
	}
	if !open(cd) || (!r.Stuck && cd.client.Facts.FailedIdentities < 1) {
		return errAccessClosed
	}
	cd.identities[i.ID] = clone(i)
	if !r.Stuck {
		cd.client.Facts.FailedIdentities--
		bump(&cd.client.Meta, r.Actor, "identity.retry", r.Now)
	}
	if cp, ok := cd.platforms[i.PlatformID]; ok {
		cp.ProvisioningStatus = ah.ProvisioningInProgress
		cd.platforms[i.PlatformID] = cp
	}
	return nil
}

func stepIndex(step string) (int, error) {
	for i, s := range ah.ProvisioningSteps {
		if s == step {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown provisioning step %q", step)
}

// UpdateStep records a step's progress if the identity is on that attempt.
func (s *Store) UpdateStep(_ context.Context, u ah.StepUpdate) error {
	if err := s.enter("UpdateStep"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	idx, err := stepIndex(u.Step)
	if err != nil {
		return ah.Internal("memstore.UpdateStep", err)
	}
	cd := s.client(u.AgencyID, u.ClientID)
	if cd == nil {
		return ah.ErrStaleAttempt
	}
	i, ok := cd.identities[u.IdentityID]
	if !ok || i.Provisioning.Attempt != u.Attempt || (i.Status != ah.IdentityProvisioning && i.Status != ah.IdentityActive) || idx >= len(i.Provisioning.Steps) {
		return ah.ErrStaleAttempt
	}
	st := &i.Provisioning.Steps[idx]
	st.Status, st.Error = u.Status, u.Error
	if u.CountAttempt {
		st.Attempts++
	}
	i.UpdatedAt, i.UpdatedBy, i.LastAction = u.Now, provisioningActor, "identity.step."+u.Step+"."+u.Status
	if u.Email != "" && i.Email == "" {
		i.Email = u.Email
	}
	if u.CredentialStatus != "" {
		i.CredentialStatus = u.CredentialStatus
	}
	if u.Profile != nil {
		p := *u.Profile
		i.CredentialProfile = &p
	}
	cd.identities[u.IdentityID] = i
	return nil
}

// ActivateIdentity makes the identity active and its request provisioned; again
// after success it is a no-op.
func (s *Store) ActivateIdentity(_ context.Context, agencyID, clientID, identityID, requestID, platformID string, attempt int, now time.Time) error {
	if err := s.enter("ActivateIdentity"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	cd := s.client(agencyID, clientID)
	if cd == nil {
		return ah.ErrStaleAttempt
	}
	i, iok := cd.identities[identityID]
	r, rok := cd.requests[requestID]
	_, pok := cd.platforms[platformID]
	awaiting := requestID == ""
	if !iok || i.Provisioning.Attempt != attempt || i.Status != ah.IdentityProvisioning || (!awaiting && (!rok || r.Status != ah.RequestApproved)) || !pok {
		if iok && i.Status == ah.IdentityActive && i.Provisioning.Attempt == attempt {
			return nil
		}
		return ah.ErrStaleAttempt
	}
	idx, _ := stepIndex(ah.StepActivate)
	i.Status = ah.IdentityActive
	i.Provisioning.Steps[idx].Status = ah.StepDone
	i.Provisioning.Steps[idx].Attempts++
	bump(&i.Meta, provisioningActor, "identity.activate", now)
	cd.identities[identityID] = i
	cp := cd.platforms[platformID]
	cp.ProvisioningStatus = ah.ProvisioningAwaitingCredential
	if !awaiting {
		r.Status = ah.RequestProvisioned
		r.History = append(r.History, ah.RequestEvent{At: now, By: provisioningActor, Action: "provisioned", Status: ah.RequestProvisioned})
		bump(&r.Meta, provisioningActor, "identity.activate", now)
		cd.requests[requestID] = r
		cp.ProvisioningStatus = ah.ProvisioningProvisioned
	}
	cd.platforms[platformID] = cp
	return nil
}

// ProvideCredential records a standard identity's first credential and makes the
// requests waiting on it provisioned.
func (s *Store) ProvideCredential(_ context.Context, c ah.CredentialProvided) error {
	if err := s.enter("ProvideCredential"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	i := c.Identity
	cd := s.client(i.AgencyID, i.ClientID)
	if cd == nil {
		return errStale
	}
	if cur, ok := cd.identities[i.ID]; !ok || cur.Version != c.PrevVersion {
		return errStale
	}
	for _, r := range c.Requests {
		if cur, ok := cd.requests[r.ID]; !ok || cur.Version != r.Version-1 || cur.Status != ah.RequestApproved {
			return errStale
		}
	}
	cd.identities[i.ID] = clone(i)
	for _, r := range c.Requests {
		cd.requests[r.ID] = clone(r)
	}
	if cp, ok := cd.platforms[i.PlatformID]; ok {
		cp.ProvisioningStatus = ah.ProvisioningProvisioned
		cd.platforms[i.PlatformID] = cp
	}
	return nil
}

// MarkFailed records a failed step; an identity no longer provisioning this
// attempt is left as it is.
func (s *Store) MarkFailed(_ context.Context, agencyID, clientID, identityID, platformID string, attempt int, step, errMsg string, now time.Time) error {
	if err := s.enter("MarkFailed"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	idx, err := stepIndex(step)
	if err != nil {
		return ah.Internal("memstore.MarkFailed", err)
	}
	cd := s.client(agencyID, clientID)
	if cd == nil {
		return nil
	}
	i, ok := cd.identities[identityID]
	_, pok := cd.platforms[platformID]
	if !ok || i.Provisioning.Attempt != attempt || i.Status != ah.IdentityProvisioning || !pok {
		return nil
	}
	i.Status = ah.IdentityFailed
	i.Provisioning.Steps[idx].Status = ah.StepFailed
	i.Provisioning.Steps[idx].Error = errMsg
	at := now
	i.FailedAt, i.EscalatedAt = &at, nil
	bump(&i.Meta, provisioningActor, "identity.fail", now)
	cd.identities[identityID] = i
	cd.client.Facts.FailedIdentities++
	bump(&cd.client.Meta, provisioningActor, "identity.fail", now)
	cp := cd.platforms[platformID]
	cp.ProvisioningStatus = ah.ProvisioningFailed
	cd.platforms[platformID] = cp
	return nil
}

// DueEscalations calls fn for each failed identity not escalated that failed
// before the given time.
func (s *Store) DueEscalations(_ context.Context, failedBefore time.Time, fn func(ah.ClientIdentity) error) error {
	if err := s.enter("DueEscalations"); err != nil {
		return err
	}
	var due []ah.ClientIdentity
	for _, a := range s.agencies {
		for _, cd := range a.clients {
			for _, i := range cd.identities {
				if i.Status == ah.IdentityFailed && i.EscalatedAt == nil && i.FailedAt != nil && i.FailedAt.Before(failedBefore) {
					due = append(due, clone(i))
				}
			}
		}
	}
	s.mu.Unlock()
	for _, i := range due {
		if err := fn(i); err != nil {
			return err
		}
	}
	return nil
}

// MarkEscalated records that a failed attempt was escalated (once).
func (s *Store) MarkEscalated(_ context.Context, i ah.ClientIdentity, now time.Time) (bool, error) {
	if err := s.enter("MarkEscalated"); err != nil {
		return false, err
	}
	defer s.mu.Unlock()
	cd := s.client(i.AgencyID, i.ClientID)
	if cd == nil {
		return false, nil
	}
	cur, ok := cd.identities[i.ID]
	if !ok || cur.Status != ah.IdentityFailed || cur.Provisioning.Attempt != i.Provisioning.Attempt || cur.EscalatedAt != nil {
		return false, nil
	}
	at := now
	cur.EscalatedAt = &at
	bump(&cur.Meta, "system:escalation", "identity.escalate", now)
	cd.identities[i.ID] = cur
	return true, nil
}
