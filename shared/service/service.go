// Package service implements AccessHive's operations: each method checks the
// caller's rights beyond the route's role gate, validates input, and makes its state
// change with one conditional write or transaction through the store.
package service

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/audit"
	"github.com/accesshive/accesshive/shared/dynamo"
)

// Store is what the service needs from storage; *dynamo.Store implements it.
type Store interface {
	CreateAgency(ctx context.Context, o dynamo.CreateAgencyOpts) error
	GetAgency(ctx context.Context, agencyID string) (ah.Agency, error)
	UpdateAgency(ctx context.Context, o dynamo.UpdateAgencyOpts) error

	CreateMember(ctx context.Context, m ah.Member, idem *dynamo.Idempotency) error
	GetMember(ctx context.Context, agencyID, memberID string) (ah.Member, error)
	ListMembers(ctx context.Context, agencyID string, page dynamo.Page) ([]ah.Member, dynamo.Keys, error)
	UpdateMember(ctx context.Context, m ah.Member, prevVersion, ownerDelta int) error
	MemberBySubject(ctx context.Context, subject string) (ah.Member, error)
	MemberByEmail(ctx context.Context, email string) (ah.Member, error)
	BindSubject(ctx context.Context, m ah.Member, prevVersion int) error

	CreatePlatform(ctx context.Context, p ah.Platform, idem *dynamo.Idempotency) error
	GetPlatform(ctx context.Context, agencyID, platformID string) (ah.Platform, error)
	ListPlatforms(ctx context.Context, agencyID string, page dynamo.Page) ([]ah.Platform, dynamo.Keys, error)
	UpdatePlatform(ctx context.Context, p ah.Platform, prevVersion int) error

	CreateSecurityPolicy(ctx context.Context, p ah.SecurityPolicy, idem *dynamo.Idempotency) error
	GetSecurityPolicy(ctx context.Context, agencyID, policyID string) (ah.SecurityPolicy, error)
	ListSecurityPolicies(ctx context.Context, agencyID string, page dynamo.Page) ([]ah.SecurityPolicy, dynamo.Keys, error)
	UpdateSecurityPolicy(ctx context.Context, p ah.SecurityPolicy, prevVersion int) error

	GetClientDetail(ctx context.Context, agencyID, clientID string) (dynamo.ClientDetail, error)
	ListClients(ctx context.Context, agencyID string, lifecycle ah.ClientLifecycle, page dynamo.Page) ([]ah.Client, dynamo.Keys, error)
	ListMemberClients(ctx context.Context, agencyID, memberID string, lifecycle ah.ClientLifecycle, page dynamo.Page) ([]ah.Client, dynamo.Keys, error)
	WriteClient(ctx context.Context, w dynamo.ClientWrite, idem *dynamo.Idempotency) error
	ClientsOfPlatform(ctx context.Context, agencyID, platformID string, page dynamo.Page) ([]string, dynamo.Keys, error)
	SetClientPlatformHealth(ctx context.Context, agencyID, clientID, platformID string, status ah.PlatformStatus, actor string, now time.Time) error

	CreateRequest(ctx context.Context, r ah.AccessRequest, idem *dynamo.Idempotency) error
	GetRequest(ctx context.Context, agencyID, clientID, requestID string) (ah.AccessRequest, error)
	ListRequests(ctx context.Context, agencyID, clientID string, status ah.RequestStatus, page dynamo.Page) ([]ah.AccessRequest, dynamo.Keys, error)
	ListRequesterRequests(ctx context.Context, agencyID, clientID, requesterID string, status ah.RequestStatus, page dynamo.Page) ([]ah.AccessRequest, dynamo.Keys, error)
	TransitionRequest(ctx context.Context, t dynamo.RequestTransition) error
	ClientIdentityFor(ctx context.Context, agencyID, clientID, platformID string) (ah.ClientIdentity, bool, error)
	GetClientIdentity(ctx context.Context, agencyID, clientID, identityID string) (ah.ClientIdentity, error)
	ListClientIdentities(ctx context.Context, agencyID, clientID string, page dynamo.Page) ([]ah.ClientIdentity, dynamo.Keys, error)
	ExpiredPending(ctx context.Context, shard int, now time.Time, page dynamo.Page) ([]ah.AccessRequest, dynamo.Keys, error)
	UpdateClientIdentity(ctx context.Context, i ah.ClientIdentity, prevVersion int) error
	RetryProvisioning(ctx context.Context, i ah.ClientIdentity, prevVersion int, now time.Time, actor string) error
	ListNotifications(ctx context.Context, agencyID, memberID string, page dynamo.Page) ([]ah.Notification, dynamo.Keys, error)

	CreateGovernancePolicy(ctx context.Context, p ah.GovernancePolicy, idem *dynamo.Idempotency) error
	GetGovernancePolicy(ctx context.Context, agencyID, policyID string) (ah.GovernancePolicy, error)
	ListGovernancePolicies(ctx context.Context, agencyID string, page dynamo.Page) ([]ah.GovernancePolicy, dynamo.Keys, error)
	UpdateGovernancePolicy(ctx context.Context, p ah.GovernancePolicy, prevVersion int) error
	GetPolicies(ctx context.Context, agencyID string, ids []string) (map[string]ah.GovernancePolicy, error)
	CreateRoleTemplate(ctx context.Context, t ah.RoleTemplate, idem *dynamo.Idempotency) error
	GetRoleTemplate(ctx context.Context, agencyID, templateID string) (ah.RoleTemplate, error)
	ListRoleTemplates(ctx context.Context, agencyID string, page dynamo.Page) ([]ah.RoleTemplate, dynamo.Keys, error)
	UpdateRoleTemplate(ctx context.Context, t ah.RoleTemplate, prevVersion int) error
	ReadSubmitContext(ctx context.Context, agencyID, clientID, platformID, templateID string) (dynamo.SubmitContext, error)
	EndGrant(ctx context.Context, e dynamo.EndGrant) error
	GetGrant(ctx context.Context, agencyID, clientID, requestID string) (ah.AccessGrant, error)
	EndedGrants(ctx context.Context, shard int, now time.Time, page dynamo.Page) ([]dynamo.EndedGrant, dynamo.Keys, error)
	DueEndNotices(ctx context.Context, shard int, now time.Time, page dynamo.Page) ([]ah.AccessRequest, dynamo.Keys, error)
	MarkEndNoticeSent(ctx context.Context, r ah.AccessRequest, now time.Time) error
	ClientIdentityOfTeam(ctx context.Context, agencyID, clientID, memberID, identityID string) (ah.TeamRole, ah.ClientIdentity, bool, error)
	RequestOfTeam(ctx context.Context, agencyID, clientID, memberID, requestID string) (ah.TeamRole, ah.AccessRequest, bool, error)

	CreateIdentity(ctx context.Context, i ah.Identity, idem *dynamo.Idempotency) error
	GetIdentity(ctx context.Context, agencyID, identityID string) (ah.Identity, error)
	ListIdentities(ctx context.Context, agencyID string, page dynamo.Page) ([]ah.Identity, dynamo.Keys, error)
}

