package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// Errors the store reports when a write's condition fails.
var (
	errStale = &ah.Error{Kind: ah.KindConflict, Code: ah.CodeVersionConflict,
		Message: "the resource changed since it was read; read it again and retry"}
	errExists = &ah.Error{Kind: ah.KindConflict, Code: ah.CodeConflict, Message: "the resource already exists"}
)

// create writes a new item (with its guards and checks) as one transaction.
func (s *Store) create(ctx context.Context, op string, item any, idem *ah.Idempotency, extra ...write) error {
	av, err := marshal(item)
	if err != nil {
		return ah.Internal(op, fmt.Errorf("encode item: %w", err))
	}
	return s.transact(ctx, op, idem, append([]write{putNew(s.table, av, errExists)}, extra...)...)
}

// replace writes a changed item if its version is still prevVersion, with any extra
// writes in the same transaction.
func (s *Store) replace(ctx context.Context, op string, item any, prevVersion int, extra ...write) error {
	av, err := marshal(item)
	if err != nil {
		return ah.Internal(op, fmt.Errorf("encode item: %w", err))
	}
	return s.transact(ctx, op, nil, append([]write{putVersioned(s.table, av, prevVersion, errStale)}, extra...)...)
}

// replaceWrite is the versioned put of item as a write of a larger transaction.
func (s *Store) replaceWrite(item any, prevVersion int) (write, error) {
	av, err := marshal(item)
	if err != nil {
		return write{}, fmt.Errorf("encode item: %w", err)
	}
	return putVersioned(s.table, av, prevVersion, errStale), nil
}

// guard is a uniqueness item: its existence claims a value (an email, a subject).
type guard struct {
	keys
	AgencyID   string `json:"agencyId"`
	MemberID   string `json:"memberId,omitempty"`
	TargetID   string `json:"targetId,omitempty"`
	UpdatedBy  string `json:"updatedBy"`
	LastAction string `json:"lastAction"`
}

func (s *Store) guardWrite(g guard, onTaken error) (write, error) {
	av, err := marshal(g)
	if err != nil {
		return write{}, fmt.Errorf("encode guard: %w", err)
	}
	return putNew(s.table, av, onTaken), nil
}

// counterAdd adds delta to a counter item; with a negative delta the counter must
// stay at least floor or the write fails with onFloor.
func (s *Store) counterAdd(pk, sk string, delta, floor int, by, action string, onFloor error) write {
	u := &types.Update{
		TableName:                &s.table,
		Key:                      key(pk, sk),
		UpdateExpression:         aws.String("SET #n = if_not_exists(#n, :zero) + :d, #type = :type, updatedBy = :by, lastAction = :action"),
		ExpressionAttributeNames: map[string]string{"#n": "count", "#type": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":d": num(delta), ":zero": num(0), ":type": str(typeCounter), ":by": str(by), ":action": str(action),
		},
	}
	if delta < 0 {
		u.ConditionExpression = aws.String("#n >= :min")
		u.ExpressionAttributeValues[":min"] = num(floor - delta)
	}
	return write{item: types.TransactWriteItem{Update: u}, onConditionFailed: onFloor}
}
