package accesshive

import (
	"context"
	"fmt"
	"time"
)

// The contracts between the service and storage. The domain owns them: the
// service asks for what it needs through one small interface per aggregate, and the
// DynamoDB adapter (shared/dynamo) is one implementation; the service's tests use
// another, in memory. Every change below is one conditional write or transaction:
// it happens whole or not at all.
//
// Errors: a missing item is a *Error of KindNotFound; a write whose item changed
// since it was read is KindConflict with CodeVersionConflict (or the specific code
// named on the method); a thing a write depends on that is absent or unusable is a
// *MissingError, which the service turns into the field error its caller sees.

// Keys is the key of the last item of a page, for the next one (carried in a
// signed cursor).
type Keys = map[string]string

// Page asks for one page of a list.
type Page struct {
	Limit int
	// After is the key of the last item of the previous page (from a verified cursor).
	After Keys
}

// IdempotencyTTL is how long a creating request's Idempotency-Key is remembered.
const IdempotencyTTL = 24 * time.Hour

// Idempotency ties a creating write to the caller's Idempotency-Key. The record is
// written in the same transaction as the resource, so a retried request either
// finds the record (and replays its response) or creates the resource: never both,
// never neither.
type Idempotency struct {
	AgencyID    string
	MemberID    string
	Key         string
	Fingerprint string // hash of method, route and body
	Response    []byte // the resource as created, replayed on a retry
	Now         time.Time
}

// Replay is returned by a creating write whose Idempotency-Key was used before with
// the same request: the caller answers with the stored response.
type Replay struct {
	Response []byte
}

func (r *Replay) Error() string { return "idempotent replay" }

// MissingError reports that something a write depends on is absent or unusable:
// a team member who is not enabled agency staff, a security or governance policy
// that does not exist, a platform that is not operational. Index says which of the
// write's references it was (its position in the list the write was given).
type MissingError struct {
	What  string // member, security_policy, governance_policy, platform
	ID    string
	Index int
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("%s %s is missing or unusable", e.What, e.ID)
}

// ClientDetail is a client with its contacts, team, platforms and live grants (one
// Query of the client's partition).
type ClientDetail struct {
	Client    Client
	Contacts  []Contact
	Team      []TeamAssignment
	Platforms []ClientPlatform
	Grants    []AccessGrant
	// Links are the agency identities linked to the client.
	Links []IdentityLink
	// Identities and Pending are read by ReadClientAccess only.
	Identities []ClientIdentity
	Pending    []PendingRequest
	// Linked is filled by the service (the linked identities themselves) where
	// a reader needs them.
	Linked []LinkedIdentity
}

// TeamRole returns the member's team role, or "" when not on the team.
func (d ClientDetail) TeamRole(memberID string) TeamRole {
	for _, t := range d.Team {
		if t.MemberID == memberID {
			return t.Role
		}
	}
	return ""
}

// AgencyCreation is a new agency with its first owner and default security policy.
type AgencyCreation struct {
	Agency Agency
	Owner  Member
	Policy SecurityPolicy
}

// AgencyUpdate changes an agency; when the default security policy moves, both
// policies are rewritten with it.
type AgencyUpdate struct {
	Agency      Agency
	PrevVersion int
	// NewDefault and OldDefault are set (with their previous versions) when the
	// default policy moves from OldDefault to NewDefault.
	NewDefault, OldDefault         *SecurityPolicy
	NewDefaultPrev, OldDefaultPrev int
}

// ClientChange is the client item as a change leaves it (stamped, version already
// bumped) and the version it must still have.
type ClientChange struct {
	Client      Client
	PrevVersion int
}

// ClientCreation is a new client with everything the creation flow collects. The
// team's members must be enabled agency staff and the security policy must exist
// (*MissingError with the index of the team entry, or What security_policy).
type ClientCreation struct {
	Client   Client
	Contacts []Contact
	Team     []TeamAssignment
	// Links link existing, active agency identities (*MissingError otherwise).
	Links []IdentityLink
}

