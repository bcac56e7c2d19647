package memstore

import (
	"context"
	"time"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// DueReviews calls fn for each active client whose next review is due.
func (s *Store) DueReviews(_ context.Context, now time.Time, fn func(ah.Client) error) error {
	if err := s.enter("DueReviews"); err != nil {
		return err
	}
	var due []ah.Client
	for _, a := range s.agencies {
		for _, cd := range a.clients {
			if c := cd.client; c.Lifecycle == ah.ClientActive && c.NextReviewAt != nil && c.NextReviewAt.Before(now) {
				due = append(due, cloneClient(c))
			}
		}
	}
	s.mu.Unlock()
	for _, c := range due {
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

// OpenReview writes a campaign with its client's next review time, once.
func (s *Store) OpenReview(_ context.Context, c ah.ClientChange, r ah.ReviewCampaign) error {
	if err := s.enter("OpenReview"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	cd := s.client(c.Client.AgencyID, c.Client.ID)
	if cd == nil {
		return ah.NotFound("client")
	}
	if _, ok := s.reviews[r.ID]; ok {
		return nil
	}
	ct := s.clientTx(c.Client, c.PrevVersion)
	ct.t.apply(func() { s.reviews[r.ID] = clone(r) })
	return s.commit(nil, ct.t)
}

// GetReview reads one campaign.
func (s *Store) GetReview(_ context.Context, agencyID, clientID, reviewID string) (ah.ReviewCampaign, error) {
	if err := s.enter("GetReview"); err != nil {
		return ah.ReviewCampaign{}, err
	}
	defer s.mu.Unlock()
	r, ok := s.reviews[reviewID]
	if !ok || r.AgencyID != agencyID || r.ClientID != clientID {
		return ah.ReviewCampaign{}, ah.NotFound("access review")
	}
	return clone(r), nil
}

// ListReviews lists a client's campaigns, oldest first.
func (s *Store) ListReviews(_ context.Context, agencyID, clientID string, p ah.Page) ([]ah.ReviewCampaign, ah.Keys, error) {
	if err := s.enter("ListReviews"); err != nil {
		return nil, nil, err
	}
	defer s.mu.Unlock()
	var all []ah.ReviewCampaign
	for _, r := range s.reviews {
		if r.AgencyID == agencyID && r.ClientID == clientID {
			all = append(all, clone(r))
		}
	}
	out, next := page(all, func(r ah.ReviewCampaign) string { return r.ID }, p, false)
	return out, next, nil
}

// SaveReview writes a changed campaign at its previous version.
func (s *Store) SaveReview(_ context.Context, r ah.ReviewCampaign, prev int) error {
	if err := s.enter("SaveReview"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	cur, ok := s.reviews[r.ID]
	if !ok || cur.Version != prev {
		return errStale
	}
	s.reviews[r.ID] = clone(r)
	return nil
}

// OverdueReviews calls fn for each open campaign past its deadline.
func (s *Store) OverdueReviews(_ context.Context, now time.Time, fn func(ah.ReviewCampaign) error) error {
	if err := s.enter("OverdueReviews"); err != nil {
		return err
	}
	var due []ah.ReviewCampaign
	for _, r := range s.reviews {
		if r.Status == ah.ReviewOpen && r.Deadline.Before(now) {
			due = append(due, clone(r))
		}
	}
	s.mu.Unlock()
	for _, r := range due {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}
