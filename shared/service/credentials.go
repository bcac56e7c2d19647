package service

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

func errCredential(code, format string, args ...any) error {
	return ah.Conflict(code, format, args...)
}

// activeIdentity reads an active client-dedicated identity the caller may manage.
func (s *Service) activeIdentity(ctx context.Context, p ah.Principal, clientID, identityID string) (ah.ClientIdentity, error) {
	i, err := s.GetClientIdentity(ctx, p, clientID, identityID)
	if err != nil {
		return i, err
	}
	return i, s.credentialsUsable(i.Status, i)
}

// credentialsUsable refuses credential work on an identity that is not active
// (current, when given, goes with the 409) or when no vault is configured: the one
// rule for client-dedicated and agency identities alike.
func (s *Service) credentialsUsable(status ah.IdentityStatus, current any) error {
	if status != ah.IdentityActive {
		return &ah.Error{Kind: ah.KindConflict, Code: ah.CodeIdentityNotActive, Current: current,
			Message: fmt.Sprintf("the identity is %s; credentials are managed on active identities", status)}
	}
	if s.vault == nil {
		return ah.Internal("service.credentials", fmt.Errorf("no vault configured"))
	}
	return nil
}

// errVaultDown is the answer when the credential store did not answer.
func errVaultDown(err error) error {
	return &ah.Error{Kind: ah.KindUnavailable, Code: ah.CodeUnavailable, Message: "the credential store did not answer; retry", Err: err}
}

// standardSecret is how a standard identity's credential is stored.
type standardSecret struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// RevealCredential returns an identity's credential and records who revealed it
// (a write, so the audit trail sees every reveal).
func (s *Service) RevealCredential(ctx context.Context, p ah.Principal, clientID, identityID string) (ah.Credential, error) {
	i, err := s.activeIdentity(ctx, p, clientID, identityID)
	if err != nil {
		return ah.Credential{}, err
	}
	return s.reveal(ctx, p, i, "identity.credential.reveal")
}

// RevealMyCredential gives a client user the credential of the identity their own
// live access runs on (the seed's flow ends with "access is ready" for them):
// only for their request, only while it is provisioned, and recorded on the
// identity like every reveal (the audit trail names them).
func (s *Service) RevealMyCredential(ctx context.Context, p ah.Principal, clientID, requestID string) (ah.Credential, error) {
	r, err := s.GetRequest(ctx, p, clientID, requestID)
	if err != nil {
		return ah.Credential{}, err
	}
	if r.RequesterID != p.MemberID {
		return ah.Credential{}, ah.E(ah.KindForbidden, ah.CodeForbidden, "only the requester reveals the credential of their access")
	}
	if r.Status != ah.RequestProvisioned || r.IdentityID == "" {
		return ah.Credential{}, &ah.Error{Kind: ah.KindConflict, Code: ah.CodeAccessNotActive, Current: r,
			Message: fmt.Sprintf("the request is %s; its credential can be revealed while its access is provisioned", r.Status)}
	}
	i, err := s.store.GetClientIdentity(ctx, r.AgencyID, r.ClientID, r.IdentityID)
	if err != nil {
		return ah.Credential{}, err
	}
	if err := s.credentialsUsable(i.Status, nil); err != nil {
		return ah.Credential{}, err
	}
	return s.reveal(ctx, p, i, "identity.credential.reveal_by_requester")
}

// reveal reads identity i's credential and records who revealed it.
func (s *Service) reveal(ctx context.Context, p ah.Principal, i ah.ClientIdentity, action string) (ah.Credential, error) {
	value, found, err := s.vault.Get(ctx, ah.CredentialSecretName(i.AgencyID, i.ClientID, i.ID))
	if err != nil {
		return ah.Credential{}, errVaultDown(err)
	}
	if !found {
		return ah.Credential{}, errCredential(ah.CodeNoCredential, "this identity has no stored credential yet; an admin supplies it with PUT .../credentials")
	}
	c := ah.Credential{IdentityID: i.ID, Username: i.Email, Password: value}
	if i.IdentityType == ah.IdentityStandard {
		var st standardSecret
		if err := json.Unmarshal([]byte(value), &st); err != nil {
			return ah.Credential{}, ah.Internal("service.RevealCredential", err)
		}
		c.Username, c.Password = st.Username, st.Password
	}
	now := s.clock.Now()
	prev := i.Version
	i.LastRevealedAt, i.LastRevealedBy = &now, p.MemberID
	stampChange(&i.Meta, p.MemberID, action, now)
	if err := s.store.UpdateClientIdentity(ctx, i, prev); err != nil {
		return ah.Credential{}, err
	}
	c.RevealedAt = now
	return c, nil
}

// rotationLease is how long a rotation holds an identity; a holder that vanished
// (a timed-out caller) frees it after this.
const rotationLease = 2 * time.Minute

