// Package storecontract is the behaviour every implementation of the domain's
// store contracts must share: the DynamoDB adapter (against the local engine)
// and the in-memory store the service's tests use run the same cases, so a rule
// the fake gets wrong fails here, not silently in the service's tests.
package storecontract

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/service"
)

// fixture is one agency written straight to the store under test.
type fixture struct {
	t        *testing.T
	ctx      context.Context
	s        ah.Store
	now      time.Time
	agencyID string
	owner    ah.Member
	policy   ah.SecurityPolicy
	platform ah.Platform
}

func stamp(m *ah.Meta, now time.Time) {
	m.Version, m.CreatedAt, m.UpdatedAt, m.UpdatedBy, m.LastAction = 1, now, now, "contract", "contract"
}

func newFixture(t *testing.T, s ah.Store) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background(), s: s, now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), agencyID: service.NewID("agy")}
	f.owner = f.member("owner", ah.RoleOwner)
	f.policy = ah.SecurityPolicy{ID: service.NewID("pol"), AgencyID: f.agencyID, Name: "Default", IsDefault: true}
	stamp(&f.policy.Meta, f.now)
	a := ah.Agency{ID: f.agencyID, Name: "Contract", Settings: ah.Settings{AccessRequestExpiryMinutes: 60, DefaultSecurityPolicyID: f.policy.ID}}
	stamp(&a.Meta, f.now)
	if err := s.CreateAgency(f.ctx, ah.AgencyCreation{Agency: a, Owner: f.owner, Policy: f.policy}); err != nil {
		t.Fatalf("CreateAgency: %v", err)
	}
	f.platform = ah.Platform{ID: service.NewID("pla"), AgencyID: f.agencyID, Name: "Ads", Kind: ah.KindGoogleAds, Status: ah.PlatformOperational}
	stamp(&f.platform.Meta, f.now)
	if err := s.CreatePlatform(f.ctx, f.platform, nil); err != nil {
		t.Fatalf("CreatePlatform: %v", err)
	}
	return f
}

func (f *fixture) member(handle string, role ah.Role) ah.Member {
	m := ah.Member{ID: service.NewID("mbr"), AgencyID: f.agencyID, Email: handle + "." + f.agencyID + "@contract.test", Name: handle,
		Role: role, Status: ah.MemberActive, Teams: map[string]ah.TeamRole{}}
	stamp(&m.Meta, f.now)
	return m
}

func (f *fixture) client(name string, team ...ah.TeamAssignment) ah.Client {
	f.t.Helper()
	c := ah.Client{ID: service.NewID("cli"), AgencyID: f.agencyID, Name: name, Industry: "retail", Region: "us", Timezone: "UTC",
		SecurityPolicyID: f.policy.ID, Lifecycle: ah.ClientActive, Facts: ah.ClientFacts{PlatformHealth: map[string]ah.PlatformStatus{}}}
	stamp(&c.Meta, f.now)
	if err := f.s.CreateClient(f.ctx, ah.ClientCreation{Client: c, Team: team}, nil); err != nil {
		f.t.Fatalf("CreateClient: %v", err)
	}
	return c
}

// change is the client at its next version.
func change(c ah.Client) ah.ClientChange {
	ch := ah.ClientChange{Client: c, PrevVersion: c.Version}
	ch.Client.Version++
	return ch
}

func codeOf(err error) string {
	if err == nil {
		return ""
	}
	var m *ah.MissingError
	if errors.As(err, &m) {
		return fmt.Sprintf("missing %s #%d", m.What, m.Index)
	}
	var r *ah.Replay
	if errors.As(err, &r) {
		return "replay"
	}
	return ah.CodeOf(err)
}

func expect(t *testing.T, what string, err error, want string) {
	t.Helper()
	if got := codeOf(err); got != want {
		t.Fatalf("%s = %v (%q), want %q", what, err, got, want)
	}
}

// Run runs every case against stores made by newStore (one per case).
func Run(t *testing.T, newStore func(t *testing.T) ah.Store) {
	cases := map[string]func(*testing.T, *fixture){
		"Members":                 members,
		"Clients":                 clients,
		"Requests":                requests,
		"Provisioning":            provisioning,
		"Paging":                  paging,
		"Idempotency":             idempotency,
		"Sweeps":                  sweeps,
		"Notifications":           notifications,
		"VersionedReads":          versionedReads,
		"OffboardingClosesAccess": offboardingClosesAccess,
	}
	for name, fn := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, newFixture(t, newStore(t)))
		})
	}
}

