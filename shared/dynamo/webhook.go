package dynamo

// Webhook endpoints and their deliveries.
//
//   - An endpoint is an agency item (WEBHOOK#<id>), audited like any setting.
//   - A delivery lives in its endpoint's partition (AGENCY#<a>#WEBHOOK#<w>, sorted by
//     the event's stream sequence number: the delivery log, newest first). While
//     pending it is also on GSI2 in its entity's queue (WHQ#<w>#<entityKey>, same
//     order: the head is the one to send) and, when it waits for a retry, on the
//     sparse GSI3 (WHDUE, by next attempt time) the retry sweep reads. Deliveries
//     are bookkeeping: not audited, gone by TTL after 30 days.

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

const (
	typeWebhook         = "webhook"
	typeWebhookDelivery = "webhook_delivery"
	webhookPrefix       = "WEBHOOK" + sep
	deliveryPrefix      = "DELIVERY" + sep
	webhookDueGSI3PK    = "WHDUE"
	// deliveryTTL keeps the delivery log for 30 days.
	deliveryTTL = 30 * 24 * time.Hour
)

func webhookSK(webhookID string) string { return webhookPrefix + webhookID }

func deliveriesPK(agencyID, webhookID string) string {
	return agencyPK(agencyID) + sep + webhookPrefix + webhookID
}

// deliverySK orders deliveries by their event's stream sequence number (padded:
// sequence numbers are decimal strings of up to 40 digits).
func deliverySK(seq string) string { return deliveryPrefix + padSeq(seq) }

func padSeq(seq string) string {
	if len(seq) >= 40 {
		return seq
	}
	return strings.Repeat("0", 40-len(seq)) + seq
}

func deliveryQueuePK(webhookID, entityKey string) string {
	return "WHQ" + sep + webhookID + sep + entityKey
}

type webhookItem struct {
	keys
	ah.WebhookEndpoint
}

func newWebhookItem(w ah.WebhookEndpoint) webhookItem {
	return webhookItem{keys: keys{PK: agencyPK(w.AgencyID), SK: webhookSK(w.ID), Type: typeWebhook}, WebhookEndpoint: w}
}

type deliveryItem struct {
	keys
	ah.WebhookDelivery
	// LeaseUntil is a claim's end, in Unix milliseconds (compared as a number).
	LeaseUntil int64 `json:"leaseUntil,omitempty"`
}

func newDeliveryItem(d ah.WebhookDelivery, seq string) deliveryItem {
	it := deliveryItem{keys: keys{PK: deliveriesPK(d.AgencyID, d.WebhookID), SK: deliverySK(seq), Type: typeWebhookDelivery,
		TTL: d.CreatedAt.Add(deliveryTTL).Unix()}, WebhookDelivery: d}
	if d.LeaseUntil != nil {
		it.LeaseUntil = d.LeaseUntil.UnixMilli()
	}
	if d.Status == ah.DeliveryPending {
		it.GSI2PK, it.GSI2SK = deliveryQueuePK(d.WebhookID, d.EntityKey), padSeq(seq)
		if d.NextAttemptAt != nil {
			it.GSI3PK, it.GSI3SK = webhookDueGSI3PK, sortableTime(*d.NextAttemptAt)+sep+d.WebhookID+sep+padSeq(seq)
		}
	}
	return it
}

func (it deliveryItem) delivery() ah.WebhookDelivery {
	d := it.WebhookDelivery
	if it.LeaseUntil > 0 {
		t := time.UnixMilli(it.LeaseUntil).UTC()
		d.LeaseUntil = &t
	}
	return d
}

var errWebhookNotFound = ah.NotFound("webhook")

// CreateWebhook writes a new endpoint.
func (s *Store) CreateWebhook(ctx context.Context, w ah.WebhookEndpoint, idem *ah.Idempotency) error {
	return s.create(ctx, "dynamo.CreateWebhook", newWebhookItem(w), idem)
}

// GetWebhook reads an endpoint.
func (s *Store) GetWebhook(ctx context.Context, agencyID, webhookID string) (ah.WebhookEndpoint, error) {
	it, err := get[webhookItem](ctx, s, "dynamo.GetWebhook", agencyPK(agencyID), webhookSK(webhookID), errWebhookNotFound)
	return it.WebhookEndpoint, err
}

// ListWebhooks lists an agency's endpoints.
func (s *Store) ListWebhooks(ctx context.Context, agencyID string, page ah.Page) ([]ah.WebhookEndpoint, ah.Keys, error) {
	return list(ctx, s, "dynamo.ListWebhooks", prefixQuery(agencyPK(agencyID), webhookPrefix), page,
		func(it webhookItem) ah.WebhookEndpoint { return it.WebhookEndpoint })
}