// ClientUpdate changes a client's basic information; the name stays unique in the
// agency (CodeClientNameTaken), and a changed security policy must exist.
type ClientUpdate struct {
	ClientChange
	PrevName      string
	PolicyChanged bool
}

// GovernanceChange replaces a client's governance: the client (with its new
// governance) and the team assignments its team groups add, change or remove.
// Members (RequireMembers: group members and client owners, in the order the
// caller reports them) must be enabled agency staff; policies must exist.
type GovernanceChange struct {
	ClientChange
	PutTeam         []TeamAssignment
	DeleteTeam      []string
	RequireMembers  []string
	RequirePolicies []string
}

// SubmitContext is what evaluating a new request needs, read together.
type SubmitContext struct {
	Agency   Agency
	Client   Client
	Platform *Platform     // nil: no such platform in the agency
	Template *RoleTemplate // nil: none named, or no such template
}

// RequestTransition moves a request out of pending (or along after approval) in one
// transaction, with what goes with it. A request that changed meanwhile fails with
// CodeRequestNotPending.
type RequestTransition struct {
	Request     AccessRequest // the new state
	PrevVersion int
	PrevStatus  RequestStatus
	// LeavePending releases the pending guard and the platform's pending count.
	LeavePending bool
	// NewIdentity is created (with its client+platform guard) on approval.
	NewIdentity *ClientIdentity
	// Grant is the live access a full approval creates.
	Grant *NewGrant
}

// NewGrant is what fully approving a request adds to its transaction: the live
// grant, the end time on the client's facts, and (for an existing identity) one more
// grant counted on it.
type NewGrant struct {
	Grant AccessGrant
	// CountOnIdentity adds the grant to an existing active identity's count.
	CountOnIdentity bool
	// Reactivate replaces a deactivated identity (version ReactivatePrev) with this
	// active one.
	Reactivate     *ClientIdentity
	ReactivatePrev int
}

// GrantEnd is one grant ending (at its end time, revoked early, or offboarded): the
// request moves to revoked, the grant goes, the client's facts forget its end, and
// the identity counts one grant less, deactivated with its last. A concurrent change
// fails with CodeVersionConflict.
type GrantEnd struct {
	Request     AccessRequest // the new state
	PrevVersion int
	PrevStatus  RequestStatus
	Grant       AccessGrant
	// IdentityGrants is the identity's grant count read before; Deactivate says the
	// identity goes with this, its last grant.
	IdentityGrants int
	Deactivate     bool
	// Deprovision, with Deactivate, records the deprovisioning the end starts (a
	// managed identity's Workspace user is suspended).
	Deprovision *Deprovisioning
}

// ReminderDue is one planned reviewer reminder whose time has come.
type ReminderDue struct {
	AgencyID, ClientID, RequestID string
	LeadMinutes                   int
}

// EndedGrant is a grant past its end with its agency.
type EndedGrant struct {
	AgencyID string
	AccessGrant
}

// StepUpdate records a provisioning step's progress on an identity, if the identity
// is still on that attempt (else ErrStaleAttempt).
type StepUpdate struct {
	AgencyID, ClientID, IdentityID string
	Attempt                        int
	Step                           string
	Status                         string
	Error                          string
	CountAttempt                   bool // a new try of the step
	Email                          string
	CredentialStatus               CredentialStatus
	// Profile, when set, is the profile of the credential the step set.
	Profile *CredentialProfile
	Now     time.Time
}

// ProvisioningRetry replaces an identity's provisioning attempt with a new one.
type ProvisioningRetry struct {
	// Identity is the identity as the new attempt starts it (provisioning, the
	// attempt number one more, the steps from the resumed one pending).
	Identity    ClientIdentity
	PrevVersion int
	// Stuck: the attempt replaced had not failed but stopped moving. It is
	// replaced only if it is still the attempt read, at the same last progress
	// (PrevUpdatedAt), so a step that moved meanwhile wins and the retry is a
	// conflict; the client's failed-identity count is not touched.
	Stuck         bool
	PrevAttempt   int
	PrevUpdatedAt time.Time
	Now           time.Time
	Actor         string
}