func members(t *testing.T, f *fixture) {
	dup := f.member("dup", ah.RoleMember)
	dup.Email = f.owner.Email
	expect(t, "CreateMember with a taken email", f.s.CreateMember(f.ctx, dup, nil), ah.CodeEmailTaken)
	demoted := f.owner
	demoted.Role, demoted.Version = ah.RoleAdmin, f.owner.Version+1
	expect(t, "demoting the last owner", f.s.UpdateMember(f.ctx, demoted, f.owner.Version, -1), ah.CodeLastOwner)
	expect(t, "a stale member write", f.s.UpdateMember(f.ctx, demoted, f.owner.Version+7, 0), ah.CodeVersionConflict)
	got, err := f.s.MemberByEmail(f.ctx, f.owner.Email)
	if err != nil || got.ID != f.owner.ID || got.Version != f.owner.Version {
		t.Fatalf("MemberByEmail = %+v, %v", got, err)
	}
	bound := got
	bound.Subject, bound.Version = "sub|"+f.agencyID, got.Version+1
	expect(t, "BindSubject", f.s.BindSubject(f.ctx, bound, got.Version), "")
	if m, err := f.s.MemberBySubject(f.ctx, bound.Subject); err != nil || m.ID != f.owner.ID {
		t.Fatalf("MemberBySubject = %+v, %v", m, err)
	}
	other := f.member("other", ah.RoleMember)
	expect(t, "CreateMember", f.s.CreateMember(f.ctx, other, nil), "")
	other.Subject, other.Version = bound.Subject, 2
	expect(t, "binding a subject already bound", f.s.BindSubject(f.ctx, other, 1), ah.CodeConflict)
	_, err = f.s.GetMember(f.ctx, f.agencyID, "mbr_01jzzzzzzzzzzzzzzzzzzzzzzz")
	expect(t, "GetMember of nobody", err, ah.CodeNotFound)

	// An email correction: the new address is claimed, the old one and the
	// subject are released.
	moved, _ := f.s.GetMember(f.ctx, f.agencyID, f.owner.ID)
	prev := moved
	moved.Email, moved.Subject, moved.Status, moved.Version = "fixed."+f.agencyID+"@contract.test", "", ah.MemberInvited, prev.Version+1
	taken := moved
	taken.Email = other.Email
	expect(t, "ChangeMemberEmail to a taken email", f.s.ChangeMemberEmail(f.ctx, ah.MemberEmailChange{Member: taken, PrevVersion: prev.Version,
		PrevEmail: prev.Email, PrevSubject: prev.Subject}), ah.CodeEmailTaken)
	expect(t, "a stale ChangeMemberEmail", f.s.ChangeMemberEmail(f.ctx, ah.MemberEmailChange{Member: moved, PrevVersion: prev.Version + 3,
		PrevEmail: prev.Email, PrevSubject: prev.Subject}), ah.CodeVersionConflict)
	expect(t, "ChangeMemberEmail", f.s.ChangeMemberEmail(f.ctx, ah.MemberEmailChange{Member: moved, PrevVersion: prev.Version,
		PrevEmail: prev.Email, PrevSubject: prev.Subject}), "")
	if m, err := f.s.MemberByEmail(f.ctx, moved.Email); err != nil || m.ID != moved.ID || m.Subject != "" {
		t.Fatalf("MemberByEmail(new) = %+v, %v", m, err)
	}
	_, err = f.s.MemberByEmail(f.ctx, prev.Email)
	expect(t, "MemberByEmail(old)", err, ah.CodeNotFound)
	reuse := f.member("reuse", ah.RoleMember)
	reuse.Email = prev.Email
	expect(t, "the released email is free again", f.s.CreateMember(f.ctx, reuse, nil), "")
	other.Subject, other.Version = prev.Subject, 2
	expect(t, "the released subject binds another member", f.s.BindSubject(f.ctx, other, 1), "")
}

