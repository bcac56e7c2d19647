package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// Access reviews (recertification). The sweep opens a campaign for each client
// whose next review is due (a sparse index on the client item), with the client's
// live grants and linked agency identities as items; the client's owners (and
// owners and admins) keep or revoke each with a reason, revocations going through
// the same paths as a manual revoke or unlink; the sweep closes campaigns past
// their deadline, revoking or escalating what nobody decided.

const reviewActor = "system:reviews"

// reviewIDFor is a campaign's id: one per client and due time, so a redelivered
// sweep opens nothing twice.
func reviewIDFor(clientID string, due time.Time) string {
	return "rev_" + strings.TrimPrefix(clientID, "cli_") + "-" + due.UTC().Format("20060102T150405")
}

// openReviews opens the campaigns that are due.
func (s *Service) openReviews(ctx context.Context, now time.Time, res *SweepResult) error {
	return s.store.DueReviews(ctx, now, func(c ah.Client) error {
		comp := c.Governance.Compliance
		if c.NextReviewAt == nil || comp.AccessReviewEveryDays == 0 || c.Offboarding != nil {
			return nil
		}
		d, err := s.store.GetClientDetail(ctx, c.AgencyID, c.ID)
		if err != nil {
			return fmt.Errorf("open review of %s: %w", c.ID, err)
		}
		due := *c.NextReviewAt
		deadlineDays := comp.ReviewDeadlineDays
		if deadlineDays == 0 {
			deadlineDays = ah.DefaultReviewDeadlineDays
		}
		action := comp.UnreviewedAction
		if action == "" {
			action = "escalate"
		}
		r := ah.ReviewCampaign{ID: reviewIDFor(c.ID, due), AgencyID: c.AgencyID, ClientID: c.ID, OpenedAt: now,
			Deadline: now.Add(time.Duration(deadlineDays) * 24 * time.Hour), Status: ah.ReviewOpen, UnreviewedAction: action, Items: []ah.ReviewItem{}}
		for _, g := range d.Grants {
			r.Items = append(r.Items, ah.ReviewItem{ID: "grant-" + g.RequestID, Kind: ah.ReviewItemGrant, RequestID: g.RequestID,
				IdentityID: g.IdentityID, PrincipalID: g.RequesterID, PlatformID: g.PlatformID})
		}
		for _, l := range d.Links {
			r.Items = append(r.Items, ah.ReviewItem{ID: "link-" + l.IdentityID, Kind: ah.ReviewItemLink, IdentityID: l.IdentityID, PrincipalID: l.IdentityID})
		}
		stampNew(&r.Meta, reviewActor, "review.open", now)
		next := due.Add(time.Duration(comp.AccessReviewEveryDays) * 24 * time.Hour)
		if !next.After(now) {
			next = now.Add(time.Duration(comp.AccessReviewEveryDays) * 24 * time.Hour)
		}
		ch := ah.ClientChange{Client: d.Client, PrevVersion: d.Client.Version}
		ch.Client.NextReviewAt = &next
		stampChange(&ch.Client.Meta, reviewActor, "client.review.open", now)
		if err := s.store.OpenReview(ctx, ch, r); err != nil {
			if ah.CodeOf(err) == ah.CodeVersionConflict {
				return nil // the client changed in the same instant: the next sweep opens it
			}
			return fmt.Errorf("open review of %s: %w", c.ID, err)
		}
		res.ReviewsOpened++
		return nil
	})
}

// closeOverdueReviews closes campaigns past their deadline: undecided items are
// revoked or escalated, as the client's compliance says.
func (s *Service) closeOverdueReviews(ctx context.Context, now time.Time, res *SweepResult) error {
	system := ah.Principal{MemberID: reviewActor, Name: "Access review"}
	return s.store.OverdueReviews(ctx, now, func(r ah.ReviewCampaign) error {
		prev := r.Version
		for k, it := range r.Items {
			if it.Decision != "" {
				continue
			}
			decision := ah.ReviewEscalated
			if r.UnreviewedAction == "revoke" {
				if err := s.revokeItem(ctx, system, r, it, "not reviewed by the deadline"); err != nil {
					return fmt.Errorf("close review %s: %w", r.ID, err)
				}
				decision = ah.ReviewRevokedUnreviewed
			}
			at := now
			r.Items[k].Decision, r.Items[k].DecidedAt, r.Items[k].DecidedBy = decision, &at, reviewActor
		}
		r.Status = ah.ReviewClosed
		stampChange(&r.Meta, reviewActor, "review.close", now)
		if err := s.store.SaveReview(ctx, r, prev); err != nil {
			if ah.CodeOf(err) == ah.CodeVersionConflict {
				return nil // decided meanwhile: the next sweep sees what is left
			}
			return err
		}
		res.ReviewsClosed++
		return nil
	})
}