// CredentialProvided is an admin supplying a standard identity's credential: the
// identity as it is to be written (at PrevVersion), and the approved requests that
// waited on it, each as it is to be written (provisioned, its version one more
// than the stored one's). At most MaxWaitingRequests requests go in one write.
type CredentialProvided struct {
	Identity    ClientIdentity
	PrevVersion int
	Requests    []AccessRequest
}

// MaxWaitingRequests is how many waiting requests one credential write moves (a
// transaction holds at most 100 items).
const MaxWaitingRequests = 90

// ErrStaleAttempt reports a provisioning write from an attempt that is no longer
// current (a retry started meanwhile) or for an identity no longer provisioning.
var ErrStaleAttempt = Conflict(CodeVersionConflict, "the identity is not provisioning this attempt")

// AuditFilter narrows an audit listing; zero fields do not filter.
type AuditFilter struct {
	ClientID string
	ActorID  string
	Action   string
	From, To time.Time
	// ExcludeTypes leaves out entries of these entity types (what the reader may
	// not see: AuditVisibility).
	ExcludeTypes []string
}

// AgencyStore keeps agencies and their settings.
type AgencyStore interface {
	// CreateAgency writes the agency, its owner and its default policy (CodeEmailTaken).
	CreateAgency(ctx context.Context, c AgencyCreation) error
	GetAgency(ctx context.Context, agencyID string) (Agency, error)
	UpdateAgency(ctx context.Context, u AgencyUpdate) error
}

// MemberStore keeps agency staff and client users.
type MemberStore interface {
	// CreateMember writes a member with its email guard (CodeEmailTaken, *Replay).
	CreateMember(ctx context.Context, m Member, idem *Idempotency) error
	GetMember(ctx context.Context, agencyID, memberID string) (Member, error)
	ListMembers(ctx context.Context, agencyID string, page Page) ([]Member, Keys, error)
	// UpdateMember moves the enabled-owner count by ownerDelta (CodeLastOwner).
	UpdateMember(ctx context.Context, m Member, prevVersion, ownerDelta int) error
	MemberBySubject(ctx context.Context, subject string) (Member, error)
	MemberByEmail(ctx context.Context, email string) (Member, error)
	// BindSubject stores the subject m signed in with, claimed for m alone.
	BindSubject(ctx context.Context, m Member, prevVersion int) error
	// ChangeMemberEmail moves a member to a new email (claimed for it alone:
	// CodeEmailTaken), releasing the old one and the subject it was bound to.
	ChangeMemberEmail(ctx context.Context, c MemberEmailChange) error
}

// MemberEmailChange is one member's email correction: the member as it becomes
// (new email, no subject), at PrevVersion, and what it releases.
type MemberEmailChange struct {
	Member      Member
	PrevVersion int
	OwnerDelta  int
	PrevEmail   string
	PrevSubject string // "" when it was not bound
}

// PlatformStore keeps the agency's platform connections.
type PlatformStore interface {
	CreatePlatform(ctx context.Context, p Platform, idem *Idempotency) error
	GetPlatform(ctx context.Context, agencyID, platformID string) (Platform, error)
	ListPlatforms(ctx context.Context, agencyID string, page Page) ([]Platform, Keys, error)
	UpdatePlatform(ctx context.Context, p Platform, prevVersion int) error
}

// SecurityPolicyStore keeps security policies.
type SecurityPolicyStore interface {
	CreateSecurityPolicy(ctx context.Context, p SecurityPolicy, idem *Idempotency) error
	GetSecurityPolicy(ctx context.Context, agencyID, policyID string) (SecurityPolicy, error)
	ListSecurityPolicies(ctx context.Context, agencyID string, page Page) ([]SecurityPolicy, Keys, error)
	UpdateSecurityPolicy(ctx context.Context, p SecurityPolicy, prevVersion int) error
}