func clients(t *testing.T, f *fixture) {
	staff := f.member("staff", ah.RoleClientManager)
	user := f.member("user", ah.RoleClientUser)
	for _, m := range []ah.Member{staff, user} {
		expect(t, "CreateMember", f.s.CreateMember(f.ctx, m, nil), "")
	}
	c := f.client("Acme", ah.TeamAssignment{MemberID: staff.ID, Role: ah.TeamManager})
	m, _ := f.s.GetMember(f.ctx, f.agencyID, staff.ID)
	if m.Teams[c.ID] != ah.TeamManager || m.Version != 2 {
		t.Fatalf("team member's item = teams %v version %d, want the team recorded and version 2", m.Teams, m.Version)
	}
	dup := c
	dup.ID, dup.Name = service.NewID("cli"), "ACME"
	expect(t, "a duplicate name", f.s.CreateClient(f.ctx, ah.ClientCreation{Client: dup}, nil), ah.CodeClientNameTaken)
	bad := dup
	bad.Name = "Other"
	expect(t, "a client user on the team", f.s.CreateClient(f.ctx, ah.ClientCreation{Client: bad,
		Team: []ah.TeamAssignment{{MemberID: staff.ID, Role: ah.TeamViewer}, {MemberID: user.ID, Role: ah.TeamViewer}}}, nil), "missing member #1")
	bad.SecurityPolicyID = "pol_01jzzzzzzzzzzzzzzzzzzzzzzz"
	expect(t, "an unknown policy", f.s.CreateClient(f.ctx, ah.ClientCreation{Client: bad}, nil), "missing security_policy #0")
	if m, _ := f.s.GetMember(f.ctx, f.agencyID, staff.ID); len(m.Teams) != 1 || m.Version != 2 {
		t.Fatalf("a refused creation changed the member: %v v%d", m.Teams, m.Version)
	}
	if ok, _ := f.s.ClientExists(f.ctx, f.agencyID, bad.ID); ok {
		t.Fatal("a refused creation wrote the client")
	}
	expect(t, "a stale client change", f.s.PutContact(f.ctx, ah.ClientChange{Client: c, PrevVersion: c.Version + 3}, ah.Contact{ID: "x"}), ah.CodeVersionConflict)
	ch := change(c)
	ch.Client.Name = "Acme Corp"
	expect(t, "a rename", f.s.UpdateClient(f.ctx, ah.ClientUpdate{ClientChange: ch, PrevName: c.Name}), "")
	expect(t, "the old name, free again", f.s.CreateClient(f.ctx, ah.ClientCreation{Client: func() ah.Client {
		n := dup
		n.Name = "acme"
		return n
	}()}, nil), "")
	ch2 := change(ch.Client)
	expect(t, "team member removed", f.s.DeleteTeamMember(f.ctx, ch2, staff.ID), "")
	if m, _ := f.s.GetMember(f.ctx, f.agencyID, staff.ID); len(m.Teams) != 0 || m.Version != 3 {
		t.Fatalf("after leaving: teams %v version %d", m.Teams, m.Version)
	}
	ch3 := change(ch2.Client)
	cp := ah.ClientPlatform{PlatformID: f.platform.ID, Name: "Ads", Kind: ah.KindGoogleAds, PlatformStatus: ah.PlatformOperational, ProvisioningStatus: ah.ProvisioningNotStarted}
	expect(t, "AddClientPlatform", f.s.AddClientPlatform(f.ctx, ch3, cp), "")
	down := f.platform
	down.Status, down.Version = ah.PlatformDisconnected, f.platform.Version+1
	expect(t, "UpdatePlatform", f.s.UpdatePlatform(f.ctx, down, f.platform.Version), "")
	expect(t, "adding a platform that went down", f.s.AddClientPlatform(f.ctx, change(ch3.Client), cp), ah.CodePlatformNotOperational)
	d, err := f.s.GetClientDetail(f.ctx, f.agencyID, c.ID)
	if err != nil || d.Client.Version != ch3.Client.Version || len(d.Platforms) != 1 || len(d.Team) != 0 {
		t.Fatalf("detail = v%d %d platforms %d team, %v", d.Client.Version, len(d.Platforms), len(d.Team), err)
	}
	got, err := f.s.GetClients(f.ctx, f.agencyID, []string{c.ID, "cli_01jzzzzzzzzzzzzzzzzzzzzzzz"})
	if err != nil || len(got) != 1 || got[0].Name != "Acme Corp" {
		t.Fatalf("GetClients = %+v, %v", got, err)
	}
	_, err = f.s.GetClientDetail(f.ctx, f.agencyID, "cli_01jzzzzzzzzzzzzzzzzzzzzzzz")
	expect(t, "an unknown client", err, ah.CodeNotFound)
}

