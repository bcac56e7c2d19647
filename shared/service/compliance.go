package service

import (
	"context"
	"fmt"
	"reflect"
	"time"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// Security policies applied (issue 15): every password AccessHive generates
// meets the client's policy (length, classes), every credential an admin supplies
// is checked against it (422 naming the rule), Workspace users are created in the
// policy's organizational unit, and each identity's credential is judged against
// the policy as it is now. What is judged is the credential's profile (length,
// classes, when set), never the credential. The client's count of non-compliant
// identities is a stored fact (its status needs no extra read), recounted when a
// credential changes and when the policy or the client's choice of it changes.

// policyOf reads the security policy that applies to a client: its own, or the
// agency default when it has none.
func (s *Service) policyOf(ctx context.Context, c ah.Client) (ah.SecurityPolicy, error) {
	if sn := c.Facts.Policy; sn != nil && sn.ID != "" && sn.ID == c.SecurityPolicyID {
		// As last evaluated (kept on the client when it or its policy changes).
		return ah.SecurityPolicy{ID: sn.ID, AgencyID: c.AgencyID, Name: sn.Name, Password: sn.Password, Workspace: sn.Workspace, Meta: ah.Meta{Version: sn.Version}}, nil
	}
	return s.readPolicyOf(ctx, c)
}

// readPolicyOf reads the client's policy from the store (never the snapshot).
func (s *Service) readPolicyOf(ctx context.Context, c ah.Client) (ah.SecurityPolicy, error) {
	id := c.SecurityPolicyID
	if id == "" {
		a, err := s.store.GetAgency(ctx, c.AgencyID)
		if err != nil {
			return ah.SecurityPolicy{}, err
		}
		id = a.Settings.DefaultSecurityPolicyID
	}
	if id == "" {
		return ah.SecurityPolicy{ID: "", Name: "no policy", Password: *ah.DefaultSecurityPolicy().Password}, nil
	}
	return s.store.GetSecurityPolicy(ctx, c.AgencyID, id)
}

// clientPolicy reads the policy of a client by id.
func (s *Service) clientPolicy(ctx context.Context, agencyID, clientID string) (ah.SecurityPolicy, error) {
	c, err := s.store.GetClient(ctx, agencyID, clientID)
	if err != nil {
		return ah.SecurityPolicy{}, err
	}
	return s.policyOf(ctx, c)
}

// judge sets an active identity's compliance with pol; an identity without a
// credential has nothing to judge.
func judge(i *ah.ClientIdentity, pol ah.SecurityPolicy, now time.Time) {
	i.Compliance = nil
	if i.Status != ah.IdentityActive || !hasCredential(*i) {
		return
	}
	c := ah.ComplianceOf(i.CredentialProfile, pol, now)
	i.Compliance = &c
}

// needsJudging reports whether any identity has a credential to judge (only then
// is the policy read).
func needsJudging(idns []ah.ClientIdentity) bool {
	for _, i := range idns {
		if i.Status == ah.IdentityActive && hasCredential(i) {
			return true
		}
	}
	return false
}

// judgeAll sets the compliance of identities of one client.
func (s *Service) judgeAll(ctx context.Context, agencyID, clientID string, idns []ah.ClientIdentity) error {
	if !needsJudging(idns) {
		return nil
	}
	pol, err := s.clientPolicy(ctx, agencyID, clientID)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	for k := range idns {
		judge(&idns[k], pol, now)
	}
	return nil
}

// Reevaluate recounts a client's non-compliant identities against its policy as
// it is now and records the count if it changed (the client needs attention
// while it is above zero).
func (s *Service) reevaluate(ctx context.Context, agencyID, clientID, actor string) error {
	d, err := s.store.ReadClientAccess(ctx, agencyID, clientID)
	if err != nil {
		return err
	}
	pol, err := s.readPolicyOf(ctx, d.Client)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	n := 0
	for _, i := range d.Identities {
		judge(&i, pol, now)
		if i.Compliance != nil && !i.Compliance.Compliant {
			n++
		}
	}
	snap := pol.Snapshot()
	if cur := d.Client.Facts.Policy; n == d.Client.Facts.NonCompliantIdentities && cur != nil && reflect.DeepEqual(*cur, snap) {
		return nil
	}
	return s.store.SetNonCompliant(ctx, agencyID, clientID, n, snap, now, actor)
}

// reevaluateLogged is reevaluate where the change that called for it has been
// made already: a failure is logged (the next change or policy edit recounts).
func (s *Service) reevaluateLogged(ctx context.Context, agencyID, clientID, actor string) {
	if err := s.reevaluate(ctx, agencyID, clientID, actor); err != nil {
		s.log.WarnContext(ctx, "re-evaluate compliance", "clientId", clientID, "error", err.Error())
	}
}

// reevaluatePolicy recounts every active client that uses a policy (after the
// policy changed).
func (s *Service) reevaluatePolicy(ctx context.Context, p ah.Principal, pol ah.SecurityPolicy) error {
	clients, err := allPages(func(pg ah.Page) ([]ah.Client, ah.Keys, error) {
		return s.store.ListClients(ctx, p.AgencyID, ah.ClientActive, pg)
	})
	if err != nil {
		return err
	}
	for _, c := range clients {
		if c.SecurityPolicyID == pol.ID || (c.SecurityPolicyID == "" && pol.IsDefault) {
			if err := s.reevaluate(ctx, p.AgencyID, c.ID, p.MemberID); err != nil {
				return fmt.Errorf("re-evaluate client %s: %w", c.ID, err)
			}
		}
	}
	return nil
}