var _ Store = (*dynamo.Store)(nil)

// Clock tells the time; tests set it.
type Clock interface{ Now() time.Time }

// SystemClock is the real clock, in UTC.
type SystemClock struct{}

// Now returns the current UTC time.
func (SystemClock) Now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// Workflows starts the provisioning state machine.
type Workflows interface {
	// StartProvisioning starts attempt n of an identity's provisioning; the execution
	// name is derived from the identity and attempt, so a repeated start is harmless.
	StartProvisioning(ctx context.Context, in ProvisioningInput) error
	// StartOffboarding starts attempt n of a client's offboarding.
	StartOffboarding(ctx context.Context, in OffboardingInput) error
	// StopProvisioning stops an identity's running provisioning attempt, if any.
	StopProvisioning(ctx context.Context, identityID string, attempt int) error
}

// OffboardingInput is the offboarding state machine's input.
type OffboardingInput struct {
	AgencyID string `json:"agencyId"`
	ClientID string `json:"clientId"`
	Attempt  int    `json:"attempt"`
}

// ExecutionName is the deterministic name of an offboarding attempt.
func (in OffboardingInput) ExecutionName() string {
	return "offboard-" + in.ClientID + "-" + strconv.Itoa(in.Attempt)
}

// ProvisioningInput is the provisioning state machine's input.
type ProvisioningInput struct {
	AgencyID   string `json:"agencyId"`
	ClientID   string `json:"clientId"`
	IdentityID string `json:"identityId"`
	RequestID  string `json:"requestId"`
	Attempt    int    `json:"attempt"`
	Managed    bool   `json:"managed"`
	// ResumeFrom is the step this attempt starts at (the failed one on a retry).
	ResumeFrom string `json:"resumeFrom"`
}

// ExecutionName is the deterministic name of a provisioning attempt.
func (in ProvisioningInput) ExecutionName() string {
	return in.IdentityID + "-" + strconv.Itoa(in.Attempt)
}