// ClientStore keeps clients with their contacts, team and platforms. Each change
// is one transaction over the client item at PrevVersion (CodeVersionConflict).
type ClientStore interface {
	GetClientDetail(ctx context.Context, agencyID, clientID string) (ClientDetail, error)
	// ReadClientAccess reads the detail with the client's identities and pending
	// requests (one Query): what effective access and offboarding show.
	ReadClientAccess(ctx context.Context, agencyID, clientID string) (ClientDetail, error)
	ListClients(ctx context.Context, agencyID string, lifecycle ClientLifecycle, page Page) ([]Client, Keys, error)
	// ClientExists reports whether the agency has the client (a read of its key only).
	ClientExists(ctx context.Context, agencyID, clientID string) (bool, error)
	// GetClient reads the client item alone (one GetItem).
	GetClient(ctx context.Context, agencyID, clientID string) (Client, error)
	// GetClients reads clients by id (up to 100; missing ones are absent).
	GetClients(ctx context.Context, agencyID string, ids []string) ([]Client, error)
	// CreateClient: CodeClientNameTaken, *MissingError, *Replay.
	CreateClient(ctx context.Context, c ClientCreation, idem *Idempotency) error
	UpdateClient(ctx context.Context, u ClientUpdate) error
	// SetNonCompliant records how many of the client's active identities do not
	// meet its security policy (the client's facts; its status follows).
	SetNonCompliant(ctx context.Context, agencyID, clientID string, n int, pol PolicySnapshot, now time.Time, actor string) error
	PutContact(ctx context.Context, c ClientChange, ct Contact) error
	// PutIdentityLink links an active agency identity (*MissingError otherwise).
	PutIdentityLink(ctx context.Context, c ClientChange, l IdentityLink) error
	DeleteIdentityLink(ctx context.Context, c ClientChange, identityID string) error
	DeleteContact(ctx context.Context, c ClientChange, contactID string) error
	// PutTeamMember: the member must be enabled agency staff (*MissingError).
	PutTeamMember(ctx context.Context, c ClientChange, t TeamAssignment) error
	DeleteTeamMember(ctx context.Context, c ClientChange, memberID string) error
	// AddClientPlatform: the platform must still be operational (CodePlatformNotOperational).
	AddClientPlatform(ctx context.Context, c ClientChange, cp ClientPlatform) error
	// CreateClientUser creates a client user of the client (CodeEmailTaken, *Replay).
	CreateClientUser(ctx context.Context, c ClientChange, m Member, idem *Idempotency) error
	SetClientGovernance(ctx context.Context, g GovernanceChange) error
	// SaveOffboarding records the client's offboarding progress (and its archive).
	SaveOffboarding(ctx context.Context, c ClientChange) error
	// RevokeClientPlatforms records the client's platforms as revoked.
	RevokeClientPlatforms(ctx context.Context, c ClientChange, platforms []ClientPlatform) error
	ClientsOfPlatform(ctx context.Context, agencyID, platformID string, page Page) ([]string, Keys, error)
	SetClientPlatformHealth(ctx context.Context, agencyID, clientID, platformID string, status PlatformStatus, actor string, now time.Time) error
}

