// Package provisioning implements the steps of the provisioning state machine
// (infra/statemachines/provisioning.asl.json). Each step is idempotent and records
// its progress on the identity, so the identity detail shows which step is pending,
// running, done or failed, and why. Errors are named as Step Functions matches
// them: TransientError is retried with backoff, anything else is caught into
// MarkFailed.
package provisioning

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/dynamo"
	"github.com/accesshive/accesshive/shared/gworkspace"
	"github.com/accesshive/accesshive/shared/notify"
	"github.com/accesshive/accesshive/shared/service"
	"github.com/accesshive/accesshive/shared/vault"
)

// TransientError is retried by the state machine.
type TransientError struct{ Msg string }

func (e *TransientError) Error() string { return e.Msg }

// PermanentError is not retried; the execution moves to MarkFailed.
type PermanentError struct{ Msg string }

func (e *PermanentError) Error() string { return e.Msg }

// Input is what every step receives: the execution input plus, for MarkFailed, the
// caught error.
type Input struct {
	service.ProvisioningInput
	Error *struct {
		Error string `json:"Error"`
		Cause string `json:"Cause"`
	} `json:"error,omitempty"`
	NotificationOnly bool `json:"notificationOnly,omitempty"`
}

// Output is what a step returns (stored under its ResultPath).
type Output struct {
	Step   string `json:"step"`
	Status string `json:"status"`
}

// Secrets is the part of Secrets Manager the steps use.
type Secrets interface {
	CreateSecret(ctx context.Context, in *secretsmanager.CreateSecretInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.CreateSecretOutput, error)
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
}

// Mailer sends email.
type Mailer = notify.Mailer

// Steps runs the provisioning steps.
type Steps struct {
	Store     *dynamo.Store
	Directory *gworkspace.Client // nil: managed identities fail with a clear error
	Secrets   Secrets
	Mail      Mailer
	Sender    string
	Domain    string
	Now       func() time.Time
}

func (s *Steps) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now().UTC().Truncate(time.Millisecond)
}

func (s *Steps) mark(ctx context.Context, in Input, step, status, errMsg string, count bool, extra func(*dynamo.StepUpdate)) error {
	u := dynamo.StepUpdate{AgencyID: in.AgencyID, ClientID: in.ClientID, IdentityID: in.IdentityID, Attempt: in.Attempt,
		Step: step, Status: status, Error: errMsg, CountAttempt: count, Now: s.now()}
	if extra != nil {
		extra(&u)
	}
	err := s.Store.UpdateStep(ctx, u)
	if errors.Is(err, dynamo.ErrStaleAttempt) {
		return &PermanentError{Msg: "stale provisioning attempt: a newer attempt or another state owns this identity"}
	}
	if err != nil {
		return &TransientError{Msg: "record step " + step + ": " + err.Error()}
	}
	return nil
}

// SecretName is where a client-dedicated identity's credential is stored.
func SecretName(agencyID, clientID, identityID string) string {
	return ah.CredentialSecretName(agencyID, clientID, identityID)
}

// ManagedEmail is the Workspace address of a managed identity.
func ManagedEmail(identityID, domain string) string {
	return "ah." + strings.ReplaceAll(identityID, "_", "-") + "@" + domain
}

// Prepare marks the start of provisioning and fixes the identity's email.
func (s *Steps) Prepare(ctx context.Context, in Input) (Output, error) {
	if err := s.mark(ctx, in, ah.StepPrepare, ah.StepRunning, "", true, nil); err != nil {
		return Output{}, err
	}
	err := s.mark(ctx, in, ah.StepPrepare, ah.StepDone, "", false, func(u *dynamo.StepUpdate) {
		if in.Managed {
			u.Email = ManagedEmail(in.IdentityID, s.Domain)
		}
	})
	return Output{Step: ah.StepPrepare, Status: ah.StepDone}, err
}

// CreateWorkspaceUser creates the managed identity's domain user. Its password is
// read from (or first written to) Secrets Manager, so it never travels through the
// execution's input or history and is the same on every retry.
func (s *Steps) CreateWorkspaceUser(ctx context.Context, in Input) (Output, error) {
	if err := s.mark(ctx, in, ah.StepWorkspaceUser, ah.StepRunning, "", true, nil); err != nil {
		return Output{}, err
	}
	fail := func(err error) (Output, error) {
		var perm *gworkspace.PermanentError
		msg := err.Error()
		_ = s.mark(ctx, in, ah.StepWorkspaceUser, ah.StepRunning, msg, false, nil)
		if errors.As(err, &perm) {
			return Output{}, &PermanentError{Msg: msg}
		}
		return Output{}, &TransientError{Msg: msg}
	}
	if s.Directory == nil {
		return Output{}, &PermanentError{Msg: "Google Workspace is not connected (WorkspaceCredentialsSecretArn is empty)"}
	}
	password, err := s.ensureSecret(ctx, in)
	if err != nil {
		return fail(err)
	}
	email := ManagedEmail(in.IdentityID, s.Domain)
	if _, err := s.Directory.EnsureUser(ctx, gworkspace.User{PrimaryEmail: email, GivenName: "AccessHive", FamilyName: in.IdentityID, Password: password}); err != nil {
		return fail(err)
	}
	return Output{Step: ah.StepWorkspaceUser, Status: ah.StepDone}, s.mark(ctx, in, ah.StepWorkspaceUser, ah.StepDone, "", false, nil)
}

