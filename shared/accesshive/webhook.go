package accesshive

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"time"
	"unicode"
)

// Events out: every audit entry is an event. Its type is the entry's action
// ("access_request.approve"); on the event bus its detail-type is the entity and
// the action in words ("AccessRequest Approved"). Webhook endpoints subscribe to
// event types and receive each event signed (Standard Webhooks).

// EventSource is the EventBridge source of AccessHive's events.
const EventSource = "accesshive"

// WebhooksActor is who the audit trail names for what the dispatcher changes
// (an endpoint failing, recovering, disabled).
const WebhooksActor = "system:webhooks"

// DetailType is an audit action's EventBridge detail-type: the entity in
// CamelCase and the verb in the past tense ("access_request.approve" ->
// "AccessRequest Approved", "member.email_change" -> "Member Email Changed").
func DetailType(action string) string {
	entity, verb, _ := strings.Cut(action, ".")
	var b strings.Builder
	for _, w := range strings.Split(entity, "_") {
		b.WriteString(title(w))
	}
	words := strings.Split(verb, "_")
	for i, w := range words {
		if i == len(words)-1 {
			w = pastTense(w)
		}
		if w != "" {
			b.WriteString(" " + title(w))
		}
	}
	return b.String()
}

func title(w string) string {
	if w == "" {
		return ""
	}
	r := []rune(w)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// irregular past tenses of the verbs actions use (the rest follow the rules).
var irregular = map[string]string{"submit": "submitted", "set": "set", "reset": "reset", "unlink": "unlinked", "begin": "begun",
	"open": "opened", "run": "ran", "retry": "retried", "stop": "stopped", "offboard": "offboarded"}

func pastTense(w string) string {
	switch {
	case w == "":
		return w
	case irregular[w] != "":
		return irregular[w]
	case strings.HasSuffix(w, "ed"):
		return w
	case strings.HasSuffix(w, "e"):
		return w + "d"
	case strings.HasSuffix(w, "y") && len(w) > 1 && !strings.ContainsRune("aeiou", rune(w[len(w)-2])):
		return w[:len(w)-1] + "ied"
	}
	return w + "ed"
}

// WebhookStatus is whether an endpoint receives deliveries.
type WebhookStatus string

// Webhook statuses.
const (
	WebhookActive   WebhookStatus = "active"
	WebhookDisabled WebhookStatus = "disabled" // by an admin, or after failing for WebhookDisableAfter
)

// Webhook delivery limits: how long one event is retried, the backoff between
// attempts (the last repeats), and how long an endpoint may fail every delivery
// before it is disabled.
const (
	WebhookRetryWindow  = 24 * time.Hour
	WebhookDisableAfter = 24 * time.Hour
	MaxWebhookEndpoints = 20
	maxEventTypes       = 50
)

// WebhookBackoff is the wait before each retry: attempt n+1 waits
// WebhookBackoff[min(n-1, last)] after attempt n fails, never past the retry window.
var WebhookBackoff = []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour}

// WebhookEndpoint is an agency's HTTPS endpoint for events of some types.
type WebhookEndpoint struct {
	ID          string `json:"id"`
	AgencyID    string `json:"agencyId"`
	URL         string `json:"url"`
	Description string `json:"description"`
	// EventTypes are the actions it receives ("access_request.approve"), or "*".
	EventTypes []string      `json:"eventTypes"`
	Status     WebhookStatus `json:"status"`
	// DisabledReason says why a disabled endpoint is (failing, or an admin).
	DisabledReason string `json:"disabledReason,omitempty"`
	// FailingSince is the first failed attempt since the last success.
	FailingSince  *time.Time `json:"failingSince,omitempty"`
	LastSuccessAt *time.Time `json:"lastSuccessAt,omitempty"`
	Meta
}

// Wants reports whether the endpoint receives events of this type.
func (w WebhookEndpoint) Wants(eventType string) bool {
	for _, t := range w.EventTypes {
		if t == "*" || t == eventType {
			return true
		}
	}
	return false
}

// SecretName is where the endpoint's signing secret is kept (under the stack's
// prefix in Secrets Manager).
func (w WebhookEndpoint) SecretName() string {
	return "webhooks/" + w.AgencyID + "/" + w.ID
}