// RequestStore keeps access requests and their live grants.
type RequestStore interface {
	// CreateRequest: CodeRequestPending, CodeClientArchived, *MissingError (platform), *Replay.
	CreateRequest(ctx context.Context, r AccessRequest, idem *Idempotency) error
	GetRequest(ctx context.Context, agencyID, clientID, requestID string) (AccessRequest, error)
	ListRequests(ctx context.Context, agencyID, clientID string, status RequestStatus, page Page) ([]AccessRequest, Keys, error)
	ListRequesterRequests(ctx context.Context, agencyID, clientID, requesterID string, status RequestStatus, page Page) ([]AccessRequest, Keys, error)
	TransitionRequest(ctx context.Context, t RequestTransition) error
	ReadSubmitContext(ctx context.Context, agencyID, clientID, platformID, templateID string) (SubmitContext, error)
	// ExpiredPending calls fn for each pending request whose expiry is before now,
	// reading only those.
	ExpiredPending(ctx context.Context, now time.Time, fn func(AccessRequest) error) error
	GetGrant(ctx context.Context, agencyID, clientID, requestID string) (AccessGrant, error)
	EndGrant(ctx context.Context, e GrantEnd) error
	// EndedGrants calls fn for each live grant whose end is before now.
	EndedGrants(ctx context.Context, now time.Time, fn func(EndedGrant) error) error
	// CreateGrantedRequest writes a request granted at once (break-glass) with its
	// grant, in one transaction; the client must take access.
	CreateGrantedRequest(ctx context.Context, r AccessRequest, g NewGrant) error
	// DueReminders calls fn for each planned reviewer reminder that is due.
	DueReminders(ctx context.Context, now time.Time, fn func(ReminderDue) error) error
	// MarkReminderSent records a reminder on its request (once; false when the
	// request left pending or had it already) and takes it out of the index.
	MarkReminderSent(ctx context.Context, d ReminderDue, now time.Time) (bool, error)
	// DueEndNotices calls fn for each granted request whose end notice is due.
	DueEndNotices(ctx context.Context, now time.Time, fn func(AccessRequest) error) error
	MarkEndNoticeSent(ctx context.Context, r AccessRequest, now time.Time) error
}

// ClientIdentityStore keeps client-dedicated identities and their provisioning.
type ClientIdentityStore interface {
	ClientIdentityFor(ctx context.Context, agencyID, clientID, platformID string) (ClientIdentity, bool, error)
	GetClientIdentity(ctx context.Context, agencyID, clientID, identityID string) (ClientIdentity, error)
	// GetClientIdentityWithClient reads an identity and its client in one round
	// trip (the client carries the policy compliance is judged by).
	GetClientIdentityWithClient(ctx context.Context, agencyID, clientID, identityID string) (ClientIdentity, Client, error)
	ListClientIdentities(ctx context.Context, agencyID, clientID string, page Page) ([]ClientIdentity, Keys, error)
	UpdateClientIdentity(ctx context.Context, i ClientIdentity, prevVersion int) error
	// RetryProvisioning starts a new attempt of a failed or stuck identity.
	RetryProvisioning(ctx context.Context, r ProvisioningRetry) error
	// UpdateStep records a step's progress (ErrStaleAttempt).
	UpdateStep(ctx context.Context, u StepUpdate) error
	// ActivateIdentity makes the identity active and its request provisioned; with
	// no request id (a standard identity without its credential yet) the request
	// stays approved and the platform entry shows awaiting_credential.
	ActivateIdentity(ctx context.Context, agencyID, clientID, identityID, requestID, platformID string, attempt int, now time.Time) error
	// ProvideCredential records a standard identity's credential and moves the
	// approved requests waiting on it to provisioned, in one transaction.
	ProvideCredential(ctx context.Context, c CredentialProvided) error
	// DueEscalations calls fn for each failed identity, not yet escalated, that
	// failed before failedBefore.
	DueEscalations(ctx context.Context, failedBefore time.Time, fn func(ClientIdentity) error) error
	// MarkEscalated records that an identity's failure was escalated; false when
	// it was already, or the identity moved on (retried, deactivated).
	MarkEscalated(ctx context.Context, i ClientIdentity, now time.Time) (bool, error)
	// MarkFailed records a failed step; an identity already failed stays as it is.
	MarkFailed(ctx context.Context, agencyID, clientID, identityID, platformID string, attempt int, step, errMsg string, now time.Time) error
}

