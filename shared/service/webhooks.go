package service

// Webhooks: agencies register HTTPS endpoints for event types; every audit entry
// of a type an endpoint wants becomes a delivery (written by the events function,
// fed by the table's stream) that the webhooks function sends, signed, and
// retries with backoff for a day. Deliveries of one entity to one endpoint go in
// order: a later one waits while an earlier one is pending.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// WebhookSender sends one signed delivery (shared/webhooks).
type WebhookSender interface {
	Send(ctx context.Context, url, secret, msgID string, at time.Time, payload []byte) ah.DeliveryOutcome
}

func (s *Service) webhookStore() (ah.WebhookStore, error) {
	if s.webhooks == nil {
		return nil, ah.Internal("service.webhooks", fmt.Errorf("no webhook store configured"))
	}
	return s.webhooks, nil
}

// newWebhookSecret is a Standard Webhooks secret: "whsec_" and 32 random bytes, base64.
func newWebhookSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// CreateWebhook registers an endpoint and answers its signing secret, this once.
// The secret is kept in Secrets Manager; a replayed Idempotency-Key answers the
// endpoint without it.
func (s *Service) CreateWebhook(ctx context.Context, p ah.Principal, in ah.NewWebhookInput, idem *Idem) (Created[ah.NewWebhookEndpoint], error) {
	st, err := s.webhookStore()
	if err != nil {
		return Created[ah.NewWebhookEndpoint]{}, err
	}
	if err := in.Validate(s.allowLoopbackWebhooks); err != nil {
		return Created[ah.NewWebhookEndpoint]{}, err
	}
	existing, _, err := st.ListWebhooks(ctx, p.AgencyID, ah.Page{Limit: ah.MaxWebhookEndpoints})
	if err != nil {
		return Created[ah.NewWebhookEndpoint]{}, err
	}
	if len(existing) >= ah.MaxWebhookEndpoints {
		return Created[ah.NewWebhookEndpoint]{}, ah.E(ah.KindConflict, ah.CodeLimitReached, "an agency has at most %d webhook endpoints; delete one first", ah.MaxWebhookEndpoints)
	}
	now := s.clock.Now()
	w := ah.WebhookEndpoint{ID: NewID("whk"), AgencyID: p.AgencyID, URL: in.URL, Description: strings.TrimSpace(in.Description),
		EventTypes: dedupe(in.EventTypes), Status: ah.WebhookActive}
	stampNew(&w.Meta, p.MemberID, "webhook.create", now)
	secret := newWebhookSecret()
	if s.vault == nil {
		return Created[ah.NewWebhookEndpoint]{}, errVaultDown(fmt.Errorf("no vault"))
	}
	if err := s.vault.Put(ctx, w.SecretName(), secret); err != nil {
		return Created[ah.NewWebhookEndpoint]{}, errVaultDown(err)
	}
	c, err := create(p, now, idem, w, func(rec *ah.Idempotency) error { return st.CreateWebhook(ctx, w, rec) })
	if err != nil || c.Replayed {
		_ = s.vault.Delete(ctx, w.SecretName()) // this attempt's secret is nobody's
		return Created[ah.NewWebhookEndpoint]{Value: ah.NewWebhookEndpoint{WebhookEndpoint: c.Value}, Replayed: c.Replayed}, err
	}
	return Created[ah.NewWebhookEndpoint]{Value: ah.NewWebhookEndpoint{WebhookEndpoint: w, Secret: secret}}, nil
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	out := make([]string, 0, len(in))
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// GetWebhook reads an endpoint.
func (s *Service) GetWebhook(ctx context.Context, p ah.Principal, webhookID string) (ah.WebhookEndpoint, error) {
	st, err := s.webhookStore()
	if err != nil {
		return ah.WebhookEndpoint{}, err
	}
	return st.GetWebhook(ctx, p.AgencyID, webhookID)
}

// ListWebhooks lists the agency's endpoints.
func (s *Service) ListWebhooks(ctx context.Context, p ah.Principal, page ah.Page) ([]ah.WebhookEndpoint, ah.Keys, error) {
	st, err := s.webhookStore()
	if err != nil {
		return nil, nil, err
	}
	return st.ListWebhooks(ctx, p.AgencyID, page)
}

// UpdateWebhook changes an endpoint; status active re-enables a disabled one (its
// failure record starts over).
func (s *Service) UpdateWebhook(ctx context.Context, p ah.Principal, webhookID string, patch ah.WebhookPatch, ifMatch *int) (ah.WebhookEndpoint, error) {
	st, err := s.webhookStore()
	if err != nil {
		return ah.WebhookEndpoint{}, err
	}
	if err := patch.Validate(s.allowLoopbackWebhooks); err != nil {
		return ah.WebhookEndpoint{}, err
	}
	w, err := st.GetWebhook(ctx, p.AgencyID, webhookID)
	if err != nil {
		return ah.WebhookEndpoint{}, err
	}
	if err := checkIfMatch(ifMatch, w.Version, w); err != nil {
		return ah.WebhookEndpoint{}, err
	}
	prev := w.Version
	if patch.URL != nil {
		w.URL = *patch.URL
	}
	if patch.Description != nil {
		w.Description = strings.TrimSpace(*patch.Description)
	}
	if patch.EventTypes != nil {
		w.EventTypes = dedupe(*patch.EventTypes)
	}
	if patch.Status != nil && *patch.Status != w.Status {
		w.Status = *patch.Status
		w.DisabledReason, w.FailingSince = "", nil
		if w.Status == ah.WebhookDisabled {
			w.DisabledReason = "disabled by a member"
		}
	}
	stampChange(&w.Meta, p.MemberID, "webhook.update", s.clock.Now())
	if err := st.UpdateWebhook(ctx, w, prev); err != nil {
		return ah.WebhookEndpoint{}, err
	}
	return w, nil
}

// DeleteWebhook removes an endpoint and schedules its secret's deletion; its
// pending deliveries are not sent.
func (s *Service) DeleteWebhook(ctx context.Context, p ah.Principal, webhookID string) error {
	st, err := s.webhookStore()
	if err != nil {
		return err
	}
	w, err := st.GetWebhook(ctx, p.AgencyID, webhookID)
	if err != nil {
		return err
	}
	if err := st.DeleteWebhook(ctx, p.AgencyID, webhookID); err != nil {
		return err
	}
	if s.vault != nil {
		if err := s.vault.Delete(ctx, w.SecretName()); err != nil {
			s.log.Warn("webhook secret not deleted", "webhook", webhookID, "error", err.Error())
		}
	}
	return nil
}

// RotateWebhookSecret replaces an endpoint's signing secret and answers the new
// one, this once. Deliveries from now on are signed with it.
func (s *Service) RotateWebhookSecret(ctx context.Context, p ah.Principal, webhookID string) (ah.NewWebhookEndpoint, error) {
	st, err := s.webhookStore()
	if err != nil {
		return ah.NewWebhookEndpoint{}, err
	}
	w, err := st.GetWebhook(ctx, p.AgencyID, webhookID)
	if err != nil {
		return ah.NewWebhookEndpoint{}, err
	}
	if s.vault == nil {
		return ah.NewWebhookEndpoint{}, errVaultDown(fmt.Errorf("no vault"))
	}
	prev := w.Version
	stampChange(&w.Meta, p.MemberID, "webhook.rotate_secret", s.clock.Now())
	if err := st.UpdateWebhook(ctx, w, prev); err != nil {
		return ah.NewWebhookEndpoint{}, err
	}
	secret := newWebhookSecret()
	if err := s.vault.Put(ctx, w.SecretName(), secret); err != nil {
		return ah.NewWebhookEndpoint{}, errVaultDown(err)
	}
	return ah.NewWebhookEndpoint{WebhookEndpoint: w, Secret: secret}, nil
}

// ListWebhookDeliveries is an endpoint's delivery log, newest first.
func (s *Service) ListWebhookDeliveries(ctx context.Context, p ah.Principal, webhookID string, page ah.Page) ([]ah.WebhookDelivery, ah.Keys, error) {
	st, err := s.webhookStore()
	if err != nil {
		return nil, nil, err
	}
	if _, err := st.GetWebhook(ctx, p.AgencyID, webhookID); err != nil {
		return nil, nil, err
	}
	return st.ListDeliveries(ctx, p.AgencyID, webhookID, page)
}

// WebhookDeliveriesFor builds the deliveries of one audit entry (its stream
// sequence number seq) to the active endpoints that want its type.
func WebhookDeliveriesFor(endpoints []ah.WebhookEndpoint, e ah.AuditEntry, agencyID, seq string, now time.Time) ([]ah.WebhookDelivery, error) {
	var out []ah.WebhookDelivery
	var payload []byte
	for _, w := range endpoints {
		if w.Status != ah.WebhookActive || !w.Wants(e.Action) {
			continue
		}
		if payload == nil {
			var err error
			if payload, err = json.Marshal(ah.WebhookEvent{Type: e.Action, Timestamp: e.At, Data: e}); err != nil {
				return nil, err
			}
		}
		// Due at once: on the retry sweep's index from the start, so a delivery the
		// stream's dispatch missed is still sent within a minute.
		due := now
		out = append(out, ah.WebhookDelivery{ID: seq, AgencyID: agencyID, WebhookID: w.ID, EventID: e.ID, EventType: e.Action,
			EntityKey: e.EntityType + "#" + e.EntityID, EventAt: e.At, Status: ah.DeliveryPending, Payload: payload, CreatedAt: now, NextAttemptAt: &due})
	}
	return out, nil
}

// EnqueueWebhookDeliveries writes the deliveries of audit entries (the events
// function); endpoints are read once per agency.
func (s *Service) EnqueueWebhookDeliveries(ctx context.Context, agencyID string, endpoints func(agencyID string) ([]ah.WebhookEndpoint, error), e ah.AuditEntry, seq string) (int, error) {
	ws, err := endpoints(agencyID)
	if err != nil {
		return 0, err
	}
	ds, err := WebhookDeliveriesFor(ws, e, agencyID, seq, s.clock.Now())
	if err != nil || len(ds) == 0 {
		return 0, err
	}
	st, err := s.webhookStore()
	if err != nil {
		return 0, err
	}
	return len(ds), st.EnqueueDeliveries(ctx, ds)
}

// Dispatch is what one dispatch run did.
type Dispatch struct {
	Attempts  int `json:"attempts"`
	Delivered int `json:"delivered"`
	Failed    int `json:"failed"`   // attempts that failed (retried later, or given up)
	GaveUp    int `json:"gaveUp"`   // deliveries given up on
	Disabled  int `json:"disabled"` // endpoints disabled
}

func (d *Dispatch) add(o Dispatch) {
	d.Attempts += o.Attempts
	d.Delivered += o.Delivered
	d.Failed += o.Failed
	d.GaveUp += o.GaveUp
	d.Disabled += o.Disabled
}

// Dispatcher sends webhook deliveries.
type Dispatcher struct {
	Service *Service
	Sender  WebhookSender
	// Secret reads an endpoint's signing secret.
	Secret func(ctx context.Context, w ah.WebhookEndpoint) (string, error)
}

// maxPerQueue bounds how many deliveries one run sends down one entity's queue.
const maxPerQueue = 25

// leaseFor is how long a claimed attempt is the claimer's (longer than a send's timeout).
const leaseFor = 45 * time.Second

// DispatchQueue sends the pending deliveries of one entity to one endpoint, in
// order, until one fails (it waits for its retry; the ones behind it wait too)
// or the queue is empty.
func (d *Dispatcher) DispatchQueue(ctx context.Context, agencyID, webhookID, entityKey string) (Dispatch, error) {
	var out Dispatch
	s := d.Service
	st, err := s.webhookStore()
	if err != nil {
		return out, err
	}
	// The endpoint is read once per run; what the run changes of it (failing,
	// recovered, disabled) it keeps in step itself.
	w, err := st.GetWebhook(ctx, agencyID, webhookID)
	if ah.KindOf(err) == ah.KindNotFound {
		w = ah.WebhookEndpoint{ID: webhookID, AgencyID: agencyID, Status: ah.WebhookDisabled, DisabledReason: "endpoint deleted"}
	} else if err != nil {
		return out, err
	}
	var secret string
	for range maxPerQueue {
		head, ok, err := st.QueueHead(ctx, agencyID, webhookID, entityKey)
		if err != nil || !ok {
			return out, err
		}
		now := s.clock.Now()
		if head.NextAttemptAt != nil && head.NextAttemptAt.After(now) {
			return out, nil // waiting for its retry
		}
		claimed, ok, err := st.ClaimDelivery(ctx, head, now, now.Add(leaseFor))
		if err != nil || !ok {
			return out, err // another dispatcher has it
		}
		if w.Status != ah.WebhookActive {
			n := claimed.Attempts
			claimed.Status, claimed.LastError, claimed.NextAttemptAt = ah.DeliveryFailed, "not sent: "+w.DisabledReason, nil
			claimed.Attempts-- // nothing was sent
			if err := st.RecordAttempt(ctx, claimed, n); err != nil {
				return out, err
			}
			out.GaveUp++
			continue
		}
		if secret == "" {
			if secret, err = d.Secret(ctx, w); err != nil {
				return out, err
			}
		}
		res := d.Sender.Send(ctx, w.URL, secret, claimed.EventID, now, claimed.Payload)
		out.Attempts++
		at := s.clock.Now()
		claimed.LastAttemptAt, claimed.LastStatusCode, claimed.LastError = &at, res.StatusCode, res.Err
		if res.OK {
			claimed.Status, claimed.DeliveredAt, claimed.NextAttemptAt, claimed.LastError = ah.DeliveryDelivered, &at, nil, ""
			if err := st.RecordAttempt(ctx, claimed, claimed.Attempts); err != nil {
				return out, err
			}
			out.Delivered++
			if w.FailingSince != nil {
				if err := st.EndpointSucceeded(ctx, agencyID, webhookID, at); err != nil {
					return out, err
				}
				w.FailingSince = nil
			}
			continue
		}
		out.Failed++
		if w.FailingSince == nil {
			failing, err := st.EndpointFailing(ctx, agencyID, webhookID, at)
			if err != nil {
				return out, err
			}
			w.FailingSince = failing.FailingSince
		}
		giveUp := !at.Before(claimed.CreatedAt.Add(ah.WebhookRetryWindow))
		disable := w.FailingSince != nil && !at.Before(w.FailingSince.Add(ah.WebhookDisableAfter))
		if giveUp || disable {
			claimed.Status, claimed.NextAttemptAt = ah.DeliveryFailed, nil
			out.GaveUp++
		} else {
			next := at.Add(ah.WebhookBackoff[min(claimed.Attempts-1, len(ah.WebhookBackoff)-1)])
			if end := claimed.CreatedAt.Add(ah.WebhookRetryWindow); next.After(end) {
				next = end
			}
			claimed.NextAttemptAt = &next
		}
		if err := st.RecordAttempt(ctx, claimed, claimed.Attempts); err != nil {
			return out, err
		}
		if disable {
			reason := fmt.Sprintf("every delivery failed for %s (last: %s)", ah.WebhookDisableAfter, clip(res.Err, 120))
			if err := st.DisableWebhook(ctx, agencyID, webhookID, reason, at); err != nil {
				return out, err
			}
			w.Status, w.DisabledReason = ah.WebhookDisabled, reason
			out.Disabled++
			continue // the rest of the queue is marked not sent
		}
		if giveUp {
			continue // the next in line goes now
		}
		return out, nil
	}
	return out, nil
}

// RetryDue dispatches the queues whose head's retry is due (the schedule).
func (d *Dispatcher) RetryDue(ctx context.Context, limit int) (Dispatch, error) {
	var out Dispatch
	st, err := d.Service.webhookStore()
	if err != nil {
		return out, err
	}
	due, err := st.DueDeliveries(ctx, d.Service.clock.Now(), limit)
	if err != nil {
		return out, err
	}
	seen := map[string]bool{}
	for _, dl := range due {
		q := dl.AgencyID + "|" + dl.WebhookID + "|" + dl.EntityKey
		if seen[q] {
			continue
		}
		seen[q] = true
		r, err := d.DispatchQueue(ctx, dl.AgencyID, dl.WebhookID, dl.EntityKey)
		out.add(r)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}
