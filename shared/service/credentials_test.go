package service_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// provisioned returns an active identity on a platform, of a type.
func (w *world) provisioned(platform string, it ah.IdentityType) ah.ClientIdentity {
	w.t.Helper()
	r := w.submit(platform, it)
	got, err := w.svc.ApproveRequest(w.ctx, w.as("admin"), w.clientID, r.ID, ah.ReviewInput{})
	if err != nil {
		w.t.Fatal(err)
	}
	w.provision()
	idn, err := w.store.GetClientIdentity(w.ctx, w.agencyID, w.clientID, got.IdentityID)
	if err != nil || idn.Status != ah.IdentityActive {
		w.t.Fatalf("identity %+v, %v", idn, err)
	}
	return idn
}

// rotateThroughSteps runs rotation as the state machine would: the Workspace
// function's rotate step.
func (w *world) rotateThroughSteps() {
	step := w.svc.StepHandler(ah.StepRotateCredential)
	w.wf.Runner = func(ctx context.Context, workflow string, in ah.StepInput) error {
		_, err := step(ctx, in)
		return err
	}
}

// TestCredentials: reveal, replace and rotate, by identity type.
func TestCredentials(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.rotateThroughSteps()
	managed := w.provisioned("ads", ah.IdentityManaged)
	standard := w.provisioned("meta", ah.IdentityStandard)
	admin := w.as("admin")
	secret := func(i ah.ClientIdentity) string { return ah.CredentialSecretName(w.agencyID, w.clientID, i.ID) }

	t.Run("StandardHasNoneUntilSupplied", func(t *testing.T) {
		if _, err := w.svc.RevealCredential(w.ctx, admin, w.clientID, standard.ID); code(err) != ah.CodeNoCredential {
			t.Fatalf("= %v, want no_credential", err)
		}
		got, err := w.svc.ReplaceCredential(w.ctx, admin, w.clientID, standard.ID, ah.CredentialInput{Username: "ops@acme.test", Password: "S3cret-pass-word!"})
		if err != nil || got.CredentialStatus != ah.CredentialStored {
			t.Fatalf("replace = %+v, %v", got, err)
		}
		c, err := w.svc.RevealCredential(w.ctx, admin, w.clientID, standard.ID)
		if err != nil || c.Username != "ops@acme.test" || c.Password != "S3cret-pass-word!" {
			t.Fatalf("reveal = %+v, %v", c, err)
		}
		idn, _ := w.store.GetClientIdentity(w.ctx, w.agencyID, w.clientID, standard.ID)
		if idn.LastRevealedBy != w.ids["admin"] || idn.LastRevealedAt == nil {
			t.Fatalf("the reveal was not recorded: %+v", idn)
		}
		again, _ := w.svc.ReplaceCredential(w.ctx, admin, w.clientID, standard.ID, ah.CredentialInput{Username: "ops@acme.test", Password: "Other-pass-word-1!"})
		if again.CredentialStatus != ah.CredentialRotated {
			t.Fatalf("second replace = %s, want rotated", again.CredentialStatus)
		}
	})
	t.Run("WrongKind", func(t *testing.T) {
		if _, err := w.svc.RotateCredential(w.ctx, admin, w.clientID, standard.ID); code(err) != ah.CodeNotManaged {
			t.Fatalf("rotate standard = %v", err)
		}
		if _, err := w.svc.ReplaceCredential(w.ctx, admin, w.clientID, managed.ID, ah.CredentialInput{Username: "a", Password: "b-password"}); code(err) != ah.CodeNotStandard {
			t.Fatalf("replace managed = %v", err)
		}
		if _, err := w.svc.RevealCredential(w.ctx, w.as("outsider"), w.clientID, managed.ID); code(err) != ah.CodeNotFound {
			t.Fatalf("outsider reveal = %v", err)
		}
	})
	t.Run("Rotate", func(t *testing.T) {
		before := w.vault.Versions(secret(managed))
		got, err := w.svc.RotateCredential(w.ctx, admin, w.clientID, managed.ID)
		if err != nil || got.CredentialStatus != ah.CredentialRotated || got.RotationStartedAt != nil {
			t.Fatalf("rotate = %+v, %v", got, err)
		}
		pw, _, _ := w.vault.Get(w.ctx, secret(managed))
		u, _ := w.dir.User(managed.Email)
		if w.vault.Versions(secret(managed)) != before+1 || u.Password != pw {
			t.Fatal("the stored credential is not the Workspace user's new password")
		}
	})
	t.Run("WorkspaceRefuses", func(t *testing.T) {
		old, _, _ := w.vault.Get(w.ctx, secret(managed))
		w.dir.Fail = ah.Permanent("password does not meet policy")
		_, err := w.svc.RotateCredential(w.ctx, admin, w.clientID, managed.ID)
		if code(err) != ah.CodeUnavailable {
			t.Fatalf("= %v, want service_unavailable", err)
		}
		now, _, _ := w.vault.Get(w.ctx, secret(managed))
		u, _ := w.dir.User(managed.Email)
		idn, _ := w.store.GetClientIdentity(w.ctx, w.agencyID, w.clientID, managed.ID)
		if now != old || u.Password != old || idn.RotationStartedAt != nil {
			t.Fatal("a refused rotation changed the credential or kept the identity held")
		}
	})
	t.Run("VaultRefuses", func(t *testing.T) {
		old, _, _ := w.vault.Get(w.ctx, secret(managed))
		w.vault.FailPut = errors.New("secrets manager down")
		if _, err := w.svc.RotateCredential(w.ctx, admin, w.clientID, managed.ID); code(err) != ah.CodeUnavailable {
			t.Fatalf("= %v", err)
		}
		u, _ := w.dir.User(managed.Email)
		if u.Password != old {
			t.Fatal("Workspace changed although the vault refused the new value")
		}
	})
	t.Run("VaultRefusesASuppliedCredential", func(t *testing.T) {
		w.vault.FailPut = errors.New("secrets manager down")
		if _, err := w.svc.ReplaceCredential(w.ctx, admin, w.clientID, standard.ID, ah.CredentialInput{Username: "ops@acme.test", Password: "Vault-down-passw0rd!"}); code(err) != ah.CodeUnavailable {
			t.Fatalf("= %v, want service_unavailable", err)
		}
		agency, err := w.svc.CreateIdentity(w.ctx, admin, ah.NewIdentityInput{DisplayName: "Agency", Email: "agency@northwind.test", Scope: ah.ScopeAgency}, nil)
		if err != nil {
			t.Fatal(err)
		}
		w.vault.FailPut = errors.New("secrets manager down")
		if _, err := w.svc.ReplaceAgencyCredential(w.ctx, admin, agency.Value.ID, ah.CredentialInput{Username: "a", Password: "Vault-down-passw0rd!"}); code(err) != ah.CodeUnavailable {
			t.Fatalf("agency identity = %v, want service_unavailable", err)
		}
	})
	t.Run("ExpiredLeaseIsTakenOver", func(t *testing.T) {
		idn, _ := w.store.GetClientIdentity(w.ctx, w.agencyID, w.clientID, managed.ID)
		held := w.clock.Now().Add(-3 * time.Minute)
		idn.RotationStartedAt = &held
		prev := idn.Version
		idn.Version++
		if err := w.store.UpdateClientIdentity(w.ctx, idn, prev); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.RotateCredential(w.ctx, admin, w.clientID, managed.ID); err != nil {
			t.Fatalf("rotate after a holder vanished = %v", err)
		}
	})
}

