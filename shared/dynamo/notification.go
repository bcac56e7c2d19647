package dynamo

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

type notificationItem struct {
	keys
	ah.Notification
	UpdatedBy  string `json:"updatedBy"`
	LastAction string `json:"lastAction"`
}

// PutNotification stores a notification. Its key is derived from what it is about
// (id and time come from the event, not the clock), so a redelivered step writes
// the same item again: never a duplicate, and a retried email's outcome replaces
// the failed one.
func (s *Store) PutNotification(ctx context.Context, n ah.Notification) error {
	av, err := marshal(notificationItem{keys: keys{PK: notificationsPK(n.AgencyID, n.MemberID), SK: notificationSK(sortableTime(n.CreatedAt), n.ID), Type: typeNotification},
		Notification: n, UpdatedBy: "notifications", LastAction: "notification." + n.Kind})
	if err != nil {
		return ah.Internal("dynamo.PutNotification", err)
	}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: av}); err != nil {
		return mapErr("dynamo.PutNotification", err)
	}
	return nil
}

// ListNotifications lists a member's notifications, newest first.
func (s *Store) ListNotifications(ctx context.Context, agencyID, memberID string, page ah.Page) ([]ah.Notification, ah.Keys, error) {
	in := prefixQuery(notificationsPK(agencyID, memberID), "")
	in.KeyConditionExpression = aws.String("PK = :pk")
	delete(in.ExpressionAttributeValues, ":prefix")
	in.ScanIndexForward = aws.Bool(false)
	return list(ctx, s, "dynamo.ListNotifications", in, page, func(it notificationItem) ah.Notification { return it.Notification })
}

// GetNotification reads one notification by its member, time and id.
func (s *Store) GetNotification(ctx context.Context, agencyID, memberID string, at time.Time, id string) (ah.Notification, bool, error) {
	it, err := get[notificationItem](ctx, s, "dynamo.GetNotification", notificationsPK(agencyID, memberID), notificationSK(sortableTime(at), id), errNotificationNotFound)
	if ah.KindOf(err) == ah.KindNotFound {
		return ah.Notification{}, false, nil
	}
	return it.Notification, err == nil, err
}

var errNotificationNotFound = ah.NotFound("notification")

// MarkNotificationRead sets a notification's readAt, once (a conditional update:
// marking it again changes nothing and reports false).
func (s *Store) MarkNotificationRead(ctx context.Context, n ah.Notification, now time.Time) (bool, error) {
	_, err := s.db.UpdateItem(ctx, &dynamodbUpdate{TableName: &s.table,
		Key:                       key(notificationsPK(n.AgencyID, n.MemberID), notificationSK(sortableTime(n.CreatedAt), n.ID)),
		UpdateExpression:          aws.String("SET readAt = :now, lastAction = :action"),
		ConditionExpression:       aws.String("attribute_exists(PK) AND attribute_not_exists(readAt)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": str(now.Format(time.RFC3339Nano)), ":action": str("notification.read")}})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, mapErr("dynamo.MarkNotificationRead", err)
	}
	return true, nil
}
