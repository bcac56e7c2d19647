package accesshive

import (
	"errors"
	"fmt"
	"strconv"
)

// The workflow kit: what every state machine's steps share (provisioning,
// offboarding, rotation). A step is one function of the service, named in the
// execution's input; its error says whether the state machine retries it.

// Workflows AccessHive runs as state machines.
const (
	WorkflowProvisioning = "provision"
	WorkflowOffboarding  = "offboard"
	WorkflowRotation     = "rotate"
	// WorkflowDeprovisioning runs on the provisioning state machine (its
	// deprovisioning branch), under its own execution names.
	WorkflowDeprovisioning = "deprovision"
)

// ExecutionName is the deterministic name of one attempt of a workflow on one
// resource: a second start of the same attempt is refused by Step Functions, so it
// can never run twice. Names stay within Step Functions' 80 characters.
func ExecutionName(workflow, resourceID string, attempt int) string {
	return workflow + "-" + resourceID + "-" + strconv.Itoa(attempt)
}

// StepInput is what every step receives: the execution's input, the step it is
// to run and, for a failure step, the error the state machine caught.
type StepInput struct {
	Step       string `json:"step"`
	AgencyID   string `json:"agencyId"`
	ClientID   string `json:"clientId"`
	IdentityID string `json:"identityId,omitempty"`
	RequestID  string `json:"requestId,omitempty"`
	Attempt    int    `json:"attempt"`
	Managed    bool   `json:"managed"`
	// ResumeFrom is the provisioning step an attempt starts at (the failed one on
	// a retry).
	ResumeFrom string `json:"resumeFrom,omitempty"`
	// Error is what a Catch put in the input of a failure step.
	Error *CaughtError `json:"error,omitempty"`
}

// ExecutionName is the name of this attempt's execution of workflow: named after
// the client for offboarding, after the identity otherwise.
func (in StepInput) ExecutionName(workflow string) string {
	if workflow == WorkflowOffboarding {
		return ExecutionName(workflow, in.ClientID, in.Attempt)
	}
	return ExecutionName(workflow, in.IdentityID, in.Attempt)
}

// CaughtError is the error output a state machine's Catch passes on.
type CaughtError struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

func (c *CaughtError) String() string {
	if c == nil {
		return "unknown error"
	}
	return c.Error + ": " + c.Cause
}

// StepOutput is what a step returns (kept under its ResultPath).
type StepOutput struct {
	Step   string `json:"step"`
	Status string `json:"status"`
}

// TransientError is a step failure worth retrying (throttling, a timeout, a 5xx):
// the state machines retry errors of this type with backoff and jitter. The Lambda
// runtime names an error by its Go type, which is what ErrorEquals matches.
type TransientError struct{ Err error }

func (e *TransientError) Error() string { return e.Err.Error() }
func (e *TransientError) Unwrap() error { return e.Err }

// PermanentError is a step failure retrying cannot fix: the state machine moves to
// its failure step, which records it.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Transient wraps err as retryable.
func Transient(format string, args ...any) error {
	return &TransientError{Err: fmt.Errorf(format, args...)}
}

// Permanent wraps err as not retryable.
func Permanent(format string, args ...any) error {
	return &PermanentError{Err: fmt.Errorf(format, args...)}
}

// StepError classifies a step's error for the state machine: one already
// classified stays as it is; a domain error is transient when the store was busy,
// an internal fault or a lost race, and permanent otherwise (a refusal that a retry
// would meet again); anything else is transient.
func StepError(err error) error {
	if err == nil {
		return nil
	}
	var t *TransientError
	var p *PermanentError
	if errors.As(err, &t) {
		return t
	}
	if errors.As(err, &p) {
		return p
	}
	if e := ErrorOf(err); e != nil {
		if e.Kind == KindUnavailable || e.Kind == KindInternal || e.Code == CodeVersionConflict {
			return &TransientError{Err: err}
		}
		return &PermanentError{Err: err}
	}
	return &TransientError{Err: err}
}
