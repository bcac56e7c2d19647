package service_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/service"
)

func stepStatus(i ah.ClientIdentity, name string) ah.ProvisioningStep {
	for _, st := range i.Provisioning.Steps {
		if st.Name == name {
			return st
		}
	}
	return ah.ProvisioningStep{}
}

func errKind(err error) string {
	var t *ah.TransientError
	var p *ah.PermanentError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &t):
		return "transient"
	case errors.As(err, &p):
		return "permanent"
	}
	return "unclassified"
}

// TestProvisioningSteps: each step records its progress; a failure is classified
// for the state machine's Retry; the failure step marks the identity failed where
// it stopped; Retry Provisioning resumes there in a new attempt, and a step of the
// old attempt changes nothing.
func TestProvisioningSteps(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.submit("ads", ah.IdentityManaged)
	approved := must(w.svc.ApproveRequest(w.ctx, w.as("admin"), w.clientID, r.ID, ah.ReviewInput{}))
	in := w.wf.Started()[0]
	run := w.svc.StepHandler(ah.StepPrepare, ah.StepWorkspaceUser, ah.StepStoreSecret, ah.StepActivate, ah.StepMarkProvisioningFailed)
	step := func(name string, in ah.StepInput) error {
		in.Step = name
		_, err := run(w.ctx, in)
		return err
	}
	identity := func() ah.ClientIdentity {
		i, _ := w.store.GetClientIdentity(w.ctx, w.agencyID, w.clientID, approved.IdentityID)
		return i
	}
	if err := step(ah.StepPrepare, in); err != nil {
		t.Fatal(err)
	}
	if st, i := stepStatus(identity(), ah.StepPrepare), identity(); st.Status != ah.StepDone || st.Attempts != 1 || i.Email != service.ManagedEmail(i.ID, domain) {
		t.Fatalf("prepare = %+v, email %s", st, i.Email)
	}

	t.Run("TransientWorkspaceFailure", func(t *testing.T) {
		w.dir.Fail = ah.Transient("Workspace answered 503")
		err := step(ah.StepWorkspaceUser, in)
		if errKind(err) != "transient" {
			t.Fatalf("= %v (%s), want a transient error the state machine retries", err, errKind(err))
		}
		st := stepStatus(identity(), ah.StepWorkspaceUser)
		if st.Status != ah.StepRunning || !strings.Contains(st.Error, "503") || st.Attempts != 1 {
			t.Fatalf("step = %+v", st)
		}
	})
	t.Run("RedeliveryCreatesOneUser", func(t *testing.T) {
		for range 2 {
			if err := step(ah.StepWorkspaceUser, in); err != nil {
				t.Fatal(err)
			}
		}
		name := ah.CredentialSecretName(w.agencyID, w.clientID, approved.IdentityID)
		pw, _, _ := w.vault.Get(w.ctx, name)
		u, ok := w.dir.User(identity().Email)
		if !ok || u.Password != pw || w.vault.Versions(name) != 1 {
			t.Fatalf("user %v, %d secret versions", ok, w.vault.Versions(name))
		}
	})
	t.Run("FailureMarksTheRunningStep", func(t *testing.T) {
		w.vault.Forget(ah.CredentialSecretName(w.agencyID, w.clientID, approved.IdentityID))
		if err := step(ah.StepStoreSecret, in); errKind(err) != "transient" {
			t.Fatalf("store with no secret = %v", err)
		}
		failed := in
		failed.Error = &ah.CaughtError{Error: "TransientError", Cause: "the credential is not in the vault"}
		if err := step(ah.StepMarkProvisioningFailed, failed); err != nil {
			t.Fatal(err)
		}
		i := identity()
		if i.Status != ah.IdentityFailed || stepStatus(i, ah.StepStoreSecret).Status != ah.StepFailed || !strings.Contains(stepStatus(i, ah.StepStoreSecret).Error, "not in the vault") {
			t.Fatalf("identity %s, steps %+v", i.Status, i.Provisioning.Steps)
		}
		d, _ := w.store.GetClientDetail(w.ctx, w.agencyID, w.clientID)
		if d.Client.Facts.FailedIdentities != 1 {
			t.Fatalf("client counts %d failed identities", d.Client.Facts.FailedIdentities)
		}
		if err := step(ah.StepMarkProvisioningFailed, failed); err != nil || identity().Version != i.Version {
			t.Fatalf("marking again changed the identity (%v)", err)
		}
	})
	t.Run("RetryResumesAtTheFailedStep", func(t *testing.T) {
		if _, err := w.svc.RetryProvisioning(w.ctx, w.as("outsider"), w.clientID, approved.IdentityID); code(err) != ah.CodeNotFound {
			t.Fatalf("outsider retry = %v", err)
		}
		got, err := w.svc.RetryProvisioning(w.ctx, w.as("admin"), w.clientID, approved.IdentityID)
		if err != nil || got.Provisioning.Attempt != 2 {
			t.Fatalf("retry = %v", err)
		}
		started := w.wf.Started()
		next := started[len(started)-1]
		if next.Attempt != 2 || next.ResumeFrom != ah.StepStoreSecret {
			t.Fatalf("execution = %+v", next)
		}
		i := identity()
		if stepStatus(i, ah.StepPrepare).Status != ah.StepDone || stepStatus(i, ah.StepStoreSecret).Status != ah.StepPending {
			t.Fatalf("steps after retry = %+v", i.Provisioning.Steps)
		}
		d, _ := w.store.GetClientDetail(w.ctx, w.agencyID, w.clientID)
		if d.Client.Facts.FailedIdentities != 0 {
			t.Fatal("the client still counts the failed identity")
		}
		if _, err := w.svc.RetryProvisioning(w.ctx, w.as("admin"), w.clientID, approved.IdentityID); code(err) != ah.CodeIdentityProvisioning {
			t.Fatalf("retrying an identity that is provisioning = %v", err)
		}
		// a step of the old attempt is stale: permanent, and changes nothing
		before := identity()
		if err := step(ah.StepPrepare, in); errKind(err) != "permanent" {
			t.Fatalf("stale step = %v", err)
		}
		if identity().UpdatedAt != before.UpdatedAt {
			t.Fatal("a stale step wrote the identity")
		}
		w.vault.Put(w.ctx, ah.CredentialSecretName(w.agencyID, w.clientID, approved.IdentityID), "restored")
		for _, name := range []string{ah.StepStoreSecret, ah.StepActivate} {
			if err := step(name, next); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if err := step(ah.StepActivate, next); err != nil {
			t.Fatalf("activate again (redelivered) = %v", err)
		}
		req, _ := w.store.GetRequest(w.ctx, w.agencyID, w.clientID, r.ID)
		if identity().Status != ah.IdentityActive || req.Status != ah.RequestProvisioned || req.History[len(req.History)-1].Action != "provisioned" {
			t.Fatalf("identity %s, request %s", identity().Status, req.Status)
		}
	})
	t.Run("StepsRunOnlyInTheirFunction", func(t *testing.T) {
		_, err := w.svc.StepHandler(ah.StepPrepare)(w.ctx, ah.StepInput{Step: ah.StepWorkspaceUser})
		if errKind(err) != "permanent" {
			t.Fatalf("= %v", err)
		}
	})
}

// TestWorkspaceNotConnected: without Workspace credentials a managed identity's
// Workspace step fails permanently (no retries), naming what is missing.
func TestWorkspaceNotConnected(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.submit("ads", ah.IdentityManaged)
	must(w.svc.ApproveRequest(w.ctx, w.as("admin"), w.clientID, r.ID, ah.ReviewInput{}))
	in := w.wf.Started()[0]
	in.Step = ah.StepWorkspaceUser
	svc := service.New(service.Options{Store: w.store, Clock: w.clock, PrincipalTTL: -1, Workflows: w.wf, Vault: w.vault,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	_, err := svc.StepHandler(ah.StepWorkspaceUser)(context.Background(), in)
	if errKind(err) != "permanent" || !strings.Contains(err.Error(), "not connected") {
		t.Fatalf("= %v", err)
	}
}

// TestOffboarding: preview, confirm, the steps in order, and what the client is
// afterwards; a failed attempt is confirmed again and resumes.
func TestOffboarding(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	managed := w.provisioned("ads", ah.IdentityManaged)
	pending := w.submit("meta", ah.IdentityStandard)
	owner := w.as("owner")

	prev, err := w.svc.OffboardingPreview(w.ctx, owner, w.clientID)
	if err != nil || len(prev.Identities) != 1 || len(prev.PendingRequests) != 1 || prev.PendingRequests[0].ID != pending.ID ||
		len(prev.Platforms) != 2 || len(prev.Team) != 2 {
		t.Fatalf("preview = %+v, %v", prev, err)
	}
	if _, err := w.svc.ConfirmOffboarding(w.ctx, owner, w.clientID, ah.ConfirmOffboardingInput{ConfirmName: "acme"}); code(err) != ah.CodeValidation {
		t.Fatalf("wrong name = %v", err)
	}
	if _, err := w.svc.ConfirmOffboarding(w.ctx, w.as("outsider"), w.clientID, ah.ConfirmOffboardingInput{ConfirmName: "Acme"}); code(err) != ah.CodeNotFound {
		t.Fatalf("outsider = %v", err)
	}
	v, err := w.svc.ConfirmOffboarding(w.ctx, owner, w.clientID, ah.ConfirmOffboardingInput{ConfirmName: "Acme"})
	if err != nil || v.Offboarding == nil || v.Offboarding.Status != "running" {
		t.Fatalf("confirm = %+v, %v", v.Offboarding, err)
	}
	t.Run("WhileRunning", func(t *testing.T) {
		if _, err := w.svc.ConfirmOffboarding(w.ctx, owner, w.clientID, ah.ConfirmOffboardingInput{ConfirmName: "Acme"}); code(err) != ah.CodeOffboarding {
			t.Fatalf("second confirm = %v", err)
		}
		if _, err := w.svc.UpdateClient(w.ctx, owner, w.clientID, ah.ClientPatch{Description: new("x")}, nil); code(err) != ah.CodeOffboarding {
			t.Fatalf("update = %v", err)
		}
		if _, err := w.svc.SubmitRequest(w.ctx, w.as("clientUser"), w.clientID, ah.NewAccessRequestInput{PlatformID: w.platforms["ads"], IdentityType: ah.IdentityStandard, Justification: "x"}, nil); code(err) != ah.CodeClientArchived {
			t.Fatalf("submit = %v", err)
		}
	})
	in := ah.StepInput{AgencyID: w.agencyID, ClientID: w.clientID, Attempt: 1}
	run := w.svc.StepHandler(append(append([]string{}, ah.OffboardingSteps...), ah.StepMarkOffboardingFailed)...)
	step := func(name string, in ah.StepInput) error {
		in.Step = name
		_, err := run(w.ctx, in)
		return err
	}
	t.Run("FailedAttemptResumes", func(t *testing.T) {
		if err := step(ah.StepDeactivateIdentities, in); err != nil {
			t.Fatal(err)
		}
		w.dir.Fail = errors.New("Workspace is down")
		for _, name := range ah.OffboardingSteps[1:] {
			if name == ah.StepSuspendWorkspaceUsers {
				if err := step(name, in); err == nil {
					t.Fatal("suspend succeeded with Workspace down")
				}
				break
			}
			if err := step(name, in); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		failed := in
		failed.Error = &ah.CaughtError{Error: "TransientError", Cause: "Workspace is down"}
		if err := step(ah.StepMarkOffboardingFailed, failed); err != nil {
			t.Fatal(err)
		}
		d, _ := w.store.GetClientDetail(w.ctx, w.agencyID, w.clientID)
		if d.Client.Offboarding.Status != "failed" || d.Client.Lifecycle != ah.ClientActive {
			t.Fatalf("offboarding = %+v", d.Client.Offboarding)
		}
		v, err := w.svc.ConfirmOffboarding(w.ctx, owner, w.clientID, ah.ConfirmOffboardingInput{ConfirmName: "Acme"})
		if err != nil || v.Offboarding.Attempt != 2 {
			t.Fatalf("confirm again = %v", err)
		}
		for _, st := range v.Offboarding.Steps {
			if done := st.Name == ah.StepDeactivateIdentities || st.Name == ah.StepRejectPendingRequests || st.Name == ah.StepRevokeAccess; done != (st.Status == ah.StepDone) {
				t.Fatalf("step %s = %s after the new attempt", st.Name, st.Status)
			}
		}
		if err := step(ah.StepSuspendWorkspaceUsers, in); errKind(err) != "permanent" {
			t.Fatalf("a step of the old attempt = %v", err)
		}
		in.Attempt = 2
		for _, name := range ah.OffboardingSteps {
			if err := step(name, in); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
	})
	t.Run("Archived", func(t *testing.T) {
		d, _ := w.store.ReadClientAccess(w.ctx, w.agencyID, w.clientID)
		if d.Client.Lifecycle != ah.ClientArchived || d.Client.Offboarding.Status != "done" || len(d.Pending) != 0 || len(d.Grants) != 0 {
			t.Fatalf("client = %s %+v, %d pending, %d grants", d.Client.Lifecycle, d.Client.Offboarding, len(d.Pending), len(d.Grants))
		}
		for _, i := range d.Identities {
			if i.Status != ah.IdentityDeactivated || i.CredentialStatus != ah.CredentialRevoked {
				t.Fatalf("identity %s: %s / %s", i.ID, i.Status, i.CredentialStatus)
			}
		}
		for _, cp := range d.Platforms {
			if cp.ProvisioningStatus != "revoked" {
				t.Fatalf("platform %s = %s", cp.PlatformID, cp.ProvisioningStatus)
			}
		}
		if u, _ := w.dir.User(managed.Email); !u.Suspended {
			t.Fatal("the Workspace user is not suspended")
		}
		if _, ok, _ := w.vault.Get(w.ctx, ah.CredentialSecretName(w.agencyID, w.clientID, managed.ID)); ok {
			t.Fatal("the credential was not deleted")
		}
		r, _ := w.store.GetRequest(w.ctx, w.agencyID, w.clientID, pending.ID)
		if r.Status != ah.RequestRejected {
			t.Fatalf("pending request = %s", r.Status)
		}
		if _, err := w.svc.UpdateClient(w.ctx, owner, w.clientID, ah.ClientPatch{Description: new("x")}, nil); code(err) != ah.CodeClientArchived {
			t.Fatalf("update archived = %v", err)
		}
		if _, err := w.svc.ConfirmOffboarding(w.ctx, owner, w.clientID, ah.ConfirmOffboardingInput{ConfirmName: "Acme"}); code(err) != ah.CodeClientArchived {
			t.Fatalf("offboard archived = %v", err)
		}
	})
}

// TestOffboardingStopsProvisioning: an identity still provisioning has its
// execution stopped before it is deactivated, so it cannot come back.
func TestOffboardingStopsProvisioning(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.submit("ads", ah.IdentityStandard)
	got := must(w.svc.ApproveRequest(w.ctx, w.as("admin"), w.clientID, r.ID, ah.ReviewInput{}))
	must(w.svc.ConfirmOffboarding(w.ctx, w.as("owner"), w.clientID, ah.ConfirmOffboardingInput{ConfirmName: "Acme"}))
	_, err := w.svc.StepHandler(ah.StepDeactivateIdentities)(w.ctx, ah.StepInput{Step: ah.StepDeactivateIdentities, AgencyID: w.agencyID, ClientID: w.clientID, Attempt: 1})
	if err != nil {
		t.Fatal(err)
	}
	if s := w.wf.Stopped(); len(s) != 1 || s[0] != ah.ExecutionName(ah.WorkflowProvisioning, got.IdentityID, 1) {
		t.Fatalf("stopped = %v", s)
	}
	// the stopped execution's steps are stale now
	_, err = w.svc.StepHandler(ah.StepPrepare)(w.ctx, ah.StepInput{Step: ah.StepPrepare, AgencyID: w.agencyID, ClientID: w.clientID, IdentityID: got.IdentityID, Attempt: 1})
	if errKind(err) != "permanent" {
		t.Fatalf("a step after deactivation = %v", err)
	}
}

// TestOffboardingFailureBeforeAStepRan: a failure caught before any step could
// record itself running (the function throttled, timed out at init) still says
// why, on the first step not done.
func TestOffboardingFailureBeforeAStepRan(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	if _, err := w.svc.ConfirmOffboarding(w.ctx, w.as("owner"), w.clientID, ah.ConfirmOffboardingInput{ConfirmName: "Acme"}); err != nil {
		t.Fatal(err)
	}
	in := ah.StepInput{AgencyID: w.agencyID, ClientID: w.clientID, Attempt: 1}
	run := w.svc.StepHandler(ah.StepDeactivateIdentities, ah.StepMarkOffboardingFailed)
	in.Step = ah.StepDeactivateIdentities
	if _, err := run(w.ctx, in); err != nil {
		t.Fatal(err)
	}
	in.Step, in.Error = ah.StepMarkOffboardingFailed, &ah.CaughtError{Error: "Lambda.TooManyRequestsException", Cause: "Rate exceeded"}
	if _, err := run(w.ctx, in); err != nil {
		t.Fatal(err)
	}
	d, _ := w.store.GetClientDetail(w.ctx, w.agencyID, w.clientID)
	o := d.Client.Offboarding
	if o.Status != "failed" {
		t.Fatalf("offboarding = %+v", o)
	}
	for _, st := range o.Steps {
		want := map[string]ah.ProvisioningStep{
			ah.StepDeactivateIdentities:  {Name: st.Name, Status: ah.StepDone},
			ah.StepRejectPendingRequests: {Name: st.Name, Status: ah.StepFailed, Error: "Lambda.TooManyRequestsException: Rate exceeded"},
		}[st.Name]
		if want.Name == "" {
			want = ah.ProvisioningStep{Name: st.Name, Status: ah.StepPending}
		}
		if st.Status != want.Status || st.Error != want.Error {
			t.Errorf("step %s = %s %q, want %s %q", st.Name, st.Status, st.Error, want.Status, want.Error)
		}
	}
}