// revokeItem ends what a review item names, through the normal paths: a grant's
// end (request revoked, identity deactivated with its last grant, Workspace user
// deprovisioned) or an identity's unlink. Access that ended already is fine.
func (s *Service) revokeItem(ctx context.Context, p ah.Principal, r ah.ReviewCampaign, it ah.ReviewItem, reason string) error {
	switch it.Kind {
	case ah.ReviewItemGrant:
		req, err := s.store.GetRequest(ctx, r.AgencyID, r.ClientID, it.RequestID)
		if err != nil {
			return err
		}
		g, err := s.store.GetGrant(ctx, r.AgencyID, r.ClientID, it.RequestID)
		if ah.KindOf(err) == ah.KindNotFound {
			return nil // ended already (a manual revoke, its end time)
		}
		if err != nil {
			return err
		}
		_, err = s.endGrant(ctx, p, req, g, "revoked", reason)
		if code := ah.CodeOf(err); code == ah.CodeAccessNotActive || code == ah.CodeVersionConflict {
			if _, gerr := s.store.GetGrant(ctx, r.AgencyID, r.ClientID, it.RequestID); ah.KindOf(gerr) == ah.KindNotFound {
				return nil // a concurrent revoke ended it: the same outcome
			}
		}
		return err
	case ah.ReviewItemLink:
		d, err := s.store.GetClientDetail(ctx, r.AgencyID, r.ClientID)
		if err != nil {
			return err
		}
		for _, l := range d.Links {
			if l.IdentityID == it.IdentityID {
				ch := ah.ClientChange{Client: d.Client, PrevVersion: d.Client.Version}
				stampChange(&ch.Client.Meta, p.MemberID, "client.identity.unlink", s.clock.Now())
				return s.store.DeleteIdentityLink(ctx, ch, it.IdentityID)
			}
		}
		return nil
	}
	return ah.Internal("service.revokeItem", fmt.Errorf("unknown review item kind %q", it.Kind))
}

// ListReviews lists a client's access reviews (the Governance tab).
func (s *Service) ListReviews(ctx context.Context, p ah.Principal, clientID string, page ah.Page) ([]ah.ReviewCampaign, ah.Keys, error) {
	if err := clientScope(p, clientID); err != nil {
		return nil, nil, err
	}
	items, next, err := s.store.ListReviews(ctx, p.AgencyID, clientID, page)
	if err == nil {
		err = s.confirmClient(ctx, p, clientID, len(items) == 0 && len(page.After) == 0)
	}
	return items, next, err
}

// GetReview reads one access review.
func (s *Service) GetReview(ctx context.Context, p ah.Principal, clientID, reviewID string) (ah.ReviewCampaign, error) {
	if err := clientScope(p, clientID); err != nil {
		return ah.ReviewCampaign{}, err
	}
	return s.store.GetReview(ctx, p.AgencyID, clientID, reviewID)
}

