// Package dynamo stores AccessHive's entities in one DynamoDB table. Every state
// change is one conditional write or one TransactWriteItems; reads are GetItem or a
// Query on the table or a GSI, never a Scan.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// API is the part of the DynamoDB client the store uses.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// Store reads and writes AccessHive items in one table.
type Store struct {
	db    API
	table string
}

// NewStore returns a store over the named table.
func NewStore(db API, table string) *Store {
	return &Store{db: db, table: table}
}

// keys are the attributes every item carries besides its entity's fields.
type keys struct {
	PK     string `json:"PK"`
	SK     string `json:"SK"`
	GSI1PK string `json:"GSI1PK,omitempty"`
	GSI1SK string `json:"GSI1SK,omitempty"`
	GSI2PK string `json:"GSI2PK,omitempty"`
	GSI2SK string `json:"GSI2SK,omitempty"`
	GSI3PK string `json:"GSI3PK,omitempty"`
	GSI3SK string `json:"GSI3SK,omitempty"`
	Type   string `json:"type"`
	TTL    int64  `json:"ttl,omitempty"`
}

func jsonTags(o *attributevalue.EncoderOptions) { o.TagKey = "json" }
func jsonTagsDec(o *attributevalue.DecoderOptions) {
	o.TagKey = "json"
}

func marshal(v any) (map[string]types.AttributeValue, error) {
	return attributevalue.MarshalMapWithOptions(v, jsonTags)
}

func unmarshal(m map[string]types.AttributeValue, v any) error {
	return attributevalue.UnmarshalMapWithOptions(m, v, jsonTagsDec)
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: pk},
		"SK": &types.AttributeValueMemberS{Value: sk},
	}
}

func str(s string) types.AttributeValue  { return &types.AttributeValueMemberS{Value: s} }
func num(n int) types.AttributeValue     { return &types.AttributeValueMemberN{Value: fmt.Sprint(n)} }
func num64(n int64) types.AttributeValue { return &types.AttributeValueMemberN{Value: fmt.Sprint(n)} }

// get reads one item strongly consistently; a missing item is notFound.
func get[T any](ctx context.Context, s *Store, op, pk, sk string, notFound error) (T, error) {
	var v T
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &s.table,
		Key:            key(pk, sk),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return v, mapErr(op, err)
	}
	if out.Item == nil {
		return v, notFound
	}
	if err := unmarshal(out.Item, &v); err != nil {
		return v, ah.Internal(op, fmt.Errorf("decode item %s/%s: %w", pk, sk, err))
	}
	return v, nil
}

// query runs one Query and decodes its items, returning the key to continue after.
func query[T any](ctx context.Context, s *Store, op string, in *dynamodb.QueryInput, page ah.Page) ([]T, ah.Keys, error) {
	in.TableName = &s.table
	if page.Limit > 0 {
		in.Limit = aws.Int32(int32(page.Limit))
	}
	if len(page.After) > 0 {
		in.ExclusiveStartKey = make(map[string]types.AttributeValue, len(page.After))
		for k, v := range page.After {
			in.ExclusiveStartKey[k] = str(v)
		}
	}
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return nil, nil, mapErr(op, err)
	}
	items := make([]T, 0, len(out.Items))
	for _, raw := range out.Items {
		var v T
		if err := unmarshal(raw, &v); err != nil {
			return nil, nil, ah.Internal(op, fmt.Errorf("decode item: %w", err))
		}
		items = append(items, v)
	}
	var next ah.Keys
	if len(out.LastEvaluatedKey) > 0 {
		next = make(ah.Keys, len(out.LastEvaluatedKey))
		for k, v := range out.LastEvaluatedKey {
			sv, ok := v.(*types.AttributeValueMemberS)
			if !ok {
				return nil, nil, ah.Internal(op, fmt.Errorf("non-string key attribute %s", k))
			}
			next[k] = sv.Value
		}
	}
	return items, next, nil
}

// prefixQuery lists the items of one partition whose sort key begins with prefix.
func prefixQuery(pk, prefix string) *dynamodb.QueryInput {
	return &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :prefix)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk), ":prefix": str(prefix)},
		ConsistentRead:            aws.Bool(true),
	}
}

// write is one action of a transaction and the error to report when its condition fails.
type write struct {
	item              types.TransactWriteItem
	onConditionFailed error
}