// GovernanceStore keeps governance policies and role templates.
type GovernanceStore interface {
	CreateGovernancePolicy(ctx context.Context, p GovernancePolicy, idem *Idempotency) error
	GetGovernancePolicy(ctx context.Context, agencyID, policyID string) (GovernancePolicy, error)
	ListGovernancePolicies(ctx context.Context, agencyID string, page Page) ([]GovernancePolicy, Keys, error)
	UpdateGovernancePolicy(ctx context.Context, p GovernancePolicy, prevVersion int) error
	// CreateRoleTemplate: a named policy must exist (*MissingError).
	CreateRoleTemplate(ctx context.Context, t RoleTemplate, idem *Idempotency) error
	GetRoleTemplate(ctx context.Context, agencyID, templateID string) (RoleTemplate, error)
	ListRoleTemplates(ctx context.Context, agencyID string, page Page) ([]RoleTemplate, Keys, error)
	UpdateRoleTemplate(ctx context.Context, t RoleTemplate, prevVersion int) error
}

// IdentityStore keeps agency identities (the wizard).
type IdentityStore interface {
	// CreateIdentity: CodePlatformIdentity, *MissingError (platform), *Replay.
	CreateIdentity(ctx context.Context, i Identity, idem *Idempotency) error
	GetIdentity(ctx context.Context, agencyID, identityID string) (Identity, error)
	ListIdentities(ctx context.Context, agencyID string, page Page) ([]Identity, Keys, error)
	// GetIdentities reads agency identities by id in one round trip (up to 100;
	// missing ones are absent).
	GetIdentities(ctx context.Context, agencyID string, ids []string) ([]Identity, error)
	// UpdateIdentity writes a changed agency identity at its previous version.
	UpdateIdentity(ctx context.Context, i Identity, prevVersion int) error
}

// ReviewStore keeps access review campaigns.
type ReviewStore interface {
	// DueReviews calls fn for each client whose next review is due.
	DueReviews(ctx context.Context, now time.Time, fn func(Client) error) error
	// OpenReview writes a campaign with its client's next review time, once (a
	// campaign that exists already is success).
	OpenReview(ctx context.Context, c ClientChange, r ReviewCampaign) error
	GetReview(ctx context.Context, agencyID, clientID, reviewID string) (ReviewCampaign, error)
	ListReviews(ctx context.Context, agencyID, clientID string, page Page) ([]ReviewCampaign, Keys, error)
	// SaveReview writes a changed campaign at its previous version.
	SaveReview(ctx context.Context, r ReviewCampaign, prevVersion int) error
	// OverdueReviews calls fn for each open campaign past its deadline.
	OverdueReviews(ctx context.Context, now time.Time, fn func(ReviewCampaign) error) error
}

// NotificationStore keeps members' in-app notifications.
type NotificationStore interface {
	// PutNotification writes a notification; the same id and time write the same item.
	PutNotification(ctx context.Context, n Notification) error
	// GetNotification reads one notification (found is false when there is none).
	GetNotification(ctx context.Context, agencyID, memberID string, at time.Time, id string) (Notification, bool, error)
	ListNotifications(ctx context.Context, agencyID, memberID string, page Page) ([]Notification, Keys, error)
	// MarkNotificationRead marks one notification read; false when it was already.
	MarkNotificationRead(ctx context.Context, n Notification, now time.Time) (bool, error)
}

// AuditStore reads the audit trail, newest first.
type AuditStore interface {
	ListClientAudit(ctx context.Context, agencyID, clientID string, f AuditFilter, page Page) ([]AuditEntry, Keys, error)
	ListAgencyAudit(ctx context.Context, agencyID string, f AuditFilter, page Page) ([]AuditEntry, Keys, error)
}

// Store is every aggregate's store; shared/dynamo implements it.
type Store interface {
	AgencyStore
	MemberStore
	PlatformStore
	SecurityPolicyStore
	ClientStore
	RequestStore
	ClientIdentityStore
	GovernanceStore
	IdentityStore
	ReviewStore
	NotificationStore
}