// NewWebhookEndpoint is the answer to registering an endpoint: the endpoint and,
// this once, its signing secret.
type NewWebhookEndpoint struct {
	WebhookEndpoint
	// Secret signs every delivery ("whsec_" and base64); shown only when the
	// endpoint is created or its secret rotated.
	Secret string `json:"secret,omitempty"`
}

// NewWebhookInput registers an endpoint.
type NewWebhookInput struct {
	URL         string   `json:"url"`
	Description string   `json:"description"`
	EventTypes  []string `json:"eventTypes"`
}

// WebhookPatch changes an endpoint; nil fields stay unchanged. Setting status
// active re-enables an endpoint that was disabled.
type WebhookPatch struct {
	URL         *string        `json:"url"`
	Description *string        `json:"description"`
	EventTypes  *[]string      `json:"eventTypes"`
	Status      *WebhookStatus `json:"status"`
}

// eventTypeShape: "<entity>.<verb>", each a lowercase word (underscores inside), at most 41 characters.
func eventTypeShape(t string) bool {
	entity, verb, ok := strings.Cut(t, ".")
	word := func(w string) bool {
		return len(w) >= 1 && len(w) <= 41 && w[0] >= 'a' && w[0] <= 'z' && allIn(w, "abcdefghijklmnopqrstuvwxyz_")
	}
	return ok && word(entity) && word(verb)
}

// checkWebhookURL: an absolute https URL without credentials; http only to a
// loopback host when allowLoopback (local development).
func checkWebhookURL(v *Validation, raw string, allowLoopback bool) {
	if raw == "" {
		v.Add("url", FieldRequired, "url is required")
		return
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "" || len(raw) > 2000 || TextProblem(raw, false) != "":
		v.Add("url", FieldInvalid, "url must be an absolute https URL like https://example.com/hooks/accesshive")
	case u.User != nil:
		v.Add("url", FieldInvalid, "url must not carry credentials; every delivery is signed instead")
	case u.Scheme == "https":
	case u.Scheme == "http" && allowLoopback && loopbackHost(u.Hostname()):
	default:
		v.Add("url", FieldInvalid, "url must use https")
	}
}

func loopbackHost(h string) bool { return h == "127.0.0.1" || h == "localhost" || h == "::1" }

