package localstack

import (
	"context"
	"fmt"

	"github.com/accesshive/accesshive/infra/authn"
	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/dynamo"
	"github.com/accesshive/accesshive/shared/service"
)

// SeededUser is one demo user with a ready token.
type SeededUser struct {
	UserID string `json:"userId"`
	Token  string `json:"token"`
	Email  string `json:"email"`
	Role   string `json:"role"`
}

// Seeded is the demo data: users by handle, platforms by handle.
type Seeded struct {
	AgencyID      string                `json:"agencyId"`
	OtherAgencyID string                `json:"otherAgencyId"`
	Users         map[string]SeededUser `json:"users"`
	Platforms     map[string]string     `json:"platforms"`
	ClientID      string                `json:"clientId"`
}

// Service returns the service over the stack's table, as the functions build it.
func (s *Stack) Service() *service.Service {
	return service.New(service.Options{Store: dynamo.NewStore(s.DB, s.Tables["Table"]), PrincipalTTL: -1})
}

type seedUser struct {
	handle, name, email string
	role                ah.Role
}

// Seed creates the demo agencies through the service (the same code the API and the
// bootstrap function run), signs every user in once (binding their subject, their
// member id) and mints their tokens.
func (s *Stack) Seed(ctx context.Context) (Seeded, error) {
	svc := s.Service()
	out := Seeded{Users: map[string]SeededUser{}, Platforms: map[string]string{}}

	owner, agencyID, err := s.seedAgency(ctx, svc, "Northwind Digital", seedUser{"owner", "Olivia Owner", "owner@northwind.example", ah.RoleOwner}, &out)
	if err != nil {
		return out, err
	}
	out.AgencyID = agencyID
	for _, u := range []seedUser{
		{"admin", "Adam Admin", "admin@northwind.example", ah.RoleAdmin},
		{"manager", "Mia Manager", "manager@northwind.example", ah.RoleClientManager},
		{"member", "Max Member", "member@northwind.example", ah.RoleMember},
		{"auditor", "Ada Auditor", "auditor@northwind.example", ah.RoleAuditor},
	} {
		if _, err := svc.CreateMember(ctx, owner, ah.NewMemberInput{Email: u.email, Name: u.name, Role: u.role}, &service.Idem{Key: "seed-" + u.handle, Fingerprint: u.email}); err != nil {
			return out, fmt.Errorf("seed %s: %w", u.handle, err)
		}
		if _, err := s.signIn(ctx, svc, u, &out); err != nil {
			return out, err
		}
	}
	for _, p := range []struct {
		handle string
		in     ah.NewPlatformInput
	}{
		{"googleAds", ah.NewPlatformInput{Name: "Google Ads (MCC)", Kind: ah.KindGoogleAds, Status: ah.PlatformOperational}},
		{"meta", ah.NewPlatformInput{Name: "Meta Business Manager", Kind: ah.KindMetaBusiness, Status: ah.PlatformOperational}},
		{"linkedin", ah.NewPlatformInput{Name: "LinkedIn Campaign Manager", Kind: ah.KindLinkedIn, Status: ah.PlatformDisconnected}},
		{"workspace", ah.NewPlatformInput{Name: "Google Workspace (northwind.example)", Kind: ah.KindGoogleWorkspace, Status: ah.PlatformOperational}},
	} {
		c, err := svc.CreatePlatform(ctx, owner, p.in, &service.Idem{Key: "seed-platform-" + p.handle, Fingerprint: p.handle})
		if err != nil {
			return out, fmt.Errorf("seed platform %s: %w", p.handle, err)
		}
		out.Platforms[p.handle] = c.Value.ID
	}
	if err := s.seedClient(ctx, svc, owner, &out); err != nil {
		return out, err
	}
	_, out.OtherAgencyID, err = s.seedAgency(ctx, svc, "Globex Media", seedUser{"otherOwner", "Oscar Other", "owner@globex.example", ah.RoleOwner}, &out)
	return out, err
}

