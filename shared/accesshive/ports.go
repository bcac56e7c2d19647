package accesshive

import "context"

// The ports: what the service asks of the world outside the table, each
// implemented by one adapter under shared/ (stepfn, vault, mail, gworkspace) and
// by in-memory fakes in the service's tests.

// Workflows runs the state machines (Step Functions).
type Workflows interface {
	// Start starts one attempt of a workflow on a resource; the execution name is
	// StepInput.ExecutionName's, so a repeated start of the same attempt is harmless.
	Start(ctx context.Context, workflow string, in StepInput) error
	// Stop stops an attempt's execution; one already ended or never started is fine.
	Stop(ctx context.Context, workflow, resourceID string, attempt int) error
	// Run runs an attempt to its end and returns its failure, if any (rotation,
	// which the API answers synchronously).
	Run(ctx context.Context, workflow string, in StepInput) error
}

// Directory is the Google Workspace users AccessHive manages.
type Directory interface {
	// EnsureUser creates the user; one that exists already (a retried step, or a
	// user suspended when its identity's last grant ended) is made active with
	// the given password.
	EnsureUser(ctx context.Context, u DirectoryUser) (created bool, err error)
	SetPassword(ctx context.Context, email, password string) error
	// Suspend suspends the user; a missing user is success.
	Suspend(ctx context.Context, email string) error
}

// Vault keeps credentials by secret name (Secrets Manager).
type Vault interface {
	Get(ctx context.Context, name string) (value string, found bool, err error)
	// Put stores a new current value, creating the secret the first time.
	Put(ctx context.Context, name, value string) error
	// Create stores value unless the secret exists; either way it returns the
	// secret's value (a concurrent creator's, if it won).
	Create(ctx context.Context, name, value, description string) (string, error)
	Exists(ctx context.Context, name string) (bool, error)
	// Delete schedules the secret's deletion; a missing secret is already gone.
	Delete(ctx context.Context, name string) error
}

// Mailer sends email (SES).
type Mailer interface {
	Send(ctx context.Context, to, subject, body string) error
}

// Metrics counts what the product does (requests submitted, approved,
// provisioned, expired; provisioning failures), for dashboards and alarms.
type Metrics interface {
	Count(name string, n int)
}

// Metric names.
const (
	MetricRequestsSubmitted    = "RequestsSubmitted"
	MetricRequestsApproved     = "RequestsApproved"
	MetricRequestsProvisioned  = "RequestsProvisioned"
	MetricRequestsExpired      = "RequestsExpired"
	MetricProvisioningFailures = "ProvisioningFailures"
)
