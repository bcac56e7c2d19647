package accesshive

import "time"

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
)

// RequestStatuses lists every request status, for the ?status= filter.
var RequestStatuses = []string{"pending", "approved", "provisioned", "rejected", "expired", "cancelled"}

// RequestEvent is one entry of a request's history.
type RequestEvent struct {
	At     time.Time     `json:"at"`
	By     string        `json:"by"`
	Action string        `json:"action"`
	Status RequestStatus `json:"status"`
	Reason string        `json:"reason,omitempty"`
}

// AccessRequest is a client user's request for access to a platform.
type AccessRequest struct {
	ID            string         `json:"id"`
	AgencyID      string         `json:"agencyId"`
	ClientID      string         `json:"clientId"`
	PlatformID    string         `json:"platformId"`
	RequesterID   string         `json:"requesterId"`
	IdentityType  IdentityType   `json:"identityType"`
	Justification string         `json:"justification"`
	Status        RequestStatus  `json:"status"`
	Reason        string         `json:"reason,omitempty"`
	IdentityID    string         `json:"identityId,omitempty"`
	ExpiresAt     time.Time      `json:"expiresAt"`
	History       []RequestEvent `json:"history"`
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
	Provisioning        struct {
		Attempt int                `json:"attempt"`
		Steps   []ProvisioningStep `json:"steps"`
	} `json:"provisioning"`
	Meta
}

// PolicyAssignment is a policy in force for a client.
type PolicyAssignment struct {
	Kind     string `json:"kind"` // security_policy, governance_policy
	PolicyID string `json:"policyId"`
	Scope    string `json:"scope"` // client, or a platform id
}

// TeamGroup is a named group of agency members assigned to a client together.
type TeamGroup struct {
	Name      string   `json:"name"`
	Role      TeamRole `json:"role"`
	MemberIDs []string `json:"memberIds"`
}

// ComplianceSettings are a client's compliance requirements.
type ComplianceSettings struct {
	DataResidency         string `json:"dataResidency"`
	RequireJustification  bool   `json:"requireJustification"`
	AuditRetentionDays    int    `json:"auditRetentionDays"`
	AccessReviewEveryDays int    `json:"accessReviewEveryDays"`
}

// Governance is a client's Governance tab.
type Governance struct {
	ClientID          string             `json:"clientId"`
	PolicyAssignments []PolicyAssignment `json:"policyAssignments"`
	TeamGroups        []TeamGroup        `json:"teamGroups"`
	ClientOwners      []string           `json:"clientOwners"`
	Compliance        ComplianceSettings `json:"compliance"`
}

// AccessCell is one cell of the effective access matrix with its derivation.
type AccessCell struct {
	PlatformID  string     `json:"platformId"`
	PrincipalID string     `json:"principalId"`
	Kind        string     `json:"kind"` // identity, team_member
	Access      string     `json:"access"`
	Until       *time.Time `json:"until,omitempty"`
	Derivation  []string   `json:"derivation"`
}

// EffectiveAccess is the client's Effective Access tab: platforms × principals.
type EffectiveAccess struct {
	ClientID  string           `json:"clientId"`
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
	APIRequestID string         `json:"apiRequestId,omitempty"`
	Changes      map[string]any `json:"changes"`
}
