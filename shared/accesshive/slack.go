package accesshive

import (
	"context"
	"strings"
	"time"
)

// Slack approvals: a pending request is posted to its client's Slack channel with
// Approve and Reject buttons; a click comes back signed with the Slack app's
// signing secret, the Slack user is mapped to a member by their confirmed email,
// and the same approve/reject path runs (roles, self-approval, quorum,
// offboarding). The message shows the outcome.

// SlackConfig is an agency's Slack connection (its secrets are in Secrets Manager).
type SlackConfig struct {
	AgencyID  string `json:"agencyId"`
	Connected bool   `json:"connected"`
	TeamID    string `json:"teamId,omitempty"`
	TeamName  string `json:"teamName,omitempty"`
	BotUserID string `json:"botUserId,omitempty"`
	// InteractionsPath is the Request URL to give the Slack app (Interactivity),
	// under the API's address.
	InteractionsPath string `json:"interactionsPath"`
	Meta
}

// SlackInput connects Slack: the app's bot token and signing secret.
type SlackInput struct {
	BotToken      string `json:"botToken"`
	SigningSecret string `json:"signingSecret"`
}

// SlackSecret is what Secrets Manager keeps for an agency.
type SlackSecret struct {
	BotToken      string `json:"botToken"`
	SigningSecret string `json:"signingSecret"`
}

// SlackSecretName is where an agency's Slack secrets are kept.
func SlackSecretName(agencyID string) string { return "slack/" + agencyID }

// SlackInteractionsPath is the interactions Request URL path of an agency.
func SlackInteractionsPath(agencyID string) string {
	return "/integrations/slack/" + agencyID + "/interactions"
}

// The shapes of a bot token, a signing secret and a channel id. Checked by hand:
// bounded repetitions in a regexp compile into large programs at every cold start.
func botTokenShape(s string) bool {
	rest, ok := strings.CutPrefix(s, "xoxb-")
	return ok && len(rest) >= 10 && len(rest) <= 200 && allIn(rest, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")
}

func signingSecretShape(s string) bool {
	return len(s) >= 32 && len(s) <= 64 && allIn(s, "0123456789abcdef")
}

func slackChannelShape(s string) bool {
	return len(s) >= 7 && len(s) <= 21 && (s[0] == 'C' || s[0] == 'G') && allIn(s[1:], "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
}

// allIn reports whether every byte of s is in set.
func allIn(s, set string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(set, s[i]) < 0 {
			return false
		}
	}
	return true
}

// Validate checks the input's shapes (Slack checks the token itself).
func (in SlackInput) Validate() error {
	var v Validation
	v.Check(botTokenShape(in.BotToken), "botToken", FieldInvalid, "botToken must be the app's bot token (xoxb-…)")
	v.Check(signingSecretShape(in.SigningSecret), "signingSecret", FieldInvalid, "signingSecret must be the app's signing secret (hexadecimal, from Basic Information)")
	return v.Err()
}

// ClientSlackChannel is where a client's pending requests are posted.
type ClientSlackChannel struct {
	AgencyID  string `json:"agencyId"`
	ClientID  string `json:"clientId"`
	ChannelID string `json:"channelId"`
	Meta
}

// ClientSlackChannelInput sets it.
type ClientSlackChannelInput struct {
	ChannelID string `json:"channelId"`
}

// Validate checks the channel id's shape (a public or private channel's id).
func (in ClientSlackChannelInput) Validate() error {
	var v Validation
	v.Check(slackChannelShape(in.ChannelID), "channelId", FieldInvalid, "channelId must be a Slack channel id like C0123456789 (channel details > About)")
	return v.Err()
}

// SlackMessage is where a request's card was posted.
type SlackMessage struct {
	AgencyID  string    `json:"agencyId"`
	ClientID  string    `json:"clientId"`
	RequestID string    `json:"requestId"`
	ChannelID string    `json:"channelId"`
	TS        string    `json:"ts"`
	PostedAt  time.Time `json:"postedAt"`
}

// RequestCard is what a Slack message says of a request.
type RequestCard struct {
	ClientID, RequestID string
	ClientName          string
	RequesterName       string
	PlatformName        string
	IdentityType        string
	Justification       string
	Status              RequestStatus
	Approvals           int
	Needed              int
	// Outcome is said once the request is no longer pending ("Approved by …").
	Outcome string
}

// Chat posts and updates request cards (Slack).
type Chat interface {
	PostCard(ctx context.Context, agencyID, channelID string, c RequestCard) (ts string, err error)
	UpdateCard(ctx context.Context, agencyID, channelID, ts string, c RequestCard) error
	// Tell shows one Slack user a message only they see.
	Tell(ctx context.Context, agencyID, channelID, userID, text string) error
	// UserEmail is a Slack user's email and whether Slack confirmed it.
	UserEmail(ctx context.Context, agencyID, userID string) (email string, confirmed bool, err error)
}

// SlackStore keeps the Slack connection, client channels and posted messages.
type SlackStore interface {
	GetSlackConfig(ctx context.Context, agencyID string) (SlackConfig, error)
	PutSlackConfig(ctx context.Context, c SlackConfig) error
	DeleteSlackConfig(ctx context.Context, agencyID string) error
	GetClientSlackChannel(ctx context.Context, agencyID, clientID string) (ClientSlackChannel, error)
	PutClientSlackChannel(ctx context.Context, c ClientSlackChannel) error
	// PutSlackMessage records a posted card; false when one was recorded already.
	PutSlackMessage(ctx context.Context, m SlackMessage) (bool, error)
	GetSlackMessage(ctx context.Context, agencyID, clientID, requestID string) (SlackMessage, error)
}
