package accesshive

import "time"

// NewAccessRequestInput is what a client user submits.
type NewAccessRequestInput struct {
	PlatformID    string       `json:"platformId"`
	IdentityType  IdentityType `json:"identityType"`
	Justification string       `json:"justification"`
	// DurationMinutes asks for access that ends; 0 takes the template's or policy's default.
	DurationMinutes int `json:"durationMinutes"`
	// RoleTemplateID names a role template: its identity type and default duration
	// apply where the request gives none.
	RoleTemplateID string `json:"roleTemplateId"`
}

// Validate checks the input.
func (in NewAccessRequestInput) Validate() error {
	var v Validation
	v.Check(in.PlatformID != "", "platformId", FieldRequired, "platformId is required")
	switch {
	case in.IdentityType == "" && in.RoleTemplateID == "":
		v.Add("identityType", FieldRequired, "identityType is required (managed or standard) unless a roleTemplateId gives it")
	case in.IdentityType != "" && !in.IdentityType.Valid():
		v.Add("identityType", FieldUnknown, "identityType must be managed or standard")
	}
	// Whether a justification is required, and how long, is the policy's to say.
	checkText(&v, "justification", in.Justification, false, MaxJustificationLength)
	v.Check(in.DurationMinutes >= 0 && in.DurationMinutes <= MaxAccessMinutes, "durationMinutes", FieldOutRange,
		"durationMinutes must be between 1 and %d (0 or absent: the default)", MaxAccessMinutes)
	return v.Err()
}

// ReviewInput is the body of approve and reject: an optional reason the requester sees.
type ReviewInput struct {
	Reason string `json:"reason"`
}

// Validate checks the input.
func (in ReviewInput) Validate() error {
	var v Validation
	checkText(&v, "reason", in.Reason, false, 1000)
	return v.Err()
}

// Provisioning step names, in order. The requester hears that their access is
// ready from the notifications function, which follows the request's changes.
const (
	StepPrepare       = "prepare_identity"
	StepWorkspaceUser = "create_workspace_user"
	StepStoreSecret   = "store_credential"
	StepActivate      = "activate_identity"
)

// ProvisioningSteps lists the steps of provisioning.
var ProvisioningSteps = []string{StepPrepare, StepWorkspaceUser, StepStoreSecret, StepActivate}

// Failure steps of the workflows (each state machine's Catch target) and the
// rotation's one step.
const (
	StepMarkProvisioningFailed = "mark_provisioning_failed"
	// Deprovisioning (the provisioning machine's other branch): a managed
	// identity's last grant ended.
	StepDeprovisionWorkspaceUser = "deprovision_workspace_user"
	StepMarkDeprovisioningFailed = "mark_deprovisioning_failed"
	StepMarkOffboardingFailed    = "mark_offboarding_failed"
	StepRotateCredential         = "rotate_credential"
)

// Step statuses.
const (
	StepPending = "pending"
	StepRunning = "running"
	StepDone    = "done"
	StepFailed  = "failed"
	StepSkipped = "skipped"
)

// CredentialSecretName is the Secrets Manager name of a client-dedicated
// identity's credential, under the stack's prefix (IAM grants the functions
// their stack's secrets only).
func CredentialSecretName(agencyID, clientID, identityID string) string {
	return "identities/" + agencyID + "/" + clientID + "/" + identityID
}

// Credential is a revealed credential.
type Credential struct {
	IdentityID string    `json:"identityId"`
	Username   string    `json:"username"`
	Password   string    `json:"password"`
	RevealedAt time.Time `json:"revealedAt"`
}

// CredentialInput replaces a standard identity's credential.
type CredentialInput struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// Validate checks the input.
func (in CredentialInput) Validate() error {
	var v Validation
	checkText(&v, "username", in.Username, true, 254)
	n := len(in.Password)
	v.Check(n >= 8 && n <= 1024, "password", FieldOutRange, "password must be 8 to 1024 characters")
	return v.Err()
}

// MaxBulkDecisions is how many requests one bulk decision call decides.
const MaxBulkDecisions = 25

// Decision actions.
const (
	DecisionApprove = "approve"
	DecisionReject  = "reject"
)

// DecisionInput is one decision of a bulk call.
type DecisionInput struct {
	RequestID string `json:"requestId"`
	Action    string `json:"action"`
	Reason    string `json:"reason"`
}

// BulkDecisionInput decides several pending requests of one client, each on its
// own (one answer item per request).
type BulkDecisionInput struct {
	Decisions []DecisionInput `json:"decisions"`
}

// Validate checks the call's shape; each decision's own checks are the one-by-one
// ones.
func (in BulkDecisionInput) Validate() error {
	var v Validation
	v.Check(len(in.Decisions) >= 1 && len(in.Decisions) <= MaxBulkDecisions, "decisions", FieldOutRange,
		"decisions must hold 1 to %d items", MaxBulkDecisions)
	seen := map[string]bool{}
	for i, d := range in.Decisions {
		f := "decisions[" + itoa(i) + "]."
		v.Check(ValidID(PrefixRequest, d.RequestID), f+"requestId", FieldInvalid, "requestId must be an access request id")
		v.Check(!seen[d.RequestID], f+"requestId", FieldInvalid, "request %s is decided twice", d.RequestID)
		seen[d.RequestID] = true
		v.Check(d.Action == DecisionApprove || d.Action == DecisionReject, f+"action", FieldUnknown, "action must be approve or reject")
		checkText(&v, f+"reason", d.Reason, false, 1000)
	}
	return v.Err()
}

// DecisionResult is one decision's outcome: the request as it became, or why it
// was refused.
type DecisionResult struct {
	RequestID string
	Action    string
	Request   *AccessRequest
	Err       error
}