// RotateCredential gives a managed identity a new password in Workspace and in the
// vault. The rotation first takes the identity (a conditional write): of two
// rotations at once, one runs and the other answers 409 having changed nothing,
// so a retry after a 409 never rotates twice. The rotation itself runs in the
// Workspace function (the rotation state machine), which stores the new value
// first and puts the old one back if Workspace refuses it, so the stored credential
// always matches the user's password.
func (s *Service) RotateCredential(ctx context.Context, p ah.Principal, clientID, identityID string) (ah.ClientIdentity, error) {
	i, err := s.activeIdentity(ctx, p, clientID, identityID)
	if err != nil {
		return i, err
	}
	if i.IdentityType != ah.IdentityManaged {
		return ah.ClientIdentity{}, errCredential(ah.CodeNotManaged, "only managed identities are rotated here; replace a standard identity's credential with PUT .../credentials")
	}
	now := s.clock.Now()
	if i.RotationStartedAt != nil && now.Sub(*i.RotationStartedAt) < rotationLease {
		return ah.ClientIdentity{}, &ah.Error{Kind: ah.KindConflict, Code: ah.CodeRotationInProgress, Current: i,
			Message: "a rotation of this identity is in progress; read the identity again in a moment"}
	}
	prev := i.Version
	i.RotationStartedAt = &now
	stampChange(&i.Meta, p.MemberID, "identity.credential.rotate_start", now)
	if err := s.store.UpdateClientIdentity(ctx, i, prev); err != nil {
		if ah.CodeOf(err) == ah.CodeVersionConflict {
			// Lost the race for the identity: to another rotation (409
			// rotation_in_progress) or to some other change (409 version_conflict).
			if cur, gerr := s.store.GetClientIdentity(ctx, i.AgencyID, i.ClientID, i.ID); gerr == nil &&
				cur.RotationStartedAt != nil && now.Sub(*cur.RotationStartedAt) < rotationLease {
				return ah.ClientIdentity{}, &ah.Error{Kind: ah.KindConflict, Code: ah.CodeRotationInProgress, Current: cur,
					Message: "a rotation of this identity is in progress; read the identity again in a moment"}
			}
		}
		return ah.ClientIdentity{}, err
	}
	in := ah.StepInput{Step: ah.StepRotateCredential, AgencyID: i.AgencyID, ClientID: i.ClientID, IdentityID: i.ID, Attempt: i.Version}
	if err := s.workflows.Run(ctx, ah.WorkflowRotation, in); err != nil {
		s.releaseRotation(ctx, i, p.MemberID)
		return ah.ClientIdentity{}, &ah.Error{Kind: ah.KindUnavailable, Code: ah.CodeUnavailable, Err: err,
			Message: "the password could not be rotated; the old one stays in force. Retry shortly"}
	}
	s.reevaluateLogged(ctx, i.AgencyID, i.ClientID, p.MemberID)
	return s.GetClientIdentity(ctx, p, i.ClientID, i.ID)
}

// releaseRotation frees an identity a failed rotation held (if it still holds it).
func (s *Service) releaseRotation(ctx context.Context, held ah.ClientIdentity, actor string) {
	i, err := s.store.GetClientIdentity(ctx, held.AgencyID, held.ClientID, held.ID)
	if err != nil || i.Version != held.Version || i.RotationStartedAt == nil {
		return
	}
	prev := i.Version
	i.RotationStartedAt = nil
	stampChange(&i.Meta, actor, "identity.credential.rotate_fail", s.clock.Now())
	if err := s.store.UpdateClientIdentity(ctx, i, prev); err != nil {
		s.log.WarnContext(ctx, "release rotation", "identityId", i.ID, "error", err.Error())
	}
}