// UpdateWebhook writes a changed endpoint if its version is still prevVersion.
func (s *Store) UpdateWebhook(ctx context.Context, w ah.WebhookEndpoint, prevVersion int) error {
	return s.replace(ctx, "dynamo.UpdateWebhook", newWebhookItem(w), prevVersion)
}

// DeleteWebhook removes an endpoint (its delivery log expires by TTL).
func (s *Store) DeleteWebhook(ctx context.Context, agencyID, webhookID string) error {
	return s.transact(ctx, "dynamo.DeleteWebhook", nil, write{item: types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table,
		Key: key(agencyPK(agencyID), webhookSK(webhookID)), ConditionExpression: aws.String("attribute_exists(PK)")}}, onConditionFailed: errWebhookNotFound})
}

// EnqueueDeliveries writes new deliveries (their ids are their events' stream
// sequence numbers); one that exists already is left alone.
func (s *Store) EnqueueDeliveries(ctx context.Context, ds []ah.WebhookDelivery) error {
	for _, d := range ds {
		av, err := marshal(newDeliveryItem(d, d.ID))
		if err != nil {
			return ah.Internal("dynamo.EnqueueDeliveries", err)
		}
		_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")})
		if err != nil && !isConditionFailed(err) {
			return mapErr("dynamo.EnqueueDeliveries", err)
		}
	}
	return nil
}

// ListDeliveries lists an endpoint's deliveries, newest first.
func (s *Store) ListDeliveries(ctx context.Context, agencyID, webhookID string, page ah.Page) ([]ah.WebhookDelivery, ah.Keys, error) {
	in := prefixQuery(deliveriesPK(agencyID, webhookID), deliveryPrefix)
	in.ScanIndexForward = aws.Bool(false)
	return list(ctx, s, "dynamo.ListDeliveries", in, page, func(it deliveryItem) ah.WebhookDelivery { return it.delivery() })
}

// GetDelivery reads one delivery.
func (s *Store) GetDelivery(ctx context.Context, agencyID, webhookID, deliveryID string) (ah.WebhookDelivery, error) {
	it, err := get[deliveryItem](ctx, s, "dynamo.GetDelivery", deliveriesPK(agencyID, webhookID), deliverySK(deliveryID), ah.NotFound("delivery"))
	return it.delivery(), err
}

// QueueHead returns the oldest pending delivery of one entity to one endpoint.
func (s *Store) QueueHead(ctx context.Context, agencyID, webhookID, entityKey string) (ah.WebhookDelivery, bool, error) {
	items, _, err := query[deliveryItem](ctx, s, "dynamo.QueueHead", &dynamodb.QueryInput{IndexName: aws.String("GSI2"),
		KeyConditionExpression:    aws.String("GSI2PK = :q"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":q": str(deliveryQueuePK(webhookID, entityKey))},
	}, ah.Page{Limit: 1})
	if err != nil || len(items) == 0 {
		return ah.WebhookDelivery{}, false, err
	}
	// The index is eventually consistent: read the item itself.
	d, err := s.GetDelivery(ctx, agencyID, webhookID, items[0].ID)
	if ah.KindOf(err) == ah.KindNotFound {
		return ah.WebhookDelivery{}, false, nil
	}
	return d, err == nil && d.Status == ah.DeliveryPending, err
}

// ClaimDelivery takes a pending delivery for one attempt.
func (s *Store) ClaimDelivery(ctx context.Context, d ah.WebhookDelivery, now, leaseUntil time.Time) (ah.WebhookDelivery, bool, error) {
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: key(deliveriesPK(d.AgencyID, d.WebhookID), deliverySK(d.ID)),
		UpdateExpression:         aws.String("SET attempts = :next, leaseUntil = :lease, lastAttemptAt = :at"),
		ConditionExpression:      aws.String("#status = :pending AND attempts = :n AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":next": num(d.Attempts + 1), ":n": num(d.Attempts), ":pending": str(string(ah.DeliveryPending)),
			":lease": num64(leaseUntil.UnixMilli()), ":now": num64(now.UnixMilli()), ":at": str(now.UTC().Format(time.RFC3339Nano))},
		ReturnValues: types.ReturnValueAllNew})
	if isConditionFailed(err) {
		return ah.WebhookDelivery{}, false, nil
	}
	if err != nil {
		return ah.WebhookDelivery{}, false, mapErr("dynamo.ClaimDelivery", err)
	}
	var it deliveryItem
	if err := unmarshal(out.Attributes, &it); err != nil {
		return ah.WebhookDelivery{}, false, ah.Internal("dynamo.ClaimDelivery", err)
	}
	return it.delivery(), true, nil
}

