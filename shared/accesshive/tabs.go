package accesshive

import (
	"encoding/json"
	"time"
)

// RequestStatus is where an access request is in its lifecycle.
type RequestStatus string

// Access request statuses.
const (
	RequestPending     RequestStatus = "pending"
	RequestApproved    RequestStatus = "approved"
	RequestProvisioned RequestStatus = "provisioned"
	RequestRejected    RequestStatus = "rejected"
	RequestExpired     RequestStatus = "expired"
	RequestCancelled   RequestStatus = "cancelled" // withdrawn by the requester while pending
	RequestRevoked     RequestStatus = "revoked"   // granted access ended: at its end time or revoked early
)

// RequestStatuses lists every request status, for the ?status= filter.
var RequestStatuses = []string{"pending", "approved", "provisioned", "rejected", "expired", "cancelled", "revoked"}

// RequestEvent is one entry of a request's history.
type RequestEvent struct {
	At time.Time `json:"at"`
	By string    `json:"by"`
	// ByName is who acted, by name, as they were then ("" for AccessHive itself).
	ByName string        `json:"byName,omitempty"`
	Action string        `json:"action"`
	Status RequestStatus `json:"status"`
	Reason string        `json:"reason,omitempty"`
}

// AccessRequest is a client user's request for access to a platform.
type AccessRequest struct {
	ID          string `json:"id"`
	AgencyID    string `json:"agencyId"`
	ClientID    string `json:"clientId"`
	PlatformID  string `json:"platformId"`
	RequesterID string `json:"requesterId"`
	// RequesterName and RequesterEmail are who asked, as they were when they
	// asked (what a reviewer sees, and keeps seeing in the request's history).
	RequesterName  string        `json:"requesterName"`
	RequesterEmail string        `json:"requesterEmail"`
	IdentityType   IdentityType  `json:"identityType"`
	Justification  string        `json:"justification"`
	Status         RequestStatus `json:"status"`
	Reason         string        `json:"reason,omitempty"`
	IdentityID     string        `json:"identityId,omitempty"`
	ExpiresAt      time.Time     `json:"expiresAt"`
	// Governance: the policy the request was evaluated against when submitted, the
	// template it named, the duration asked for, the approvals so far, and when the
	// granted access ends (nil: no end).
	Policy          AppliedPolicy `json:"policy"`
	RoleTemplateID  string        `json:"roleTemplateId,omitempty"`
	DurationMinutes int           `json:"durationMinutes,omitempty"`
	Approvals       []Approval    `json:"approvals"`
	AccessEndsAt    *time.Time    `json:"accessEndsAt,omitempty"`
	// BreakGlass marks emergency access taken without approval; PostReview is
	// the review an admin must close afterwards.
	BreakGlass bool        `json:"breakGlass,omitempty"`
	PostReview *PostReview `json:"postReview,omitempty"`
	// ReminderLeads are the reminders planned when it was submitted (minutes
	// before expiry); RemindersSent those sent (once each).
	ReminderLeads []int `json:"reminderLeads,omitempty"`
	RemindersSent []int `json:"remindersSent,omitempty"`
	// EndNoticeSentAt is when the requester was told their access ends soon.
	EndNoticeSentAt *time.Time     `json:"endNoticeSentAt,omitempty"`
	History         []RequestEvent `json:"history"`
	Meta
}

// ProvisioningStep is one step of an identity's provisioning.
type ProvisioningStep struct {
	Name     string `json:"name"`
	Status   string `json:"status"`
	Attempts int    `json:"attempts"`
	Error    string `json:"error,omitempty"`
}

// ClientIdentity is a client-dedicated identity (one per client and platform).
type ClientIdentity struct {
	ID               string           `json:"id"`
	AgencyID         string           `json:"agencyId"`
	ClientID         string           `json:"clientId"`
	PlatformID       string           `json:"platformId"`
	IdentityType     IdentityType     `json:"identityType"`
	Email            string           `json:"email,omitempty"`
	Status           IdentityStatus   `json:"status"`
	CredentialStatus CredentialStatus `json:"credentialStatus"`
	RequestID        string           `json:"requestId,omitempty"`
	// Credential bookkeeping: who last revealed it and when it last changed.
	LastRevealedAt      *time.Time `json:"lastRevealedAt,omitempty"`
	LastRevealedBy      string     `json:"lastRevealedBy,omitempty"`
	CredentialChangedAt *time.Time `json:"credentialChangedAt,omitempty"`
	// RotationStartedAt is set while a rotation holds the identity: one rotation at a
	// time, taken before the password changes anywhere.
	RotationStartedAt *time.Time `json:"rotationStartedAt,omitempty"`
	// FailedAt is when provisioning last failed; EscalatedAt when that failure,
	// unanswered, was escalated to the client's technical contacts.
	// Deprovisioning is the last suspension of the identity's Workspace user (a
	// managed identity whose last grant ended).
	Deprovisioning *Deprovisioning `json:"deprovisioning,omitempty"`
	FailedAt       *time.Time      `json:"failedAt,omitempty"`
	EscalatedAt    *time.Time      `json:"escalatedAt,omitempty"`
	// ActiveGrants counts the live grants using the identity; when the last one
	// ends the identity is deactivated.
	ActiveGrants int `json:"activeGrants"`
	// CredentialProfile is what is known of the current credential (length,
	// classes, when set); Compliance is computed from it when the identity is read.
	CredentialProfile *CredentialProfile `json:"credentialProfile,omitempty"`
	Compliance        *Compliance        `json:"compliance,omitempty"`
	Provisioning      struct {
		Attempt int                `json:"attempt"`
		Steps   []ProvisioningStep `json:"steps"`
	} `json:"provisioning"`
	Meta
}