// ensureSecret returns the identity's stored password, creating it once.
func (s *Steps) ensureSecret(ctx context.Context, in Input) (string, error) {
	name := SecretName(in.AgencyID, in.ClientID, in.IdentityID)
	out, err := s.Secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &name})
	if err == nil {
		return aws.ToString(out.SecretString), nil
	}
	var nf *smtypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		return "", &gworkspace.TransientError{Msg: "read credential: " + err.Error()}
	}
	pw, err := vault.NewPassword(24)
	if err != nil {
		return "", err
	}
	_, err = s.Secrets.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: &name, SecretString: &pw,
		Description: aws.String("AccessHive client-dedicated identity " + in.IdentityID)})
	var exists *smtypes.ResourceExistsException
	if errors.As(err, &exists) { // a concurrent retry won: use its value
		return s.ensureSecret(ctx, in)
	}
	if err != nil {
		return "", &gworkspace.TransientError{Msg: "store credential: " + err.Error()}
	}
	return pw, nil
}

// StoreCredential records the stored credential of a managed identity; a standard
// identity's credentials are supplied by an admin later, so the step is skipped.
func (s *Steps) StoreCredential(ctx context.Context, in Input) (Output, error) {
	if !in.Managed {
		return Output{Step: ah.StepStoreSecret, Status: ah.StepSkipped}, s.mark(ctx, in, ah.StepStoreSecret, ah.StepSkipped, "", false, nil)
	}
	if err := s.mark(ctx, in, ah.StepStoreSecret, ah.StepRunning, "", true, nil); err != nil {
		return Output{}, err
	}
	name := SecretName(in.AgencyID, in.ClientID, in.IdentityID)
	if _, err := s.Secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: &name}); err != nil {
		return Output{}, &TransientError{Msg: "credential not found in Secrets Manager: " + err.Error()}
	}
	return Output{Step: ah.StepStoreSecret, Status: ah.StepDone}, s.mark(ctx, in, ah.StepStoreSecret, ah.StepDone, "", false,
		func(u *dynamo.StepUpdate) { u.CredentialStatus = ah.CredentialStored })
}

// Activate makes the identity active and the request provisioned (one transaction).
func (s *Steps) Activate(ctx context.Context, in Input) (Output, error) {
	idn, err := s.Store.GetClientIdentity(ctx, in.AgencyID, in.ClientID, in.IdentityID)
	if err != nil {
		return Output{}, &TransientError{Msg: "read identity: " + err.Error()}
	}
	err = s.Store.ActivateIdentity(ctx, in.AgencyID, in.ClientID, in.IdentityID, in.RequestID, idn.PlatformID, in.Attempt, s.now())
	if errors.Is(err, dynamo.ErrStaleAttempt) {
		return Output{}, &PermanentError{Msg: "stale provisioning attempt: " + err.Error()}
	}
	if err != nil {
		return Output{}, &TransientError{Msg: "activate: " + err.Error()}
	}
	return Output{Step: ah.StepActivate, Status: ah.StepDone}, nil
}

// Notify tells the requester their access is ready: in-app, and by email. An email
// failure is retried by the state machine and, if it persists, recorded on the
// notify step (the identity stays active).
func (s *Steps) Notify(ctx context.Context, in Input) (Output, error) {
	if err := s.mark(ctx, in, ah.StepNotify, ah.StepRunning, "", true, nil); err != nil {
		return Output{}, err
	}
	r, err := s.Store.GetRequest(ctx, in.AgencyID, in.ClientID, in.RequestID)
	if err != nil {
		return Output{}, &TransientError{Msg: "read request: " + err.Error()}
	}
	m, err := s.Store.GetMember(ctx, in.AgencyID, r.RequesterID)
	if err != nil {
		return Output{}, &TransientError{Msg: "read requester: " + err.Error()}
	}
	n := ah.Notification{ID: "ntf_" + in.IdentityID + "-" + fmt.Sprint(in.Attempt) + "-" + r.ID,
		Kind: "access_request.provisioned", Title: "Your access is ready",
		Body:     "Your access request was approved and your identity is ready. Its credentials are available from your agency.",
		ClientID: in.ClientID, RequestID: r.ID, CreatedAt: r.UpdatedAt}
	notifier := &notify.Notifier{Store: s.Store, Mail: s.Mail, Sender: s.Sender}
	if err := notifier.Send(ctx, m, n); err != nil {
		_ = s.mark(ctx, in, ah.StepNotify, ah.StepRunning, err.Error(), false, nil)
		return Output{}, &TransientError{Msg: "notify the requester: " + err.Error()}
	}
	return Output{Step: ah.StepNotify, Status: ah.StepDone}, s.mark(ctx, in, ah.StepNotify, ah.StepDone, "", false, nil)
}

// MarkFailed records the caught error on the step that was running. For a
// notification failure only the notify step is marked; the identity stays active.
func (s *Steps) MarkFailed(ctx context.Context, in Input) (Output, error) {
	cause := "unknown error"
	if in.Error != nil {
		cause = in.Error.Error + ": " + in.Error.Cause
	}
	if in.NotificationOnly {
		return Output{Step: ah.StepNotify, Status: ah.StepFailed}, s.mark(ctx, in, ah.StepNotify, ah.StepFailed, cause, false, nil)
	}
	idn, err := s.Store.GetClientIdentity(ctx, in.AgencyID, in.ClientID, in.IdentityID)
	if err != nil {
		return Output{}, &TransientError{Msg: "read identity: " + err.Error()}
	}
	step := ah.StepPrepare
	for _, st := range idn.Provisioning.Steps {
		if st.Status == ah.StepRunning || st.Status == ah.StepPending {
			step = st.Name
			break
		}
	}
	if err := s.Store.MarkFailed(ctx, in.AgencyID, in.ClientID, in.IdentityID, idn.PlatformID, in.Attempt, step, cause, s.now()); err != nil {
		return Output{}, &TransientError{Msg: "mark failed: " + err.Error()}
	}
	return Output{Step: step, Status: ah.StepFailed}, nil
}
