package service

import (
	"context"
	"errors"
	"fmt"
	"strings"

	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/dynamo"
)

// offboardingActor is who offboarding steps write as.
const offboardingActor = "system:offboarding"

// ErrStaleOffboarding reports a step of an attempt that is no longer current.
var ErrStaleOffboarding = ah.Conflict(ah.CodeOffboarding, "this offboarding attempt is no longer current")

var errOffboardingRunning = ah.Conflict(ah.CodeOffboarding, "the client is being offboarded; it cannot change meanwhile")

// allPages collects every page of a list.
func allPages[T any](fn func(dynamo.Page) ([]T, dynamo.Keys, error)) ([]T, error) {
	var out []T
	page := dynamo.Page{Limit: 100}
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
// identities still in use, pending requests, configured platforms and the team.
func (s *Service) OffboardingPreview(ctx context.Context, p ah.Principal, clientID string) (ah.OffboardingPreview, error) {
	d, err := s.visibleClient(ctx, p, clientID)
	if err != nil {
		return ah.OffboardingPreview{}, err
	}
	idns, err := allPages(func(pg dynamo.Page) ([]ah.ClientIdentity, dynamo.Keys, error) {
		return s.store.ListClientIdentities(ctx, p.AgencyID, clientID, pg)
	})
	if err != nil {
		return ah.OffboardingPreview{}, err
	}
	pending, err := allPages(func(pg dynamo.Page) ([]ah.AccessRequest, dynamo.Keys, error) {
		return s.store.ListRequests(ctx, p.AgencyID, clientID, ah.RequestPending, pg)
	})
	if err != nil {
		return ah.OffboardingPreview{}, err
	}
	v := s.detailView(d)
	out := ah.OffboardingPreview{ClientID: clientID, ClientName: d.Client.Name, Identities: []ah.ClientIdentity{},
		PendingRequests: pending, Platforms: v.Platforms, Team: v.Team, Offboarding: d.Client.Offboarding}
	if out.PendingRequests == nil {
		out.PendingRequests = []ah.AccessRequest{}
	}
	for _, i := range idns {
		if i.Status != ah.IdentityDeactivated {
			out.Identities = append(out.Identities, i)
		}
	}
	return out, nil
}

// ConfirmOffboarding starts offboarding once the caller repeats the client's name
// exactly. A failed offboarding is confirmed again to run a new attempt; every step
// is idempotent, so what was done stays done.
func (s *Service) ConfirmOffboarding(ctx context.Context, p ah.Principal, clientID string, in ah.ConfirmOffboardingInput) (ah.ClientView, error) {
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
	if steps == nil {
		for _, name := range ah.OffboardingSteps {
			steps = append(steps, ah.ProvisioningStep{Name: name, Status: ah.StepPending})
		}
	}
	for i := range steps {
		if steps[i].Status != ah.StepDone {
			steps[i].Status, steps[i].Error = ah.StepPending, ""
		}
	}
	now := s.clock.Now()
	c.Offboarding = &ah.Offboarding{Status: "running", Attempt: attempt, StartedAt: now, StartedBy: p.MemberID, Steps: steps}
	stampChange(&c.Meta, p.MemberID, "client.offboarding.start", now)
	if err := s.store.WriteClient(ctx, dynamo.ClientWrite{Client: c, PrevVersion: prev, PrevName: c.Name, Actor: p.MemberID, Action: "client.offboarding.start"}, nil); err != nil {
		return ah.ClientView{}, err
	}
	if err := s.workflows.StartOffboarding(ctx, OffboardingInput{AgencyID: p.AgencyID, ClientID: clientID, Attempt: attempt}); err != nil {
		return ah.ClientView{}, &ah.Error{Kind: ah.KindUnavailable, Code: ah.CodeUnavailable, Err: err,
			Message: "offboarding was recorded but did not start; confirm again shortly"}
	}
	d.Client = c
	return s.detailView(d), nil
}

// OffboardingStepInput is what the offboarding function receives.
type OffboardingStepInput struct {
	Step     string `json:"step"`
	AgencyID string `json:"agencyId"`
	ClientID string `json:"clientId"`
	Attempt  int    `json:"attempt"`
	Error    *struct {
		Error string `json:"Error"`
		Cause string `json:"Cause"`
	} `json:"error,omitempty"`
}

// RunOffboardingStep runs one step of a client's offboarding and records it on
// the client. Every step can run again with the same effect.
func (s *Service) RunOffboardingStep(ctx context.Context, in OffboardingStepInput) error {
	d, err := s.store.GetClientDetail(ctx, in.AgencyID, in.ClientID)
	if err != nil {
		return err
	}
	o := d.Client.Offboarding
	if o == nil || o.Attempt != in.Attempt {
		return ErrStaleOffboarding
	}
	if in.Step == "mark_failed" {
		cause := "unknown error"
		if in.Error != nil {
			cause = in.Error.Error + ": " + in.Error.Cause
		}
		return s.recordOffboarding(ctx, d, func(o *ah.Offboarding) {
			o.Status = "failed"
			for i := range o.Steps {
				if o.Steps[i].Status == ah.StepRunning {
					o.Steps[i].Status, o.Steps[i].Error = ah.StepFailed, cause
				}
			}
		}, "client.offboarding.fail")
	}
	idx := -1
	for i, st := range o.Steps {
		if st.Name == in.Step {
			idx = i
		}
	}
	if idx < 0 {
		return fmt.Errorf("unknown offboarding step %q", in.Step)
	}
	if o.Steps[idx].Status == ah.StepDone {
		return nil // a redelivered step that already ran
	}
	if err := s.recordOffboarding(ctx, d, func(o *ah.Offboarding) {
		o.Steps[idx].Status = ah.StepRunning
		o.Steps[idx].Attempts++
	}, "client.offboarding.step"); err != nil {
		return err
	}
	if err := s.offboardingStep(ctx, in); err != nil {
		d, _ = s.store.GetClientDetail(ctx, in.AgencyID, in.ClientID)
		_ = s.recordOffboarding(ctx, d, func(o *ah.Offboarding) { o.Steps[idx].Error = err.Error() }, "client.offboarding.step")
		return err
	}
	d, err = s.store.GetClientDetail(ctx, in.AgencyID, in.ClientID)
	if err != nil {
		return err
	}
	if in.Step == "archive_client" {
		d.Client.Lifecycle = ah.ClientArchived
	}
	return s.recordOffboarding(ctx, d, func(o *ah.Offboarding) {
		o.Steps[idx].Status, o.Steps[idx].Error = ah.StepDone, ""
		if in.Step == "archive_client" {
			o.Status = "done"
		}
	}, "client.offboarding."+in.Step)
}

func (s *Service) recordOffboarding(ctx context.Context, d dynamo.ClientDetail, change func(*ah.Offboarding), action string) error {
	c := d.Client
	if c.Offboarding == nil {
		return ErrStaleOffboarding
	}
	prev := c.Version
	change(c.Offboarding)
	stampChange(&c.Meta, offboardingActor, action, s.clock.Now())
	return s.store.WriteClient(ctx, dynamo.ClientWrite{Client: c, PrevVersion: prev, PrevName: c.Name, Actor: offboardingActor, Action: action}, nil)
}

// offboardingStep does the work of one step.
func (s *Service) offboardingStep(ctx context.Context, in OffboardingStepInput) error {
	system := ah.Principal{AgencyID: in.AgencyID, MemberID: offboardingActor}
	idns, err := allPages(func(pg dynamo.Page) ([]ah.ClientIdentity, dynamo.Keys, error) {
		return s.store.ListClientIdentities(ctx, in.AgencyID, in.ClientID, pg)
	})
	if err != nil {
		return err
	}
	switch in.Step {
	case "deactivate_identities":
		for _, i := range idns {
			if i.Status == ah.IdentityDeactivated {
				continue
			}
			if i.Status == ah.IdentityProvisioning {
				if err := s.workflows.StopProvisioning(ctx, i.ID, i.Provisioning.Attempt); err != nil {
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
	case "reject_pending_requests":
		pending, err := allPages(func(pg dynamo.Page) ([]ah.AccessRequest, dynamo.Keys, error) {
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
	case "revoke_access":
		d, err := s.store.GetClientDetail(ctx, in.AgencyID, in.ClientID)
		if err != nil {
			return err
		}
		for _, g := range d.Grants {
			r, err := s.store.GetRequest(ctx, in.AgencyID, in.ClientID, g.RequestID)
			if err != nil {
				return err
			}
			if _, err := s.endGrant(ctx, offboardingActor, r, g, "revoked", "the client was offboarded"); err != nil {
				return err
			}
		}
		if len(d.Grants) > 0 { // the grants' ends changed the client
			if d, err = s.store.GetClientDetail(ctx, in.AgencyID, in.ClientID); err != nil {
				return err
			}
		}
		c := d.Client
		prev := c.Version
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
		stampChange(&c.Meta, offboardingActor, "client.access.revoke", s.clock.Now())
		return s.store.WriteClient(ctx, dynamo.ClientWrite{Client: c, PrevVersion: prev, PrevName: c.Name, Actor: offboardingActor,
			Action: "client.access.revoke", PutPlatforms: revoked}, nil)
	case "suspend_workspace_users":
		for _, i := range idns {
			if i.IdentityType != ah.IdentityManaged || i.Email == "" {
				continue
			}
			ws, err := s.workspace(ctx)
			if err != nil {
				return err
			}
			if ws == nil {
				return errors.New("google Workspace is not connected; managed users cannot be suspended")
			}
			if err := ws.Suspend(ctx, i.Email); err != nil {
				return err
			}
		}
	case "delete_credentials":
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
	case "archive_client":
		// recorded by the caller with the step's completion, in one write
	default:
		return fmt.Errorf("unknown offboarding step %q", in.Step)
	}
	return nil
}
