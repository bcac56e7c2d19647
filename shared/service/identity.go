package service

import (
	"context"
	"encoding/json"
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

// Agency identities linked to clients (the seed: "If you plan to assign
// identities during setup, create them first"), and their credentials, managed
// as client-dedicated identities' are: reveal, replace, rotate, update,
// deactivate. Linking takes identity access on the client (owners, admins, and
// team managers and operators); credentials are owners' and admins'.

// LinkIdentity links an active agency identity to a client (created: true for a
// new link).
func (s *Service) LinkIdentity(ctx context.Context, p ah.Principal, clientID, identityID string) (ah.LinkedIdentity, bool, error) {
	if err := identityAccess(p, clientID); err != nil {
		return ah.LinkedIdentity{}, false, err
	}
	idn, err := s.store.GetIdentity(ctx, p.AgencyID, identityID)
	if err != nil {
		return ah.LinkedIdentity{}, false, err
	}
	if idn.Status != ah.IdentityActive {
		return ah.LinkedIdentity{}, false, &ah.Error{Kind: ah.KindConflict, Code: ah.CodeIdentityNotActive, Message: "a deactivated identity cannot be linked; reactivate it first"}
	}
	d, ch, err := s.changeClient(ctx, p, clientID, nil, "client.identity.link")
	if err != nil {
		return ah.LinkedIdentity{}, false, err
	}
	for _, l := range d.Links {
		if l.IdentityID == identityID {
			return ah.LinkedIdentity{IdentityLink: l, Identity: idn}, false, nil
		}
	}
	l := ah.IdentityLink{IdentityID: identityID, LinkedAt: ch.Client.UpdatedAt, LinkedBy: p.MemberID, LinkedByName: p.Name}
	if err := s.store.PutIdentityLink(ctx, ch, l); err != nil {
		return ah.LinkedIdentity{}, false, missingField(err, func(*ah.MissingError) (string, string) {
			return "identityId", "no active agency identity " + identityID
		})
	}
	return ah.LinkedIdentity{IdentityLink: l, Identity: idn}, true, nil
}

// UnlinkIdentity removes an agency identity's link to a client.
func (s *Service) UnlinkIdentity(ctx context.Context, p ah.Principal, clientID, identityID string) error {
	if err := identityAccess(p, clientID); err != nil {
		return err
	}
	d, ch, err := s.changeClient(ctx, p, clientID, nil, "client.identity.unlink")
	if err != nil {
		return err
	}
	for _, l := range d.Links {
		if l.IdentityID == identityID {
			return s.store.DeleteIdentityLink(ctx, ch, identityID)
		}
	}
	return ah.NotFound("identity link")
}

// ListLinkedIdentities lists the agency identities linked to a client with who
// linked them (the client's Identities tab).
func (s *Service) ListLinkedIdentities(ctx context.Context, p ah.Principal, clientID string) ([]ah.LinkedIdentity, error) {
	if err := identityAccess(p, clientID); err != nil {
		return nil, err
	}
	d, err := s.visibleClient(ctx, p, clientID)
	if err != nil {
		return nil, err
	}
	return s.linked(ctx, d)
}

// linked reads the identities a client's links name, in one round trip (a
// client links at most a few dozen; BatchGetItem takes 100).
func (s *Service) linked(ctx context.Context, d ah.ClientDetail) ([]ah.LinkedIdentity, error) {
	out := make([]ah.LinkedIdentity, 0, len(d.Links))
	for start := 0; start < len(d.Links); start += 100 {
		batch := d.Links[start:min(start+100, len(d.Links))]
		ids := make([]string, len(batch))
		for k, l := range batch {
			ids[k] = l.IdentityID
		}
		idns, err := s.store.GetIdentities(ctx, d.Client.AgencyID, ids)
		if err != nil {
			return nil, err
		}
		byID := make(map[string]ah.Identity, len(idns))
		for _, i := range idns {
			byID[i.ID] = i
		}
		for _, l := range batch {
			if idn, ok := byID[l.IdentityID]; ok {
				out = append(out, ah.LinkedIdentity{IdentityLink: l, Identity: idn})
			}
		}
	}
	return out, nil
}

// UpdateIdentity changes an agency identity's name or deactivates (reactivates)
// it.
func (s *Service) UpdateIdentity(ctx context.Context, p ah.Principal, identityID string, patch ah.IdentityPatch, ifMatch *int) (ah.Identity, error) {
	if err := patch.Validate(); err != nil {
		return ah.Identity{}, err
	}
	i, err := s.store.GetIdentity(ctx, p.AgencyID, identityID)
	if err != nil {
		return i, err
	}
	if err := checkIfMatch(ifMatch, i.Version, i); err != nil {
		return ah.Identity{}, err
	}
	prev := i.Version
	action := "identity.update"
	if patch.DisplayName != nil {
		i.DisplayName = strings.TrimSpace(*patch.DisplayName)
	}
	if patch.Status != nil && *patch.Status != i.Status {
		i.Status = *patch.Status
		action = map[ah.IdentityStatus]string{ah.IdentityActive: "identity.reactivate", ah.IdentityDeactivated: "identity.deactivate"}[i.Status]
	}
	stampChange(&i.Meta, p.MemberID, action, s.clock.Now())
	return i, s.store.UpdateIdentity(ctx, i, prev)
}

// agencyPolicy is the agency's default security policy: the one agency
// identities' credentials meet (they may serve several clients).
func (s *Service) agencyPolicy(ctx context.Context, agencyID string) (ah.SecurityPolicy, error) {
	return s.policyOf(ctx, ah.Client{AgencyID: agencyID})
}

// activeAgencyIdentity reads an active agency identity for credential work.
func (s *Service) activeAgencyIdentity(ctx context.Context, p ah.Principal, identityID string) (ah.Identity, error) {
	i, err := s.store.GetIdentity(ctx, p.AgencyID, identityID)
	if err != nil {
		return i, err
	}
	return i, s.credentialsUsable(i.Status, i)
}

// RevealAgencyCredential returns an agency identity's credential and records who
// revealed it (audited).
func (s *Service) RevealAgencyCredential(ctx context.Context, p ah.Principal, identityID string) (ah.Credential, error) {
	i, err := s.activeAgencyIdentity(ctx, p, identityID)
	if err != nil {
		return ah.Credential{}, err
	}
	value, found, err := s.vault.Get(ctx, ah.AgencyCredentialSecretName(i.AgencyID, i.ID))
	if err != nil {
		return ah.Credential{}, errVaultDown(err)
	}
	if !found {
		return ah.Credential{}, errCredential(ah.CodeNoCredential, "this identity has no stored credential yet; supply it with PUT .../credentials")
	}
	var st standardSecret
	if err := json.Unmarshal([]byte(value), &st); err != nil {
		return ah.Credential{}, ah.Internal("service.RevealAgencyCredential", err)
	}
	now := s.clock.Now()
	prev := i.Version
	i.LastRevealedAt, i.LastRevealedBy = &now, p.MemberID
	stampChange(&i.Meta, p.MemberID, "identity.credential.reveal", now)
	if err := s.store.UpdateIdentity(ctx, i, prev); err != nil {
		return ah.Credential{}, err
	}
	return ah.Credential{IdentityID: i.ID, Username: st.Username, Password: st.Password, RevealedAt: now}, nil
}

// ReplaceAgencyCredential stores an admin-supplied credential for an agency
// identity, checked against the agency's default security policy.
func (s *Service) ReplaceAgencyCredential(ctx context.Context, p ah.Principal, identityID string, in ah.CredentialInput) (ah.Identity, error) {
	if err := in.Validate(); err != nil {
		return ah.Identity{}, err
	}
	i, err := s.activeAgencyIdentity(ctx, p, identityID)
	if err != nil {
		return i, err
	}
	pol, err := s.agencyPolicy(ctx, p.AgencyID)
	if err != nil {
		return ah.Identity{}, err
	}
	if err := pol.Password.CheckPassword("password", in.Password, pol.Name, s.clock.Now()); err != nil {
		return ah.Identity{}, err
	}
	return s.storeAgencyCredential(ctx, p, i, standardSecret(in), "identity.credential.replace")
}

// RotateAgencyCredential gives an agency identity a new generated password (the
// agency default policy's length, every class), keeping its username: the new
// credential is what a reveal shows, and the old one is void for AccessHive.
// An agency identity is a credential record (AccessHive manages no Workspace user
// for it), so the admin sets the revealed password where the identity is used.
func (s *Service) RotateAgencyCredential(ctx context.Context, p ah.Principal, identityID string) (ah.Identity, error) {
	i, err := s.activeAgencyIdentity(ctx, p, identityID)
	if err != nil {
		return i, err
	}
	pol, err := s.agencyPolicy(ctx, p.AgencyID)
	if err != nil {
		return ah.Identity{}, err
	}
	username := i.Email
	if value, found, err := s.vault.Get(ctx, ah.AgencyCredentialSecretName(i.AgencyID, i.ID)); err == nil && found {
		var st standardSecret
		if json.Unmarshal([]byte(value), &st) == nil && st.Username != "" {
			username = st.Username
		}
	}
	pw, err := ah.NewPassword(pol.Password.GeneratedLength())
	if err != nil {
		return ah.Identity{}, ah.Internal("service.RotateAgencyCredential", err)
	}
	return s.storeAgencyCredential(ctx, p, i, standardSecret{Username: username, Password: pw}, "identity.credential.rotate")
}

func (s *Service) storeAgencyCredential(ctx context.Context, p ah.Principal, i ah.Identity, secret standardSecret, action string) (ah.Identity, error) {
	body, _ := json.Marshal(secret)
	if err := s.vault.Put(ctx, ah.AgencyCredentialSecretName(i.AgencyID, i.ID), string(body)); err != nil {
		return ah.Identity{}, errVaultDown(err)
	}
	now := s.clock.Now()
	prev := i.Version
	status := ah.CredentialStored
	if i.CredentialStatus == ah.CredentialStored || i.CredentialStatus == ah.CredentialRotated {
		status = ah.CredentialRotated
	}
	profile := ah.ProfileOf(secret.Password, now)
	i.CredentialStatus, i.CredentialChangedAt, i.CredentialProfile = status, &now, &profile
	stampChange(&i.Meta, p.MemberID, action, now)
	return i, s.store.UpdateIdentity(ctx, i, prev)
}