func checkEventTypes(v *Validation, types []string) {
	switch {
	case len(types) == 0:
		v.Add("eventTypes", FieldRequired, `eventTypes is required: actions like "access_request.approve", or "*" for every event`)
	case len(types) > maxEventTypes:
		v.Add("eventTypes", FieldOutRange, "eventTypes may list at most %d types", maxEventTypes)
	}
	for _, t := range types {
		if t != "*" && !eventTypeShape(t) {
			v.Add("eventTypes", FieldInvalid, `event type %q is not an action like "access_request.approve" (or "*")`, clip(t, 60))
			return
		}
	}
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// Validate checks the input; allowLoopback accepts http://127.0.0.1 (local stack).
func (in NewWebhookInput) Validate(allowLoopback bool) error {
	var v Validation
	checkWebhookURL(&v, in.URL, allowLoopback)
	checkText(&v, "description", in.Description, false, 200)
	checkEventTypes(&v, in.EventTypes)
	return v.Err()
}

// Validate checks the patch's values.
func (p WebhookPatch) Validate(allowLoopback bool) error {
	var v Validation
	if p.URL != nil {
		checkWebhookURL(&v, *p.URL, allowLoopback)
	}
	if p.Description != nil {
		checkText(&v, "description", *p.Description, false, 200)
	}
	if p.EventTypes != nil {
		checkEventTypes(&v, *p.EventTypes)
	}
	if p.Status != nil && *p.Status != WebhookActive && *p.Status != WebhookDisabled {
		v.Add("status", FieldUnknown, "status must be active or disabled")
	}
	if p.URL == nil && p.Description == nil && p.EventTypes == nil && p.Status == nil {
		v.Add("", FieldRequired, "the patch changes nothing: name at least one field")
	}
	return v.Err()
}

// DeliveryStatus is where one event's delivery to one endpoint is.
type DeliveryStatus string

// Delivery statuses.
const (
	DeliveryPending   DeliveryStatus = "pending"   // not yet accepted; retried with backoff
	DeliveryDelivered DeliveryStatus = "delivered" // the endpoint answered 2xx
	DeliveryFailed    DeliveryStatus = "failed"    // retried for WebhookRetryWindow, or the endpoint was disabled
)

// WebhookDelivery is one event on its way to one endpoint: the delivery log's row.
// Deliveries of one entity to one endpoint go in the order of their events: a
// later one waits while an earlier one is pending.
type WebhookDelivery struct {
	ID        string `json:"id"`
	AgencyID  string `json:"agencyId"`
	WebhookID string `json:"webhookId"`
	// EventID is the audit entry's id: the webhook-id header, the same on every
	// attempt, so receivers deduplicate on it.
	EventID   string `json:"eventId"`
	EventType string `json:"eventType"`
	// EntityKey is "<entityType>#<entityId>": what deliveries are ordered by.
	EntityKey string         `json:"entityKey"`
	EventAt   time.Time      `json:"eventAt"`
	Status    DeliveryStatus `json:"status"`
	Attempts  int            `json:"attempts"`
	// Payload is the body every attempt sends.
	Payload        json.RawMessage `json:"payload"`
	NextAttemptAt  *time.Time      `json:"nextAttemptAt,omitempty"`
	LastAttemptAt  *time.Time      `json:"lastAttemptAt,omitempty"`
	LastStatusCode int             `json:"lastStatusCode,omitempty"`
	LastError      string          `json:"lastError,omitempty"`
	DeliveredAt    *time.Time      `json:"deliveredAt,omitempty"`
	CreatedAt      time.Time       `json:"createdAt"`
	// LeaseUntil is when a dispatcher's claim on the delivery lapses. Not shown.
	LeaseUntil *time.Time `json:"-"`
}

// WebhookEvent is a delivery's body (Standard Webhooks payload shape).
type WebhookEvent struct {
	Type      string     `json:"type"`
	Timestamp time.Time  `json:"timestamp"`
	Data      AuditEntry `json:"data"`
}

// DeliveryOutcome is what one attempt found.
type DeliveryOutcome struct {
	StatusCode int
	Err        string // a transport failure or a non-2xx answer, said briefly
	OK         bool
}

// WebhookStore keeps endpoints and their delivery log.
type WebhookStore interface {
	CreateWebhook(ctx context.Context, w WebhookEndpoint, idem *Idempotency) error
	GetWebhook(ctx context.Context, agencyID, webhookID string) (WebhookEndpoint, error)
	ListWebhooks(ctx context.Context, agencyID string, page Page) ([]WebhookEndpoint, Keys, error)
	UpdateWebhook(ctx context.Context, w WebhookEndpoint, prevVersion int) error
	DeleteWebhook(ctx context.Context, agencyID, webhookID string) error
	// EnqueueDeliveries writes deliveries; one already written (a redelivered
	// stream record) is left as it is.
	EnqueueDeliveries(ctx context.Context, ds []WebhookDelivery) error
	ListDeliveries(ctx context.Context, agencyID, webhookID string, page Page) ([]WebhookDelivery, Keys, error)
	GetDelivery(ctx context.Context, agencyID, webhookID, deliveryID string) (WebhookDelivery, error)
	// QueueHead is the oldest pending delivery of one entity to one endpoint.
	QueueHead(ctx context.Context, agencyID, webhookID, entityKey string) (WebhookDelivery, bool, error)
	// ClaimDelivery takes a pending delivery for one attempt (attempts+1, a lease
	// until leaseUntil); false when another dispatcher has it or it is no longer pending.
	ClaimDelivery(ctx context.Context, d WebhookDelivery, now, leaseUntil time.Time) (WebhookDelivery, bool, error)
	// RecordAttempt stores the outcome of the attempt claimed as number claimed:
	// delivered, failed (given up) or pending until its next attempt.
	RecordAttempt(ctx context.Context, d WebhookDelivery, claimed int) error
	// DueDeliveries lists pending deliveries whose next attempt is due.
	DueDeliveries(ctx context.Context, now time.Time, limit int) ([]WebhookDelivery, error)
	// EndpointFailing and EndpointSucceeded keep the endpoint's health.
	EndpointFailing(ctx context.Context, agencyID, webhookID string, at time.Time) (WebhookEndpoint, error)
	EndpointSucceeded(ctx context.Context, agencyID, webhookID string, at time.Time) error
	// DisableWebhook disables an endpoint that kept failing (no version check).
	DisableWebhook(ctx context.Context, agencyID, webhookID, reason string, at time.Time) error
}
