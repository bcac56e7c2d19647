package service_test

import (
	"sort"
	"strings"
	"testing"
	"time"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// notified lists a member's notification kinds (sorted) and checks each was emailed.
func (w *world) notified(t *testing.T, handle, email string) string {
	t.Helper()
	list, _, err := w.store.ListNotifications(w.ctx, w.agencyID, w.ids[handle], ah.Page{})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, n := range list {
		if email != "" && n.EmailStatus != email {
			t.Errorf("%s: %s email %s, want %s", handle, n.Kind, n.EmailStatus, email)
		}
		kinds = append(kinds, strings.TrimPrefix(n.Kind, "access_request."))
	}
	sort.Strings(kinds)
	return strings.Join(kinds, ",")
}

// TestRequestNotices: which change of a request tells whom (the notifications
// function calls NotifyRequestChange with the stream record's old and new image).
func TestRequestNotices(t *testing.T) {
	t.Parallel()
	ends := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	at := func(s ah.RequestStatus, mutate ...func(*ah.AccessRequest)) *ah.AccessRequest {
		r := &ah.AccessRequest{ID: "req_1", Status: s, IdentityType: ah.IdentityStandard, Justification: "j"}
		for _, m := range mutate {
			m(r)
		}
		return r
	}
	withEnd := func(r *ah.AccessRequest) { r.AccessEndsAt = &ends }
	noticed := func(r *ah.AccessRequest) { at := ends.Add(-time.Minute); r.EndNoticeSentAt = &at }
	ended := func(r *ah.AccessRequest) { r.History = []ah.RequestEvent{{Action: "access_ended"}} }
	reason := func(r *ah.AccessRequest) { r.Reason = "budget" }
	tests := []struct {
		name              string
		old, cur          *ah.AccessRequest
		reviewers, client string // kinds for owner+admin (each), for the requester
		bodyHas           string
	}{
		{"Submitted", nil, at(ah.RequestPending), "pending", "", ""},
		{"ApprovalRecorded", at(ah.RequestPending), at(ah.RequestPending), "", "", ""},
		{"Approved", at(ah.RequestPending), at(ah.RequestApproved, reason), "", "approved", "budget"},
		{"Provisioned", at(ah.RequestApproved), at(ah.RequestProvisioned, withEnd), "", "provisioned", "2026-12-01T12:00:00Z"},
		{"ApprovedOntoActiveIdentity", at(ah.RequestPending), at(ah.RequestProvisioned), "", "provisioned", ""},
		{"Rejected", at(ah.RequestPending), at(ah.RequestRejected, reason), "", "rejected", "Reason: budget"},
		{"Cancelled", at(ah.RequestPending), at(ah.RequestCancelled), "", "", ""},
		{"Expired", at(ah.RequestPending), at(ah.RequestExpired), "", "expired", "expired"},
		{"EndingSoon", at(ah.RequestProvisioned, withEnd), at(ah.RequestProvisioned, withEnd, noticed), "", "access_ending", "ends at"},
		{"Ended", at(ah.RequestProvisioned, withEnd), at(ah.RequestRevoked, withEnd, ended), "", "access_ended", "end time"},
		{"Revoked", at(ah.RequestProvisioned), at(ah.RequestRevoked, reason), "", "revoked", "Reason: budget"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			for _, r := range []*ah.AccessRequest{tt.old, tt.cur} {
				if r != nil {
					r.AgencyID, r.ClientID, r.RequesterID, r.UpdatedAt = w.agencyID, w.clientID, w.ids["clientUser"], w.clock.Now()
				}
			}
			if err := w.svc.NotifyRequestChange(w.ctx, tt.old, tt.cur); err != nil {
				t.Fatal(err)
			}
			for _, h := range []string{"owner", "admin"} {
				if got := w.notified(t, h, ah.EmailSent); got != tt.reviewers {
					t.Errorf("%s = %q, want %q", h, got, tt.reviewers)
				}
			}
			for _, h := range []string{"manager", "member", "outsider"} {
				if got := w.notified(t, h, ah.EmailSent); got != "" {
					t.Errorf("%s was notified: %s", h, got)
				}
			}
			if got := w.notified(t, "clientUser", ah.EmailSent); got != tt.client {
				t.Errorf("requester = %q, want %q", got, tt.client)
			}
			if tt.bodyHas != "" {
				list, _, _ := w.store.ListNotifications(w.ctx, w.agencyID, w.ids["clientUser"], ah.Page{})
				if len(list) != 1 || !strings.Contains(list[0].Body, tt.bodyHas) {
					t.Errorf("body does not say %q: %+v", tt.bodyHas, list)
				}
			}
			want := 0
			if tt.reviewers != "" {
				want += 2
			}
			if tt.client != "" {
				want++
			}
			if got := len(w.mail.Sent()); got != want {
				t.Errorf("%d emails, want %d", got, want)
			}
		})
	}
}

// TestNotificationRedelivery: an email that fails is recorded on its notification
// and reported, so the change is delivered again; the retry sends only what was
// not sent, and writes no second notification.
func TestNotificationRedelivery(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.submit("ads", ah.IdentityStandard)
	w.mail.FailNext = 1
	if err := w.svc.NotifyRequestChange(w.ctx, nil, &r); err == nil {
		t.Fatal("a failed email was not reported")
	}
	sent := len(w.mail.Sent())
	owner, admin := w.notified(t, "owner", ""), w.notified(t, "admin", "")
	if owner != "pending" || admin != "pending" || sent != 1 {
		t.Fatalf("owner %q admin %q, %d sent", owner, admin, sent)
	}
	if err := w.svc.NotifyRequestChange(w.ctx, nil, &r); err != nil {
		t.Fatal(err)
	}
	if w.notified(t, "owner", ah.EmailSent) != "pending" || w.notified(t, "admin", ah.EmailSent) != "pending" {
		t.Fatal("after redelivery not every notification is sent, once")
	}
	if len(w.mail.Sent()) != 2 || w.mail.Attempts() != 3 {
		t.Fatalf("%d sent in %d attempts, want 2 in 3", len(w.mail.Sent()), w.mail.Attempts())
	}
	if err := w.svc.NotifyRequestChange(w.ctx, nil, &r); err != nil || w.mail.Attempts() != 3 {
		t.Fatalf("a third delivery sent again (%v)", err)
	}
}

// TestDisabledReviewerNotNotified: a disabled owner or admin hears nothing.
func TestDisabledReviewerNotNotified(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	disabled := ah.MemberDisabled
	must(w.svc.UpdateMember(w.ctx, w.as("owner"), w.ids["admin"], ah.MemberPatch{Status: &disabled}, nil))
	r := w.submit("ads", ah.IdentityStandard)
	if err := w.svc.NotifyRequestChange(w.ctx, nil, &r); err != nil {
		t.Fatal(err)
	}
	if got := w.notified(t, "admin", ah.EmailSent); got != "" {
		t.Fatalf("disabled admin notified: %s", got)
	}
	if got := w.notified(t, "owner", ah.EmailSent); got != "pending" {
		t.Fatalf("owner = %s", got)
	}
}
