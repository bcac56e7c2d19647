package service_test

import (
	"errors"
	"testing"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// TestNoAccessOnceOffboardingIsConfirmed (finding 2): after offboarding is
// confirmed, approving answers offboarding_in_progress and creates nothing: no
// identity, no grant, no execution; the same for approving onto an identity the
// client already has, and for Retry Provisioning. The check is in the store's
// transaction, so it also holds for an approval that read the request before the
// confirmation.
func TestNoAccessOnceOffboardingIsConfirmed(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	active := w.provisioned("ads", ah.IdentityStandard)
	failing := w.submit("meta", ah.IdentityStandard)
	w.wf.StartErr = errors.New("states unavailable") // the Meta identity is failed, retryable
	approvedMeta := must(w.svc.ApproveRequest(w.ctx, w.as("admin"), w.clientID, failing.ID, ah.ReviewInput{}))
	second := must(w.svc.CreateClientUser(w.ctx, w.as("owner"), w.clientID, ah.NewClientUserInput{Email: "second@acme.test", Name: "Second"}, nil)).Value
	w.emails["second"] = second.Email
	onActive := must(w.svc.SubmitRequest(w.ctx, w.as("second"), w.clientID, ah.NewAccessRequestInput{PlatformID: w.platforms["ads"], IdentityType: ah.IdentityStandard, Justification: "x"}, nil)).Value

	// An approval that read the request before the confirmation: the
	// confirmation lands between its reads and its write.
	w.store.Before("TransitionRequest", func() {
		must(w.svc.ConfirmOffboarding(w.ctx, w.as("owner"), w.clientID, ah.ConfirmOffboardingInput{ConfirmName: "Acme"}))
	})
	provisionings := func() int {
		n := 0
		for _, in := range w.wf.Started() {
			if in.IdentityID != "" {
				n++
			}
		}
		return n
	}
	executions := provisionings()
	_, err := w.svc.ApproveRequest(w.ctx, w.as("admin"), w.clientID, onActive.ID, ah.ReviewInput{})
	if code(err) != ah.CodeOffboarding {
		t.Fatalf("approve racing the confirmation = %v, want offboarding_in_progress", err)
	}
	for name, tt := range map[string]func() error{
		"ApproveOntoActiveIdentity": func() error {
			_, err := w.svc.ApproveRequest(w.ctx, w.as("owner"), w.clientID, onActive.ID, ah.ReviewInput{})
			return err
		},
		"RetryProvisioning": func() error {
			_, err := w.svc.RetryProvisioning(w.ctx, w.as("admin"), w.clientID, approvedMeta.IdentityID)
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			if err := tt(); code(err) != ah.CodeOffboarding {
				t.Fatalf("= %v, want offboarding_in_progress", err)
			}
		})
	}
	idn, _ := w.store.GetClientIdentity(w.ctx, w.agencyID, w.clientID, active.ID)
	if idn.ActiveGrants != 1 {
		t.Fatalf("the active identity counts %d grants, want 1", idn.ActiveGrants)
	}
	if r, _ := w.store.GetRequest(w.ctx, w.agencyID, w.clientID, onActive.ID); r.Status != ah.RequestPending {
		t.Fatalf("refused approval moved the request to %s", r.Status)
	}
	if _, err := w.store.GetGrant(w.ctx, w.agencyID, w.clientID, onActive.ID); code(err) != ah.CodeNotFound {
		t.Fatal("a refused approval wrote a grant")
	}
	if n := provisionings() - executions; n != 0 {
		t.Fatalf("%d provisioning executions started after the confirmation", n)
	}
	if idn, _ := w.store.GetClientIdentity(w.ctx, w.agencyID, w.clientID, approvedMeta.IdentityID); idn.Status != ah.IdentityFailed {
		t.Fatalf("the failed identity is %s after a refused retry", idn.Status)
	}
}

// TestLosingApprovalNamesTheRequest: of two approvals of one request, the one
// that reads after the winner created the identity answers request_not_pending
// (the request was approved), not identity_provisioning.
func TestLosingApprovalNamesTheRequest(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.submit("ads", ah.IdentityManaged)
	var winner error
	w.store.Before("ClientIdentityFor", func() {
		_, winner = w.svc.ApproveRequest(w.ctx, w.as("owner"), w.clientID, r.ID, ah.ReviewInput{})
	})
	_, err := w.svc.ApproveRequest(w.ctx, w.as("admin"), w.clientID, r.ID, ah.ReviewInput{})
	if winner != nil {
		t.Fatalf("the winner = %v", winner)
	}
	if code(err) != ah.CodeRequestNotPending || ah.ErrorOf(err).Current == nil {
		t.Fatalf("the loser = %v, want request_not_pending with the current request", err)
	}
	if n := len(w.wf.Started()); n != 1 {
		t.Fatalf("%d executions, want 1", n)
	}
}

// TestInvisibleReasonIsNoReason (finding 5): under a policy that requires a
// reason to reject or revoke, a zero-width space is no reason.
func TestInvisibleReasonIsNoReason(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	owner := w.as("owner")
	pol := must(w.svc.CreateGovernancePolicy(w.ctx, owner, ah.NewGovernancePolicyInput{Name: "Reasons",
		Audit: &ah.AuditRule{JustificationRequired: true, JustificationMinLength: 10, ReasonRequired: true}}, nil)).Value
	must(w.svc.UpdateSettings(w.ctx, owner, ah.SettingsPatch{DefaultGovernancePolicyID: &pol.ID}, nil))
	_, err := w.svc.SubmitRequest(w.ctx, w.as("clientUser"), w.clientID, ah.NewAccessRequestInput{PlatformID: w.platforms["ads"],
		IdentityType: ah.IdentityStandard, Justification: "\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200bok"}, nil)
	if code(err) != ah.CodePolicyViolation {
		t.Fatalf("a justification of zero-width spaces = %v, want policy_violation", err)
	}
	r := must(w.svc.SubmitRequest(w.ctx, w.as("clientUser"), w.clientID, ah.NewAccessRequestInput{PlatformID: w.platforms["ads"],
		IdentityType: ah.IdentityStandard, Justification: "a real justification"}, nil)).Value
	if _, err := w.svc.RejectRequest(w.ctx, owner, w.clientID, r.ID, ah.ReviewInput{Reason: "\u200b"}); code(err) != ah.CodePolicyViolation && code(err) != ah.CodeValidation {
		t.Fatalf("reject with an invisible reason = %v", err)
	}
	if got, _ := w.store.GetRequest(w.ctx, w.agencyID, w.clientID, r.ID); got.Status != ah.RequestPending {
		t.Fatalf("request = %s", got.Status)
	}
}
