package service

import (
	"context"
	"strings"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// offboardingActor is who offboarding steps write as.
const offboardingActor = "system:offboarding"

// ErrStaleOffboarding reports a step of an attempt that is no longer current.
var ErrStaleOffboarding = ah.Conflict(ah.CodeOffboarding, "this offboarding attempt is no longer current")

var errOffboardingRunning = ah.Conflict(ah.CodeOffboarding, "the client is being offboarded; it cannot change meanwhile")

// allPages collects every page of a list.
func allPages[T any](fn func(ah.Page) ([]T, ah.Keys, error)) ([]T, error) {
	var out []T
	page := ah.Page{Limit: 100}
	for {
		items, next, err := fn(page)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if len(next) == 0 {
			return out, nil
		}
		page.After = next
	}
}

// OffboardingPreview lists everything offboarding will revoke: the dedicated
// identities still in use, pending requests, configured platforms and the team
// (one Query of the client's partition).
func (s *Service) OffboardingPreview(ctx context.Context, p ah.Principal, clientID string) (ah.OffboardingPreview, error) {
	if err := offboardingScope(p, clientID); err != nil {
		return ah.OffboardingPreview{}, err
	}
	d, err := s.store.ReadClientAccess(ctx, p.AgencyID, clientID)
	if err != nil {
		return ah.OffboardingPreview{}, err
	}
	v := s.detailView(d)
	out := ah.OffboardingPreview{ClientID: clientID, ClientName: d.Client.Name, Identities: []ah.ClientIdentity{},
		PendingRequests: d.Pending, Platforms: v.Platforms, Team: v.Team, Offboarding: d.Client.Offboarding}
	if out.PendingRequests == nil {
		out.PendingRequests = []ah.PendingRequest{}
	}
	for _, i := range d.Identities {
		if i.Status != ah.IdentityDeactivated {
			out.Identities = append(out.Identities, i)
		}
	}
	return out, nil
}

// offboardingScope: owners and admins offboard any client, a client manager the
// clients they manage (manager on the team); staff who see the client otherwise
// are refused (403), others do not see it (404).
func offboardingScope(p ah.Principal, clientID string) error {
	if err := clientScope(p, clientID); err != nil {
		return err
	}
	if !p.ManagesClient(clientID) {
		return ah.Forbidden("only owners, admins and the client's managers (manager on its team) may offboard a client")
	}
	return nil
}

// ConfirmOffboarding starts offboarding once the caller repeats the client's name
// exactly. A failed offboarding is confirmed again to run a new attempt; every step
// is idempotent, so what was done stays done.
func (s *Service) ConfirmOffboarding(ctx context.Context, p ah.Principal, clientID string, in ah.ConfirmOffboardingInput) (ah.ClientView, error) {
	// A confirmation takes no If-Match: one that loses to another change of the
	// client (a grant ending, a retried identity) reads it again and confirms then.
	for attempt := 0; ; attempt++ {
		v, err := s.confirmOffboarding(ctx, p, clientID, in)
		if ah.CodeOf(err) == ah.CodeVersionConflict && attempt < 2 {
			continue
		}
		return v, err
	}
}

func (s *Service) confirmOffboarding(ctx context.Context, p ah.Principal, clientID string, in ah.ConfirmOffboardingInput) (ah.ClientView, error) {
	if err := offboardingScope(p, clientID); err != nil {
		return ah.ClientView{}, err
	}
	d, err := s.visibleClient(ctx, p, clientID)
	if err != nil {
		return ah.ClientView{}, err
	}
	if strings.TrimSpace(in.ConfirmName) != d.Client.Name {
		var v ah.Validation
		v.Add("confirmName", ah.CodeConfirmName, "type the client's name exactly as shown to confirm: %s", d.Client.Name)
		return ah.ClientView{}, v.Err()
	}
	if d.Client.Lifecycle == ah.ClientArchived {
		return ah.ClientView{}, errClientArchived
	}
	if o := d.Client.Offboarding; o != nil && o.Status == "running" {
		return ah.ClientView{}, errOffboardingRunning
	}
	c := d.Client
	prev := c.Version
	attempt := 1
	var steps []ah.ProvisioningStep
	if c.Offboarding != nil {
		attempt = c.Offboarding.Attempt + 1
		steps = c.Offboarding.Steps
	}
	// The steps of this version of offboarding, each as the last attempt left it
	// (an attempt recorded before a step was added gets it, pending).
	prevSteps := map[string]ah.ProvisioningStep{}
	for _, st := range steps {
		prevSteps[st.Name] = st
	}
	steps = nil
	for _, name := range ah.OffboardingSteps {
		st, ok := prevSteps[name]
		if !ok {
			st = ah.ProvisioningStep{Name: name, Status: ah.StepPending}
		}
		steps = append(steps, st)
	}
	for i := range steps {
		if steps[i].Status != ah.StepDone {
			steps[i].Status, steps[i].Error = ah.StepPending, ""
		}
	}
	now := s.clock.Now()
	c.Offboarding = &ah.Offboarding{Status: "running", Attempt: attempt, StartedAt: now, StartedBy: p.MemberID, Steps: steps}
	stampChange(&c.Meta, p.MemberID, "client.offboarding.start", now)
	if err := s.store.SaveOffboarding(ctx, ah.ClientChange{Client: c, PrevVersion: prev}); err != nil {
		// Lost to a concurrent confirmation: that one is the offboarding.
		if ah.CodeOf(err) == ah.CodeVersionConflict {
			if cur, gerr := s.store.GetClientDetail(ctx, p.AgencyID, clientID); gerr == nil && cur.Client.Offboarding != nil && cur.Client.Offboarding.Status == "running" {
				return ah.ClientView{}, errOffboardingRunning
			}
		}
		return ah.ClientView{}, err
	}
	if err := s.workflows.Start(ctx, ah.WorkflowOffboarding, ah.StepInput{AgencyID: p.AgencyID, ClientID: clientID, Attempt: attempt}); err != nil {
		return ah.ClientView{}, &ah.Error{Kind: ah.KindUnavailable, Code: ah.CodeUnavailable, Err: err,
			Message: "offboarding was recorded but did not start; confirm again shortly"}
	}
	d.Client = c
	return s.detailView(d), nil
}

// offboardingStep runs one step's work for the current attempt of a client's
// offboarding and records it on the client: running, then done (or the error).
// Every step can run again with the same effect; one already done is skipped.
func (s *Service) offboardingStep(name string, work func(ctx context.Context, in ah.StepInput) error) Step {
	return func(ctx context.Context, in ah.StepInput) (ah.StepOutput, error) {
		d, err := s.store.GetClientDetail(ctx, in.AgencyID, in.ClientID)
		if err != nil {
			return ah.StepOutput{}, err
		}
		o := d.Client.Offboarding
		if o == nil || o.Attempt != in.Attempt {
			return ah.StepOutput{}, stale(ErrStaleOffboarding)
		}
		idx := -1
		for i, st := range o.Steps {
			if st.Name == name {
				idx = i
			}
		}
		if idx < 0 {
			return ah.StepOutput{}, ah.Permanent("the offboarding has no step %q", name)
		}
		if o.Steps[idx].Status == ah.StepDone {
			return done(name), nil // a redelivered step that already ran
		}
		if err := s.recordOffboarding(ctx, d, func(c *ah.Client) {
			c.Offboarding.Steps[idx].Status = ah.StepRunning
			c.Offboarding.Steps[idx].Attempts++
		}, "client.offboarding.step"); err != nil {
			return ah.StepOutput{}, err
		}
		if err := work(ctx, in); err != nil {
			if d, rerr := s.store.GetClientDetail(ctx, in.AgencyID, in.ClientID); rerr == nil {
				_ = s.recordOffboarding(ctx, d, func(c *ah.Client) { c.Offboarding.Steps[idx].Error = err.Error() }, "client.offboarding.step")
			}
			return ah.StepOutput{}, err
		}
		if d, err = s.store.GetClientDetail(ctx, in.AgencyID, in.ClientID); err != nil {
			return ah.StepOutput{}, err
		}
		return done(name), s.recordOffboarding(ctx, d, func(c *ah.Client) {
			c.Offboarding.Steps[idx].Status, c.Offboarding.Steps[idx].Error = ah.StepDone, ""
			if name == ah.StepArchiveClient {
				c.Lifecycle, c.Offboarding.Status = ah.ClientArchived, "done"
			}
		}, "client.offboarding."+name)
	}
}

// markOffboardingFailed records the caught error on the running step; confirming
// the offboarding again runs a new attempt from there.
func (s *Service) markOffboardingFailed(ctx context.Context, in ah.StepInput) (ah.StepOutput, error) {
	d, err := s.store.GetClientDetail(ctx, in.AgencyID, in.ClientID)
	if err != nil {
		return ah.StepOutput{}, err
	}
	if o := d.Client.Offboarding; o == nil || o.Attempt != in.Attempt {
		return ah.StepOutput{}, stale(ErrStaleOffboarding)
	}
	return ah.StepOutput{Step: ah.StepMarkOffboardingFailed, Status: ah.StepDone}, s.recordOffboarding(ctx, d, func(c *ah.Client) {
		c.Offboarding.Status = "failed"
		// The error goes on the step that was running; when the failure came
		// before a step could record itself running (the function never started:
		// throttled, timed out at init), on the first step not done, as
		// provisioning does, so a failed offboarding always says why.
		for i := range c.Offboarding.Steps {
			if st := c.Offboarding.Steps[i].Status; st == ah.StepRunning || st == ah.StepPending {
				c.Offboarding.Steps[i].Status, c.Offboarding.Steps[i].Error = ah.StepFailed, in.Error.String()
				break
			}
		}
	}, "client.offboarding.fail")
}

func (s *Service) recordOffboarding(ctx context.Context, d ah.ClientDetail, change func(*ah.Client), action string) error {
	c := d.Client
	if c.Offboarding == nil {
		return ErrStaleOffboarding
	}
	prev := c.Version
	o := *c.Offboarding
	o.Steps = append([]ah.ProvisioningStep(nil), o.Steps...)
	c.Offboarding = &o
	change(&c)
	stampChange(&c.Meta, offboardingActor, action, s.clock.Now())
	return s.store.SaveOffboarding(ctx, ah.ClientChange{Client: c, PrevVersion: prev})
}

func (s *Service) clientIdentities(ctx context.Context, in ah.StepInput) ([]ah.ClientIdentity, error) {
	return allPages(func(pg ah.Page) ([]ah.ClientIdentity, ah.Keys, error) {
		return s.store.ListClientIdentities(ctx, in.AgencyID, in.ClientID, pg)
	})
}

// deactivateIdentities stops any provisioning still running (so a half-provisioned
// identity cannot come back) and deactivates every dedicated identity.
func (s *Service) deactivateIdentities(ctx context.Context, in ah.StepInput) error {
	idns, err := s.clientIdentities(ctx, in)
	if err != nil {
		return err
	}
	for _, i := range idns {
		if i.Status == ah.IdentityDeactivated {
			continue
		}
		if i.Status == ah.IdentityProvisioning {
			if err := s.workflows.Stop(ctx, ah.WorkflowProvisioning, i.ID, i.Provisioning.Attempt); err != nil {
				return err
			}
		}
		prev := i.Version
		i.Status = ah.IdentityDeactivated
		stampChange(&i.Meta, offboardingActor, "identity.deactivate", s.clock.Now())
		if err := s.store.UpdateClientIdentity(ctx, i, prev); err != nil {
			return err
		}
	}
	return nil
}

// rejectPendingRequests rejects what is still waiting for review.
func (s *Service) rejectPendingRequests(ctx context.Context, in ah.StepInput) error {
	system := ah.Principal{AgencyID: in.AgencyID, MemberID: offboardingActor}
	pending, err := allPages(func(pg ah.Page) ([]ah.AccessRequest, ah.Keys, error) {
		return s.store.ListRequests(ctx, in.AgencyID, in.ClientID, ah.RequestPending, pg)
	})
	if err != nil {
		return err
	}
	for _, r := range pending {
		_, t := s.transition(system, r, ah.RequestRejected, "rejected", "the client was offboarded")
		t.LeavePending = true
		if err := s.store.TransitionRequest(ctx, t); err != nil && ah.CodeOf(err) != ah.CodeRequestNotPending {
			return err
		}
	}
	return nil
}

// revokeAccess ends every live grant and marks the client's platforms revoked.
func (s *Service) revokeAccess(ctx context.Context, in ah.StepInput) error {
	d, err := s.store.GetClientDetail(ctx, in.AgencyID, in.ClientID)
	if err != nil {
		return err
	}
	for _, g := range d.Grants {
		r, err := s.store.GetRequest(ctx, in.AgencyID, in.ClientID, g.RequestID)
		if err != nil {
			return err
		}
		if _, err := s.endGrant(ctx, ah.Principal{MemberID: offboardingActor}, r, g, "revoked", "the client was offboarded"); err != nil {
			return err
		}
	}
	if len(d.Grants) > 0 { // the grants' ends changed the client
		if d, err = s.store.GetClientDetail(ctx, in.AgencyID, in.ClientID); err != nil {
			return err
		}
	}
	var revoked []ah.ClientPlatform
	for _, cp := range d.Platforms {
		if cp.ProvisioningStatus != "revoked" {
			cp.ProvisioningStatus = "revoked"
			revoked = append(revoked, cp)
		}
	}
	if len(revoked) == 0 {
		return nil
	}
	c := d.Client
	prev := c.Version
	stampChange(&c.Meta, offboardingActor, "client.access.revoke", s.clock.Now())
	return s.store.RevokeClientPlatforms(ctx, ah.ClientChange{Client: c, PrevVersion: prev}, revoked)
}

// suspendWorkspaceUsers suspends the client's managed Workspace users.
func (s *Service) suspendWorkspaceUsers(ctx context.Context, in ah.StepInput) error {
	idns, err := s.clientIdentities(ctx, in)
	if err != nil {
		return err
	}
	for _, i := range idns {
		if i.IdentityType != ah.IdentityManaged || i.Email == "" {
			continue
		}
		dir, err := s.directory(ctx)
		if err != nil {
			return err
		}
		if err := dir.Suspend(ctx, i.Email); err != nil {
			return err
		}
	}
	return nil
}

// deleteCredentials deletes the stored credentials (7-day recovery window).
func (s *Service) deleteCredentials(ctx context.Context, in ah.StepInput) error {
	idns, err := s.clientIdentities(ctx, in)
	if err != nil {
		return err
	}
	for _, i := range idns {
		if err := s.vault.Delete(ctx, ah.CredentialSecretName(i.AgencyID, i.ClientID, i.ID)); err != nil {
			return err
		}
		if i.CredentialStatus == ah.CredentialRevoked {
			continue
		}
		prev := i.Version
		i.CredentialStatus = ah.CredentialRevoked
		stampChange(&i.Meta, offboardingActor, "identity.credential.delete", s.clock.Now())
		if err := s.store.UpdateClientIdentity(ctx, i, prev); err != nil {
			return err
		}
	}
	return nil
}

// disableClientUsers disables the client's users: their sign-ins answer 403
// member_disabled from then on (within the principal cache's lifetime). They and
// the client's contacts hear of the offboarding from the notifications function.
func (s *Service) disableClientUsers(ctx context.Context, in ah.StepInput) error {
	users, err := s.clientUsers(ctx, in.AgencyID, in.ClientID)
	if err != nil {
		return err
	}
	for _, m := range users {
		if m.Status == ah.MemberDisabled {
			continue
		}
		prev := m.Version
		m.Status = ah.MemberDisabled
		stampChange(&m.Meta, offboardingActor, "member.disable", s.clock.Now())
		if err := s.store.UpdateMember(ctx, m, prev, 0); err != nil {
			return err
		}
	}
	return nil
}

// clientUsers lists a client's client users.
func (s *Service) clientUsers(ctx context.Context, agencyID, clientID string) ([]ah.Member, error) {
	all, err := allPages(func(pg ah.Page) ([]ah.Member, ah.Keys, error) { return s.store.ListMembers(ctx, agencyID, pg) })
	if err != nil {
		return nil, err
	}
	var out []ah.Member
	for _, m := range all {
		if m.Role == ah.RoleClientUser && m.ClientID == clientID {
			out = append(out, m)
		}
	}
	return out, nil
}

// archiveClient has no work of its own: the archive is written with the step's
// completion, in one write.
func (s *Service) archiveClient(context.Context, ah.StepInput) error { return nil }
