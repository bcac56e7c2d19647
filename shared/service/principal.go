package service

import (
	"context"
	"sync"
	"time"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// Claims are the verified token claims the API Gateway authorizer passes on.
type Claims struct {
	Subject string
	Email   string
	// EmailVerified is true only when the token says so (email_verified true).
	EmailVerified bool
}

var errNotAMember = &ah.Error{Kind: ah.KindForbidden, Code: ah.CodeNotAMember,
	Message: "you are signed in, but not a member of any agency: ask an agency admin to invite your email"}

// ResolvePrincipal maps verified claims to the member they belong to. A member is
// found by the subject bound at first sign-in; an invited member signing in for the
// first time is found by verified email and bound to the subject. Disabled members
// are refused. Results are cached for the configured TTL.
func (s *Service) ResolvePrincipal(ctx context.Context, c Claims) (ah.Principal, error) {
	if c.Subject == "" {
		return ah.Principal{}, ah.E(ah.KindUnauthenticated, ah.CodeUnauthenticated, "the token has no subject")
	}
	if p, ok := s.principals.get(c.Subject); ok {
		return p, nil
	}
	m, err := s.memberFor(ctx, c)
	if err != nil {
		return ah.Principal{}, err
	}
	if m.Status == ah.MemberDisabled {
		return ah.Principal{}, &ah.Error{Kind: ah.KindForbidden, Code: ah.CodeMemberDisabled,
			Message: "your membership is disabled (by an admin, or when your client was offboarded); ask your agency"}
	}
	p := ah.Principal{AgencyID: m.AgencyID, MemberID: m.ID, Subject: m.Subject, Email: m.Email, Name: m.Name, Role: m.Role, ClientID: m.ClientID, Teams: m.Teams}
	s.principals.put(c.Subject, p)
	return p, nil
}

func (s *Service) memberFor(ctx context.Context, c Claims) (ah.Member, error) {
	m, err := s.store.MemberBySubject(ctx, c.Subject)
	if err == nil {
		return m, nil
	}
	if ah.KindOf(err) != ah.KindNotFound {
		return ah.Member{}, err
	}
	email := ah.NormalizeEmail(c.Email)
	if email == "" || !c.EmailVerified {
		return ah.Member{}, errNotAMember
	}
	m, err = s.store.MemberByEmail(ctx, email)
	if ah.KindOf(err) == ah.KindNotFound {
		return ah.Member{}, errNotAMember
	}
	if err != nil {
		return ah.Member{}, err
	}
	switch m.Subject {
	case c.Subject: // bound already; the subject index had not caught up
		return m, nil
	case "":
	default: // the email's member signs in with another identity
		return ah.Member{}, errNotAMember
	}
	if m.Status == ah.MemberDisabled {
		return m, nil
	}
	prev := m.Version
	m.Subject = c.Subject
	m.Status = ah.MemberActive
	stampChange(&m.Meta, m.ID, "member.sign_in", s.clock.Now())
	if err := s.store.BindSubject(ctx, m, prev); err != nil {
		return ah.Member{}, err
	}
	return m, nil
}

// principalCache remembers resolved principals for a short time.
type principalCache struct {
	ttl   time.Duration
	mu    sync.Mutex
	m     map[string]cachedPrincipal
	clock Clock
}

type cachedPrincipal struct {
	p       ah.Principal
	expires time.Time
}

func newPrincipalCache(ttl time.Duration, clock Clock) *principalCache {
	return &principalCache{ttl: ttl, m: map[string]cachedPrincipal{}, clock: clock}
}

func (c *principalCache) get(subject string) (ah.Principal, bool) {
	if c.ttl < 0 {
		return ah.Principal{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[subject]
	if !ok || c.clock.Now().After(e.expires) {
		delete(c.m, subject)
		return ah.Principal{}, false
	}
	return e.p, true
}

func (c *principalCache) put(subject string, p ah.Principal) {
	if c.ttl < 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) > 10000 { // bound memory in a long-lived container
		c.m = map[string]cachedPrincipal{}
	}
	c.m[subject] = cachedPrincipal{p: p, expires: c.clock.Now().Add(c.ttl)}
}

// forget drops a cached principal so a change made through this instance applies at
// once here (other instances pick it up within the TTL).
func (c *principalCache) forget(subject string) {
	if subject == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, subject)
}

// forgetMember drops a member's cached principal (a team change of theirs).
func (c *principalCache) forgetMember(memberID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for sub, e := range c.m {
		if e.p.MemberID == memberID {
			delete(c.m, sub)
		}
	}
}
