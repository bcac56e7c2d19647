// Package service implements AccessHive's operations: each method checks the
// caller's rights beyond the route's role gate, validates input, and makes its state
// change with one conditional write or transaction through the store.
package service

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// Clock tells the time; tests set it.
type Clock interface{ Now() time.Time }

// ClockFunc is a clock from a function (a Lambda function's Now, which the local
// stack's tests move), in UTC to the millisecond as SystemClock.
type ClockFunc func() time.Time

// Now tells the time.
func (f ClockFunc) Now() time.Time {
	if f == nil {
		return SystemClock{}.Now()
	}
	return f().UTC().Truncate(time.Millisecond)
}

// SystemClock is the real clock, in UTC.
type SystemClock struct{}

// Now returns the current UTC time.
func (SystemClock) Now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// Service runs AccessHive's operations.
type Service struct {
	store           ah.Store
	clock           Clock
	principals      *principalCache
	workflows       ah.Workflows
	mail            ah.Mailer
	vault           ah.Vault
	audit           ah.AuditStore
	workspace       func(context.Context) (ah.Directory, error)
	workspaceDomain string
	log             *slog.Logger
	metrics         ah.Metrics
	// webhooks keeps webhook endpoints and deliveries; allowLoopbackWebhooks
	// accepts http://127.0.0.1 endpoints (the local stack).
	webhooks              ah.WebhookStore
	allowLoopbackWebhooks bool
	// chat posts request cards to Slack; slack checks a connection's token.
	chat  ah.Chat
	slack SlackConnector
}

// Options configure a Service.
type Options struct {
	Store ah.Store
	Clock Clock // default SystemClock
	// PrincipalTTL bounds how long a resolved principal is cached, and so how long a
	// role change may take to apply. Default 5s; negative disables the cache.
	PrincipalTTL time.Duration
	// Workflows runs the state machines (Step Functions); nil refuses approvals.
	Workflows ah.Workflows
	// Mail sends notification email (SES); nil sends none.
	Mail ah.Mailer
	// Audit reads the audit trail.
	Audit ah.AuditStore
	// Vault keeps identity credentials (Secrets Manager).
	Vault ah.Vault
	// Workspace returns the Google Workspace directory, built on first use; nil
	// when Workspace is not connected.
	Workspace func(context.Context) (ah.Directory, error)
	// WorkspaceDomain is the domain managed identities are created in.
	WorkspaceDomain string
	Logger          *slog.Logger
	// Metrics counts requests submitted, approved, provisioned and expired, and
	// provisioning failures; nil counts nothing.
	Metrics ah.Metrics
	// AllowLoopbackWebhooks accepts http:// webhook endpoints on loopback (local
	// development only; WEBHOOKS_ALLOW_LOOPBACK).
	AllowLoopbackWebhooks bool
	// Chat posts and updates request cards in Slack; nil posts none.
	Chat ah.Chat
	// Slack checks a Slack app's token when an agency connects it.
	Slack SlackConnector
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
	svc := &Service{store: o.Store, clock: o.Clock, principals: newPrincipalCache(o.PrincipalTTL, o.Clock), workflows: o.Workflows, mail: o.Mail,
		vault: o.Vault, audit: o.Audit, workspace: o.Workspace, workspaceDomain: o.WorkspaceDomain, log: o.Logger, metrics: o.Metrics,
		allowLoopbackWebhooks: o.AllowLoopbackWebhooks, chat: o.Chat, slack: o.Slack}
	// The table's store keeps the integrations' items too.
	if ws, ok := o.Store.(ah.WebhookStore); ok {
		svc.webhooks = ws
	}
	return svc
}

// count records a metric, if the service has somewhere to record it.
func (s *Service) count(name string, n int) {
	if s.metrics != nil {
		s.metrics.Count(name, n)
	}
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
func create[T any](p ah.Principal, now time.Time, idem *Idem, v T, write func(*ah.Idempotency) error) (Created[T], error) {
	var rec *ah.Idempotency
	if idem != nil && idem.Key != "" {
		body, err := json.Marshal(v)
		if err != nil {
			return Created[T]{}, ah.Internal("service.create", err)
		}
		rec = &ah.Idempotency{AgencyID: p.AgencyID, MemberID: p.MemberID, Key: idem.Key, Fingerprint: idem.Fingerprint, Response: body, Now: now}
	}
	err := write(rec)
	var replay *ah.Replay
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