// Deprovisioning statuses.
const (
	DeprovisioningRunning = "running"
	DeprovisioningDone    = "done"
	DeprovisioningFailed  = "failed"
)

// Deprovisioning is one suspension of a managed identity's Workspace user when
// its last grant ended: the user suspended and its password replaced with one
// nobody has seen, retried by the state machine; the next approved grant
// provisions it again with a fresh password.
type Deprovisioning struct {
	Attempt   int       `json:"attempt"`
	Status    string    `json:"status"`
	StartedAt time.Time `json:"startedAt"`
	Error     string    `json:"error,omitempty"`
}

// PolicyAssignment assigns a governance policy to a client (scope "client") or to
// one of the client's platforms (scope: the platform id).
type PolicyAssignment struct {
	PolicyID string `json:"policyId"`
	Scope    string `json:"scope"`
}

// TeamGroup is a named group of agency members assigned to a client together:
// each member gets a team assignment with the group's role.
type TeamGroup struct {
	Name      string   `json:"name"`
	Role      TeamRole `json:"role"`
	MemberIDs []string `json:"memberIds"`
}

// ComplianceSettings are a client's compliance requirements.
type ComplianceSettings struct {
	DataResidency string `json:"dataResidency"`
	// RequireJustification requires a justification on every request for this
	// client, whatever the policy in force says.
	RequireJustification  bool `json:"requireJustification"`
	AuditRetentionDays    int  `json:"auditRetentionDays"`
	AccessReviewEveryDays int  `json:"accessReviewEveryDays"`
	// BreakGlassDisabled refuses emergency access to this client.
	BreakGlassDisabled bool `json:"breakGlassDisabled"`
	// ReviewDeadlineDays is how long an access review stays open (0: 14);
	// UnreviewedAction is what happens to items not decided by then: revoke,
	// or escalate to admins ("": escalate).
	ReviewDeadlineDays int    `json:"reviewDeadlineDays,omitempty"`
	UnreviewedAction   string `json:"unreviewedAction,omitempty"`
}

// Governance is a client's Governance tab; version is the client's (If-Match).
type Governance struct {
	ClientID string `json:"clientId"`
	ClientGovernance
	Version int `json:"version"`
}

// ETagVersion is the client's version: governance is stored with the client.
func (g Governance) ETagVersion() int { return g.Version }

// Derivation is one fact a cell of the effective access matrix rests on.
type Derivation struct {
	Source string     `json:"source"` // access_request, approval, policy, security_policy, role_template, identity, team_assignment, team_group, client_owner
	ID     string     `json:"id,omitempty"`
	By     string     `json:"by,omitempty"`
	At     *time.Time `json:"at,omitempty"`
	Detail string     `json:"detail,omitempty"`
}

// Access levels of a cell.
const (
	AccessGranted      = "granted"      // live grant on an active identity
	AccessProvisioning = "provisioning" // granted; the identity is being provisioned
	// AccessAwaitingCredential: granted on a standard identity whose credential
	// an admin has not supplied yet.
	AccessAwaitingCredential = "awaiting_credential"
	AccessFailed             = "failed" // granted; provisioning failed
	AccessEndedPending       = "expired_not_revoked"
	AccessIdentity           = "identity_active"   // the identity itself (row for the identity)
	AccessManage             = "manage_identities" // team member whose role includes identity access
	AccessView               = "view"              // team member who sees the client only
)

// AccessCell is one cell of the effective access matrix with its derivation.
type AccessCell struct {
	PlatformID  string     `json:"platformId,omitempty"` // empty: every platform of the client (team roles)
	PrincipalID string     `json:"principalId"`
	Kind        string     `json:"kind"` // identity, client_user, team_member
	Access      string     `json:"access"`
	Until       *time.Time `json:"until,omitempty"`
	// Compliant, on identity cells, says whether the identity's credential meets
	// the client's security policy (absent: no credential to judge).
	Compliant  *bool        `json:"compliant,omitempty"`
	Derivation []Derivation `json:"derivation"`
}

// EffectiveAccess is the client's Effective Access tab: platforms × principals.
type EffectiveAccess struct {
	ClientID  string           `json:"clientId"`
	AsOf      time.Time        `json:"asOf"`
	Platforms []ClientPlatform `json:"platforms"`
	Cells     []AccessCell     `json:"cells"`
}

// AuditEntry is one immutable entry of the audit trail.
type AuditEntry struct {
	ID         string    `json:"id"`
	At         time.Time `json:"at"`
	ActorID    string    `json:"actorId"`
	Action     string    `json:"action"`
	EntityType string    `json:"entityType"`
	EntityID   string    `json:"entityId"`
	ClientID   string    `json:"clientId,omitempty"`
	// APIRequestID is the API request that made the change, where known.
	APIRequestID string `json:"apiRequestId,omitempty"`
	// Changes is a JSON object of the fields that changed, each {"before", "after"}.
	Changes json.RawMessage `json:"changes"`
	// Raw, when set, is the entry's JSON as stored: served as it is, so a reader
	// never decodes and re-encodes what it only passes on.
	Raw json.RawMessage `json:"-"`
}

// MarshalJSON writes the stored JSON when the entry came from the trail.
func (e AuditEntry) MarshalJSON() ([]byte, error) {
	if len(e.Raw) > 0 {
		return e.Raw, nil
	}
	type plain AuditEntry
	return json.Marshal(plain(e))
}
