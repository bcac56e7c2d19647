package service

import (
	"context"
	"fmt"
	"strings"
	"time"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// Time-bound access. A fully approved request becomes a live grant (an item in the
// client partition); a grant with a duration carries its end on the sparse GSI3.
// The expiry sweep (every minute) ends grants past their end and tells requesters
// beforehand; an admin can revoke any grant early. Ending a grant is one
// transaction: the request becomes revoked, the grant goes, and the identity
// counts one grant less, deactivated with its last. docs/governance.md argues the
// choice of the sweep over a waiting state machine.

var errAccessNotActive = ah.Conflict(ah.CodeAccessNotActive, "the request has no live access to revoke (it is not approved or provisioned, or its access already ended)")

// RevokeAccess ends a request's live access early (owners and admins). A reason
// is required when the policy the request was evaluated against says so.
func (s *Service) RevokeAccess(ctx context.Context, p ah.Principal, clientID, requestID string, in ah.RevokeInput) (ah.AccessRequest, error) {
	if err := in.Validate(); err != nil {
		return ah.AccessRequest{}, err
	}
	r, err := s.GetRequest(ctx, p, clientID, requestID)
	if err != nil {
		return r, err
	}
	g, err := s.store.GetGrant(ctx, p.AgencyID, clientID, requestID)
	if ah.KindOf(err) == ah.KindNotFound {
		return ah.AccessRequest{}, &ah.Error{Kind: ah.KindConflict, Code: ah.CodeAccessNotActive, Message: errAccessNotActive.Message, Current: r}
	}
	if err != nil {
		return ah.AccessRequest{}, err
	}
	reason := strings.TrimSpace(in.Reason)
	if ah.Blank(reason) && r.Policy.Audit.ReasonRequired {
		return ah.AccessRequest{}, ah.PolicyViolation("reason", ah.FieldRequired, "the policy this request was evaluated against requires a reason to revoke access")
	}
	return s.endGrant(ctx, p, r, g, "revoked", reason)
}

// endGrant ends one live grant: request revoked (with a history entry), grant
// deleted, the client's facts forget its end, the identity's count drops and the
// identity is deactivated with its last grant. A concurrent change answers
// version_conflict; nothing is half done.
func (s *Service) endGrant(ctx context.Context, by ah.Principal, r ah.AccessRequest, g ah.AccessGrant, action, reason string) (ah.AccessRequest, error) {
	actor := by.MemberID
	if r.Status != ah.RequestApproved && r.Status != ah.RequestProvisioned {
		return r, errAccessNotActive
	}
	e := ah.GrantEnd{PrevVersion: r.Version, PrevStatus: r.Status, Grant: g}
	now := s.clock.Now()
	if g.IdentityID != "" {
		i, err := s.store.GetClientIdentity(ctx, r.AgencyID, r.ClientID, g.IdentityID)
		if err != nil {
			return r, err
		}
		e.IdentityGrants = i.ActiveGrants
		e.Deactivate = i.Status == ah.IdentityActive && i.ActiveGrants <= 1
		// Ended access must end where it is used: a managed identity's Workspace
		// user is suspended with its last grant (offboarding suspends every user
		// in its own step).
		if e.Deactivate && i.IdentityType == ah.IdentityManaged && i.Email != "" && actor != offboardingActor && s.workflows != nil {
			attempt := 1
			if i.Deprovisioning != nil {
				attempt = i.Deprovisioning.Attempt + 1
			}
			e.Deprovision = &ah.Deprovisioning{Attempt: attempt, Status: ah.DeprovisioningRunning, StartedAt: now}
		}
	}
	r.Status, r.Reason = ah.RequestRevoked, reason
	r.History = append(r.History, ah.RequestEvent{At: now, By: actor, ByName: by.Name, Action: action, Status: ah.RequestRevoked, Reason: reason})
	stampChange(&r.Meta, actor, "access_request."+action, now)
	e.Request = r
	if err := s.store.EndGrant(ctx, e); err != nil {
		return ah.AccessRequest{}, err
	}
	if d := e.Deprovision; d != nil {
		in := ah.StepInput{AgencyID: r.AgencyID, ClientID: r.ClientID, IdentityID: g.IdentityID, Attempt: d.Attempt, Managed: true,
			ResumeFrom: ah.StepDeprovisionWorkspaceUser}
		if err := s.workflows.Start(ctx, ah.WorkflowDeprovisioning, in); err != nil {
			// The access has ended either way; the identity shows the failure.
			s.log.ErrorContext(ctx, "start deprovisioning", "identityId", g.IdentityID, "error", err.Error())
			s.finishDeprovisioning(ctx, in, "the deprovisioning did not start: "+err.Error())
		}
	}
	return r, nil
}

// endAccess ends the grants past their end time and sends the notices that are
// due. Part of the expiry sweep; reads only the sparse index entries that are due.
func (s *Service) endAccess(ctx context.Context, now time.Time, res *SweepResult) error {
	err := s.store.EndedGrants(ctx, now, func(g ah.EndedGrant) error {
		res.GrantsRead++
		r, err := s.store.GetRequest(ctx, g.AgencyID, g.ClientID, g.RequestID)
		if err != nil {
			return fmt.Errorf("end access %s: %w", g.RequestID, err)
		}
		_, err = s.endGrant(ctx, ah.Principal{MemberID: expiryActor}, r, g.AccessGrant, "access_ended", "the access reached its end time")
		if code := ah.CodeOf(err); code == ah.CodeVersionConflict || code == ah.CodeAccessNotActive {
			res.Raced++ // revoked or changed in the same instant; the next sweep sees what is left
			return nil
		}
		if err != nil {
			return fmt.Errorf("end access %s: %w", g.RequestID, err)
		}
		res.AccessEnded++
		return nil
	})
	if err != nil {
		return fmt.Errorf("end access: %w", err)
	}
	return s.store.DueEndNotices(ctx, now, func(r ah.AccessRequest) error {
		if r.AccessEndsAt == nil || r.EndNoticeSentAt != nil {
			return nil
		}
		if err := s.store.MarkEndNoticeSent(ctx, r, now); err != nil {
			return fmt.Errorf("end notice %s: %w", r.ID, err)
		}
		res.NoticesSent++
		return nil
	})
}

// BreakGlass takes emergency access to one platform of a client without approval
// (owners, admins, and client managers managing the client): through the client's
// active identity on the platform, for at most the policy's break-glass limit,
// with a mandatory reason. The request is provisioned at once and flagged, its
// grant ends at its end time like any other (the sweep revokes it), every admin
// and the client's owners are told at once, and a post-hoc review stays open
// until an admin closes it. An agency can disable it per client.
func (s *Service) BreakGlass(ctx context.Context, p ah.Principal, clientID string, in ah.BreakGlassInput) (ah.AccessRequest, error) {
	if err := in.Validate(); err != nil {
		return ah.AccessRequest{}, err
	}
	if err := clientScope(p, clientID); err != nil {
		return ah.AccessRequest{}, err
	}
	if !p.ManagesClient(clientID) {
		return ah.AccessRequest{}, ah.Forbidden("only owners, admins and the client's managers (manager on its team) may take break-glass access")
	}
	sc, err := s.store.ReadSubmitContext(ctx, p.AgencyID, clientID, in.PlatformID, "")
	if err != nil {
		return ah.AccessRequest{}, err
	}
	if sc.Client.Governance.Compliance.BreakGlassDisabled {
		return ah.AccessRequest{}, ah.E(ah.KindForbidden, ah.CodeBreakGlassDisabled, "break-glass access is disabled for this client")
	}
	pol, err := s.policyFor(ctx, sc.Agency, sc.Client.Governance, in.PlatformID, nil)
	if err != nil {
		return ah.AccessRequest{}, err
	}
	limit := pol.Duration.BreakGlassLimit()
	minutes := in.DurationMinutes
	if minutes == 0 {
		minutes = limit
	}
	if minutes > limit {
		return ah.AccessRequest{}, ah.PolicyViolation("durationMinutes", ah.FieldOutRange, "the policy allows break-glass access for at most %d minutes", limit)
	}
	idn, found, err := s.store.ClientIdentityFor(ctx, p.AgencyID, clientID, in.PlatformID)
	if err != nil {
		return ah.AccessRequest{}, err
	}
	if !found || idn.Status != ah.IdentityActive {
		return ah.AccessRequest{}, &ah.Error{Kind: ah.KindConflict, Code: ah.CodeIdentityNotActive,
			Message: "break-glass access goes through the client's active identity on the platform, and there is none: request access instead"}
	}
	now := s.clock.Now()
	ends := now.Add(time.Duration(minutes) * time.Minute)
	reason := strings.TrimSpace(in.Reason)
	r := ah.AccessRequest{ID: NewID("req"), AgencyID: p.AgencyID, ClientID: clientID, PlatformID: in.PlatformID,
		RequesterID: p.MemberID, RequesterName: p.Name, RequesterEmail: p.Email, IdentityType: idn.IdentityType, Justification: reason,
		Status: ah.RequestProvisioned, IdentityID: idn.ID, ExpiresAt: now, Policy: pol, DurationMinutes: minutes, AccessEndsAt: &ends,
		Approvals: []ah.Approval{}, BreakGlass: true, PostReview: &ah.PostReview{Status: "open"},
		History: []ah.RequestEvent{{At: now, By: p.MemberID, ByName: p.Name, Action: "break_glass", Status: ah.RequestProvisioned, Reason: reason}}}
	stampNew(&r.Meta, p.MemberID, "access_request.break_glass", now)
	g := ah.NewGrant{CountOnIdentity: true, Grant: ah.AccessGrant{RequestID: r.ID, ClientID: clientID, PlatformID: in.PlatformID, IdentityID: idn.ID,
		RequesterID: p.MemberID, IdentityType: idn.IdentityType, Policy: pol, Approvals: []ah.Approval{}, GrantedAt: now, EndsAt: &ends, BreakGlass: true}}
	if err := s.store.CreateGrantedRequest(ctx, r, g); err != nil {
		return ah.AccessRequest{}, err
	}
	s.count(ah.MetricRequestsProvisioned, 1)
	return r, nil
}

// ClosePostReview closes a break-glass access's post-hoc review (owners and
// admins), with a note; once.
func (s *Service) ClosePostReview(ctx context.Context, p ah.Principal, clientID, requestID string, in ah.CloseReviewInput) (ah.AccessRequest, error) {
	if err := in.Validate(); err != nil {
		return ah.AccessRequest{}, err
	}
	r, err := s.GetRequest(ctx, p, clientID, requestID)
	if err != nil {
		return r, err
	}
	if !r.BreakGlass || r.PostReview == nil || r.PostReview.Status != "open" {
		return ah.AccessRequest{}, &ah.Error{Kind: ah.KindConflict, Code: ah.CodeReviewNotOpen, Current: r,
			Message: "the request has no open break-glass review"}
	}
	now := s.clock.Now()
	prev := r.Version
	r.PostReview = &ah.PostReview{Status: "closed", ClosedAt: &now, ClosedBy: p.MemberID, ClosedByName: p.Name, Note: strings.TrimSpace(in.Note)}
	r.History = append(r.History, ah.RequestEvent{At: now, By: p.MemberID, ByName: p.Name, Action: "review_closed", Status: r.Status, Reason: r.PostReview.Note})
	stampChange(&r.Meta, p.MemberID, "access_request.review_close", now)
	if err := s.store.TransitionRequest(ctx, ah.RequestTransition{Request: r, PrevVersion: prev, PrevStatus: r.Status}); err != nil {
		if ah.CodeOf(err) == ah.CodeRequestNotPending {
			return ah.AccessRequest{}, ah.Conflict(ah.CodeVersionConflict, "the request changed meanwhile; read it again")
		}
		return ah.AccessRequest{}, err
	}
	return r, nil
}