// Service runs AccessHive's operations.
type Service struct {
	store      Store
	clock      Clock
	principals *principalCache
	workflows  Workflows
	notifier   Notifier
	vault      Vault
	audit      AuditReader
	workspace  func(context.Context) (PasswordSetter, error)
	rotator    Rotator
	log        *slog.Logger
}

// Options configure a Service.
type Options struct {
	Store Store
	Clock Clock // default SystemClock
	// PrincipalTTL bounds how long a resolved principal is cached, and so how long a
	// role change may take to apply. Default 5s; negative disables the cache.
	PrincipalTTL time.Duration
	// Workflows starts provisioning (Step Functions); nil refuses approvals.
	Workflows Workflows
	// Notifier tells people about requests; nil sends nothing.
	Notifier Notifier
	// Audit reads the audit trail.
	Audit AuditReader
	// Vault keeps identity credentials (Secrets Manager).
	Vault Vault
	// Workspace returns the Workspace client for offboarding (built on first use).
	Workspace func(context.Context) (PasswordSetter, error)
	// Rotator rotates managed credentials (RotateCredentialFunction).
	Rotator Rotator
	Logger  *slog.Logger
}

// AuditReader lists audit entries, newest first.
type AuditReader interface {
	ListClient(ctx context.Context, agencyID, clientID string, f audit.Filter, limit int, after map[string]string) (audit.Page, error)
	ListAgency(ctx context.Context, agencyID string, f audit.Filter, limit int, after map[string]string) (audit.Page, error)
}

// Notifier delivers a notification (in-app and email) to a member.
type Notifier interface {
	Send(ctx context.Context, to ah.Member, n ah.Notification) error
}

// New returns a Service.
func New(o Options) *Service {
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	if o.PrincipalTTL == 0 {
		o.PrincipalTTL = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Service{store: o.Store, clock: o.Clock, principals: newPrincipalCache(o.PrincipalTTL), workflows: o.Workflows, notifier: o.Notifier, vault: o.Vault, audit: o.Audit, workspace: o.Workspace, rotator: o.Rotator, log: o.Logger}
}

// NewID returns a new opaque id with a readable prefix ("mbr_01J...").
func NewID(prefix string) string {
	return prefix + "_" + strings.ToLower(ulid.Make().String())
}

// Idem is a creating request's Idempotency-Key and the fingerprint of the request.
type Idem struct {
	Key         string
	Fingerprint string
}

// Created is the result of a creating operation; Replayed is true when the
// Idempotency-Key was seen before and Value is the resource as first created.
type Created[T any] struct {
	Value    T
	Replayed bool
}

// create runs a creating write with the caller's idempotency key (if any) and turns
// a replay into the stored resource.
func create[T any](p ah.Principal, now time.Time, idem *Idem, v T, write func(*dynamo.Idempotency) error) (Created[T], error) {
	var rec *dynamo.Idempotency
	if idem != nil && idem.Key != "" {
		body, err := json.Marshal(v)
		if err != nil {
			return Created[T]{}, ah.Internal("service.create", err)
		}
		rec = &dynamo.Idempotency{AgencyID: p.AgencyID, MemberID: p.MemberID, Key: idem.Key, Fingerprint: idem.Fingerprint, Response: body, Now: now}
	}
	err := write(rec)
	var replay *dynamo.Replay
	if errors.As(err, &replay) {
		var prev T
		if err := json.Unmarshal(replay.Response, &prev); err != nil {
			return Created[T]{}, ah.Internal("service.create", err)
		}
		return Created[T]{Value: prev, Replayed: true}, nil
	}
	if err != nil {
		return Created[T]{}, err
	}
	return Created[T]{Value: v}, nil
}

// stampNew fills the bookkeeping of a new item created by actor.
func stampNew(m *ah.Meta, actor, action string, now time.Time) {
	*m = ah.Meta{Version: 1, CreatedAt: now, UpdatedAt: now, UpdatedBy: actor, LastAction: action}
}

// stampChange bumps the version and records who changed the item and how.
func stampChange(m *ah.Meta, actor, action string, now time.Time) {
	m.Version++
	m.UpdatedAt, m.UpdatedBy, m.LastAction = now, actor, action
}

// checkIfMatch compares an If-Match version with the current one; current is what
// the caller is shown on mismatch.
func checkIfMatch(ifMatch *int, version int, current any) error {
	if ifMatch != nil && *ifMatch != version {
		return &ah.Error{Kind: ah.KindPrecondition, Code: ah.CodePreconditionFailed,
			Message: "If-Match does not match the current version", Current: current}
	}
	return nil
}
