package service

import (
	"context"
	"fmt"
	"strings"
	"time"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// requestScope checks that the principal may see requests of the client: staff who
// see the client, or a client user of that client.
func requestScope(p ah.Principal, clientID string) error {
	if p.Role == ah.RoleClientUser {
		if p.ClientID != clientID {
			return ah.NotFound("client")
		}
		return nil
	}
	return clientScope(p, clientID)
}

// RequestStatusSynonyms are filter words the product documentation uses for a
// status: its Access Requests tab filters by "denied", which the API calls
// rejected (the canonical word, the one requests carry).
var RequestStatusSynonyms = map[string]ah.RequestStatus{"denied": ah.RequestRejected}

func parseRequestStatus(status string) (ah.RequestStatus, error) {
	if canonical, ok := RequestStatusSynonyms[status]; ok {
		return canonical, nil
	}
	if status != "" && !oneOf(status, ah.RequestStatuses) {
		var v ah.Validation
		v.Add("status", ah.FieldUnknown, "status must be one of %s (denied is accepted for rejected)", strings.Join(ah.RequestStatuses, ", "))
		return "", v.Err()
	}
	return ah.RequestStatus(status), nil
}

// SubmitRequest files a client user's request for access to a platform configured
// for their client. It is evaluated against the governance policy in force (copied
// onto the request): justification rules and the duration limit are checked now,
// the approval rule at review. A named role template supplies the identity type
// and default duration. It expires after the agency's window unless reviewed. One
// pending request per client, platform and requester (request_pending).
func (s *Service) SubmitRequest(ctx context.Context, p ah.Principal, clientID string, in ah.NewAccessRequestInput, idem *Idem) (Created[ah.AccessRequest], error) {
	if p.Role != ah.RoleClientUser || p.ClientID != clientID {
		return Created[ah.AccessRequest]{}, ah.NotFound("client")
	}
	if err := in.Validate(); err != nil {
		return Created[ah.AccessRequest]{}, err
	}
	sc, err := s.store.ReadSubmitContext(ctx, p.AgencyID, clientID, in.PlatformID, in.RoleTemplateID)
	if err != nil {
		return Created[ah.AccessRequest]{}, err
	}
	identityType, templateMinutes := in.IdentityType, 0
	if in.RoleTemplateID != "" {
		t := sc.Template
		var v ah.Validation
		switch {
		case t == nil:
			v.Add("roleTemplateId", ah.FieldUnknown, "no such role template in this agency")
		case sc.Platform != nil && sc.Platform.Kind != t.PlatformKind:
			v.Add("roleTemplateId", ah.FieldInvalid, "the template is for %s platforms; this platform is %s", t.PlatformKind, sc.Platform.Kind)
		case identityType != "" && identityType != t.IdentityType:
			v.Add("identityType", ah.FieldInvalid, "the template gives identityType %s", t.IdentityType)
		default:
			identityType, templateMinutes = t.IdentityType, t.DefaultDurationMinutes
		}
		if err := v.Err(); err != nil {
			return Created[ah.AccessRequest]{}, err
		}
	}
	pol, err := s.policyFor(ctx, sc.Agency, sc.Client.Governance, in.PlatformID, sc.Template)
	if err != nil {
		return Created[ah.AccessRequest]{}, err
	}
	if err := pol.CheckJustification(in.Justification, sc.Client.Governance.Compliance.RequireJustification); err != nil {
		return Created[ah.AccessRequest]{}, err
	}
	minutes, err := pol.GrantMinutes(in.DurationMinutes, templateMinutes)
	if err != nil {
		return Created[ah.AccessRequest]{}, err
	}
	now := s.clock.Now()
	r := ah.AccessRequest{ID: NewID("req"), AgencyID: p.AgencyID, ClientID: clientID, PlatformID: in.PlatformID,
		RequesterID: p.MemberID, RequesterName: p.Name, RequesterEmail: p.Email, IdentityType: identityType, Justification: strings.TrimSpace(in.Justification),
		Status: ah.RequestPending, ExpiresAt: now.Add(time.Duration(sc.Agency.Settings.AccessRequestExpiryMinutes) * time.Minute),
		Policy: pol, RoleTemplateID: in.RoleTemplateID, DurationMinutes: minutes, Approvals: []ah.Approval{},
		History: []ah.RequestEvent{{At: now, By: p.MemberID, ByName: p.Name, Action: "submitted", Status: ah.RequestPending}}}
	// Reviewer reminders the agency asks for, those that fall inside the window.
	for _, lead := range sc.Agency.Settings.ReminderLeadMinutes {
		if lead < sc.Agency.Settings.AccessRequestExpiryMinutes {
			r.ReminderLeads = append(r.ReminderLeads, lead)
		}
	}
	stampNew(&r.Meta, p.MemberID, "access_request.submit", now)
	res, err := create(p, now, idem, r, func(rec *ah.Idempotency) error { return s.store.CreateRequest(ctx, r, rec) })
	if err == nil && !res.Replayed {
		s.count(ah.MetricRequestsSubmitted, 1)
	}
	return res, missingField(err, func(*ah.MissingError) (string, string) {
		return "platformId", "the platform is not configured for this client"
	})
}

// ListRequests lists a client's requests; client users see only their own.
func (s *Service) ListRequests(ctx context.Context, p ah.Principal, clientID, status string, page ah.Page) ([]ah.AccessRequest, ah.Keys, error) {
	st, err := parseRequestStatus(status)
	if err != nil {
		return nil, nil, err
	}
	if err := requestScope(p, clientID); err != nil {
		return nil, nil, err
	}
	if p.Role == ah.RoleClientUser {
		return s.store.ListRequesterRequests(ctx, p.AgencyID, clientID, p.MemberID, st, page)
	}
	items, next, err := s.store.ListRequests(ctx, p.AgencyID, clientID, st, page)
	if err == nil {
		err = s.confirmClient(ctx, p, clientID, len(items) == 0 && len(page.After) == 0)
	}
	return items, next, err
}

// GetRequest reads one request with its history (one GetItem); client users only
// their own.
func (s *Service) GetRequest(ctx context.Context, p ah.Principal, clientID, requestID string) (ah.AccessRequest, error) {
	if err := requestScope(p, clientID); err != nil {
		return ah.AccessRequest{}, err
	}
	r, err := s.store.GetRequest(ctx, p.AgencyID, clientID, requestID)
	if err != nil {
		return r, err
	}
	if p.Role == ah.RoleClientUser && r.RequesterID != p.MemberID {
		return ah.AccessRequest{}, ah.NotFound("access request")
	}
	return r, nil
}

// transition moves a pending request to a new status with a history entry.
func (s *Service) transition(p ah.Principal, r ah.AccessRequest, to ah.RequestStatus, action, reason string) (ah.AccessRequest, ah.RequestTransition) {
	now := s.clock.Now()
	t := ah.RequestTransition{PrevVersion: r.Version, PrevStatus: r.Status}
	r.Status, r.Reason = to, reason
	r.History = append(r.History, ah.RequestEvent{At: now, By: p.MemberID, ByName: p.Name, Action: action, Status: to, Reason: reason})
	stampChange(&r.Meta, p.MemberID, "access_request."+action, now)
	t.Request = r
	return r, t
}

func notPending(r ah.AccessRequest) error {
	return &ah.Error{Kind: ah.KindConflict, Code: ah.CodeRequestNotPending, Current: r,
		Message: fmt.Sprintf("the request is %s, not pending", r.Status)}
}

// pendingRequest reads a request a reviewer may act on.
func (s *Service) pendingRequest(ctx context.Context, p ah.Principal, clientID, requestID string) (ah.AccessRequest, error) {
	r, err := s.GetRequest(ctx, p, clientID, requestID)
	if err != nil {
		return r, err
	}
	if r.Status != ah.RequestPending {
		return r, notPending(r)
	}
	return r, nil
}

// RejectRequest rejects a pending request with an optional reason the requester sees.
func (s *Service) RejectRequest(ctx context.Context, p ah.Principal, clientID, requestID string, in ah.ReviewInput) (ah.AccessRequest, error) {
	if err := in.Validate(); err != nil {
		return ah.AccessRequest{}, err
	}
	r, err := s.pendingRequest(ctx, p, clientID, requestID)
	if err != nil {
		return r, err
	}
	if r.RequesterID == p.MemberID {
		return ah.AccessRequest{}, ah.E(ah.KindForbidden, ah.CodeSelfApproval, "you cannot review your own request")
	}
	rules := rulesOf(r)
	if err := s.mayReview(ctx, p, r, rules); err != nil {
		return ah.AccessRequest{}, err
	}
	if ah.Blank(in.Reason) && rules.Audit.ReasonRequired {
		return ah.AccessRequest{}, ah.PolicyViolation("reason", ah.FieldRequired, "the policy this request was evaluated against requires a reason to reject")
	}
	r, t := s.transition(p, r, ah.RequestRejected, "rejected", strings.TrimSpace(in.Reason))
	t.LeavePending = true
	if err := s.store.TransitionRequest(ctx, t); err != nil {
		return ah.AccessRequest{}, err
	}
	return r, nil
}

// CancelRequest withdraws the requester's own pending request.
func (s *Service) CancelRequest(ctx context.Context, p ah.Principal, clientID, requestID string) (ah.AccessRequest, error) {
	r, err := s.pendingRequest(ctx, p, clientID, requestID)
	if err != nil {
		return r, err
	}
	if r.RequesterID != p.MemberID {
		return ah.AccessRequest{}, ah.Forbidden("only the requester can cancel a request")
	}
	r, t := s.transition(p, r, ah.RequestCancelled, "cancelled", "")
	t.LeavePending = true
	return r, s.store.TransitionRequest(ctx, t)
}

// rulesOf returns the rules a request was evaluated against (requests filed
// before governance existed carry none: the built-in rules).
func rulesOf(r ah.AccessRequest) ah.PolicyRules {
	if r.Policy.Source == "" {
		return ah.BuiltInRules()
	}
	return r.Policy.PolicyRules
}

// mayReview checks the reviewer against the rules the request was evaluated
// against (reading the client's owners only when the rules name them).
func (s *Service) mayReview(ctx context.Context, p ah.Principal, r ah.AccessRequest, rules ah.PolicyRules) error {
	var owners []string
	if rules.Approval.NeedsClientOwners() {
		c, err := s.store.GetClient(ctx, r.AgencyID, r.ClientID)
		if err != nil {
			return err
		}
		owners = c.Governance.ClientOwners
	}
	if !rules.Approval.MayApprove(p, r.ClientID, owners) {
		return errApproverRole(rules)
	}
	return nil
}

func errApproverRole(rules ah.PolicyRules) error {
	roles := make([]string, len(rules.Approval.ApproverRoles))
	for i, r := range rules.Approval.ApproverRoles {
		roles[i] = string(r)
	}
	return ah.E(ah.KindForbidden, ah.CodeApproverNotAllowed, "the policy this request was evaluated against lets only %s review it", strings.Join(roles, " and "))
}

// ApproveRequest records an approval of a pending request. Under a policy that
// needs several approvals, each comes from a different person (never the
// requester) in an allowed role, and the request stays pending until the last.
// The last approval grants access: with no dedicated identity for the client and
// platform yet, the identity is created (provisioning) in the same transaction and
// the provisioning execution starts; with an active one (or one deactivated when
// its last grant ended) the request is provisioned at once. The grant gets its end
// time now when the request has a duration. An identity still provisioning or
// failed answers identity_provisioning. Of racing final approvals exactly one wins.
func (s *Service) ApproveRequest(ctx context.Context, p ah.Principal, clientID, requestID string, in ah.ReviewInput) (ah.AccessRequest, error) {
	if err := in.Validate(); err != nil {
		return ah.AccessRequest{}, err
	}
	if s.workflows == nil {
		return ah.AccessRequest{}, ah.Internal("service.ApproveRequest", fmt.Errorf("no provisioning workflow configured"))
	}
	// Two approvers of a multi-approval request can race on the same version: the
	// loser reads again and adds its approval to the winner's.
	for attempt := 0; ; attempt++ {
		r, err := s.approveOnce(ctx, p, clientID, requestID, strings.TrimSpace(in.Reason))
		if e := ah.ErrorOf(err); e != nil && e.Code == ah.CodeRequestNotPending && e.Current == nil && attempt < 2 {
			continue // the write lost a race: read again (a read that finds it reviewed answers with Current)
		}
		return r, err
	}
}

func (s *Service) approveOnce(ctx context.Context, p ah.Principal, clientID, requestID, reason string) (ah.AccessRequest, error) {
	r, err := s.pendingRequest(ctx, p, clientID, requestID)
	if err != nil {
		return r, err
	}
	if r.RequesterID == p.MemberID {
		return ah.AccessRequest{}, ah.E(ah.KindForbidden, ah.CodeSelfApproval, "you cannot approve your own request")
	}
	rules := rulesOf(r)
	if err := s.mayReview(ctx, p, r, rules); err != nil {
		return ah.AccessRequest{}, err
	}
	for _, a := range r.Approvals {
		if a.By == p.MemberID {
			return ah.AccessRequest{}, &ah.Error{Kind: ah.KindConflict, Code: ah.CodeAlreadyApproved, Current: r,
				Message: fmt.Sprintf("you already approved this request; it needs %d approvals from different people", rules.Approval.RequiredApprovals)}
		}
	}
	now := s.clock.Now()
	approval := ah.Approval{By: p.MemberID, ByName: p.Name, Role: p.Role, At: now, Reason: reason}
	if len(r.Approvals)+1 < rules.Approval.RequiredApprovals {
		r, t := s.transition(p, r, ah.RequestPending, "approval_recorded", reason)
		r.Approvals = append(r.Approvals, approval)
		t.Request = r
		if err := s.store.TransitionRequest(ctx, t); err != nil {
			return ah.AccessRequest{}, err
		}
		return r, nil
	}
	existing, found, err := s.store.ClientIdentityFor(ctx, p.AgencyID, clientID, r.PlatformID)
	if err != nil {
		return ah.AccessRequest{}, err
	}
	if found && existing.Status != ah.IdentityActive && existing.Status != ah.IdentityDeactivated {
		// The identity may be this very request's, created by an approval that won
		// a race with this one: then the request is what cannot be approved.
		if cur, err := s.store.GetRequest(ctx, p.AgencyID, clientID, requestID); err == nil && cur.Status != ah.RequestPending {
			return ah.AccessRequest{}, notPending(cur)
		}
		return ah.AccessRequest{}, &ah.Error{Kind: ah.KindConflict, Code: ah.CodeIdentityProvisioning, Current: existing,
			Message: fmt.Sprintf("this client's identity on the platform is %s; approve once it is active, or retry its provisioning", existing.Status)}
	}
	r, t := s.transition(p, r, ah.RequestApproved, "approved", reason)
	r.Approvals = append(r.Approvals, approval)
	if r.DurationMinutes > 0 {
		end := r.UpdatedAt.Add(time.Duration(r.DurationMinutes) * time.Minute)
		r.AccessEndsAt = &end
	}
	grant := func(identityID string) *ah.NewGrant {
		return &ah.NewGrant{Grant: ah.AccessGrant{RequestID: r.ID, ClientID: r.ClientID, PlatformID: r.PlatformID, IdentityID: identityID,
			RequesterID: r.RequesterID, IdentityType: r.IdentityType, RoleTemplateID: r.RoleTemplateID, Policy: r.Policy,
			Approvals: r.Approvals, GrantedAt: r.UpdatedAt, EndsAt: r.AccessEndsAt}}
	}
	if found && existing.Status == ah.IdentityDeactivated && existing.Deprovisioning != nil {
		if existing.Deprovisioning.Status == ah.DeprovisioningRunning {
			return ah.AccessRequest{}, &ah.Error{Kind: ah.KindConflict, Code: ah.CodeIdentityProvisioning, Current: existing,
				Message: "this client's identity on the platform is being deprovisioned (its last grant ended); approve in a moment"}
		}
		return s.reprovision(ctx, p, r, t, approval, existing, grant(existing.ID))
	}
	if found {
		r.IdentityID = existing.ID
		// Onto the client's identity at once, if it is ready (a standard identity
		// still waiting for its credential keeps the request approved until then).
		ready := existing.IdentityType == ah.IdentityManaged || hasCredential(existing)
		if ready {
			r.Status = ah.RequestProvisioned
			r.History = append(r.History, ah.RequestEvent{At: r.UpdatedAt, By: p.MemberID, ByName: p.Name, Action: "provisioned", Status: ah.RequestProvisioned})
		}
		t.Request, t.LeavePending, t.Grant = r, true, grant(existing.ID)
		if existing.Status == ah.IdentityActive {
			t.Grant.CountOnIdentity = true
		} else { // deactivated when its last grant ended: active again, credentials kept
			prev := existing.Version
			existing.Status, existing.ActiveGrants = ah.IdentityActive, 1
			stampChange(&existing.Meta, p.MemberID, "identity.reactivate", r.UpdatedAt)
			t.Grant.Reactivate, t.Grant.ReactivatePrev = &existing, prev
		}
		if err := s.store.TransitionRequest(ctx, t); err != nil {
			return ah.AccessRequest{}, err
		}
		s.count(ah.MetricRequestsApproved, 1)
		if ready {
			s.count(ah.MetricRequestsProvisioned, 1)
		}
		return r, nil
	}
	idn := newClientIdentity(r, p.MemberID, r.UpdatedAt)
	idn.ActiveGrants = 1
	r.IdentityID = idn.ID
	t.Request, t.LeavePending, t.NewIdentity, t.Grant = r, true, &idn, grant(idn.ID)
	if err := s.store.TransitionRequest(ctx, t); err != nil {
		return ah.AccessRequest{}, err
	}
	s.count(ah.MetricRequestsApproved, 1)
	in2 := ah.StepInput{AgencyID: p.AgencyID, ClientID: clientID, IdentityID: idn.ID, RequestID: r.ID, Attempt: 1,
		Managed: r.IdentityType == ah.IdentityManaged, ResumeFrom: ah.StepPrepare}
	// The approval stands even if the execution does not start: the identity is
	// then failed at its first step, and Retry Provisioning starts it again.
	_ = s.startProvisioning(ctx, in2, idn.PlatformID)
	return r, nil
}

// reprovision grants a request on a managed identity whose Workspace user was
// deprovisioned when its last grant ended: the identity provisions again from its
// Workspace user (unsuspended, with a fresh password nobody has seen), and the
// request stays approved until it is active.
func (s *Service) reprovision(ctx context.Context, p ah.Principal, r ah.AccessRequest, t ah.RequestTransition, approval ah.Approval,
	existing ah.ClientIdentity, g *ah.NewGrant) (ah.AccessRequest, error) {
	r.IdentityID = existing.ID
	t.Request, t.LeavePending, t.Grant = r, true, g
	prev := existing.Version
	existing.Status, existing.ActiveGrants, existing.RequestID = ah.IdentityProvisioning, 1, r.ID
	existing.Provisioning.Attempt++
	resume := ah.StepWorkspaceUser
	for k, st := range existing.Provisioning.Steps {
		if st.Name != ah.StepPrepare && st.Status != ah.StepSkipped {
			existing.Provisioning.Steps[k].Status, existing.Provisioning.Steps[k].Error = ah.StepPending, ""
		}
	}
	stampChange(&existing.Meta, p.MemberID, "identity.reprovision", r.UpdatedAt)
	t.Grant.Reactivate, t.Grant.ReactivatePrev = &existing, prev
	if err := s.store.TransitionRequest(ctx, t); err != nil {
		return ah.AccessRequest{}, err
	}
	s.count(ah.MetricRequestsApproved, 1)
	in := ah.StepInput{AgencyID: p.AgencyID, ClientID: r.ClientID, IdentityID: existing.ID, RequestID: r.ID, Attempt: existing.Provisioning.Attempt,
		Managed: true, ResumeFrom: resume}
	_ = s.startProvisioning(ctx, in, existing.PlatformID)
	return r, nil
}

// startProvisioning starts a provisioning attempt. If the execution does not
// start, the attempt is marked failed at the step it was to start at (the client
// needs attention, and Retry Provisioning can start it again): an identity is
// never left provisioning with nothing running.
func (s *Service) startProvisioning(ctx context.Context, in ah.StepInput, platformID string) error {
	err := s.workflows.Start(ctx, ah.WorkflowProvisioning, in)
	if err == nil {
		return nil
	}
	s.log.ErrorContext(ctx, "start provisioning", "identityId", in.IdentityID, "attempt", in.Attempt, "error", err.Error())
	s.count(ah.MetricProvisioningFailures, 1)
	msg := "the provisioning execution did not start: " + err.Error()
	if merr := s.store.MarkFailed(ctx, in.AgencyID, in.ClientID, in.IdentityID, platformID, in.Attempt, in.ResumeFrom, msg, s.clock.Now()); merr != nil {
		s.log.ErrorContext(ctx, "mark provisioning failed", "identityId", in.IdentityID, "error", merr.Error())
	}
	return err
}

// newClientIdentity is the identity an approval creates, every step pending.
func newClientIdentity(r ah.AccessRequest, actor string, now time.Time) ah.ClientIdentity {
	i := ah.ClientIdentity{ID: NewID("idn"), AgencyID: r.AgencyID, ClientID: r.ClientID, PlatformID: r.PlatformID,
		IdentityType: r.IdentityType, Status: ah.IdentityProvisioning, CredentialStatus: ah.CredentialNone, RequestID: r.ID}
	i.Provisioning.Attempt = 1
	for _, name := range ah.ProvisioningSteps {
		st := ah.StepPending
		if name == ah.StepWorkspaceUser && r.IdentityType != ah.IdentityManaged {
			st = ah.StepSkipped
		}
		i.Provisioning.Steps = append(i.Provisioning.Steps, ah.ProvisioningStep{Name: name, Status: st})
	}
	stampNew(&i.Meta, actor, "identity.create", now)
	return i
}

// StuckAfter is how long an identity's provisioning may go without progress before
// Retry Provisioning may replace its attempt (the seed: "Use the Retry Provisioning
// button if it has been more than a minute").
const StuckAfter = time.Minute

// RetryProvisioning starts a new attempt for a failed identity, or for one whose
// provisioning has not moved for StuckAfter, at the step that failed or stalled:
// that step and the ones after it become pending again, earlier ones stay done.
// The execution name carries the new attempt number. A stalled attempt is fenced
// off in the same write (its later step writes find a newer attempt and change
// nothing) and its execution is stopped; the steps are idempotent, so one that was
// mid-call when stopped cannot duplicate the Workspace user, the credential or the
// requester's notification.
func (s *Service) RetryProvisioning(ctx context.Context, p ah.Principal, clientID, identityID string) (ah.ClientIdentity, error) {
	if err := clientScope(p, clientID); err != nil {
		return ah.ClientIdentity{}, err
	}
	i, err := s.store.GetClientIdentity(ctx, p.AgencyID, clientID, identityID)
	if err != nil {
		return i, err
	}
	now := s.clock.Now()
	stuck := i.Status == ah.IdentityProvisioning && now.Sub(i.UpdatedAt) >= StuckAfter
	if i.Status != ah.IdentityFailed && !stuck {
		msg := fmt.Sprintf("only a failed identity, or one whose provisioning has not moved for a minute, can be retried; this one is %s", i.Status)
		if i.Status == ah.IdentityProvisioning {
			msg = fmt.Sprintf("this identity's provisioning last moved at %s; retry it if nothing has moved by %s",
				i.UpdatedAt.Format(time.RFC3339), i.UpdatedAt.Add(StuckAfter).Format(time.RFC3339))
		}
		return ah.ClientIdentity{}, &ah.Error{Kind: ah.KindConflict, Code: ah.CodeIdentityProvisioning, Current: i, Message: msg}
	}
	retry := ah.ProvisioningRetry{PrevVersion: i.Version, Stuck: stuck, PrevAttempt: i.Provisioning.Attempt, PrevUpdatedAt: i.UpdatedAt,
		Now: now, Actor: p.MemberID}
	resume := ""
	for k, st := range i.Provisioning.Steps {
		if resume == "" && (st.Status == ah.StepFailed || st.Status == ah.StepPending || st.Status == ah.StepRunning) {
			resume = st.Name
		}
		if resume != "" && st.Status != ah.StepSkipped {
			i.Provisioning.Steps[k].Status = ah.StepPending
		}
	}
	if resume == "" {
		resume = ah.StepPrepare
	}
	i.Status = ah.IdentityProvisioning
	i.Provisioning.Attempt++
	action := "identity.retry"
	if stuck {
		action = "identity.retry_stuck"
	}
	stampChange(&i.Meta, p.MemberID, action, now)
	retry.Identity = i
	if err := s.store.RetryProvisioning(ctx, retry); err != nil {
		return ah.ClientIdentity{}, err
	}
	if stuck {
		if err := s.workflows.Stop(ctx, ah.WorkflowProvisioning, i.ID, retry.PrevAttempt); err != nil {
			// Fenced off already: the old execution can change nothing; it ends on its own.
			s.log.WarnContext(ctx, "stop a stuck provisioning", "identityId", i.ID, "attempt", retry.PrevAttempt, "error", err.Error())
		}
	}
	in := ah.StepInput{AgencyID: p.AgencyID, ClientID: clientID, IdentityID: i.ID, RequestID: i.RequestID,
		Attempt: i.Provisioning.Attempt, Managed: i.IdentityType == ah.IdentityManaged, ResumeFrom: resume}
	if err := s.startProvisioning(ctx, in, i.PlatformID); err != nil {
		return ah.ClientIdentity{}, &ah.Error{Kind: ah.KindUnavailable, Code: ah.CodeUnavailable, Err: err,
			Message: "the provisioning execution did not start; the identity is failed again and can be retried shortly"}
	}
	return i, nil
}

// ListNotifications lists the caller's notifications, newest first.
func (s *Service) ListNotifications(ctx context.Context, p ah.Principal, page ah.Page) ([]ah.Notification, ah.Keys, error) {
	return s.store.ListNotifications(ctx, p.AgencyID, p.MemberID, page)
}

// The notification inbox: read and unread, a count, mark one or all read. A
// member's notifications are one partition, read a page at a time.

// eachNotification calls fn for each of the caller's notifications, newest first.
func (s *Service) eachNotification(ctx context.Context, p ah.Principal, fn func(ah.Notification) (stop bool, err error)) error {
	page := ah.Page{Limit: 100}
	for {
		items, next, err := s.store.ListNotifications(ctx, p.AgencyID, p.MemberID, page)
		if err != nil {
			return err
		}
		for _, n := range items {
			if stop, err := fn(n); stop || err != nil {
				return err
			}
		}
		if len(next) == 0 {
			return nil
		}
		page.After = next
	}
}

// UnreadCount counts the caller's unread notifications.
func (s *Service) UnreadCount(ctx context.Context, p ah.Principal) (ah.UnreadCount, error) {
	var c ah.UnreadCount
	err := s.eachNotification(ctx, p, func(n ah.Notification) (bool, error) {
		if n.ReadAt == nil {
			c.Unread++
		}
		return false, nil
	})
	return c, err
}

// MarkNotificationRead marks one of the caller's notifications read (again: no
// change).
func (s *Service) MarkNotificationRead(ctx context.Context, p ah.Principal, id string) (ah.Notification, error) {
	var found *ah.Notification
	err := s.eachNotification(ctx, p, func(n ah.Notification) (bool, error) {
		if n.ID == id {
			found = &n
			return true, nil
		}
		return false, nil
	})
	if err != nil {
		return ah.Notification{}, err
	}
	if found == nil {
		return ah.Notification{}, ah.NotFound("notification")
	}
	if found.ReadAt != nil {
		return *found, nil
	}
	now := s.clock.Now()
	if _, err := s.store.MarkNotificationRead(ctx, *found, now); err != nil {
		return ah.Notification{}, err
	}
	found.ReadAt = &now
	return *found, nil
}

// MarkAllNotificationsRead marks every unread notification of the caller read.
func (s *Service) MarkAllNotificationsRead(ctx context.Context, p ah.Principal) (ah.MarkedRead, error) {
	var out ah.MarkedRead
	now := s.clock.Now()
	err := s.eachNotification(ctx, p, func(n ah.Notification) (bool, error) {
		if n.ReadAt != nil {
			return false, nil
		}
		ok, err := s.store.MarkNotificationRead(ctx, n, now)
		if ok {
			out.Marked++
		}
		return false, err
	})
	return out, err
}

// DecideRequests approves or rejects several pending requests of one client, each
// on its own with the one-by-one checks (roles, self-approval, quorum,
// offboarding): one refusal does not stop the rest, and each result says what
// happened to its request.
func (s *Service) DecideRequests(ctx context.Context, p ah.Principal, clientID string, in ah.BulkDecisionInput) ([]ah.DecisionResult, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if err := clientScope(p, clientID); err != nil {
		return nil, err
	}
	if ok, err := s.store.ClientExists(ctx, p.AgencyID, clientID); err != nil {
		return nil, err
	} else if !ok {
		return nil, ah.NotFound("client")
	}
	out := make([]ah.DecisionResult, 0, len(in.Decisions))
	for _, d := range in.Decisions {
		res := ah.DecisionResult{RequestID: d.RequestID, Action: d.Action}
		review := ah.ReviewInput{Reason: d.Reason}
		var r ah.AccessRequest
		if d.Action == ah.DecisionApprove {
			r, res.Err = s.ApproveRequest(ctx, p, clientID, d.RequestID, review)
		} else {
			r, res.Err = s.RejectRequest(ctx, p, clientID, d.RequestID, review)
		}
		if res.Err == nil {
			res.Request = &r
		} else if ah.KindOf(res.Err) == ah.KindInternal || ah.KindOf(res.Err) == ah.KindUnavailable {
			s.log.WarnContext(ctx, "bulk decision", "requestId", d.RequestID, "error", res.Err.Error())
		}
		out = append(out, res)
	}
	return out, nil
}
