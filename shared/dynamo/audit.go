package dynamo

// The audit trail: the table's stream turned into one immutable entry per change
// (actor, action, entity, the changed fields before and after, time), keyed by the
// stream record's event id so a redelivered record adds nothing. Entries live in
// their own table (AuditTable) that only the audit-stream function may write.

import (
	"context"
	"encoding/json"
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
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// bookkeeping attributes are not "changes" worth listing: keys, versions and
// stamps, and what the entry itself says (its entity type and id, agency, client).
var bookkeeping = map[string]bool{"apiRequestId": true, "PK": true, "SK": true, "GSI1PK": true, "GSI1SK": true, "GSI2PK": true, "GSI2SK": true,
	"GSI3PK": true, "GSI3SK": true, "version": true, "updatedAt": true, "updatedBy": true, "lastAction": true, "ttl": true,
	"type": true, "id": true, "agencyId": true, "clientId": true, "createdAt": true}

// secretish attribute names are never copied into an entry, whatever an item holds.
func secretish(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "password") || strings.Contains(n, "secret") || strings.Contains(n, "token") || strings.Contains(n, "credentialvalue")
}

// AuditRecord is an audit table item: an entry with its keys.
type AuditRecord struct {
	PK     string `dynamodbav:"PK"`
	SK     string `dynamodbav:"SK"`
	GSI1PK string `dynamodbav:"GSI1PK"`
	GSI1SK string `dynamodbav:"GSI1SK"`
	ah.AuditEntry
	AgencyID string `dynamodbav:"agencyId"`
	// TTL is when the entry expires (Unix seconds): its time plus its agency's
	// audit retention. Zero keeps it.
	TTL int64 `dynamodbav:"ttl"`
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
var SkippedTypes = []string{"idempotency", "counter", "notification", "webhook_delivery", "slack_message"}

// AuditEntryFor builds the audit entry of one stream record.
func AuditEntryFor(rec events.DynamoDBEventRecord) (AuditRecord, error) {
	oldImg, newImg := image(rec.Change.OldImage), image(rec.Change.NewImage)
	cur := newImg
	if rec.EventName == "REMOVE" {
		cur = oldImg
	}
	pk, _ := cur["PK"].(string)
	if typ, _ := cur["type"].(string); slices.Contains(SkippedTypes, typ) {
		return AuditRecord{}, ErrSkip
	}
	if !strings.HasPrefix(pk, "AGENCY#") && !strings.HasPrefix(pk, "IDEMPOTENCY#") && !strings.HasPrefix(pk, "EMAIL#") && !strings.HasPrefix(pk, "SUBJECT#") {
		return AuditRecord{}, fmt.Errorf("%w: key %q", ErrPoison, pk)
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
		return AuditRecord{}, fmt.Errorf("%w: no agency", ErrPoison)
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
	changes, err := json.Marshal(diff(oldImg, newImg))
	if err != nil {
		return AuditRecord{}, fmt.Errorf("%w: changes: %v", ErrPoison, err)
	}
	e := AuditRecord{AgencyID: agencyID, AuditEntry: ah.AuditEntry{ID: rec.EventID, APIRequestID: reqID, At: at.UTC(), ActorID: actor, Action: action,
		EntityType: typ, EntityID: id, ClientID: clientID, Changes: changes}}
	e.PK = auditAgencyPK(agencyID)
	if clientID != "" {
		e.PK = auditClientPK(agencyID, clientID)
	}
	e.SK = auditSK(e.At, rec.EventID)
	e.GSI1PK, e.GSI1SK = auditAgencyPK(agencyID), e.SK
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

// AuditTrail is the audit table: appended by the audit-stream function, read by
// the API (Activity tab and agency search, patterns A1 to A3).
type AuditTrail struct {
	db    API
	table string
}

// NewAuditTrail returns the trail kept in the named table.
func NewAuditTrail(db API, table string) *AuditTrail { return &AuditTrail{db: db, table: table} }

var _ ah.AuditStore = (*AuditTrail)(nil)

// Put writes an entry once: a redelivered record finds its entry and is done.
// The entry is stored whole as its JSON (the binary attribute "entry"), with the
// attributes the trail is queried and filtered by beside it: a reader decodes a
// handful of strings and passes the entry on as it is.
func (t *AuditTrail) Put(ctx context.Context, e AuditRecord) error {
	body, err := json.Marshal(e.AuditEntry)
	if err != nil {
		return err
	}
	item := map[string]types.AttributeValue{"entry": &types.AttributeValueMemberB{Value: body}}
	if e.TTL > 0 {
		item["ttl"] = num64(e.TTL)
	}
	for k, v := range map[string]string{"PK": e.PK, "SK": e.SK, "GSI1PK": e.GSI1PK, "GSI1SK": e.GSI1SK, "agencyId": e.AgencyID,
		"clientId": e.ClientID, "actorId": e.ActorID, "action": e.Action, "entityType": e.EntityType, "entityId": e.EntityID} {
		if v != "" {
			item[k] = &types.AttributeValueMemberS{Value: v}
		}
	}
	_, err = t.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &t.table, Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")})
	if isConditionFailed(err) {
		return nil
	}
	return err
}

// ListClientAudit lists a client's entries, newest first (A1).
func (t *AuditTrail) ListClientAudit(ctx context.Context, agencyID, clientID string, f ah.AuditFilter, page ah.Page) ([]ah.AuditEntry, ah.Keys, error) {
	return t.list(ctx, "", auditClientPK(agencyID, clientID), f, page)
}

// ListAgencyAudit lists an agency's entries across clients, newest first (A2).
func (t *AuditTrail) ListAgencyAudit(ctx context.Context, agencyID string, f ah.AuditFilter, page ah.Page) ([]ah.AuditEntry, ah.Keys, error) {
	return t.list(ctx, indexGSI1, auditAgencyPK(agencyID), f, page)
}

func (t *AuditTrail) list(ctx context.Context, index, pk string, f ah.AuditFilter, page ah.Page) ([]ah.AuditEntry, ah.Keys, error) {
	const op = "dynamo.ListAudit"
	pkName, skName := "PK", "SK"
	if index != "" {
		pkName, skName = "GSI1PK", "GSI1SK"
	}
	from, to := "0", "9"
	if !f.From.IsZero() {
		from = sortableTime(f.From)
	}
	if !f.To.IsZero() {
		to = sortableTime(f.To) + "~"
	}
	in := &dynamodb.QueryInput{
		TableName:                 &t.table,
		KeyConditionExpression:    aws.String(fmt.Sprintf("%s = :pk AND %s BETWEEN :from AND :to", pkName, skName)),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk), ":from": str(from), ":to": str(to)},
		ScanIndexForward:          aws.Bool(false),
		// the entry and what a reader decides visibility by; nothing else
		ProjectionExpression: aws.String("#entry, #entityType, entityId, clientId, actorId, #action"),
	}
	if page.Limit > 0 {
		in.Limit = aws.Int32(int32(page.Limit))
	}
	if index != "" {
		in.IndexName = aws.String(index)
	}
	var conds []string
	names := map[string]string{"#entry": "entry", "#action": "action", "#entityType": "entityType"}
	add := func(attr, val string) {
		if val == "" {
			return
		}
		names["#"+attr] = attr
		in.ExpressionAttributeValues[":"+attr] = str(val)
		conds = append(conds, "#"+attr+" = :"+attr)
	}
	add("clientId", f.ClientID)
	add("actorId", f.ActorID)
	add("action", f.Action)
	if len(f.ExcludeTypes) > 0 {
		var vals []string
		for i, t := range f.ExcludeTypes {
			k := fmt.Sprintf(":x%d", i)
			in.ExpressionAttributeValues[k] = str(t)
			vals = append(vals, k)
		}
		names["#entityType"] = "entityType"
		conds = append(conds, "NOT (#entityType IN ("+strings.Join(vals, ", ")+"))")
	}
	in.ExpressionAttributeNames = names
	if len(conds) > 0 {
		in.FilterExpression = aws.String(strings.Join(conds, " AND "))
	}
	if len(page.After) > 0 {
		in.ExclusiveStartKey = map[string]types.AttributeValue{}
		for k, v := range page.After {
			in.ExclusiveStartKey[k] = str(v)
		}
	}
	out, err := t.db.Query(ctx, in)
	if err != nil {
		return nil, nil, mapErr(op, err)
	}
	items := make([]ah.AuditEntry, 0, len(out.Items))
	for _, it := range out.Items {
		e, err := auditEntryOf(it)
		if err != nil {
			return nil, nil, ah.Internal(op, fmt.Errorf("decode audit entry: %w", err))
		}
		items = append(items, e)
	}
	var next ah.Keys
	if len(out.LastEvaluatedKey) > 0 {
		next = ah.Keys{}
		for k, v := range out.LastEvaluatedKey {
			if sv, ok := v.(*types.AttributeValueMemberS); ok {
				next[k] = sv.Value
			}
		}
	}
	return items, next, nil
}

// auditEntryOf reads a stored entry: its JSON kept as it is, and the fields a
// reader decides visibility by (the rest are in Raw).
func auditEntryOf(it map[string]types.AttributeValue) (ah.AuditEntry, error) {
	raw, ok := it["entry"].(*types.AttributeValueMemberB)
	if !ok {
		return ah.AuditEntry{}, fmt.Errorf("no entry attribute")
	}
	s := func(name string) string {
		if v, ok := it[name].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	// Read field by field: no map built per entry (a page is up to 100 of them).
	return ah.AuditEntry{Raw: raw.Value, EntityType: s("entityType"), EntityID: s("entityId"), ClientID: s("clientId"),
		ActorID: s("actorId"), Action: s("action")}, nil
}

// RequestOfImage decodes an access request from a stream record's image; ok is
// false for an image of another kind of item (or none).
func RequestOfImage(img map[string]events.DynamoDBAttributeValue) (r ah.AccessRequest, ok bool, err error) {
	if t, found := img["type"]; !found || t.DataType() != events.DataTypeString || t.String() != typeRequest {
		return r, false, nil
	}
	av, err := streamImage(img)
	if err != nil {
		return r, false, err
	}
	var it requestItem
	if err := unmarshal(av, &it); err != nil {
		return r, false, fmt.Errorf("decode access request image: %w", err)
	}
	return it.AccessRequest, true, nil
}

// ClientOfImage decodes a stream image of a client item; ok is false for any
// other item.
func ClientOfImage(img map[string]events.DynamoDBAttributeValue) (c ah.Client, ok bool, err error) {
	if t, found := img["type"]; !found || t.DataType() != events.DataTypeString || t.String() != typeClient {
		return c, false, nil
	}
	av, err := streamImage(img)
	if err != nil {
		return c, false, err
	}
	var it clientItem
	if err := unmarshal(av, &it); err != nil {
		return c, false, fmt.Errorf("decode client image: %w", err)
	}
	return it.client(), true, nil
}

// ReviewOfImage decodes a stream image of an access review campaign; ok is false
// for any other item.
func ReviewOfImage(img map[string]events.DynamoDBAttributeValue) (r ah.ReviewCampaign, ok bool, err error) {
	if t, found := img["type"]; !found || t.DataType() != events.DataTypeString || t.String() != typeReview {
		return r, false, nil
	}
	av, err := streamImage(img)
	if err != nil {
		return r, false, err
	}
	var it reviewItem
	if err := unmarshal(av, &it); err != nil {
		return r, false, fmt.Errorf("decode review image: %w", err)
	}
	return it.ReviewCampaign, true, nil
}

// ClientIdentityOfImage decodes a stream image of a client identity item; ok is
// false for any other item.
func ClientIdentityOfImage(img map[string]events.DynamoDBAttributeValue) (i ah.ClientIdentity, ok bool, err error) {
	if t, found := img["type"]; !found || t.DataType() != events.DataTypeString || t.String() != typeClientIdentity {
		return i, false, nil
	}
	av, err := streamImage(img)
	if err != nil {
		return i, false, err
	}
	var it clientIdentityItem
	if err := unmarshal(av, &it); err != nil {
		return i, false, fmt.Errorf("decode identity image: %w", err)
	}
	return it.ClientIdentity, true, nil
}

// streamImage converts a Lambda stream image to SDK attribute values.
func streamImage(img map[string]events.DynamoDBAttributeValue) (map[string]types.AttributeValue, error) {
	out := make(map[string]types.AttributeValue, len(img))
	for k, v := range img {
		av, err := streamValue(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

func streamValue(v events.DynamoDBAttributeValue) (types.AttributeValue, error) {
	switch v.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: v.String()}, nil
	case events.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: v.Number()}, nil
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: v.Boolean()}, nil
	case events.DataTypeNull:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: v.Binary()}, nil
	case events.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: v.StringSet()}, nil
	case events.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: v.NumberSet()}, nil
	case events.DataTypeBinarySet:
		return &types.AttributeValueMemberBS{Value: v.BinarySet()}, nil
	case events.DataTypeMap:
		m, err := streamImage(v.Map())
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	case events.DataTypeList:
		l := make([]types.AttributeValue, 0, len(v.List()))
		for _, e := range v.List() {
			av, err := streamValue(e)
			if err != nil {
				return nil, err
			}
			l = append(l, av)
		}
		return &types.AttributeValueMemberL{Value: l}, nil
	}
	return nil, fmt.Errorf("unknown attribute type %v", v.DataType())
}
