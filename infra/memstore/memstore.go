// Package memstore is an in-memory implementation of the domain's store contracts
// (accesshive.Store and accesshive.AuditStore) for the service's own tests: every
// change is checked and applied whole under one lock, with the same conditions and
// the same errors as shared/dynamo's transactions, so the service's rules can be
// tested in milliseconds. It never deploys; the HTTP and workflow suites run the
// real adapter against the local engine, and the contract test in this package
// holds both to the same behaviour.
package memstore

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// Store is an in-memory ah.Store.
type Store struct {
	mu       sync.Mutex
	agencies map[string]*agencyData
	emails   map[string]memberRef // email guard
	subjects map[string]memberRef // subject guard
	idem     map[string]idemRecord
	faults   map[string]error
	calls    map[string]int
	before   map[string]func()
	reviews  map[string]ah.ReviewCampaign // by id
}

type memberRef struct{ agencyID, memberID string }

type idemRecord struct {
	fingerprint string
	response    []byte
}

type agencyData struct {
	agency           ah.Agency
	owners           int
	members          map[string]ah.Member
	platforms        map[string]ah.Platform
	secPolicies      map[string]ah.SecurityPolicy
	govPolicies      map[string]ah.GovernancePolicy
	templates        map[string]ah.RoleTemplate
	identities       map[string]ah.Identity
	platformIdentity map[string]string // platform id -> agency identity id
	clients          map[string]*clientData
	clientNames      map[string]string                     // lower-case name -> client id
	notifications    map[string]map[string]ah.Notification // member -> sort key -> notification
}

type clientData struct {
	client      ah.Client
	contacts    map[string]ah.Contact
	team        map[string]ah.TeamAssignment
	platforms   map[string]ah.ClientPlatform
	grants      map[string]ah.AccessGrant
	identities  map[string]ah.ClientIdentity
	links       map[string]ah.IdentityLink
	identityFor map[string]string // platform id -> client identity id
	pending     map[string]ah.PendingRequest
	requests    map[string]ah.AccessRequest
}

// New returns an empty store.
func New() *Store {
	return &Store{agencies: map[string]*agencyData{}, emails: map[string]memberRef{}, subjects: map[string]memberRef{}, reviews: map[string]ah.ReviewCampaign{},
		idem: map[string]idemRecord{}, faults: map[string]error{}, calls: map[string]int{}, before: map[string]func(){}}
}

var _ ah.Store = (*Store)(nil)

// FailNext makes the next call of the named method (for example "TransitionRequest")
// return err without changing anything: how the service's tests reach its error
// paths (a throttled table, a lost race).
func (s *Store) FailNext(method string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = err
}

// Before runs fn once, just before the next call of the named method does
// anything: how a test puts another operation exactly between a read and a
// write (a lost race, made deterministic).
func (s *Store) Before(method string, fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.before[method] = fn
}

// Calls reports how many times the named method was called.
func (s *Store) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// enter takes the lock for a method call and counts it; with an injected fault it
// releases the lock again and returns the fault. Otherwise the caller unlocks.
func (s *Store) enter(method string) error {
	s.mu.Lock()
	if fn, ok := s.before[method]; ok {
		delete(s.before, method)
		s.mu.Unlock()
		fn()
		s.mu.Lock()
	}
	s.calls[method]++
	if err, ok := s.faults[method]; ok {
		delete(s.faults, method)
		s.mu.Unlock()
		return err
	}
	return nil
}

// Errors, as shared/dynamo reports them.
var (
	errStale = &ah.Error{Kind: ah.KindConflict, Code: ah.CodeVersionConflict,
		Message: "the resource changed since it was read; read it again and retry"}
	errExists         = &ah.Error{Kind: ah.KindConflict, Code: ah.CodeConflict, Message: "the resource already exists"}
	errEmailTaken     = ah.Conflict(ah.CodeEmailTaken, "a member with this email already exists")
	errSubjectTaken   = ah.Conflict(ah.CodeConflict, "this sign-in identity is already bound to another member")
	errLastOwner      = ah.Conflict(ah.CodeLastOwner, "an agency must keep at least one enabled owner")
	errClientName     = ah.Conflict(ah.CodeClientNameTaken, "a client with this name already exists in the agency")
	errClientChanged  = &ah.Error{Kind: ah.KindConflict, Code: ah.CodeVersionConflict, Message: "the client changed since it was read; read it again and retry"}
	errNotOperational = ah.Conflict(ah.CodePlatformNotOperational,
		"the platform is not operational; connect it under Settings > Platforms before adding it to a client")
	errRequestPending   = ah.Conflict(ah.CodeRequestPending, "you already have a pending request for this platform; wait for the review or cancel it")
	errRequestChanged   = ah.Conflict(ah.CodeRequestNotPending, "the request is no longer pending: it was reviewed, cancelled or expired meanwhile")
	errIdentityExists   = ah.Conflict(ah.CodeIdentityProvisioning, "an identity for this client and platform was created meanwhile; approve again")
	errClientClosed     = ah.Conflict(ah.CodeClientArchived, "the client is archived or being offboarded; it takes no new requests")
	errAccessClosed     = ah.Conflict(ah.CodeOffboarding, "the client is being offboarded (or is archived); no access is granted to it")
	errGrantChanged     = ah.Conflict(ah.CodeVersionConflict, "the access changed meanwhile; read the request again")
	errPlatformIdentity = ah.Conflict(ah.CodePlatformIdentity, "the agency already has an identity on this platform")
)

