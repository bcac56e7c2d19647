package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/dynamo"
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
	for shard := range dynamo.PendingShards {
		page := dynamo.Page{Limit: 100}
		for {
			reqs, next, err := s.store.ExpiredPending(ctx, shard, now, page)
			if err != nil {
				return res, fmt.Errorf("expire requests, shard %d: %w", shard, err)
			}
			res.Read += len(reqs)
			for _, r := range reqs {
				if r.Status != ah.RequestPending { // the index lags a concurrent review
					res.Raced++
					continue
				}
				r, t := s.transition(system, r, ah.RequestExpired, "expired", "")
				t.LeavePending = true
				err := s.store.TransitionRequest(ctx, t)
				var e *ah.Error
				if errors.As(err, &e) && e.Code == ah.CodeRequestNotPending {
					res.Raced++
					continue
				}
				if err != nil {
					return res, fmt.Errorf("expire request %s: %w", r.ID, err)
				}
				res.Expired++
				s.notifyRequester(ctx, r, "expired", "Access request expired",
					"Your access request expired before it was reviewed. You can submit a new one; ask your agency owner to lengthen the window under Settings > Access Requests if this keeps happening.")
			}
			if len(next) == 0 {
				break
			}
			page.After = next
		}
	}
	return res, s.endAccess(ctx, now, &res)
}
