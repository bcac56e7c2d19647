// Package audit turns the table's stream into the audit trail: one immutable entry
// per change (actor, action, entity, the changed fields before and after, time),
// keyed by the stream record's event id so a redelivered record adds nothing.
// Entries live in their own table that only this function may write.
package audit

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// API is the part of the DynamoDB client the audit code uses.
type API interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// bookkeeping attributes are not "changes" worth listing.
var bookkeeping = map[string]bool{"apiRequestId": true, "PK": true, "SK": true, "GSI1PK": true, "GSI1SK": true, "GSI2PK": true, "GSI2SK": true,
	"GSI3PK": true, "GSI3SK": true, "version": true, "updatedAt": true, "updatedBy": true, "lastAction": true, "ttl": true}

// secretish attribute names are never copied into an entry, whatever an item holds.
func secretish(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "password") || strings.Contains(n, "secret") || strings.Contains(n, "token") || strings.Contains(n, "credentialvalue")
}

// Entry is an audit table item.
type Entry struct {
	PK     string `dynamodbav:"PK"`
	SK     string `dynamodbav:"SK"`
	GSI1PK string `dynamodbav:"GSI1PK"`
	GSI1SK string `dynamodbav:"GSI1SK"`
	ah.AuditEntry
	AgencyID string `dynamodbav:"agencyId"`
}

// Keys of the audit table.
func clientPK(agencyID, clientID string) string { return "AGENCY#" + agencyID + "#CLIENT#" + clientID }
func agencyPK(agencyID string) string           { return "AGENCY#" + agencyID }
func sortKey(at time.Time, eventID string) string {
	return at.UTC().Format("2006-01-02T15:04:05.000000000Z") + "#" + eventID
}

// plain converts a stream image value to a Go value.
func plain(av events.DynamoDBAttributeValue) any {
	switch av.DataType() {
	case events.DataTypeString:
		return av.String()
	case events.DataTypeNumber:
		if n, err := strconv.ParseFloat(av.Number(), 64); err == nil {
			return n
		}
		return av.Number()
	case events.DataTypeBoolean:
		return av.Boolean()
	case events.DataTypeNull:
		return nil
	case events.DataTypeMap:
		m := map[string]any{}
		for k, v := range av.Map() {
			if !secretish(k) {
				m[k] = plain(v)
			}
		}
		return m
	case events.DataTypeList:
		l := make([]any, 0, len(av.List()))
		for _, v := range av.List() {
			l = append(l, plain(v))
		}
		return l
	case events.DataTypeStringSet:
		return av.StringSet()
	}
	return fmt.Sprint(av)
}

func image(img map[string]events.DynamoDBAttributeValue) map[string]any {
	out := make(map[string]any, len(img))
	for k, v := range img {
		out[k] = plain(v)
	}
	return out
}

// ErrPoison reports a record that can never become an entry (not an AccessHive item).
var ErrPoison = errors.New("record is not an AccessHive change")

// ErrSkip reports a record that is bookkeeping, not a change worth auditing
// (idempotency records, counters); the template's FilterCriteria drops them too.
var ErrSkip = errors.New("bookkeeping record")

// SkippedTypes are item types that never become entries: bookkeeping, and
// notifications (messages about changes that are themselves in the trail).
var SkippedTypes = []string{"idempotency", "counter", "notification"}

