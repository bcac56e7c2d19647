package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// Filter narrows an audit listing; zero fields do not filter.
type Filter struct {
	ClientID string
	ActorID  string
	Action   string
	From, To time.Time
}

// Reader lists entries, newest first, one Query a page.
type Reader struct {
	DB    API
	Table string
}

// Page is one page of entries and the key to continue after.
type Page struct {
	Items []ah.AuditEntry
	Next  map[string]string
}

// ListClient lists a client's entries (the Activity tab).
func (r *Reader) ListClient(ctx context.Context, agencyID, clientID string, f Filter, limit int, after map[string]string) (Page, error) {
	return r.list(ctx, "", clientPK(agencyID, clientID), f, limit, after)
}

// ListAgency lists an agency's entries across clients (GSI1).
func (r *Reader) ListAgency(ctx context.Context, agencyID string, f Filter, limit int, after map[string]string) (Page, error) {
	return r.list(ctx, "GSI1", agencyPK(agencyID), f, limit, after)
}

func (r *Reader) list(ctx context.Context, index, pk string, f Filter, limit int, after map[string]string) (Page, error) {
	pkName, skName := "PK", "SK"
	if index != "" {
		pkName, skName = "GSI1PK", "GSI1SK"
	}
	from, to := "0", "9"
	if !f.From.IsZero() {
		from = f.From.UTC().Format("2006-01-02T15:04:05.000000000Z")
	}
	if !f.To.IsZero() {
		to = f.To.UTC().Format("2006-01-02T15:04:05.000000000Z") + "~"
	}
	in := &dynamodb.QueryInput{
		TableName:                 &r.Table,
		KeyConditionExpression:    aws.String(fmt.Sprintf("%s = :pk AND %s BETWEEN :from AND :to", pkName, skName)),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(pk), ":from": s(from), ":to": s(to)},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(int32(limit)),
	}
	if index != "" {
		in.IndexName = aws.String(index)
	}
	var conds []string
	names := map[string]string{}
	add := func(attr, val string) {
		if val == "" {
			return
		}
		names["#"+attr] = attr
		in.ExpressionAttributeValues[":"+attr] = s(val)
		conds = append(conds, "#"+attr+" = :"+attr)
	}
	add("clientId", f.ClientID)
	add("actorId", f.ActorID)
	add("action", f.Action)
	if len(conds) > 0 {
		expr := conds[0]
		for _, c := range conds[1:] {
			expr += " AND " + c
		}
		in.FilterExpression, in.ExpressionAttributeNames = &expr, names
	}
	if len(after) > 0 {
		in.ExclusiveStartKey = map[string]types.AttributeValue{}
		for k, v := range after {
			in.ExclusiveStartKey[k] = s(v)
		}
	}
	out, err := r.DB.Query(ctx, in)
	if err != nil {
		return Page{}, fmt.Errorf("query audit: %w", err)
	}
	p := Page{Items: make([]ah.AuditEntry, 0, len(out.Items))}
	for _, it := range out.Items {
		var e ah.AuditEntry
		if err := attributevalue.UnmarshalMapWithOptions(it, &e, func(o *attributevalue.DecoderOptions) { o.TagKey = "json" }); err != nil {
			return Page{}, fmt.Errorf("decode audit entry: %w", err)
		}
		p.Items = append(p.Items, e)
	}
	if len(out.LastEvaluatedKey) > 0 {
		p.Next = map[string]string{}
		for k, v := range out.LastEvaluatedKey {
			if sv, ok := v.(*types.AttributeValueMemberS); ok {
				p.Next[k] = sv.Value
			}
		}
	}
	return p, nil
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
