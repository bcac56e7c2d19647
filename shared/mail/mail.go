// Package mail sends notification email through Amazon SES (v2).
package mail

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// API is the part of the SESv2 client used here.
type API interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, opts ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// SES sends plain-text email from one verified sender.
type SES struct {
	Client API
	Sender string
}

var _ ah.Mailer = (*SES)(nil)

// Send emails one recipient.
func (m *SES) Send(ctx context.Context, to, subject, body string) error {
	_, err := m.Client.SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: &m.Sender,
		Destination:      &sestypes.Destination{ToAddresses: []string{to}},
		Content: &sestypes.EmailContent{Simple: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String(subject)},
			Body:    &sestypes.Body{Text: &sestypes.Content{Data: aws.String(body)}},
		}},
	})
	if err != nil {
		return fmt.Errorf("send email: %w", err)
	}
	return nil
}
