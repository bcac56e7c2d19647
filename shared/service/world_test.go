package service_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/accesshive/accesshive/infra/memstore"
	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/service"
)

// The service's own tests run it against the in-memory store and fakes of its
// other ports (infra/memstore): no engine, no HTTP, milliseconds each. A world is
// one agency built through the service itself.

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t.UTC()
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

const domain = "workspace.test"

type world struct {
	t     *testing.T
	ctx   context.Context
	svc   *service.Service
	store *memstore.Store
	audit *memstore.Audit
	wf    *memstore.Workflows
	vault *memstore.Vault
	mail  *memstore.Mailer
	dir   *memstore.Directory
	clock *clock
	stats *memstore.Metrics

	agencyID string
	// staff and client users by handle: owner, admin, manager (on the client's
	// team as manager), outsider (a client manager on no team), member (on the team
	// as viewer), clientUser (of the client), otherUser (of another client).
	ids       map[string]string
	emails    map[string]string
	clientID  string // Acme, with the platforms below configured
	otherID   string // Globex, nobody's team
	platforms map[string]string
}

// newWorld builds an agency: its staff, two clients, two operational platforms
// (ads: Google Ads, meta: Meta) and a disconnected one (down), and a client user
// of each client.
func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, ctx: context.Background(), store: memstore.New(), audit: &memstore.Audit{}, wf: &memstore.Workflows{},
		vault: &memstore.Vault{}, mail: &memstore.Mailer{}, dir: &memstore.Directory{}, stats: &memstore.Metrics{},
		clock: &clock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)},
		ids:   map[string]string{}, emails: map[string]string{}, platforms: map[string]string{}}
	w.svc = service.New(service.Options{Store: w.store, Clock: w.clock, PrincipalTTL: -1, Workflows: w.wf, Mail: w.mail,
		Audit: w.audit, Vault: w.vault, WorkspaceDomain: domain, Metrics: w.stats,
		Workspace: func(context.Context) (ah.Directory, error) { return w.dir, nil },
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil))})
	res, err := w.svc.CreateAgency(w.ctx, ah.NewAgencyInput{AgencyName: "Northwind", OwnerEmail: "owner@northwind.test", OwnerName: "Olive", OwnerSubject: "sub|owner"})
	if err != nil {
		t.Fatal(err)
	}
	w.agencyID = res.Agency.ID
	w.ids["owner"], w.emails["owner"] = res.Owner.ID, res.Owner.Email
	owner := w.as("owner")
	for handle, role := range map[string]ah.Role{"admin": ah.RoleAdmin, "manager": ah.RoleClientManager, "outsider": ah.RoleClientManager, "member": ah.RoleMember} {
		m := must(w.svc.CreateMember(w.ctx, owner, ah.NewMemberInput{Email: handle + "@northwind.test", Name: handle, Role: role}, nil))
		w.ids[handle], w.emails[handle] = m.Value.ID, m.Value.Email
	}
	for name, in := range map[string]ah.NewPlatformInput{
		"ads":  {Name: "Google Ads", Kind: ah.KindGoogleAds, Status: ah.PlatformOperational},
		"meta": {Name: "Meta", Kind: ah.KindMetaBusiness, Status: ah.PlatformOperational},
		"down": {Name: "LinkedIn", Kind: ah.KindLinkedIn, Status: ah.PlatformDisconnected},
	} {
		w.platforms[name] = must(w.svc.CreatePlatform(w.ctx, owner, in, nil)).Value.ID
	}
	w.clientID = w.newClient(w.as("manager"), "Acme", ah.TeamInput{MemberID: w.ids["member"], Role: ah.TeamViewer})
	w.otherID = w.newClient(owner, "Globex")
	for _, pl := range []string{"ads", "meta"} {
		for _, c := range []string{w.clientID, w.otherID} {
			if _, _, err := w.svc.AddClientPlatform(w.ctx, owner, c, w.platforms[pl]); err != nil {
				t.Fatal(err)
			}
		}
	}
	w.ids["clientUser"] = w.newClientUser(w.clientID, "user@acme.test")
	w.emails["clientUser"] = "user@acme.test"
	w.ids["otherUser"] = w.newClientUser(w.otherID, "user@globex.test")
	w.emails["otherUser"] = "user@globex.test"
	return w
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// as resolves a handle's principal as a sign-in would (binding it the first time).
func (w *world) as(handle string) ah.Principal {
	w.t.Helper()
	p, err := w.svc.ResolvePrincipal(w.ctx, service.Claims{Subject: "sub|" + handle, Email: w.emails[handle], EmailVerified: true})
	if err != nil {
		w.t.Fatalf("resolve %s: %v", handle, err)
	}
	return p
}

func (w *world) newClient(p ah.Principal, name string, team ...ah.TeamInput) string {
	w.t.Helper()
	c, err := w.svc.CreateClient(w.ctx, p, ah.NewClientInput{Name: name, Industry: "retail", Region: "us", Timezone: "America/New_York", Team: team}, nil)
	if err != nil {
		w.t.Fatalf("create client %s: %v", name, err)
	}
	return c.Value.ID
}

func (w *world) newClientUser(clientID, email string) string {
	w.t.Helper()
	u, err := w.svc.CreateClientUser(w.ctx, w.as("owner"), clientID, ah.NewClientUserInput{Email: email, Name: "User"}, nil)
	if err != nil {
		w.t.Fatalf("create client user: %v", err)
	}
	return u.Value.ID
}

// submit files a request as the client user for a platform handle.
func (w *world) submit(platform string, it ah.IdentityType) ah.AccessRequest {
	w.t.Helper()
	r, err := w.svc.SubmitRequest(w.ctx, w.as("clientUser"), w.clientID,
		ah.NewAccessRequestInput{PlatformID: w.platforms[platform], IdentityType: it, Justification: "campaign work"}, nil)
	if err != nil {
		w.t.Fatalf("submit: %v", err)
	}
	return r.Value
}

// provision runs every started provisioning execution's steps in order, as the
// state machine would on success.
func (w *world) provision() {
	w.t.Helper()
	h := w.svc.StepHandler(ah.StepPrepare, ah.StepWorkspaceUser, ah.StepStoreSecret, ah.StepActivate)
	for _, in := range w.wf.Started() {
		if in.IdentityID == "" {
			continue
		}
		if idn, err := w.store.GetClientIdentity(w.ctx, in.AgencyID, in.ClientID, in.IdentityID); err == nil && idn.Status != ah.IdentityProvisioning {
			continue
		}
		steps := []string{ah.StepPrepare, ah.StepStoreSecret, ah.StepActivate}
		if in.Managed {
			steps = []string{ah.StepPrepare, ah.StepWorkspaceUser, ah.StepStoreSecret, ah.StepActivate}
		}
		for _, st := range steps {
			in.Step = st
			if _, err := h(w.ctx, in); err != nil {
				w.t.Fatalf("step %s: %v", st, err)
			}
		}
	}
}

// code is the stable error code of err ("" for nil).
func code(err error) string {
	if err == nil {
		return ""
	}
	return ah.CodeOf(err)
}

func claims(handle, email string) service.Claims {
	return service.Claims{Subject: "sub|" + handle, Email: email, EmailVerified: true}
}
