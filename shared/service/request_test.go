package service_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/service"
)

func fieldOf(err error) string {
	if e := ah.ErrorOf(err); e != nil && len(e.Fields) > 0 {
		return e.Fields[0].Field
	}
	return ""
}

// TestSubmitRules: what a submission checks, each refusal writing nothing.
func TestSubmitRules(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ok := ah.NewAccessRequestInput{PlatformID: w.platforms["ads"], IdentityType: ah.IdentityStandard, Justification: "campaign work"}
	tests := []struct {
		name   string
		who    string
		client string
		in     func(ah.NewAccessRequestInput) ah.NewAccessRequestInput
		code   string
		field  string
	}{
		{"StaffCannotSubmit", "admin", "acme", nil, ah.CodeNotFound, ""},
		{"OtherClientsUser", "otherUser", "acme", nil, ah.CodeNotFound, ""},
		{"PlatformNotConfigured", "clientUser", "acme", func(in ah.NewAccessRequestInput) ah.NewAccessRequestInput {
			in.PlatformID = w.platforms["down"]
			return in
		}, ah.CodeValidation, "platformId"},
		{"NoIdentityType", "clientUser", "acme", func(in ah.NewAccessRequestInput) ah.NewAccessRequestInput {
			in.IdentityType = ""
			return in
		}, ah.CodeValidation, "identityType"},
		{"NoJustification", "clientUser", "acme", func(in ah.NewAccessRequestInput) ah.NewAccessRequestInput {
			in.Justification = "  "
			return in
		}, ah.CodePolicyViolation, "justification"},
		{"UnknownTemplate", "clientUser", "acme", func(in ah.NewAccessRequestInput) ah.NewAccessRequestInput {
			in.RoleTemplateID = "rtp_01jzzzzzzzzzzzzzzzzzzzzzzz"
			return in
		}, ah.CodeValidation, "roleTemplateId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := ok
			if tt.in != nil {
				in = tt.in(in)
			}
			_, err := w.svc.SubmitRequest(w.ctx, w.as(tt.who), w.clientID, in, nil)
			if code(err) != tt.code || fieldOf(err) != tt.field {
				t.Fatalf("= %v (field %q), want %s on %q", err, fieldOf(err), tt.code, tt.field)
			}
			if all, _, _ := w.store.ListRequests(w.ctx, w.agencyID, w.clientID, "", ah.Page{}); len(all) != 0 {
				t.Fatalf("a refused submission wrote %d requests", len(all))
			}
		})
	}
	t.Run("Pending", func(t *testing.T) {
		r := w.submit("ads", ah.IdentityStandard)
		if r.Status != ah.RequestPending || r.RequesterID != w.ids["clientUser"] || len(r.History) != 1 || r.History[0].Action != "submitted" {
			t.Fatalf("request = %+v", r)
		}
		if d := r.ExpiresAt.Sub(r.CreatedAt); d != 72*time.Hour {
			t.Fatalf("expires after %v, want the agency's 72h", d)
		}
		if r.Policy.Source != ah.PolicyBuiltIn {
			t.Fatalf("policy source = %s, want built_in", r.Policy.Source)
		}
		d, _ := w.store.GetClientDetail(w.ctx, w.agencyID, w.clientID)
		for _, cp := range d.Platforms {
			if cp.PlatformID == w.platforms["ads"] && cp.PendingRequests != 1 {
				t.Fatalf("pending count = %d, want 1", cp.PendingRequests)
			}
		}
	})
	t.Run("SecondPendingRefused", func(t *testing.T) {
		_, err := w.svc.SubmitRequest(w.ctx, w.as("clientUser"), w.clientID, ok, nil)
		if code(err) != ah.CodeRequestPending {
			t.Fatalf("= %v, want request_pending", err)
		}
	})
	t.Run("Idempotent", func(t *testing.T) {
		idem := &service.Idem{Key: "k-1", Fingerprint: "fp-1"}
		in := ok
		in.PlatformID = w.platforms["meta"]
		first, err := w.svc.SubmitRequest(w.ctx, w.as("clientUser"), w.clientID, in, idem)
		if err != nil {
			t.Fatal(err)
		}
		again, err := w.svc.SubmitRequest(w.ctx, w.as("clientUser"), w.clientID, in, idem)
		if err != nil || !again.Replayed || again.Value.ID != first.Value.ID {
			t.Fatalf("retry = %+v, %v; want the first request replayed", again, err)
		}
		idem.Fingerprint = "fp-2"
		if _, err := w.svc.SubmitRequest(w.ctx, w.as("clientUser"), w.clientID, in, idem); code(err) != ah.CodeIdempotencyKeyReused {
			t.Fatalf("reused key, other body = %v", err)
		}
	})
}