// RecordAttempt stores the outcome of the attempt claimed as number claimed.
func (s *Store) RecordAttempt(ctx context.Context, d ah.WebhookDelivery, claimed int) error {
	d.LeaseUntil = nil
	av, err := marshal(newDeliveryItem(d, d.ID))
	if err != nil {
		return ah.Internal("dynamo.RecordAttempt", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: av,
		ConditionExpression:       aws.String("attempts = :n"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": num(claimed)}})
	if isConditionFailed(err) {
		return &ah.Error{Kind: ah.KindConflict, Code: ah.CodeConflict, Op: "dynamo.RecordAttempt", Message: "the delivery was attempted again meanwhile"}
	}
	if err != nil {
		return mapErr("dynamo.RecordAttempt", err)
	}
	return nil
}

// DueDeliveries lists pending deliveries whose next attempt is due, oldest first.
func (s *Store) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]ah.WebhookDelivery, error) {
	items, _, err := query[deliveryItem](ctx, s, "dynamo.DueDeliveries", &dynamodb.QueryInput{IndexName: aws.String("GSI3"),
		KeyConditionExpression:    aws.String("GSI3PK = :p AND GSI3SK <= :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": str(webhookDueGSI3PK), ":now": str(sortableTime(now) + "~")},
	}, ah.Page{Limit: limit})
	out := make([]ah.WebhookDelivery, len(items))
	for i, it := range items {
		out[i] = it.delivery()
	}
	return out, err
}

// EndpointFailing marks an endpoint failing from at, unless it is already, and
// returns it. Only the first failure after a success writes (and is audited).
func (s *Store) EndpointFailing(ctx context.Context, agencyID, webhookID string, at time.Time) (ah.WebhookEndpoint, error) {
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: key(agencyPK(agencyID), webhookSK(webhookID)),
		UpdateExpression:          aws.String("SET failingSince = :at, updatedBy = :by, lastAction = :action, updatedAt = :at"),
		ConditionExpression:       aws.String("attribute_exists(PK) AND attribute_not_exists(failingSince)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": str(at.UTC().Format(time.RFC3339Nano)), ":by": str(ah.WebhooksActor), ":action": str("webhook.failing")},
		ReturnValues:              types.ReturnValueAllNew})
	if isConditionFailed(err) {
		return s.GetWebhook(ctx, agencyID, webhookID)
	}
	if err != nil {
		return ah.WebhookEndpoint{}, mapErr("dynamo.EndpointFailing", err)
	}
	var it webhookItem
	if err := unmarshal(out.Attributes, &it); err != nil {
		return ah.WebhookEndpoint{}, ah.Internal("dynamo.EndpointFailing", err)
	}
	return it.WebhookEndpoint, nil
}

// EndpointSucceeded clears a failing endpoint's failure (a healthy one is not written).
func (s *Store) EndpointSucceeded(ctx context.Context, agencyID, webhookID string, at time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: key(agencyPK(agencyID), webhookSK(webhookID)),
		UpdateExpression:          aws.String("SET lastSuccessAt = :at, updatedBy = :by, lastAction = :action, updatedAt = :at REMOVE failingSince"),
		ConditionExpression:       aws.String("attribute_exists(failingSince)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": str(at.UTC().Format(time.RFC3339Nano)), ":by": str(ah.WebhooksActor), ":action": str("webhook.recover")}})
	if err != nil && !isConditionFailed(err) {
		return mapErr("dynamo.EndpointSucceeded", err)
	}
	return nil
}

// DisableWebhook disables an active endpoint.
func (s *Store) DisableWebhook(ctx context.Context, agencyID, webhookID, reason string, at time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: key(agencyPK(agencyID), webhookSK(webhookID)),
		UpdateExpression:         aws.String("SET #status = :disabled, disabledReason = :reason, updatedBy = :by, lastAction = :action, updatedAt = :at, version = version + :one"),
		ConditionExpression:      aws.String("#status = :active"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":disabled": str(string(ah.WebhookDisabled)), ":active": str(string(ah.WebhookActive)),
			":reason": str(reason), ":by": str(ah.WebhooksActor), ":action": str("webhook.disable"), ":at": str(at.UTC().Format(time.RFC3339Nano)), ":one": num(1)}})
	if err != nil && !isConditionFailed(err) {
		return mapErr("dynamo.DisableWebhook", err)
	}
	return nil
}

var _ ah.WebhookStore = (*Store)(nil)