// requestable is a client with the fixture's platform configured and a client user.
func requestable(t *testing.T, f *fixture) (ah.Client, ah.Member) {
	t.Helper()
	c := f.client("Req " + f.agencyID)
	ch := change(c)
	if err := f.s.AddClientPlatform(f.ctx, ch, ah.ClientPlatform{PlatformID: f.platform.ID, ProvisioningStatus: ah.ProvisioningNotStarted}); err != nil {
		t.Fatal(err)
	}
	u := f.member("requester", ah.RoleClientUser)
	u.ClientID = c.ID
	if err := f.s.CreateMember(f.ctx, u, nil); err != nil {
		t.Fatal(err)
	}
	return ch.Client, u
}

func (f *fixture) request(c ah.Client, u ah.Member, platformID string) ah.AccessRequest {
	r := ah.AccessRequest{ID: service.NewID("req"), AgencyID: f.agencyID, ClientID: c.ID, PlatformID: platformID, RequesterID: u.ID,
		IdentityType: ah.IdentityStandard, Justification: "j", Status: ah.RequestPending, ExpiresAt: f.now.Add(time.Hour),
		Approvals: []ah.Approval{}, History: []ah.RequestEvent{{At: f.now, By: u.ID, Action: "submitted", Status: ah.RequestPending}}}
	stamp(&r.Meta, f.now)
	return r
}