// EntryFor builds the audit entry of one stream record.
func EntryFor(rec events.DynamoDBEventRecord) (Entry, error) {
	oldImg, newImg := image(rec.Change.OldImage), image(rec.Change.NewImage)
	cur := newImg
	if rec.EventName == "REMOVE" {
		cur = oldImg
	}
	pk, _ := cur["PK"].(string)
	if typ, _ := cur["type"].(string); slices.Contains(SkippedTypes, typ) {
		return Entry{}, ErrSkip
	}
	if !strings.HasPrefix(pk, "AGENCY#") && !strings.HasPrefix(pk, "IDEMPOTENCY#") && !strings.HasPrefix(pk, "EMAIL#") && !strings.HasPrefix(pk, "SUBJECT#") {
		return Entry{}, fmt.Errorf("%w: key %q", ErrPoison, pk)
	}
	agencyID, _ := cur["agencyId"].(string)
	clientID, _ := cur["clientId"].(string)
	if parts := strings.Split(pk, "#"); len(parts) >= 2 && parts[0] == "AGENCY" {
		agencyID = parts[1]
		if len(parts) >= 4 && parts[2] == "CLIENT" {
			clientID = parts[3]
		}
	}
	if agencyID == "" {
		return Entry{}, fmt.Errorf("%w: no agency", ErrPoison)
	}
	typ, _ := cur["type"].(string)
	actor, _ := cur["updatedBy"].(string)
	action, _ := cur["lastAction"].(string)
	if rec.EventName == "REMOVE" {
		action = typ + ".delete"
	}
	id, _ := cur["id"].(string)
	if id == "" {
		id, _ = cur["SK"].(string)
	}
	at := rec.Change.ApproximateCreationDateTime.Time
	if at.IsZero() {
		if s, ok := cur["updatedAt"].(string); ok {
			at, _ = time.Parse(time.RFC3339Nano, s)
		}
	}
	// The request id is known when this change wrote it (an update by a workflow
	// leaves an older request's id on the item; that one is not this change's).
	reqID, _ := newImg["apiRequestId"].(string)
	if old, _ := oldImg["apiRequestId"].(string); rec.EventName == "REMOVE" || old == reqID && rec.EventName != "INSERT" {
		reqID = ""
	}
	e := Entry{AgencyID: agencyID, AuditEntry: ah.AuditEntry{ID: rec.EventID, APIRequestID: reqID, At: at.UTC(), ActorID: actor, Action: action,
		EntityType: typ, EntityID: id, ClientID: clientID, Changes: diff(oldImg, newImg)}}
	e.PK = agencyPK(agencyID)
	if clientID != "" {
		e.PK = clientPK(agencyID, clientID)
	}
	e.SK = sortKey(e.At, rec.EventID)
	e.GSI1PK, e.GSI1SK = agencyPK(agencyID), e.SK
	return e, nil
}

// diff lists the fields that changed, each with its value before and after.
func diff(oldImg, newImg map[string]any) map[string]any {
	keys := map[string]bool{}
	for k := range oldImg {
		keys[k] = true
	}
	for k := range newImg {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	out := map[string]any{}
	for _, k := range names {
		if bookkeeping[k] || secretish(k) {
			continue
		}
		before, hadBefore := oldImg[k]
		after, hasAfter := newImg[k]
		if hadBefore && hasAfter && reflect.DeepEqual(before, after) {
			continue
		}
		out[k] = map[string]any{"before": before, "after": after}
	}
	return out
}

// Writer appends entries.
type Writer struct {
	DB    API
	Table string
}

// Put writes an entry once: a redelivered record finds its entry and is done.
func (w *Writer) Put(ctx context.Context, e Entry) error {
	item, err := attributevalue.MarshalMapWithOptions(e, func(o *attributevalue.EncoderOptions) { o.TagKey = "json" })
	if err != nil {
		return err
	}
	for k, v := range map[string]string{"PK": e.PK, "SK": e.SK, "GSI1PK": e.GSI1PK, "GSI1SK": e.GSI1SK, "agencyId": e.AgencyID} {
		item[k] = &types.AttributeValueMemberS{Value: v}
	}
	_, err = w.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &w.Table, Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")})
	var exists *types.ConditionalCheckFailedException
	if errors.As(err, &exists) {
		return nil
	}
	return err
}

// Handle writes one entry per record, in order. Nothing is dropped silently:
//   - a record that can never become an entry fails the invocation, so Lambda
//     bisects the batch down to that record and, when its retries run out, sends
//     only its sequence range to the failure queue (an alarm watches it);
//   - a write that fails (throttled, timed out) is reported by the record's
//     SequenceNumber, which is what Lambda requires; Lambda sends the batch again
//     from there, so processing stops at it and the trail stays in stream order.
func (w *Writer) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	for _, rec := range ev.Records {
		e, err := EntryFor(rec)
		if errors.Is(err, ErrSkip) {
			continue
		}
		if err != nil {
			return resp, fmt.Errorf("stream record %s (sequence number %s) cannot become an audit entry: %w", rec.EventID, rec.Change.SequenceNumber, err)
		}
		if err := w.Put(ctx, e); err != nil {
			resp.BatchItemFailures = []events.DynamoDBBatchItemFailure{{ItemIdentifier: rec.Change.SequenceNumber}}
			return resp, nil
		}
	}
	return resp, nil
}
