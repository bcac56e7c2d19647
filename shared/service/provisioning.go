package service

import (
	"context"
	"strings"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// The steps of the provisioning state machine (infra/statemachines/
// provisioning.asl.json). Each is idempotent and records its progress on the
// identity, so the identity detail shows which step is pending, running, done or
// failed, and why; a write from an attempt that is no longer current changes
// nothing (ah.ErrStaleAttempt).

// ManagedEmail is the Workspace address of a managed identity.
func ManagedEmail(identityID, domain string) string {
	return "ah." + strings.ReplaceAll(identityID, "_", "-") + "@" + domain
}

// markStep records a step's progress on the identity.
func (s *Service) markStep(ctx context.Context, in ah.StepInput, step, status, errMsg string, count bool, extra func(*ah.StepUpdate)) error {
	u := ah.StepUpdate{AgencyID: in.AgencyID, ClientID: in.ClientID, IdentityID: in.IdentityID, Attempt: in.Attempt,
		Step: step, Status: status, Error: errMsg, CountAttempt: count, Now: s.clock.Now()}
	if extra != nil {
		extra(&u)
	}
	if err := s.store.UpdateStep(ctx, u); err != nil {
		return stale(err)
	}
	return nil
}

func done(step string) ah.StepOutput { return ah.StepOutput{Step: step, Status: ah.StepDone} }

// prepareIdentity marks the start of provisioning and fixes a managed identity's
// Workspace address.
func (s *Service) prepareIdentity(ctx context.Context, in ah.StepInput) (ah.StepOutput, error) {
	if err := s.markStep(ctx, in, ah.StepPrepare, ah.StepRunning, "", true, nil); err != nil {
		return ah.StepOutput{}, err
	}
	return done(ah.StepPrepare), s.markStep(ctx, in, ah.StepPrepare, ah.StepDone, "", false, func(u *ah.StepUpdate) {
		if in.Managed {
			u.Email = ManagedEmail(in.IdentityID, s.workspaceDomain)
		}
	})
}

// createWorkspaceUser creates the managed identity's domain user. Its password is
// read from (or first written to) the vault, so it never travels through the
// execution's input or history and is the same on every retry; a user that exists
// already (a retried step) is success.
func (s *Service) createWorkspaceUser(ctx context.Context, in ah.StepInput) (ah.StepOutput, error) {
	if err := s.markStep(ctx, in, ah.StepWorkspaceUser, ah.StepRunning, "", true, nil); err != nil {
		return ah.StepOutput{}, err
	}
	fail := func(err error) (ah.StepOutput, error) {
		_ = s.markStep(ctx, in, ah.StepWorkspaceUser, ah.StepRunning, err.Error(), false, nil)
		return ah.StepOutput{}, err
	}
	dir, err := s.directory(ctx)
	if err != nil {
		return fail(err)
	}
	// The client's security policy as it is now: the password's length, the
	// organizational unit (where Workspace enforces 2-Step Verification and
	// session length) and whether the user picks a password at first sign-in.
	pol, err := s.clientPolicy(ctx, in.AgencyID, in.ClientID)
	if err != nil {
		return fail(err)
	}
	pw, err := ah.NewPassword(pol.Password.GeneratedLength())
	if err != nil {
		return fail(err)
	}
	name := ah.CredentialSecretName(in.AgencyID, in.ClientID, in.IdentityID)
	idn, err := s.store.GetClientIdentity(ctx, in.AgencyID, in.ClientID, in.IdentityID)
	if err != nil {
		return fail(err)
	}
	if idn.CredentialStatus == ah.CredentialRevoked {
		// Provisioned again after a deprovisioning: the old password was seen and
		// is void; a fresh one (stored first, so a retry sets what is stored).
		err = s.vault.Put(ctx, name, pw)
	} else {
		pw, err = s.vault.Create(ctx, name, pw, "AccessHive client-dedicated identity "+in.IdentityID)
	}
	if err != nil {
		return fail(ah.Transient("store the credential: %w", err))
	}
	user := ah.DirectoryUser{PrimaryEmail: ManagedEmail(in.IdentityID, s.workspaceDomain), GivenName: "AccessHive", FamilyName: in.IdentityID, Password: pw,
		OrgUnitPath: pol.Workspace.OrgUnitPath, ChangePasswordAtNextLogin: pol.Workspace.ChangePasswordAtNextLogin}
	if _, err := dir.EnsureUser(ctx, user); err != nil {
		return fail(err)
	}
	profile := ah.ProfileOf(pw, s.clock.Now())
	return done(ah.StepWorkspaceUser), s.markStep(ctx, in, ah.StepWorkspaceUser, ah.StepDone, "", false, func(u *ah.StepUpdate) { u.Profile = &profile })
}

// storeCredential confirms a managed identity's stored credential; a standard
// identity's credential is supplied by an admin later, so the step is skipped.
func (s *Service) storeCredential(ctx context.Context, in ah.StepInput) (ah.StepOutput, error) {
	if !in.Managed {
		return ah.StepOutput{Step: ah.StepStoreSecret, Status: ah.StepSkipped}, s.markStep(ctx, in, ah.StepStoreSecret, ah.StepSkipped, "", false, nil)
	}
	if err := s.markStep(ctx, in, ah.StepStoreSecret, ah.StepRunning, "", true, nil); err != nil {
		return ah.StepOutput{}, err
	}
	ok, err := s.vault.Exists(ctx, ah.CredentialSecretName(in.AgencyID, in.ClientID, in.IdentityID))
	if err != nil || !ok {
		return ah.StepOutput{}, ah.Transient("the credential is not in the vault yet: %v", err)
	}
	return done(ah.StepStoreSecret), s.markStep(ctx, in, ah.StepStoreSecret, ah.StepDone, "", false,
		func(u *ah.StepUpdate) { u.CredentialStatus = ah.CredentialStored })
}

// hasCredential reports whether the identity has a usable stored credential.
func hasCredential(i ah.ClientIdentity) bool {
	return i.CredentialStatus == ah.CredentialStored || i.CredentialStatus == ah.CredentialRotated
}

// activateIdentity makes the identity active and the request provisioned (one
// transaction); a standard identity still waiting for its credential leaves the
// request approved.
func (s *Service) activateIdentity(ctx context.Context, in ah.StepInput) (ah.StepOutput, error) {
	idn, err := s.store.GetClientIdentity(ctx, in.AgencyID, in.ClientID, in.IdentityID)
	if err != nil {
		return ah.StepOutput{}, err
	}
	if idn.Status == ah.IdentityActive && idn.Provisioning.Attempt == in.Attempt {
		return done(ah.StepActivate), nil // a redelivered step: counted once
	}
	// A standard identity without its credential is set up but not ready: its
	// request stays approved until an admin supplies the credential (the seed's
	// Provisioned is "ready and credentials are available").
	requestID := in.RequestID
	if idn.IdentityType == ah.IdentityStandard && !hasCredential(idn) {
		requestID = ""
	}
	err = s.store.ActivateIdentity(ctx, in.AgencyID, in.ClientID, in.IdentityID, requestID, idn.PlatformID, in.Attempt, s.clock.Now())
	if err != nil {
		return ah.StepOutput{}, stale(err)
	}
	if requestID != "" {
		s.count(ah.MetricRequestsProvisioned, 1)
	}
	return done(ah.StepActivate), nil
}

// markProvisioningFailed records the caught error on the step that was running:
// the identity becomes failed (the client needs attention) and Retry Provisioning
// resumes there.
func (s *Service) markProvisioningFailed(ctx context.Context, in ah.StepInput) (ah.StepOutput, error) {
	idn, err := s.store.GetClientIdentity(ctx, in.AgencyID, in.ClientID, in.IdentityID)
	if err != nil {
		return ah.StepOutput{}, err
	}
	step := ah.StepPrepare
	for _, st := range idn.Provisioning.Steps {
		if st.Status == ah.StepRunning || st.Status == ah.StepPending {
			step = st.Name
			break
		}
	}
	if idn.Status == ah.IdentityFailed && idn.Provisioning.Attempt == in.Attempt {
		return ah.StepOutput{Step: step, Status: ah.StepFailed}, nil // a redelivered step: counted once
	}
	if idn.Status != ah.IdentityProvisioning || idn.Provisioning.Attempt != in.Attempt {
		// Not this attempt's to fail (it succeeded, or a newer attempt owns the
		// identity): nothing is marked and no failure is counted.
		return ah.StepOutput{Step: step, Status: ah.StepSkipped}, nil
	}
	if err := s.store.MarkFailed(ctx, in.AgencyID, in.ClientID, in.IdentityID, idn.PlatformID, in.Attempt, step, in.Error.String(), s.clock.Now()); err != nil {
		return ah.StepOutput{}, err
	}
	s.count(ah.MetricProvisioningFailures, 1)
	return ah.StepOutput{Step: step, Status: ah.StepFailed}, nil
}

// deprovisionWorkspaceUser suspends a deactivated managed identity's Workspace user
// and replaces its password with one nobody sees (never stored): the credential
// admins and the requester revealed stops working where it is used. A step of an
// attempt that is no longer current (the identity was granted again) does nothing.
func (s *Service) deprovisionWorkspaceUser(ctx context.Context, in ah.StepInput) (ah.StepOutput, error) {
	i, err := s.store.GetClientIdentity(ctx, in.AgencyID, in.ClientID, in.IdentityID)
	if err != nil {
		return ah.StepOutput{}, err
	}
	if d := i.Deprovisioning; d == nil || d.Attempt != in.Attempt || i.Status != ah.IdentityDeactivated {
		return ah.StepOutput{Step: ah.StepDeprovisionWorkspaceUser, Status: ah.StepSkipped}, nil
	} else if d.Status == ah.DeprovisioningDone {
		return done(ah.StepDeprovisionWorkspaceUser), nil // a redelivered step
	}
	dir, err := s.directory(ctx)
	if err != nil {
		return ah.StepOutput{}, err
	}
	if err := dir.Suspend(ctx, i.Email); err != nil {
		return ah.StepOutput{}, err
	}
	pw, err := ah.NewPassword(32)
	if err != nil {
		return ah.StepOutput{}, err
	}
	if err := dir.SetPassword(ctx, i.Email, pw); err != nil {
		return ah.StepOutput{}, err
	}
	return done(ah.StepDeprovisionWorkspaceUser), s.finishDeprovisioning(ctx, in, "")
}

// markDeprovisioningFailed records the caught error on the identity.
func (s *Service) markDeprovisioningFailed(ctx context.Context, in ah.StepInput) (ah.StepOutput, error) {
	return ah.StepOutput{Step: ah.StepMarkDeprovisioningFailed, Status: ah.StepDone}, s.finishDeprovisioning(ctx, in, in.Error.String())
}

// finishDeprovisioning records a deprovisioning attempt's end on the identity: done
// (the stored credential no longer opens anything: revoked) or failed with why.
func (s *Service) finishDeprovisioning(ctx context.Context, in ah.StepInput, failure string) error {
	i, err := s.store.GetClientIdentity(ctx, in.AgencyID, in.ClientID, in.IdentityID)
	if err != nil {
		return err
	}
	if i.Deprovisioning == nil || i.Deprovisioning.Attempt != in.Attempt || i.Status != ah.IdentityDeactivated {
		return nil // granted again meanwhile: that attempt owns the identity now
	}
	prev := i.Version
	d := *i.Deprovisioning
	action := "identity.deprovision"
	if failure != "" {
		d.Status, d.Error, action = ah.DeprovisioningFailed, failure, "identity.deprovision_fail"
	} else {
		d.Status, d.Error = ah.DeprovisioningDone, ""
		i.CredentialStatus = ah.CredentialRevoked
	}
	i.Deprovisioning = &d
	stampChange(&i.Meta, "provisioning", action, s.clock.Now())
	return s.store.UpdateClientIdentity(ctx, i, prev)
}