// TestReviewTransitions: every way out of pending, who may take it, and what a
// request that already left pending answers.
func TestReviewTransitions(t *testing.T) {
	t.Parallel()
	type step struct {
		who, op string // op: approve, reject, cancel
		code    string
		status  ah.RequestStatus // the request's status after the step
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"AdminApproves", []step{{"admin", "approve", "", ah.RequestApproved}, {"owner", "approve", ah.CodeRequestNotPending, ah.RequestApproved}}},
		{"OwnerRejects", []step{{"owner", "reject", "", ah.RequestRejected}, {"admin", "approve", ah.CodeRequestNotPending, ah.RequestRejected}}},
		{"RequesterCancels", []step{{"clientUser", "cancel", "", ah.RequestCancelled}, {"clientUser", "cancel", ah.CodeRequestNotPending, ah.RequestCancelled}}},
		{"RequesterCannotApprove", []step{{"clientUser", "approve", ah.CodeSelfApproval, ah.RequestPending}}},
		{"RequesterCannotReject", []step{{"clientUser", "reject", ah.CodeSelfApproval, ah.RequestPending}}},
		{"ViewerNotAnApprover", []step{{"member", "approve", ah.CodeApproverNotAllowed, ah.RequestPending}}},
		{"ManagerNotAnApprover", []step{{"manager", "reject", ah.CodeApproverNotAllowed, ah.RequestPending}}},
		{"OutsiderSeesNothing", []step{{"outsider", "approve", ah.CodeNotFound, ah.RequestPending}}},
		{"OtherClientsUser", []step{{"otherUser", "cancel", ah.CodeNotFound, ah.RequestPending}}},
		{"StaffCannotCancel", []step{{"admin", "cancel", ah.CodeForbidden, ah.RequestPending}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			r := w.submit("ads", ah.IdentityStandard)
			for i, st := range tt.steps {
				p := w.as(st.who)
				var err error
				switch st.op {
				case "approve":
					_, err = w.svc.ApproveRequest(w.ctx, p, w.clientID, r.ID, ah.ReviewInput{Reason: "ok"})
				case "reject":
					_, err = w.svc.RejectRequest(w.ctx, p, w.clientID, r.ID, ah.ReviewInput{Reason: "not now"})
				case "cancel":
					_, err = w.svc.CancelRequest(w.ctx, p, w.clientID, r.ID)
				}
				if code(err) != st.code {
					t.Fatalf("step %d (%s %s) = %v, want %q", i, st.who, st.op, err, st.code)
				}
				got, _ := w.store.GetRequest(w.ctx, w.agencyID, w.clientID, r.ID)
				if got.Status != st.status {
					t.Fatalf("step %d: status %s, want %s", i, got.Status, st.status)
				}
			}
			got, _ := w.store.GetRequest(w.ctx, w.agencyID, w.clientID, r.ID)
			pending := 0
			d, _ := w.store.ReadClientAccess(w.ctx, w.agencyID, w.clientID)
			for _, pr := range d.Pending {
				if pr.ID == r.ID {
					pending++
				}
			}
			if (got.Status == ah.RequestPending) != (pending == 1) {
				t.Fatalf("status %s with %d pending guards", got.Status, pending)
			}
		})
	}
}

