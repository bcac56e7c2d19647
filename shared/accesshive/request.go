package accesshive

// NewAccessRequestInput is what a client user submits.
type NewAccessRequestInput struct {
	PlatformID    string       `json:"platformId"`
	IdentityType  IdentityType `json:"identityType"`
	Justification string       `json:"justification"`
}

// Validate checks the input.
func (in NewAccessRequestInput) Validate() error {
	var v Validation
	v.Check(in.PlatformID != "", "platformId", FieldRequired, "platformId is required")
	switch {
	case in.IdentityType == "":
		v.Add("identityType", FieldRequired, "identityType is required (managed or standard)")
	case !in.IdentityType.Valid():
		v.Add("identityType", FieldUnknown, "identityType must be managed or standard")
	}
	checkText(&v, "justification", in.Justification, true, 2000)
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

// Provisioning step names, in order.
const (
	StepPrepare       = "prepare_identity"
	StepWorkspaceUser = "create_workspace_user"
	StepStoreSecret   = "store_credential"
	StepActivate      = "activate_identity"
	StepNotify        = "notify_requester"
)

// ProvisioningSteps lists the steps of provisioning.
var ProvisioningSteps = []string{StepPrepare, StepWorkspaceUser, StepStoreSecret, StepActivate, StepNotify}

// Step statuses.
const (
	StepPending = "pending"
	StepRunning = "running"
	StepDone    = "done"
	StepFailed  = "failed"
	StepSkipped = "skipped"
)