func putNew(table string, item map[string]types.AttributeValue, onExists error) write {
	return write{
		item: types.TransactWriteItem{Put: &types.Put{
			TableName:           &table,
			Item:                item,
			ConditionExpression: aws.String("attribute_not_exists(PK)"),
		}},
		onConditionFailed: onExists,
	}
}

// putVersioned replaces an item only if its stored version is still prevVersion.
func putVersioned(table string, item map[string]types.AttributeValue, prevVersion int, onStale error) write {
	return write{
		item: types.TransactWriteItem{Put: &types.Put{
			TableName:                 &table,
			Item:                      item,
			ConditionExpression:       aws.String("version = :prev"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":prev": num(prevVersion)},
		}},
		onConditionFailed: onStale,
	}
}

// mustExist is a condition check that fails with onMissing when the item is absent.
func mustExist(table, pk, sk string, onMissing error) write {
	return write{
		item: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			TableName:           &table,
			Key:                 key(pk, sk),
			ConditionExpression: aws.String("attribute_exists(PK)"),
		}},
		onConditionFailed: onMissing,
	}
}

// transact runs writes as one TransactWriteItems. A failed condition is reported as
// the error its write names; with idem, the idempotency record is written in the same
// transaction and a reused key answers ErrReplay or a fingerprint mismatch.
func (s *Store) transact(ctx context.Context, op string, idem *ah.Idempotency, writes ...write) error {
	if idem != nil {
		w, err := s.idempotencyWrite(idem)
		if err != nil {
			return ah.Internal(op, err)
		}
		writes = append(writes, w)
	}
	items := make([]types.TransactWriteItem, len(writes))
	reqID := ah.RequestID(ctx)
	for i, w := range writes {
		if p := w.item.Put; p != nil && reqID != "" {
			// Which API request wrote it (the audit trail shows it). Not "requestId":
			// identities and notifications use that name for their access request.
			p.Item["apiRequestId"] = str(reqID)
		}
		items[i] = w.item
	}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err == nil {
		return nil
	}
	var canceled *types.TransactionCanceledException
	if !errors.As(err, &canceled) {
		return mapErr(op, err)
	}
	reasons := canceled.CancellationReasons
	if idem != nil && len(reasons) == len(writes) && aws.ToString(reasons[len(writes)-1].Code) == "ConditionalCheckFailed" {
		return s.replay(ctx, op, idem)
	}
	for i, r := range reasons {
		if aws.ToString(r.Code) == "ConditionalCheckFailed" && i < len(writes) && writes[i].onConditionFailed != nil {
			return withOp(op, writes[i].onConditionFailed)
		}
	}
	for _, r := range reasons {
		if c := aws.ToString(r.Code); c == "TransactionConflict" || c == "ThrottlingError" || c == "ProvisionedThroughputExceeded" {
			return &ah.Error{Kind: ah.KindConflict, Code: ah.CodeVersionConflict, Op: op,
				Message: "another change to the same items was in progress; read the current state and retry", Err: err}
		}
	}
	return ah.Internal(op, err)
}

// withOp stamps op on a domain error (copying it, since sentinels are shared).
func withOp(op string, err error) error {
	if e := ah.ErrorOf(err); e != nil {
		c := *e
		if c.Op == "" {
			c.Op = op
		}
		return &c
	}
	return err
}

// mapErr turns an SDK error into a domain error: throttling after the SDK's own
// retries is KindUnavailable, a cancelled context stays itself, the rest is internal.
func mapErr(op string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &ah.Error{Kind: ah.KindUnavailable, Code: ah.CodeUnavailable, Op: op, Message: "the request timed out; retry later", Err: err}
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code := apiErr.ErrorCode()
		if code == "ProvisionedThroughputExceededException" || code == "ThrottlingException" || code == "RequestLimitExceeded" ||
			strings.Contains(code, "Throttl") {
			return &ah.Error{Kind: ah.KindUnavailable, Code: ah.CodeUnavailable, Op: op, Message: "the service is busy; retry later", Err: err}
		}
	}
	return ah.Internal(op, err)
}

// list runs a Query and converts each stored item to its domain value.
func list[I, D any](ctx context.Context, s *Store, op string, in *dynamodb.QueryInput, page ah.Page, conv func(I) D) ([]D, ah.Keys, error) {
	items, next, err := query[I](ctx, s, op, in, page)
	if err != nil {
		return nil, nil, err
	}
	out := make([]D, len(items))
	for i, it := range items {
		out[i] = conv(it)
	}
	return out, next, nil
}
