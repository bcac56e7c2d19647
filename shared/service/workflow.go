package service

import (
	"context"
	"errors"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// Step is one step of a workflow.
type Step func(ctx context.Context, in ah.StepInput) (ah.StepOutput, error)

// steps is every workflow step by name: one function each.
func (s *Service) steps() map[string]Step {
	return map[string]Step{
		ah.StepPrepare:                  s.prepareIdentity,
		ah.StepWorkspaceUser:            s.createWorkspaceUser,
		ah.StepStoreSecret:              s.storeCredential,
		ah.StepActivate:                 s.activateIdentity,
		ah.StepMarkProvisioningFailed:   s.markProvisioningFailed,
		ah.StepDeprovisionWorkspaceUser: s.deprovisionWorkspaceUser,
		ah.StepMarkDeprovisioningFailed: s.markDeprovisioningFailed,
		ah.StepDeactivateIdentities:     s.offboardingStep(ah.StepDeactivateIdentities, s.deactivateIdentities),
		ah.StepRejectPendingRequests:    s.offboardingStep(ah.StepRejectPendingRequests, s.rejectPendingRequests),
		ah.StepRevokeAccess:             s.offboardingStep(ah.StepRevokeAccess, s.revokeAccess),
		ah.StepSuspendWorkspaceUsers:    s.offboardingStep(ah.StepSuspendWorkspaceUsers, s.suspendWorkspaceUsers),
		ah.StepDeleteCredentials:        s.offboardingStep(ah.StepDeleteCredentials, s.deleteCredentials),
		ah.StepDisableClientUsers:       s.offboardingStep(ah.StepDisableClientUsers, s.disableClientUsers),
		ah.StepArchiveClient:            s.offboardingStep(ah.StepArchiveClient, s.archiveClient),
		ah.StepMarkOffboardingFailed:    s.markOffboardingFailed,
		ah.StepRotateCredential:         s.rotateCredentialStep,
	}
}

// StepHandler is a workflow function's Lambda handler: it runs the step its input
// names, if it is one of names (each function runs only its own steps, with only
// their permissions), and classifies its error for the state machine's Retry.
func (s *Service) StepHandler(names ...string) func(context.Context, ah.StepInput) (ah.StepOutput, error) {
	all := s.steps()
	mine := map[string]Step{}
	for _, n := range names {
		if st, ok := all[n]; ok {
			mine[n] = st
		}
	}
	return func(ctx context.Context, in ah.StepInput) (ah.StepOutput, error) {
		st, ok := mine[in.Step]
		if !ok {
			return ah.StepOutput{}, ah.Permanent("step %q does not run in this function", in.Step)
		}
		out, err := st(ctx, in)
		if err != nil {
			s.log.ErrorContext(ctx, "workflow step failed", "step", in.Step, "clientId", in.ClientID, "identityId", in.IdentityID,
				"attempt", in.Attempt, "error", err.Error())
		}
		return out, ah.StepError(err)
	}
}

// directory returns the Workspace client, built on first use.
func (s *Service) directory(ctx context.Context) (ah.Directory, error) {
	if s.workspace == nil {
		return nil, ah.Permanent("Google Workspace is not connected (WorkspaceCredentialsSecretArn is empty)")
	}
	d, err := s.workspace(ctx)
	if err != nil {
		return nil, ah.Transient("connect to Google Workspace: %w", err)
	}
	if d == nil {
		return nil, ah.Permanent("Google Workspace is not connected (WorkspaceCredentialsSecretArn is empty)")
	}
	return d, nil
}

// stale reports an attempt that is no longer current: nothing to retry.
func stale(err error) error {
	if errors.Is(err, ah.ErrStaleAttempt) || errors.Is(err, ErrStaleOffboarding) {
		return ah.Permanent("stale attempt: a newer attempt or another state owns this resource: %w", err)
	}
	return err
}