// seedClient creates one client with contacts, a team (the client manager as
// manager, the member as viewer), two platforms and a client user.
func (s *Stack) seedClient(ctx context.Context, svc *service.Service, owner ah.Principal, out *Seeded) error {
	c, err := svc.CreateClient(ctx, owner, ah.NewClientInput{
		Name: "Acme Outdoor", Description: "Outdoor gear retailer: search, social and analytics.",
		Industry: "retail", Region: "eu", Timezone: "Europe/London",
		Contacts: []ah.ContactInput{
			{Kind: ah.ContactTechnical, Name: "Tara Tech", Email: "tara@acme-outdoor.example", Phone: "+44 20 7946 0958"},
			{Kind: ah.ContactBusiness, Name: "Ben Business", Email: "ben@acme-outdoor.example"},
		},
		Team: []ah.TeamInput{
			{MemberID: out.Users["manager"].UserID, Role: ah.TeamManager},
			{MemberID: out.Users["member"].UserID, Role: ah.TeamViewer},
		},
	}, &service.Idem{Key: "seed-client-acme", Fingerprint: "acme"})
	if err != nil {
		return fmt.Errorf("seed client: %w", err)
	}
	out.ClientID = c.Value.ID
	for _, h := range []string{"googleAds", "meta"} {
		if _, _, err := svc.AddClientPlatform(ctx, owner, out.ClientID, out.Platforms[h]); err != nil {
			return fmt.Errorf("seed client platform %s: %w", h, err)
		}
	}
	u := seedUser{"clientUser", "Casey Client", "casey@acme-outdoor.example", ah.RoleClientUser}
	if _, err := svc.CreateClientUser(ctx, owner, out.ClientID, ah.NewClientUserInput{Email: u.email, Name: u.name},
		&service.Idem{Key: "seed-client-user", Fingerprint: u.email}); err != nil {
		return fmt.Errorf("seed client user: %w", err)
	}
	_, err = s.signIn(ctx, svc, u, out)
	return err
}

// seedAgency creates an agency (or finds it from an earlier run on a persistent
// endpoint) and signs its owner in.
func (s *Stack) seedAgency(ctx context.Context, svc *service.Service, name string, u seedUser, out *Seeded) (ah.Principal, string, error) {
	_, err := svc.CreateAgency(ctx, ah.NewAgencyInput{AgencyName: name, OwnerEmail: u.email, OwnerName: u.name})
	if err != nil && ah.CodeOf(err) != ah.CodeEmailTaken {
		return ah.Principal{}, "", fmt.Errorf("seed agency %s: %w", name, err)
	}
	p, err := s.signIn(ctx, svc, u, out)
	return p, p.AgencyID, err
}

// signIn resolves the user as the API does on their first request, which binds
// their subject; the subject is their member id so `token <userId>` works.
func (s *Stack) signIn(ctx context.Context, svc *service.Service, u seedUser, out *Seeded) (ah.Principal, error) {
	m, err := dynamo.NewStore(s.DB, s.Tables["Table"]).MemberByEmail(ctx, u.email)
	if err != nil {
		return ah.Principal{}, fmt.Errorf("seed %s: %w", u.handle, err)
	}
	subject := m.Subject
	if subject == "" {
		subject = m.ID
	}
	p, err := svc.ResolvePrincipal(ctx, service.Claims{Subject: subject, Email: u.email, EmailVerified: true})
	if err != nil {
		return ah.Principal{}, fmt.Errorf("sign in %s: %w", u.handle, err)
	}
	tok, err := s.Issuer.Mint(authn.TokenOpts{Subject: subject, Email: u.email})
	if err != nil {
		return ah.Principal{}, err
	}
	out.Users[u.handle] = SeededUser{UserID: subject, Token: tok, Email: u.email, Role: string(p.Role)}
	return p, nil
}