// tx is one transaction: its conditions are checked in order against the state
// before any change (the first that fails is the error), then every change is
// applied. Call commit with the lock held.
type tx struct {
	checks  []func() error
	applies []func()
}

func (t *tx) check(f func() error) { t.checks = append(t.checks, f) }
func (t *tx) apply(f func())       { t.applies = append(t.applies, f) }

func (s *Store) commit(idem *ah.Idempotency, t *tx) error {
	if idem != nil {
		k := idem.AgencyID + "\x00" + idem.MemberID + "\x00" + idem.Key
		if rec, ok := s.idem[k]; ok {
			if rec.fingerprint != idem.Fingerprint {
				return &ah.Error{Kind: ah.KindInvalid, Code: ah.CodeIdempotencyKeyReused,
					Message: "this Idempotency-Key was already used with a different request; use a new key"}
			}
			return &ah.Replay{Response: append([]byte(nil), rec.response...)}
		}
		t.apply(func() {
			s.idem[k] = idemRecord{fingerprint: idem.Fingerprint, response: append([]byte(nil), idem.Response...)}
		})
	}
	for _, c := range t.checks {
		if err := c(); err != nil {
			return err
		}
	}
	for _, a := range t.applies {
		a()
	}
	return nil
}

// clone deep-copies a value through JSON, so nothing the caller holds aliases what
// is stored.
func clone[T any](v T) T {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("memstore: encode %T: %v", v, err))
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		panic(fmt.Sprintf("memstore: decode %T: %v", v, err))
	}
	return out
}

func cloneMember(m ah.Member) ah.Member {
	c := clone(m)
	c.Subject = m.Subject
	if c.Teams == nil {
		c.Teams = map[string]ah.TeamRole{}
	}
	return c
}

func cloneClient(c ah.Client) ah.Client {
	out := clone(c)
	out.Facts = clone(c.Facts)
	out.Governance = clone(c.Governance).Normalized()
	if out.Facts.AccessEnds == nil {
		out.Facts.AccessEnds = map[string]time.Time{}
	}
	return out
}

func (s *Store) agency(id string) *agencyData {
	a := s.agencies[id]
	if a == nil {
		a = &agencyData{members: map[string]ah.Member{}, platforms: map[string]ah.Platform{}, secPolicies: map[string]ah.SecurityPolicy{},
			govPolicies: map[string]ah.GovernancePolicy{}, templates: map[string]ah.RoleTemplate{}, identities: map[string]ah.Identity{},
			platformIdentity: map[string]string{}, clients: map[string]*clientData{}, clientNames: map[string]string{},
			notifications: map[string]map[string]ah.Notification{}}
		s.agencies[id] = a
	}
	return a
}

func (s *Store) client(agencyID, clientID string) *clientData {
	if a := s.agencies[agencyID]; a != nil {
		return a.clients[clientID]
	}
	return nil
}

// sortableTime is the sort order shared/dynamo gives times in keys.
func sortableTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// page returns one page of items in the order of key, after page.After, with the
// key of its last item when more follow.
func page[T any](items []T, key func(T) string, p ah.Page, desc bool) ([]T, ah.Keys) {
	sort.Slice(items, func(i, j int) bool {
		if desc {
			return key(items[i]) > key(items[j])
		}
		return key(items[i]) < key(items[j])
	})
	start := 0
	if after, ok := p.After["k"]; ok {
		for start < len(items) && ((!desc && key(items[start]) <= after) || (desc && key(items[start]) >= after)) {
			start++
		}
	}
	items = items[start:]
	if p.Limit > 0 && len(items) > p.Limit {
		items = items[:p.Limit]
		return items, ah.Keys{"k": key(items[len(items)-1])}
	}
	return items, nil
}

func lower(s string) string { return strings.ToLower(s) }

// open reports whether a client takes requests and access: active, and never
// confirmed for offboarding.
func open(cd *clientData) bool {
	return cd != nil && cd.client.Lifecycle == ah.ClientActive && cd.client.Offboarding == nil
}