// DecideReviewItem keeps or revokes one item of an open review (the client's
// owners, owners and admins), with a reason; a revoke goes through the normal
// revoke or unlink path. The campaign closes with its last decision.
func (s *Service) DecideReviewItem(ctx context.Context, p ah.Principal, clientID, reviewID, itemID string, in ah.ReviewDecisionInput) (ah.ReviewCampaign, error) {
	if err := in.Validate(); err != nil {
		return ah.ReviewCampaign{}, err
	}
	if err := clientScope(p, clientID); err != nil {
		return ah.ReviewCampaign{}, err
	}
	c, err := s.store.GetClient(ctx, p.AgencyID, clientID)
	if err != nil {
		return ah.ReviewCampaign{}, err
	}
	if !p.SeesAllClients() && !slices.Contains(c.Governance.ClientOwners, p.MemberID) {
		return ah.ReviewCampaign{}, ah.Forbidden("access reviews are decided by the client's owners, owners and admins")
	}
	r, err := s.store.GetReview(ctx, p.AgencyID, clientID, reviewID)
	if err != nil {
		return r, err
	}
	idx := slices.IndexFunc(r.Items, func(it ah.ReviewItem) bool { return it.ID == itemID })
	if idx < 0 {
		return ah.ReviewCampaign{}, ah.NotFound("review item")
	}
	if r.Status != ah.ReviewOpen || r.Items[idx].Decision != "" {
		return ah.ReviewCampaign{}, &ah.Error{Kind: ah.KindConflict, Code: ah.CodeReviewNotOpen, Current: r,
			Message: "the review is closed or the item decided already"}
	}
	reason := strings.TrimSpace(in.Reason)
	if in.Decision == ah.ReviewRevoke {
		if err := s.revokeItem(ctx, p, r, r.Items[idx], "access review: "+reason); err != nil {
			return ah.ReviewCampaign{}, err
		}
	}
	now := s.clock.Now()
	prev := r.Version
	r.Items[idx].Decision, r.Items[idx].Reason, r.Items[idx].DecidedBy, r.Items[idx].DecidedByName, r.Items[idx].DecidedAt =
		in.Decision, reason, p.MemberID, p.Name, &now
	if !slices.ContainsFunc(r.Items, func(it ah.ReviewItem) bool { return it.Decision == "" }) {
		r.Status = ah.ReviewClosed
	}
	stampChange(&r.Meta, p.MemberID, "review.decide", now)
	if err := s.store.SaveReview(ctx, r, prev); err != nil {
		return ah.ReviewCampaign{}, err
	}
	return r, nil
}

// NotifyReviewChange tells people about a campaign: the reviewers (the client's
// owners, else the agency's owners and admins) when it opens, the agency's owners
// and admins when it closes with items escalated to them.
func (s *Service) NotifyReviewChange(ctx context.Context, old, cur *ah.ReviewCampaign) error {
	var n clientNotice
	var owners bool // to the client's owners (when it has any) rather than admins
	switch {
	case old == nil && cur.Status == ah.ReviewOpen:
		n = clientNotice{kind: "opened", title: "An access review is waiting for you",
			body: fmt.Sprintf("Review %d live grants and linked identities of the client by %s: keep or revoke each.", len(cur.Items), cur.Deadline.Format(time.RFC3339))}
		owners = true
	case old != nil && old.Status == ah.ReviewOpen && cur.Status == ah.ReviewClosed &&
		slices.ContainsFunc(cur.Items, func(it ah.ReviewItem) bool { return it.Decision == ah.ReviewEscalated }):
		n = clientNotice{kind: "escalated", title: "Access review items need an admin",
			body: "An access review reached its deadline with items nobody decided; they are escalated to you: keep or revoke that access."}
	default:
		return nil
	}
	members, err := allPages(func(pg ah.Page) ([]ah.Member, ah.Keys, error) { return s.store.ListMembers(ctx, cur.AgencyID, pg) })
	if err != nil {
		return err
	}
	var clientOwners []string
	if owners {
		c, err := s.store.GetClient(ctx, cur.AgencyID, cur.ClientID)
		if err != nil {
			return err
		}
		clientOwners = c.Governance.ClientOwners
	}
	var failed []error
	for _, m := range members {
		if m.Status == ah.MemberDisabled {
			continue
		}
		if len(clientOwners) > 0 && !slices.Contains(clientOwners, m.ID) {
			continue
		}
		if len(clientOwners) == 0 && m.Role != ah.RoleOwner && m.Role != ah.RoleAdmin {
			continue
		}
		note := ah.Notification{ID: "ntf_" + cur.ID + "-" + n.kind + "-" + m.ID, AgencyID: cur.AgencyID, MemberID: m.ID, Kind: "access_review." + n.kind,
			Title: n.title, Body: n.body, ClientID: cur.ClientID, CreatedAt: cur.UpdatedAt}
		if err := s.deliver(ctx, m, note); err != nil {
			failed = append(failed, err)
		}
	}
	return errors.Join(failed...)
}