// TestConcurrentRotations: six rotations of one identity at once. Exactly one
// rotates (one new secret version, one Workspace password change); the other
// five answer rotation_in_progress having changed nothing.
func TestConcurrentRotations(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	managed := w.provisioned("ads", ah.IdentityManaged)
	name := ah.CredentialSecretName(w.agencyID, w.clientID, managed.ID)
	versions, dirCalls := w.vault.Versions(name), w.dir.Calls()
	const n = 6
	losers := make(chan struct{}, n)
	allLost := make(chan struct{})
	var once sync.Once
	step := w.svc.StepHandler(ah.StepRotateCredential)
	w.wf.Runner = func(ctx context.Context, workflow string, in ah.StepInput) error {
		select { // the winner rotates only once every other caller has been answered
		case <-allLost:
		case <-time.After(5 * time.Second):
			return errors.New("the other rotations were never answered")
		}
		_, err := step(ctx, in)
		return err
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for k := range n {
		wg.Go(func() {
			_, errs[k] = w.svc.RotateCredential(w.ctx, w.as("admin"), w.clientID, managed.ID)
			if errs[k] != nil {
				losers <- struct{}{}
				if len(losers) == n-1 {
					once.Do(func() { close(allLost) })
				}
			}
		})
	}
	wg.Wait()
	ok, busy := 0, 0
	for _, err := range errs {
		switch code(err) {
		case "":
			ok++
		case ah.CodeRotationInProgress:
			busy++
		default:
			t.Errorf("unexpected answer: %v", err)
		}
	}
	if ok != 1 || busy != n-1 {
		t.Fatalf("%d rotated, %d rotation_in_progress; want 1 and %d", ok, busy, n-1)
	}
	if v := w.vault.Versions(name) - versions; v != 1 {
		t.Fatalf("%d new secret versions, want 1", v)
	}
	if c := w.dir.Calls() - dirCalls; c != 1 {
		t.Fatalf("%d Workspace calls, want 1", c)
	}
}