// TestApproval: the last approval creates the identity and starts provisioning;
// provisioning makes it active and the request provisioned; a later request on
// the same platform reuses the active identity at once; one approved while the
// identity is still provisioning is refused.
func TestApproval(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	first := w.submit("ads", ah.IdentityManaged)
	got, err := w.svc.ApproveRequest(w.ctx, w.as("admin"), w.clientID, first.ID, ah.ReviewInput{Reason: "go"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != ah.RequestApproved || got.IdentityID == "" || got.Reason != "go" || len(got.Approvals) != 1 {
		t.Fatalf("approved = %+v", got)
	}
	started := w.wf.Started()
	if len(started) != 1 || started[0].IdentityID != got.IdentityID || started[0].Attempt != 1 || !started[0].Managed ||
		started[0].ExecutionName(ah.WorkflowProvisioning) != "provision-"+got.IdentityID+"-1" {
		t.Fatalf("executions = %+v", started)
	}
	idn, _ := w.store.GetClientIdentity(w.ctx, w.agencyID, w.clientID, got.IdentityID)
	if idn.Status != ah.IdentityProvisioning || idn.ActiveGrants != 1 {
		t.Fatalf("identity = %+v", idn)
	}

	t.Run("SecondWhileProvisioning", func(t *testing.T) {
		other := must(w.svc.CreateClientUser(w.ctx, w.as("owner"), w.clientID, ah.NewClientUserInput{Email: "two@acme.test", Name: "Two"}, nil)).Value
		w.emails["two"] = other.Email
		r := must(w.svc.SubmitRequest(w.ctx, w.as("two"), w.clientID, ah.NewAccessRequestInput{PlatformID: w.platforms["ads"], IdentityType: ah.IdentityManaged, Justification: "x"}, nil)).Value
		_, err := w.svc.ApproveRequest(w.ctx, w.as("admin"), w.clientID, r.ID, ah.ReviewInput{})
		if code(err) != ah.CodeIdentityProvisioning {
			t.Fatalf("= %v, want identity_provisioning", err)
		}
		w.provision()
		after, err := w.svc.ApproveRequest(w.ctx, w.as("admin"), w.clientID, r.ID, ah.ReviewInput{})
		if err != nil || after.Status != ah.RequestProvisioned || after.IdentityID != got.IdentityID {
			t.Fatalf("approve on the active identity = %+v, %v", after, err)
		}
		idn, _ := w.store.GetClientIdentity(w.ctx, w.agencyID, w.clientID, got.IdentityID)
		if idn.ActiveGrants != 2 || len(w.wf.Started()) != 1 {
			t.Fatalf("identity grants %d, executions %d; want 2 and still 1", idn.ActiveGrants, len(w.wf.Started()))
		}
	})
	t.Run("Provisioned", func(t *testing.T) {
		r, _ := w.store.GetRequest(w.ctx, w.agencyID, w.clientID, first.ID)
		idn, _ := w.store.GetClientIdentity(w.ctx, w.agencyID, w.clientID, got.IdentityID)
		if r.Status != ah.RequestProvisioned || idn.Status != ah.IdentityActive || idn.CredentialStatus != ah.CredentialStored {
			t.Fatalf("request %s, identity %s/%s", r.Status, idn.Status, idn.CredentialStatus)
		}
		u, ok := w.dir.User(idn.Email)
		pw, _, _ := w.vault.Get(w.ctx, ah.CredentialSecretName(w.agencyID, w.clientID, idn.ID))
		if !ok || u.Password != pw || pw == "" {
			t.Fatal("the Workspace user's password is not the stored credential")
		}
	})
	t.Run("LostRaceIsRetried", func(t *testing.T) {
		r := must(w.svc.SubmitRequest(w.ctx, w.as("clientUser"), w.clientID, ah.NewAccessRequestInput{PlatformID: w.platforms["meta"], IdentityType: ah.IdentityStandard, Justification: "x"}, nil)).Value
		before := w.store.Calls("TransitionRequest")
		w.store.FailNext("TransitionRequest", ah.Conflict(ah.CodeRequestNotPending, "lost a race"))
		got, err := w.svc.ApproveRequest(w.ctx, w.as("owner"), w.clientID, r.ID, ah.ReviewInput{})
		if err != nil || got.Status != ah.RequestApproved {
			t.Fatalf("approve after a lost race = %v", err)
		}
		if n := w.store.Calls("TransitionRequest") - before; n != 2 {
			t.Fatalf("%d transition writes, want the failed one and its retry", n)
		}
	})
}

// TestApprovalStartFailure: when the provisioning execution cannot start, the
// approval stands and the identity is failed at its first step (never left
// provisioning with nothing running), so Retry Provisioning starts it; a retry
// whose execution cannot start leaves it failed again.
func TestApprovalStartFailure(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.submit("ads", ah.IdentityStandard)
	w.wf.StartErr = errors.New("states unavailable")
	got, err := w.svc.ApproveRequest(w.ctx, w.as("admin"), w.clientID, r.ID, ah.ReviewInput{})
	if err != nil || got.Status != ah.RequestApproved {
		t.Fatalf("= %v", err)
	}
	idn, _ := w.store.GetClientIdentity(w.ctx, w.agencyID, w.clientID, got.IdentityID)
	if idn.Status != ah.IdentityFailed || idn.Provisioning.Steps[0].Status != ah.StepFailed ||
		!strings.Contains(idn.Provisioning.Steps[0].Error, "did not start") {
		t.Fatalf("identity = %s, steps %+v", idn.Status, idn.Provisioning.Steps)
	}
	w.wf.StartErr = errors.New("still unavailable")
	if _, err := w.svc.RetryProvisioning(w.ctx, w.as("admin"), w.clientID, idn.ID); code(err) != ah.CodeUnavailable {
		t.Fatalf("retry that cannot start = %v, want service_unavailable", err)
	}
	idn, _ = w.store.GetClientIdentity(w.ctx, w.agencyID, w.clientID, got.IdentityID)
	if idn.Status != ah.IdentityFailed || idn.Provisioning.Attempt != 2 {
		t.Fatalf("after a retry that did not start: %s attempt %d", idn.Status, idn.Provisioning.Attempt)
	}
	retried, err := w.svc.RetryProvisioning(w.ctx, w.as("admin"), w.clientID, idn.ID)
	if err != nil || retried.Provisioning.Attempt != 3 {
		t.Fatalf("retry = %+v, %v", retried.Provisioning, err)
	}
	w.provision()
	idn, _ = w.store.GetClientIdentity(w.ctx, w.agencyID, w.clientID, got.IdentityID)
	if idn.Status != ah.IdentityActive {
		t.Fatalf("identity after the retry = %s", idn.Status)
	}
}

// TestMultipleApprovals: under a policy needing two approvals from owners and
// admins, each from a different person.
func TestMultipleApprovals(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	owner := w.as("owner")
	pol := must(w.svc.CreateGovernancePolicy(w.ctx, owner, ah.NewGovernancePolicyInput{Name: "Two keys",
		Approval: &ah.ApprovalRule{RequiredApprovals: 2, ApproverRoles: []ah.Role{ah.RoleOwner, ah.RoleAdmin}}}, nil)).Value
	if _, err := w.svc.UpdateSettings(w.ctx, owner, ah.SettingsPatch{DefaultGovernancePolicyID: &pol.ID}, nil); err != nil {
		t.Fatal(err)
	}
	r := w.submit("ads", ah.IdentityStandard)
	if r.Policy.PolicyID != pol.ID || r.Policy.Source != ah.PolicyFromAgencyDefault {
		t.Fatalf("policy = %+v", r.Policy)
	}
	one, err := w.svc.ApproveRequest(w.ctx, w.as("admin"), w.clientID, r.ID, ah.ReviewInput{})
	if err != nil || one.Status != ah.RequestPending || len(one.Approvals) != 1 || one.History[len(one.History)-1].Action != "approval_recorded" {
		t.Fatalf("first approval = %+v, %v", one, err)
	}
	if _, err := w.svc.ApproveRequest(w.ctx, w.as("admin"), w.clientID, r.ID, ah.ReviewInput{}); code(err) != ah.CodeAlreadyApproved {
		t.Fatalf("same approver again = %v, want already_approved", err)
	}
	two, err := w.svc.ApproveRequest(w.ctx, owner, w.clientID, r.ID, ah.ReviewInput{})
	if err != nil || two.Status != ah.RequestApproved || len(two.Approvals) != 2 {
		t.Fatalf("second approval = %+v, %v", two, err)
	}
}

// TestExpirySweep: a pending request expires just after its window, never before,
// once; the requester may submit again.
func TestExpirySweep(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.submit("ads", ah.IdentityStandard)
	tests := []struct {
		at      time.Time
		expired int
		status  ah.RequestStatus
	}{
		{r.ExpiresAt.Add(-time.Second), 0, ah.RequestPending},
		{r.ExpiresAt, 0, ah.RequestPending},
		{r.ExpiresAt.Add(time.Millisecond), 1, ah.RequestExpired},
		{r.ExpiresAt.Add(time.Hour), 0, ah.RequestExpired},
	}
	for _, tt := range tests {
		w.clock.Set(tt.at)
		res, err := w.svc.ExpireRequests(w.ctx, tt.at)
		if err != nil || res.Expired != tt.expired {
			t.Fatalf("sweep at %v = %+v, %v; want %d expired", tt.at, res, err, tt.expired)
		}
		got, _ := w.store.GetRequest(w.ctx, w.agencyID, w.clientID, r.ID)
		if got.Status != tt.status {
			t.Fatalf("at %v: %s, want %s", tt.at, got.Status, tt.status)
		}
	}
	got, _ := w.store.GetRequest(w.ctx, w.agencyID, w.clientID, r.ID)
	if last := got.History[len(got.History)-1]; last.By != "system:expiry" || last.Action != "expired" {
		t.Fatalf("history = %+v", got.History)
	}
	w.submit("ads", ah.IdentityStandard)
}

// TestTimeBoundAccess: a policy's default duration ends the grant; the requester
// is told before; the sweep ends it after its end, and the identity is
// deactivated with its last grant. Revoking early needs a live grant.
func TestTimeBoundAccess(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	owner := w.as("owner")
	pol := must(w.svc.CreateGovernancePolicy(w.ctx, owner, ah.NewGovernancePolicyInput{Name: "Hour",
		Duration: &ah.DurationRule{DefaultMinutes: 60, NoticeMinutes: 15}}, nil)).Value
	if _, err := w.svc.UpdateSettings(w.ctx, owner, ah.SettingsPatch{DefaultGovernancePolicyID: &pol.ID}, nil); err != nil {
		t.Fatal(err)
	}
	r := w.submit("meta", ah.IdentityStandard)
	approved, err := w.svc.ApproveRequest(w.ctx, w.as("admin"), w.clientID, r.ID, ah.ReviewInput{})
	if err != nil || approved.AccessEndsAt == nil || !approved.AccessEndsAt.Equal(w.clock.Now().Add(time.Hour)) {
		t.Fatalf("approved = %+v, %v", approved, err)
	}
	w.provision()
	ends := *approved.AccessEndsAt
	for _, tt := range []struct {
		at            time.Duration
		notices, ends int
	}{
		{-16 * time.Minute, 0, 0},
		{-14 * time.Minute, 1, 0},
		{-13 * time.Minute, 0, 0},
		{-time.Second, 0, 0},
		{time.Millisecond, 0, 1},
		{time.Minute, 0, 0},
	} {
		w.clock.Set(ends.Add(tt.at))
		res, err := w.svc.ExpireRequests(w.ctx, ends.Add(tt.at))
		if err != nil || res.NoticesSent != tt.notices || res.AccessEnded != tt.ends {
			t.Fatalf("sweep at end%+v = %+v, %v", tt.at, res, err)
		}
	}
	got, _ := w.store.GetRequest(w.ctx, w.agencyID, w.clientID, r.ID)
	idn, _ := w.store.GetClientIdentity(w.ctx, w.agencyID, w.clientID, approved.IdentityID)
	if got.Status != ah.RequestRevoked || got.EndNoticeSentAt == nil || idn.Status != ah.IdentityDeactivated || idn.ActiveGrants != 0 {
		t.Fatalf("request %s (notice %v), identity %s/%d", got.Status, got.EndNoticeSentAt, idn.Status, idn.ActiveGrants)
	}
	if _, err := w.svc.RevokeAccess(w.ctx, w.as("admin"), w.clientID, r.ID, ah.RevokeInput{}); code(err) != ah.CodeAccessNotActive {
		t.Fatalf("revoking ended access = %v, want access_not_active", err)
	}
	d, _ := w.store.GetClientDetail(w.ctx, w.agencyID, w.clientID)
	if len(d.Client.Facts.AccessEnds) != 0 || len(d.Grants) != 0 {
		t.Fatalf("client still records the grant: %v %v", d.Client.Facts.AccessEnds, d.Grants)
	}
	t.Run("ReactivatedByTheNextApproval", func(t *testing.T) {
		r := w.submit("meta", ah.IdentityStandard)
		got, err := w.svc.ApproveRequest(w.ctx, w.as("admin"), w.clientID, r.ID, ah.ReviewInput{})
		// A standard identity whose credential was never supplied: the request
		// waits (approved) for it, as the first one did.
		if err != nil || got.Status != ah.RequestApproved || got.IdentityID != approved.IdentityID {
			t.Fatalf("= %+v, %v", got, err)
		}
		idn, _ := w.store.GetClientIdentity(w.ctx, w.agencyID, w.clientID, approved.IdentityID)
		if idn.Status != ah.IdentityActive || idn.ActiveGrants != 1 {
			t.Fatalf("identity %s/%d", idn.Status, idn.ActiveGrants)
		}
		revoked, err := w.svc.RevokeAccess(w.ctx, w.as("owner"), w.clientID, r.ID, ah.RevokeInput{Reason: "done early"})
		if err != nil || revoked.Status != ah.RequestRevoked || !strings.Contains(revoked.Reason, "early") {
			t.Fatalf("revoke = %+v, %v", revoked, err)
		}
	})
}