// rotateCredentialStep is the rotation state machine's step (in the Workspace
// function): for the identity the rotation holds (its version is the attempt), a
// new password in the vault, then in Workspace (the old value put back if
// Workspace refuses), then the identity released as rotated.
func (s *Service) rotateCredentialStep(ctx context.Context, in ah.StepInput) (ah.StepOutput, error) {
	i, err := s.store.GetClientIdentity(ctx, in.AgencyID, in.ClientID, in.IdentityID)
	if err != nil {
		return ah.StepOutput{}, err
	}
	if i.Version != in.Attempt || i.RotationStartedAt == nil {
		return ah.StepOutput{}, ah.Permanent("the rotation no longer holds identity %s", i.ID)
	}
	dir, err := s.directory(ctx)
	if err != nil {
		return ah.StepOutput{}, err
	}
	name := ah.CredentialSecretName(i.AgencyID, i.ClientID, i.ID)
	old, found, err := s.vault.Get(ctx, name)
	if err != nil || !found {
		return ah.StepOutput{}, ah.Transient("the current credential could not be read: %v", err)
	}
	pol, err := s.clientPolicy(ctx, i.AgencyID, i.ClientID)
	if err != nil {
		return ah.StepOutput{}, ah.Transient("read the client's security policy: %w", err)
	}
	pw, err := ah.NewPassword(pol.Password.GeneratedLength())
	if err != nil {
		return ah.StepOutput{}, err
	}
	if err := s.vault.Put(ctx, name, pw); err != nil {
		return ah.StepOutput{}, ah.Transient("the credential store did not answer; nothing changed: %w", err)
	}
	if err := dir.SetPassword(ctx, i.Email, pw); err != nil {
		if rerr := s.vault.Put(ctx, name, old); rerr != nil {
			s.log.ErrorContext(ctx, "restore credential after failed rotation", "identityId", i.ID, "error", rerr.Error())
		}
		return ah.StepOutput{}, fmt.Errorf("google Workspace refused the new password; the old one stays in force: %w", err)
	}
	now := s.clock.Now()
	prev := i.Version
	i.RotationStartedAt = nil
	i.CredentialStatus, i.CredentialChangedAt = ah.CredentialRotated, &now
	profile := ah.ProfileOf(pw, now)
	i.CredentialProfile = &profile
	stampChange(&i.Meta, i.UpdatedBy, "identity.credential.rotate", now)
	if err := s.store.UpdateClientIdentity(ctx, i, prev); err != nil {
		return ah.StepOutput{}, err
	}
	return done(ah.StepRotateCredential), nil
}

// ReplaceCredential stores an admin-supplied credential for a standard identity.
func (s *Service) ReplaceCredential(ctx context.Context, p ah.Principal, clientID, identityID string, in ah.CredentialInput) (ah.ClientIdentity, error) {
	if err := in.Validate(); err != nil {
		return ah.ClientIdentity{}, err
	}
	i, err := s.activeIdentity(ctx, p, clientID, identityID)
	if err != nil {
		return i, err
	}
	if i.IdentityType != ah.IdentityStandard {
		return ah.ClientIdentity{}, errCredential(ah.CodeNotStandard, "a managed identity's credential is generated; rotate it instead")
	}
	pol, err := s.clientPolicy(ctx, i.AgencyID, i.ClientID)
	if err != nil {
		return ah.ClientIdentity{}, err
	}
	if err := pol.Password.CheckPassword("password", in.Password, pol.Name, s.clock.Now()); err != nil {
		return ah.ClientIdentity{}, err
	}
	body, _ := json.Marshal(standardSecret(in))
	if err := s.vault.Put(ctx, ah.CredentialSecretName(i.AgencyID, i.ClientID, i.ID), string(body)); err != nil {
		return ah.ClientIdentity{}, errVaultDown(err)
	}
	status := ah.CredentialStored
	if hasCredential(i) {
		status = ah.CredentialRotated
	}
	// The requests that waited for this credential become provisioned with it, in
	// the same write.
	waiting, err := s.waitingRequests(ctx, i)
	if err != nil {
		return ah.ClientIdentity{}, err
	}
	now := s.clock.Now()
	prev := i.Version
	i.CredentialStatus, i.CredentialChangedAt = status, &now
	profile := ah.ProfileOf(in.Password, now)
	i.CredentialProfile = &profile
	stampChange(&i.Meta, p.MemberID, "identity.credential.replace", now)
	for k, r := range waiting {
		r.Status = ah.RequestProvisioned
		r.History = append(r.History, ah.RequestEvent{At: now, By: p.MemberID, ByName: p.Name, Action: "provisioned", Status: ah.RequestProvisioned})
		stampChange(&r.Meta, p.MemberID, "access_request.provisioned", now)
		waiting[k] = r
	}
	if err := s.store.ProvideCredential(ctx, ah.CredentialProvided{Identity: i, PrevVersion: prev, Requests: waiting}); err != nil {
		return ah.ClientIdentity{}, err
	}
	s.count(ah.MetricRequestsProvisioned, len(waiting))
	s.reevaluateLogged(ctx, i.AgencyID, i.ClientID, p.MemberID)
	judge(&i, pol, now)
	return i, nil
}

// waitingRequests lists the client's approved requests granted on identity i (a
// standard identity's requests wait for its credential), at most
// ah.MaxWaitingRequests: more move with the next credential write.
func (s *Service) waitingRequests(ctx context.Context, i ah.ClientIdentity) ([]ah.AccessRequest, error) {
	var out []ah.AccessRequest
	page := ah.Page{Limit: 100}
	for {
		items, next, err := s.store.ListRequests(ctx, i.AgencyID, i.ClientID, ah.RequestApproved, page)
		if err != nil {
			return nil, err
		}
		for _, r := range items {
			if r.IdentityID == i.ID && len(out) < ah.MaxWaitingRequests {
				out = append(out, r)
			}
		}
		if len(next) == 0 || len(out) >= ah.MaxWaitingRequests {
			return out, nil
		}
		page.After = next
	}
}
