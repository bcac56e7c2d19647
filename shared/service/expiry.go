package service

import (
	"context"
	"fmt"
	"time"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// expiryActor is who the sweep writes as.
const expiryActor = "system:expiry"

// SweepResult is what one expiry sweep did.
type SweepResult struct {
	Read    int `json:"read"`    // pending requests past their expiry that the sweep read
	Expired int `json:"expired"` // requests it expired
	Raced   int `json:"raced"`   // requests reviewed or cancelled in the same instant (left alone)
	// Time-bound access: grants past their end read and ended, and end notices sent.
	GrantsRead  int `json:"grantsRead"`
	AccessEnded int `json:"accessEnded"`
	NoticesSent int `json:"noticesSent"`
	// Failed provisionings no admin retried within the agency's escalation time,
	// escalated to the client's technical contacts.
	Escalated int `json:"escalated"`
	// Reviewer reminders sent (each once per request and lead time).
	RemindersSent int `json:"remindersSent"`
	// Access reviews opened (due) and closed (past their deadline).
	ReviewsOpened int `json:"reviewsOpened"`
	ReviewsClosed int `json:"reviewsClosed"`
}

// ExpireRequests expires every pending request whose expiry is before now, then
// ends the time-bound access past its end and sends due end notices. It reads
// only the sparse index of pending requests, shard by shard and only past entries,
// so its cost follows what expired, not the table. Each request moves with a write
// conditioned on still being pending: a request approved in the same instant is
// never also expired, and a duplicate sweep changes nothing.
func (s *Service) ExpireRequests(ctx context.Context, now time.Time) (SweepResult, error) {
	var res SweepResult
	system := ah.Principal{MemberID: expiryActor}
	err := s.store.ExpiredPending(ctx, now, func(r ah.AccessRequest) error {
		res.Read++
		if r.Status != ah.RequestPending { // the index lags a concurrent review
			res.Raced++
			return nil
		}
		_, t := s.transition(system, r, ah.RequestExpired, "expired", "")
		t.LeavePending = true
		err := s.store.TransitionRequest(ctx, t)
		if ah.CodeOf(err) == ah.CodeRequestNotPending {
			res.Raced++
			return nil
		}
		if err != nil {
			return fmt.Errorf("expire request %s: %w", t.Request.ID, err)
		}
		res.Expired++
		return nil
	})
	s.count(ah.MetricRequestsExpired, res.Expired)
	if err != nil {
		return res, fmt.Errorf("expire requests: %w", err)
	}
	if err := s.endAccess(ctx, now, &res); err != nil {
		return res, err
	}
	if err := s.remind(ctx, now, &res); err != nil {
		return res, err
	}
	if err := s.openReviews(ctx, now, &res); err != nil {
		return res, fmt.Errorf("open reviews: %w", err)
	}
	if err := s.closeOverdueReviews(ctx, now, &res); err != nil {
		return res, fmt.Errorf("close reviews: %w", err)
	}
	return res, s.escalate(ctx, now, &res)
}

// remind marks the reviewer reminders that are due on their requests (the
// notifications function tells the reviewers). The planned items are a sparse
// index of their own, so the sweep reads only what is due; a reminder is marked
// once per request and lead time however often the sweep runs.
func (s *Service) remind(ctx context.Context, now time.Time, res *SweepResult) error {
	err := s.store.DueReminders(ctx, now, func(d ah.ReminderDue) error {
		sent, err := s.store.MarkReminderSent(ctx, d, now)
		if err != nil {
			return fmt.Errorf("remind %s: %w", d.RequestID, err)
		}
		if sent {
			res.RemindersSent++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("remind: %w", err)
	}
	return nil
}

// escalate marks the failed provisionings that waited their agency's escalation
// time without a retry; the notifications function tells the client's technical
// contacts (once: the mark takes the identity out of the index). Reads only the
// sparse index of failed identities past the shortest escalation time.
func (s *Service) escalate(ctx context.Context, now time.Time, res *SweepResult) error {
	settings := map[string]ah.Settings{}
	err := s.store.DueEscalations(ctx, now.Add(-ah.MinEscalationMinutes*time.Minute), func(i ah.ClientIdentity) error {
		st, ok := settings[i.AgencyID]
		if !ok {
			a, err := s.store.GetAgency(ctx, i.AgencyID)
			if err != nil {
				return fmt.Errorf("escalate %s: %w", i.ID, err)
			}
			st, settings[i.AgencyID] = a.Settings, a.Settings
		}
		if i.FailedAt == nil || now.Sub(*i.FailedAt) < st.EscalateAfter() {
			return nil
		}
		marked, err := s.store.MarkEscalated(ctx, i, now)
		if err != nil {
			return fmt.Errorf("escalate %s: %w", i.ID, err)
		}
		if marked {
			res.Escalated++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("escalate: %w", err)
	}
	return nil
}