func requests(t *testing.T, f *fixture) {
	c, u := requestable(t, f)
	r := f.request(c, u, f.platform.ID)
	expect(t, "CreateRequest", f.s.CreateRequest(f.ctx, r, nil), "")
	expect(t, "a second pending request", f.s.CreateRequest(f.ctx, f.request(c, u, f.platform.ID), nil), ah.CodeRequestPending)
	expect(t, "a platform not configured", f.s.CreateRequest(f.ctx, f.request(c, u, "pla_01jzzzzzzzzzzzzzzzzzzzzzzz"), nil), "missing client_platform #0")
	d, _ := f.s.ReadClientAccess(f.ctx, f.agencyID, c.ID)
	if len(d.Pending) != 1 || d.Pending[0].ID != r.ID || d.Platforms[0].PendingRequests != 1 {
		t.Fatalf("pending = %+v, count %d", d.Pending, d.Platforms[0].PendingRequests)
	}
	// approve, creating the identity and a grant that ends
	ends := f.now.Add(2 * time.Hour)
	next := r
	next.Status, next.Version, next.AccessEndsAt = ah.RequestApproved, r.Version+1, &ends
	idn := ah.ClientIdentity{ID: service.NewID("idn"), AgencyID: f.agencyID, ClientID: c.ID, PlatformID: f.platform.ID, Status: ah.IdentityProvisioning,
		IdentityType: ah.IdentityStandard, ActiveGrants: 1, RequestID: r.ID}
	idn.Provisioning.Attempt = 1
	for _, s := range ah.ProvisioningSteps {
		idn.Provisioning.Steps = append(idn.Provisioning.Steps, ah.ProvisioningStep{Name: s, Status: ah.StepPending})
	}
	stamp(&idn.Meta, f.now)
	next.IdentityID = idn.ID
	tr := ah.RequestTransition{Request: next, PrevVersion: r.Version, PrevStatus: ah.RequestPending, LeavePending: true, NewIdentity: &idn,
		Grant: &ah.NewGrant{Grant: ah.AccessGrant{RequestID: r.ID, ClientID: c.ID, PlatformID: f.platform.ID, IdentityID: idn.ID, RequesterID: u.ID, EndsAt: &ends}}}
	stale := tr
	stale.PrevVersion = 9
	expect(t, "a stale transition", f.s.TransitionRequest(f.ctx, stale), ah.CodeRequestNotPending)
	expect(t, "approve", f.s.TransitionRequest(f.ctx, tr), "")
	expect(t, "approve again", f.s.TransitionRequest(f.ctx, tr), ah.CodeRequestNotPending)
	d, _ = f.s.ReadClientAccess(f.ctx, f.agencyID, c.ID)
	if len(d.Pending) != 0 || d.Platforms[0].PendingRequests != 0 || d.Platforms[0].ProvisioningStatus != ah.ProvisioningInProgress ||
		len(d.Grants) != 1 || len(d.Identities) != 1 || !d.Client.Facts.AccessEnds[r.ID].Equal(ends) || d.Client.Version != c.Version+1 {
		t.Fatalf("after approval: %+v", d)
	}
	if got, ok, err := f.s.ClientIdentityFor(f.ctx, f.agencyID, c.ID, f.platform.ID); err != nil || !ok || got.ID != idn.ID {
		t.Fatalf("ClientIdentityFor = %+v %v %v", got, ok, err)
	}
	// a second identity for the same client and platform is refused
	r2 := f.request(c, u, f.platform.ID)
	expect(t, "CreateRequest after the first left pending", f.s.CreateRequest(f.ctx, r2, nil), "")
	n2 := r2
	n2.Status, n2.Version = ah.RequestApproved, 2
	idn2 := idn
	idn2.ID = service.NewID("idn")
	expect(t, "a second identity on the platform", f.s.TransitionRequest(f.ctx, ah.RequestTransition{Request: n2, PrevVersion: 1, PrevStatus: ah.RequestPending,
		LeavePending: true, NewIdentity: &idn2}), ah.CodeIdentityProvisioning)
	if got, _ := f.s.GetRequest(f.ctx, f.agencyID, c.ID, r2.ID); got.Status != ah.RequestPending {
		t.Fatal("a refused transition moved the request")
	}
	// end the grant: the request is revoked, the grant goes, the identity counts one less
	g, err := f.s.GetGrant(f.ctx, f.agencyID, c.ID, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	end := next
	end.Status, end.Version = ah.RequestRevoked, next.Version+1
	expect(t, "EndGrant with a stale count", f.s.EndGrant(f.ctx, ah.GrantEnd{Request: end, PrevVersion: next.Version, PrevStatus: next.Status, Grant: g, IdentityGrants: 5}), ah.CodeVersionConflict)
	expect(t, "EndGrant", f.s.EndGrant(f.ctx, ah.GrantEnd{Request: end, PrevVersion: next.Version, PrevStatus: next.Status, Grant: g, IdentityGrants: 1}), "")
	_, err = f.s.GetGrant(f.ctx, f.agencyID, c.ID, r.ID)
	expect(t, "the ended grant", err, ah.CodeNotFound)
	if got, _ := f.s.GetClientIdentity(f.ctx, f.agencyID, c.ID, idn.ID); got.ActiveGrants != 0 {
		t.Fatalf("identity grants = %d", got.ActiveGrants)
	}
	// an archived client takes no requests
	d, _ = f.s.GetClientDetail(f.ctx, f.agencyID, c.ID)
	arch := change(d.Client)
	arch.Client.Lifecycle = ah.ClientArchived
	expect(t, "SaveOffboarding", f.s.SaveOffboarding(f.ctx, arch), "")
	u2 := f.member("late", ah.RoleClientUser)
	expect(t, "a request on an archived client", f.s.CreateRequest(f.ctx, f.request(arch.Client, u2, f.platform.ID), nil), ah.CodeClientArchived)
}

func provisioning(t *testing.T, f *fixture) {
	c, u := requestable(t, f)
	r := f.request(c, u, f.platform.ID)
	expect(t, "CreateRequest", f.s.CreateRequest(f.ctx, r, nil), "")
	next := r
	next.Status, next.Version = ah.RequestApproved, 2
	idn := ah.ClientIdentity{ID: service.NewID("idn"), AgencyID: f.agencyID, ClientID: c.ID, PlatformID: f.platform.ID, Status: ah.IdentityProvisioning,
		IdentityType: ah.IdentityManaged, ActiveGrants: 1, RequestID: r.ID}
	idn.Provisioning.Attempt = 1
	for _, s := range ah.ProvisioningSteps {
		idn.Provisioning.Steps = append(idn.Provisioning.Steps, ah.ProvisioningStep{Name: s, Status: ah.StepPending})
	}
	stamp(&idn.Meta, f.now)
	expect(t, "approve", f.s.TransitionRequest(f.ctx, ah.RequestTransition{Request: next, PrevVersion: 1, PrevStatus: ah.RequestPending, LeavePending: true, NewIdentity: &idn}), "")
	up := ah.StepUpdate{AgencyID: f.agencyID, ClientID: c.ID, IdentityID: idn.ID, Attempt: 1, Step: ah.StepPrepare, Status: ah.StepDone, CountAttempt: true,
		Email: "first@x.test", Now: f.now}
	expect(t, "UpdateStep", f.s.UpdateStep(f.ctx, up), "")
	up.Email = "second@x.test"
	expect(t, "UpdateStep again", f.s.UpdateStep(f.ctx, up), "")
	got, _ := f.s.GetClientIdentity(f.ctx, f.agencyID, c.ID, idn.ID)
	if got.Email != "first@x.test" || got.Provisioning.Steps[0].Attempts != 2 || got.Provisioning.Steps[0].Status != ah.StepDone || got.Version != idn.Version {
		t.Fatalf("after two step updates: %+v (email is set once; steps do not move the version)", got)
	}
	up.Attempt = 2
	expect(t, "a step of another attempt", f.s.UpdateStep(f.ctx, up), ah.CodeVersionConflict)
	expect(t, "MarkFailed", f.s.MarkFailed(f.ctx, f.agencyID, c.ID, idn.ID, f.platform.ID, 1, ah.StepStoreSecret, "boom", f.now), "")
	expect(t, "MarkFailed again", f.s.MarkFailed(f.ctx, f.agencyID, c.ID, idn.ID, f.platform.ID, 1, ah.StepStoreSecret, "boom", f.now), "")
	d, _ := f.s.ReadClientAccess(f.ctx, f.agencyID, c.ID)
	if d.Client.Facts.FailedIdentities != 1 || d.Identities[0].Status != ah.IdentityFailed || d.Platforms[0].ProvisioningStatus != ah.ProvisioningFailed {
		t.Fatalf("after failure: facts %+v identity %s platform %s", d.Client.Facts, d.Identities[0].Status, d.Platforms[0].ProvisioningStatus)
	}
	retry := d.Identities[0]
	retry.Status, retry.Version, retry.Provisioning.Attempt = ah.IdentityProvisioning, retry.Version+1, 2
	rt := ah.ProvisioningRetry{Identity: retry, PrevVersion: retry.Version + 4, Now: f.now, Actor: "contract"}
	expect(t, "a stale retry", f.s.RetryProvisioning(f.ctx, rt), ah.CodeVersionConflict)
	rt.PrevVersion, rt.Stuck, rt.PrevAttempt, rt.PrevUpdatedAt = d.Identities[0].Version, true, 1, d.Identities[0].UpdatedAt
	expect(t, "a failed identity retried as stuck", f.s.RetryProvisioning(f.ctx, rt), ah.CodeVersionConflict)
	rt.Stuck = false
	expect(t, "RetryProvisioning", f.s.RetryProvisioning(f.ctx, rt), "")
	// Attempt 2 gets stuck: a retry replaces it only at the progress it read.
	cur, _ := f.s.GetClientIdentity(f.ctx, f.agencyID, c.ID, idn.ID)
	moved := f.now.Add(time.Second)
	expect(t, "attempt 2 moves", f.s.UpdateStep(f.ctx, ah.StepUpdate{AgencyID: f.agencyID, ClientID: c.ID, IdentityID: idn.ID, Attempt: 2,
		Step: ah.StepPrepare, Status: ah.StepRunning, Now: moved}), "")
	next3 := cur
	next3.Provisioning.Attempt, next3.Version = 3, cur.Version+1
	rs := ah.ProvisioningRetry{Identity: next3, PrevVersion: cur.Version, Stuck: true, PrevAttempt: 2, PrevUpdatedAt: cur.UpdatedAt, Now: f.now, Actor: "contract"}
	expect(t, "a stuck retry after the attempt moved", f.s.RetryProvisioning(f.ctx, rs), ah.CodeVersionConflict)
	rs.PrevUpdatedAt = moved
	expect(t, "a stuck retry", f.s.RetryProvisioning(f.ctx, rs), "")
	if d, _ := f.s.ReadClientAccess(f.ctx, f.agencyID, c.ID); d.Client.Facts.FailedIdentities != 0 || d.Identities[0].Provisioning.Attempt != 3 {
		t.Fatalf("after a stuck retry: facts %+v attempt %d", d.Client.Facts, d.Identities[0].Provisioning.Attempt)
	}
	expect(t, "a step of the replaced attempt", f.s.UpdateStep(f.ctx, ah.StepUpdate{AgencyID: f.agencyID, ClientID: c.ID, IdentityID: idn.ID, Attempt: 2,
		Step: ah.StepPrepare, Status: ah.StepDone, Now: moved}), ah.CodeVersionConflict)
	expect(t, "ActivateIdentity of the old attempt", f.s.ActivateIdentity(f.ctx, f.agencyID, c.ID, idn.ID, r.ID, f.platform.ID, 2, f.now), ah.CodeVersionConflict)
	expect(t, "ActivateIdentity", f.s.ActivateIdentity(f.ctx, f.agencyID, c.ID, idn.ID, r.ID, f.platform.ID, 3, f.now), "")
	expect(t, "ActivateIdentity redelivered", f.s.ActivateIdentity(f.ctx, f.agencyID, c.ID, idn.ID, r.ID, f.platform.ID, 3, f.now), "")
	if gi, gc, err := f.s.GetClientIdentityWithClient(f.ctx, f.agencyID, c.ID, idn.ID); err != nil || gi.ID != idn.ID || gc.ID != c.ID {
		t.Fatalf("GetClientIdentityWithClient = %s, %s, %v", gi.ID, gc.ID, err)
	}
	_, _, err := f.s.GetClientIdentityWithClient(f.ctx, f.agencyID, c.ID, "idn_missing")
	expect(t, "GetClientIdentityWithClient of a missing identity", err, ah.CodeNotFound)
	req, _ := f.s.GetRequest(f.ctx, f.agencyID, c.ID, r.ID)
	d, _ = f.s.ReadClientAccess(f.ctx, f.agencyID, c.ID)
	if req.Status != ah.RequestProvisioned || len(req.History) != 2 || d.Identities[0].Status != ah.IdentityActive ||
		d.Client.Facts.FailedIdentities != 0 || d.Platforms[0].ProvisioningStatus != ah.ProvisioningProvisioned {
		t.Fatalf("after activation: request %s (%d events), identity %s, facts %+v", req.Status, len(req.History), d.Identities[0].Status, d.Client.Facts)
	}
}

func paging(t *testing.T, f *fixture) {
	for i := range 5 {
		expect(t, "CreateMember", f.s.CreateMember(f.ctx, f.member(fmt.Sprintf("m%d", i), ah.RoleMember), nil), "")
	}
	var all []string
	page := ah.Page{Limit: 2}
	for range 10 {
		items, next, err := f.s.ListMembers(f.ctx, f.agencyID, page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range items {
			all = append(all, m.ID)
		}
		if len(next) == 0 {
			break
		}
		page.After = next
	}
	if len(all) != 6 {
		t.Fatalf("paged through %d members, want 6", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i] <= all[i-1] {
			t.Fatalf("members not in id order: %v", all)
		}
	}
}

func idempotency(t *testing.T, f *fixture) {
	idem := &ah.Idempotency{AgencyID: f.agencyID, MemberID: f.owner.ID, Key: "k", Fingerprint: "a", Response: []byte(`{"id":"1"}`), Now: f.now}
	p := ah.Platform{ID: service.NewID("pla"), AgencyID: f.agencyID, Name: "Meta", Kind: ah.KindMetaBusiness, Status: ah.PlatformOperational}
	stamp(&p.Meta, f.now)
	expect(t, "create", f.s.CreatePlatform(f.ctx, p, idem), "")
	again := p
	again.ID = service.NewID("pla")
	err := f.s.CreatePlatform(f.ctx, again, idem)
	var r *ah.Replay
	if !errors.As(err, &r) || string(r.Response) != `{"id":"1"}` {
		t.Fatalf("retry = %v, want the first response replayed", err)
	}
	if _, err := f.s.GetPlatform(f.ctx, f.agencyID, again.ID); ah.CodeOf(err) != ah.CodeNotFound {
		t.Fatal("a replayed create wrote a second platform")
	}
	other := *idem
	other.Fingerprint = "b"
	expect(t, "the key with another request", f.s.CreatePlatform(f.ctx, again, &other), ah.CodeIdempotencyKeyReused)
}

func sweeps(t *testing.T, f *fixture) {
	c, u := requestable(t, f)
	r := f.request(c, u, f.platform.ID)
	expect(t, "CreateRequest", f.s.CreateRequest(f.ctx, r, nil), "")
	count := func(at time.Time) int {
		n := 0
		err := f.s.ExpiredPending(f.ctx, at, func(x ah.AccessRequest) error {
			if x.ID == r.ID {
				n++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if count(r.ExpiresAt) != 0 || count(r.ExpiresAt.Add(time.Millisecond)) != 1 {
		t.Fatal("a request is due strictly after its expiry")
	}
}

func notifications(t *testing.T, f *fixture) {
	n := ah.Notification{ID: "ntf_1", AgencyID: f.agencyID, MemberID: f.owner.ID, Kind: "k", Title: "t", Body: "b", CreatedAt: f.now, EmailStatus: ah.EmailFailed}
	expect(t, "PutNotification", f.s.PutNotification(f.ctx, n), "")
	n.EmailStatus = ah.EmailSent
	expect(t, "PutNotification again", f.s.PutNotification(f.ctx, n), "")
	later := n
	later.ID, later.CreatedAt = "ntf_2", f.now.Add(time.Minute)
	expect(t, "PutNotification", f.s.PutNotification(f.ctx, later), "")
	list, _, err := f.s.ListNotifications(f.ctx, f.agencyID, f.owner.ID, ah.Page{})
	if err != nil || len(list) != 2 || list[0].ID != "ntf_2" || list[1].EmailStatus != ah.EmailSent {
		t.Fatalf("notifications = %+v, %v (newest first, the same id and time one item)", list, err)
	}
	if _, ok, err := f.s.GetNotification(f.ctx, f.agencyID, f.owner.ID, f.now.Add(time.Second), "ntf_1"); ok || err != nil {
		t.Fatalf("a notification at another time was found (%v)", err)
	}
}

func versionedReads(t *testing.T, f *fixture) {
	p, err := f.s.GetPlatform(f.ctx, f.agencyID, f.platform.ID)
	if err != nil || p.Version != 1 {
		t.Fatalf("GetPlatform = %+v, %v", p, err)
	}
	next := p
	next.Version = 2
	expect(t, "a stale platform write", f.s.UpdatePlatform(f.ctx, next, 5), ah.CodeVersionConflict)
	_, err = f.s.GetPlatform(f.ctx, "agy_01jzzzzzzzzzzzzzzzzzzzzzzz", p.ID)
	expect(t, "another agency's platform", err, ah.CodeNotFound)
}

func offboardingClosesAccess(t *testing.T, f *fixture) {
	c, u := requestable(t, f)
	r := f.request(c, u, f.platform.ID)
	expect(t, "CreateRequest", f.s.CreateRequest(f.ctx, r, nil), "")
	d, _ := f.s.GetClientDetail(f.ctx, f.agencyID, c.ID)
	off := change(d.Client)
	off.Client.Offboarding = &ah.Offboarding{Status: "running", Attempt: 1, StartedAt: f.now, StartedBy: "contract"}
	expect(t, "SaveOffboarding", f.s.SaveOffboarding(f.ctx, off), "")
	expect(t, "a request while offboarding", f.s.CreateRequest(f.ctx, f.request(c, f.member("late", ah.RoleClientUser), f.platform.ID), nil), ah.CodeClientArchived)
	approved := r
	approved.Status, approved.Version = ah.RequestApproved, r.Version+1
	idn := ah.ClientIdentity{ID: service.NewID("idn"), AgencyID: f.agencyID, ClientID: c.ID, PlatformID: f.platform.ID, Status: ah.IdentityProvisioning}
	stamp(&idn.Meta, f.now)
	ends := f.now.Add(time.Hour)
	for name, tr := range map[string]ah.RequestTransition{
		"an approval creating an identity": {Request: approved, PrevVersion: r.Version, PrevStatus: ah.RequestPending, LeavePending: true, NewIdentity: &idn},
		"an approval granting until an end": {Request: approved, PrevVersion: r.Version, PrevStatus: ah.RequestPending, LeavePending: true,
			Grant: &ah.NewGrant{Grant: ah.AccessGrant{RequestID: r.ID, ClientID: c.ID, PlatformID: f.platform.ID, EndsAt: &ends}}},
		"an approval granting for good": {Request: approved, PrevVersion: r.Version, PrevStatus: ah.RequestPending, LeavePending: true,
			Grant: &ah.NewGrant{Grant: ah.AccessGrant{RequestID: r.ID, ClientID: c.ID, PlatformID: f.platform.ID}}},
	} {
		expect(t, name+" while offboarding", f.s.TransitionRequest(f.ctx, tr), ah.CodeOffboarding)
	}
	rejected := r
	rejected.Status, rejected.Version = ah.RequestRejected, r.Version+1
	expect(t, "a rejection while offboarding", f.s.TransitionRequest(f.ctx, ah.RequestTransition{Request: rejected, PrevVersion: r.Version,
		PrevStatus: ah.RequestPending, LeavePending: true}), "")
	if _, ok, _ := f.s.ClientIdentityFor(f.ctx, f.agencyID, c.ID, f.platform.ID); ok {
		t.Fatal("a refused approval wrote an identity")
	}
}
