package dynamo

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

type notificationItem struct {
	keys
	ah.Notification
	UpdatedBy  string `json:"updatedBy"`
	LastAction string `json:"lastAction"`
}

// PutNotification stores a notification once: its id is derived from what it is
// about, so a redelivered step does not notify twice (the second put is ignored).
func (s *Store) PutNotification(ctx context.Context, n ah.Notification) error {
	it := notificationItem{keys: keys{PK: notificationsPK(n.AgencyID, n.MemberID), SK: notificationSK(n.CreatedAt.Format(time.RFC3339Nano), n.ID), Type: typeNotification},
		Notification: n, UpdatedBy: provisioningActor, LastAction: "notification." + n.Kind}
	err := s.create(ctx, "dynamo.PutNotification", it, nil)
	if ah.CodeOf(err) == ah.CodeConflict {
		return nil
	}
	return err
}

// ListNotifications lists a member's notifications, newest first.
func (s *Store) ListNotifications(ctx context.Context, agencyID, memberID string, page Page) ([]ah.Notification, Keys, error) {
	in := prefixQuery(notificationsPK(agencyID, memberID), "")
	in.KeyConditionExpression = aws.String("PK = :pk")
	delete(in.ExpressionAttributeValues, ":prefix")
	in.ScanIndexForward = aws.Bool(false)
	return list(ctx, s, "dynamo.ListNotifications", in, page, func(it notificationItem) ah.Notification { return it.Notification })
}
