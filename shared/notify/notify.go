// Package notify delivers notifications: an in-app notification item for the
// member, and an email through SESv2. The email's fate (sent, or failed with its
// error) is recorded on the notification, never dropped silently.
package notify

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// Mailer sends email (an SESv2 client).
type Mailer interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, opts ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// Store keeps notifications.
type Store interface {
	PutNotification(ctx context.Context, n ah.Notification) error
}

// Notifier delivers notifications.
type Notifier struct {
	Store  Store
	Mail   Mailer
	Sender string
}

// Send emails the member and stores the notification with the email's outcome. It
// returns the email error (after storing the notification) so a caller that can
// retry, such as a state machine step, does; the in-app notification is stored once.
func (n *Notifier) Send(ctx context.Context, to ah.Member, msg ah.Notification) error {
	msg.AgencyID, msg.MemberID = to.AgencyID, to.ID
	msg.EmailStatus = "sent"
	_, mailErr := n.Mail.SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: &n.Sender,
		Destination:      &sestypes.Destination{ToAddresses: []string{to.Email}},
		Content: &sestypes.EmailContent{Simple: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String(msg.Title)},
			Body:    &sestypes.Body{Text: &sestypes.Content{Data: aws.String(msg.Body)}},
		}},
	})
	if mailErr != nil {
		msg.EmailStatus, msg.EmailError = "failed", mailErr.Error()
	}
	if err := n.Store.PutNotification(ctx, msg); err != nil {
		return fmt.Errorf("store notification %s: %w", msg.ID, err)
	}
	if mailErr != nil {
		return fmt.Errorf("email %s: %w", to.Email, mailErr)
	}
	return nil
}
