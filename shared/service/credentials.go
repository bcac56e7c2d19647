package service

import (
	"context"
	"encoding/json"
	"fmt"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// Vault keeps credentials by secret name.
type Vault interface {
	Get(ctx context.Context, name string) (value string, found bool, err error)
	Put(ctx context.Context, name, value string) error
	Delete(ctx context.Context, name string) error
}

// PasswordSetter suspends Workspace users (offboarding).
type PasswordSetter interface {
	Suspend(ctx context.Context, email string) error
}

// Rotator gives a managed identity a new password in Workspace and the vault.
type Rotator interface {
	Rotate(ctx context.Context, i ah.ClientIdentity) error
}

func errCredential(code, format string, args ...any) error {
	return ah.Conflict(code, format, args...)
}

// activeIdentity reads an active client-dedicated identity the caller may manage.
func (s *Service) activeIdentity(ctx context.Context, p ah.Principal, clientID, identityID string) (ah.ClientIdentity, error) {
	i, err := s.GetClientIdentity(ctx, p, clientID, identityID)
	if err != nil {
		return i, err
	}
	if i.Status != ah.IdentityActive {
		return i, &ah.Error{Kind: ah.KindConflict, Code: ah.CodeIdentityNotActive, Current: i,
			Message: fmt.Sprintf("the identity is %s; credentials are managed on active identities", i.Status)}
	}
	if s.vault == nil {
		return i, ah.Internal("service.credentials", fmt.Errorf("no vault configured"))
	}
	return i, nil
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
	value, found, err := s.vault.Get(ctx, ah.CredentialSecretName(i.AgencyID, i.ClientID, i.ID))
	if err != nil {
		return ah.Credential{}, &ah.Error{Kind: ah.KindUnavailable, Code: ah.CodeUnavailable, Message: "the credential store did not answer; retry", Err: err}
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
	stampChange(&i.Meta, p.MemberID, "identity.credential.reveal", now)
	if err := s.store.UpdateClientIdentity(ctx, i, prev); err != nil {
		return ah.Credential{}, err
	}
	c.RevealedAt = now
	return c, nil
}

// RotateCredential gives a managed identity a new password in Workspace and in
// Secrets Manager. The new value is stored first; if Workspace refuses it, the old
// value is put back, so the stored credential always matches the user's password.
func (s *Service) RotateCredential(ctx context.Context, p ah.Principal, clientID, identityID string) (ah.ClientIdentity, error) {
	i, err := s.activeIdentity(ctx, p, clientID, identityID)
	if err != nil {
		return i, err
	}
	if i.IdentityType != ah.IdentityManaged {
		return ah.ClientIdentity{}, errCredential(ah.CodeNotManaged, "only managed identities are rotated here; replace a standard identity's credential with PUT .../credentials")
	}
	if s.rotator == nil {
		return ah.ClientIdentity{}, ah.Internal("service.RotateCredential", fmt.Errorf("no rotator configured"))
	}
	if err := s.rotator.Rotate(ctx, i); err != nil {
		return ah.ClientIdentity{}, &ah.Error{Kind: ah.KindUnavailable, Code: ah.CodeUnavailable, Err: err,
			Message: "the password could not be rotated; the old one stays in force. Retry shortly"}
	}
	return s.recordCredentialChange(ctx, p, i, ah.CredentialRotated, "identity.credential.rotate")
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
	body, _ := json.Marshal(standardSecret(in))
	if err := s.vault.Put(ctx, ah.CredentialSecretName(i.AgencyID, i.ClientID, i.ID), string(body)); err != nil {
		return ah.ClientIdentity{}, &ah.Error{Kind: ah.KindUnavailable, Code: ah.CodeUnavailable, Message: "the credential store did not answer; retry", Err: err}
	}
	status := ah.CredentialStored
	if i.CredentialStatus == ah.CredentialStored || i.CredentialStatus == ah.CredentialRotated {
		status = ah.CredentialRotated
	}
	return s.recordCredentialChange(ctx, p, i, status, "identity.credential.replace")
}

func (s *Service) recordCredentialChange(ctx context.Context, p ah.Principal, i ah.ClientIdentity, status ah.CredentialStatus, action string) (ah.ClientIdentity, error) {
	now := s.clock.Now()
	prev := i.Version
	i.CredentialStatus, i.CredentialChangedAt = status, &now
	stampChange(&i.Meta, p.MemberID, action, now)
	if err := s.store.UpdateClientIdentity(ctx, i, prev); err != nil {
		return ah.ClientIdentity{}, err
	}
	return i, nil
}
