package service_test

import (
	"testing"
	"time"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// TestMetrics: what the service counts, once per event whatever the retries.
func TestMetrics(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	managed := w.submit("ads", ah.IdentityManaged)
	expiring := w.submit("meta", ah.IdentityStandard)
	if n := w.stats.Of(ah.MetricRequestsSubmitted); n != 2 {
		t.Fatalf("submitted = %d", n)
	}
	must(w.svc.ApproveRequest(w.ctx, w.as("admin"), w.clientID, managed.ID, ah.ReviewInput{}))
	w.provision()
	in := w.wf.Started()[0]
	in.Step = ah.StepActivate
	if _, err := w.svc.StepHandler(ah.StepActivate)(w.ctx, in); err != nil { // redelivered
		t.Fatal(err)
	}
	if a, p := w.stats.Of(ah.MetricRequestsApproved), w.stats.Of(ah.MetricRequestsProvisioned); a != 1 || p != 1 {
		t.Fatalf("approved %d, provisioned %d; want 1 and 1", a, p)
	}
	w.clock.Set(expiring.ExpiresAt.Add(time.Second))
	must(w.svc.ExpireRequests(w.ctx, w.clock.Now()))
	must(w.svc.ExpireRequests(w.ctx, w.clock.Now()))
	if n := w.stats.Of(ah.MetricRequestsExpired); n != 1 {
		t.Fatalf("expired = %d", n)
	}
	// a provisioning failure, marked twice (a redelivered failure step)
	r := w.submit("meta", ah.IdentityStandard)
	got := must(w.svc.ApproveRequest(w.ctx, w.as("admin"), w.clientID, r.ID, ah.ReviewInput{}))
	fail := ah.StepInput{Step: ah.StepMarkProvisioningFailed, AgencyID: w.agencyID, ClientID: w.clientID, IdentityID: got.IdentityID,
		RequestID: r.ID, Attempt: 1, Error: &ah.CaughtError{Error: "States.Timeout", Cause: "slow"}}
	for range 2 {
		if _, err := w.svc.StepHandler(ah.StepMarkProvisioningFailed)(w.ctx, fail); err != nil {
			t.Fatal(err)
		}
	}
	if n := w.stats.Of(ah.MetricProvisioningFailures); n != 1 {
		t.Fatalf("provisioning failures = %d", n)
	}
	// a failure step for an attempt that is not provisioning (a stale or
	// hand-fed event) marks nothing and counts nothing
	stale := fail
	stale.Attempt = 7
	out, err := w.svc.StepHandler(ah.StepMarkProvisioningFailed)(w.ctx, stale)
	if err != nil || out.Status != ah.StepSkipped {
		t.Fatalf("stale failure step = %+v, %v", out, err)
	}
	if n := w.stats.Of(ah.MetricProvisioningFailures); n != 1 {
		t.Fatalf("provisioning failures after a stale step = %d", n)
	}
}
