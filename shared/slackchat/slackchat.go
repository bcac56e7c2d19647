// Package slackchat posts AccessHive's request cards to Slack and reads Slack
// users, through the Slack Web API client github.com/slack-go/slack, with each
// agency's bot token (from Secrets Manager).
package slackchat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// Action ids of the card's buttons, and the block they are in.
const (
	ActionApprove = "accesshive_approve"
	ActionReject  = "accesshive_reject"
	BlockReview   = "accesshive_review"
)

// Chat is the Slack adapter.
type Chat struct {
	// APIURL is the Web API's base ("" for https://slack.com/api/; the local
	// stack's fake Slack otherwise).
	APIURL string
	// Secrets reads an agency's bot token and signing secret.
	Secrets func(ctx context.Context, agencyID string) (ah.SlackSecret, error)
	HTTP    *http.Client

	mu    sync.Mutex
	cache map[string]cachedSecret
}

type cachedSecret struct {
	s       ah.SlackSecret
	expires time.Time
}

// secretTTL is how long a token is reused before it is read again (a reconnect
// applies within it).
const secretTTL = time.Minute

// Secret returns an agency's Slack secrets, cached briefly.
func (c *Chat) Secret(ctx context.Context, agencyID string) (ah.SlackSecret, error) {
	c.mu.Lock()
	if c.cache == nil {
		c.cache = map[string]cachedSecret{}
	}
	cs, ok := c.cache[agencyID]
	c.mu.Unlock()
	if ok && time.Now().Before(cs.expires) {
		return cs.s, nil
	}
	s, err := c.Secrets(ctx, agencyID)
	if err != nil {
		return ah.SlackSecret{}, err
	}
	c.mu.Lock()
	c.cache[agencyID] = cachedSecret{s: s, expires: time.Now().Add(secretTTL)}
	c.mu.Unlock()
	return s, nil
}

// Forget drops an agency's cached secrets (it reconnected or disconnected).
func (c *Chat) Forget(agencyID string) {
	c.mu.Lock()
	delete(c.cache, agencyID)
	c.mu.Unlock()
}

// Client is a Slack client for a bot token.
func (c *Chat) Client(token string) *slack.Client {
	opts := []slack.Option{}
	if c.APIURL != "" {
		opts = append(opts, slack.OptionAPIURL(strings.TrimSuffix(c.APIURL, "/")+"/"))
	}
	if c.HTTP != nil {
		opts = append(opts, slack.OptionHTTPClient(c.HTTP))
	}
	return slack.New(token, opts...)
}

func (c *Chat) client(ctx context.Context, agencyID string) (*slack.Client, error) {
	s, err := c.Secret(ctx, agencyID)
	if err != nil {
		return nil, err
	}
	return c.Client(s.BotToken), nil
}

// AuthTest checks a bot token and names its workspace and bot user.
func (c *Chat) AuthTest(ctx context.Context, token string) (teamID, teamName, botUserID string, err error) {
	r, err := c.Client(token).AuthTestContext(ctx)
	if err != nil {
		return "", "", "", err
	}
	return r.TeamID, r.Team, r.UserID, nil
}

// PostCard posts a request's card; its ts identifies the message.
func (c *Chat) PostCard(ctx context.Context, agencyID, channelID string, card ah.RequestCard) (string, error) {
	cl, err := c.client(ctx, agencyID)
	if err != nil {
		return "", err
	}
	_, ts, err := cl.PostMessageContext(ctx, channelID, slack.MsgOptionText(summary(card), false), slack.MsgOptionBlocks(Blocks(card)...))
	return ts, classify(err)
}

// UpdateCard replaces a card with the request as it is now.
func (c *Chat) UpdateCard(ctx context.Context, agencyID, channelID, ts string, card ah.RequestCard) error {
	cl, err := c.client(ctx, agencyID)
	if err != nil {
		return err
	}
	_, _, _, err = cl.UpdateMessageContext(ctx, channelID, ts, slack.MsgOptionText(summary(card), false), slack.MsgOptionBlocks(Blocks(card)...))
	return classify(err)
}

// Tell posts an ephemeral message to one user.
func (c *Chat) Tell(ctx context.Context, agencyID, channelID, userID, text string) error {
	cl, err := c.client(ctx, agencyID)
	if err != nil {
		return err
	}
	_, err = cl.PostEphemeralContext(ctx, channelID, userID, slack.MsgOptionText(text, false))
	return classify(err)
}

// UserEmail reads a Slack user's email and whether Slack confirmed it (the app
// needs users:read.email).
func (c *Chat) UserEmail(ctx context.Context, agencyID, userID string) (string, bool, error) {
	cl, err := c.client(ctx, agencyID)
	if err != nil {
		return "", false, err
	}
	u, err := cl.GetUserInfoContext(ctx, userID)
	if err != nil {
		return "", false, err
	}
	return u.Profile.Email, u.IsEmailConfirmed && !u.Deleted, nil
}

// classify marks what Slack refused (an error in its answer: channel_not_found,
// not_in_channel, invalid_auth...) as permanent, a conflict no retry mends;
// anything else (no answer, rate limited) stays as it is, to be retried.
func classify(err error) error {
	var refused slack.SlackErrorResponse
	if errors.As(err, &refused) {
		return &ah.Error{Kind: ah.KindConflict, Code: ah.CodeConflict, Message: "Slack refused: " + refused.Err, Err: err}
	}
	return err
}

// summary is the notification text (what Slack shows where blocks are not).
func summary(c ah.RequestCard) string {
	s := fmt.Sprintf("%s asks for %s access to %s for %s", c.RequesterName, c.IdentityType, c.PlatformName, c.ClientName)
	if c.Outcome != "" {
		s += ": " + c.Outcome
	}
	return s
}

// esc escapes text for Slack's mrkdwn.
func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// Blocks is a card's Block Kit layout: the request, its approvals, and while
// pending the Approve and Reject buttons (value "<clientId>/<requestId>").
func Blocks(c ah.RequestCard) []slack.Block {
	text := fmt.Sprintf("*Access request for %s*\n*%s* asks for *%s* (%s identity)", esc(c.ClientName), esc(c.RequesterName), esc(c.PlatformName), esc(c.IdentityType))
	if c.Justification != "" {
		text += "\n>" + esc(strings.ReplaceAll(c.Justification, "\n", " "))
	}
	blocks := []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)}
	status := fmt.Sprintf("Status: *%s*", c.Status)
	if c.Needed > 1 {
		status += fmt.Sprintf(" · %d of %d approvals", c.Approvals, c.Needed)
	}
	if c.Outcome != "" {
		status += " · " + esc(c.Outcome)
	}
	blocks = append(blocks, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, status, false, false)))
	if c.Status == ah.RequestPending {
		value := c.ClientID + "/" + c.RequestID
		approve := slack.NewButtonBlockElement(ActionApprove, value, slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false))
		approve.Style = slack.StylePrimary
		reject := slack.NewButtonBlockElement(ActionReject, value, slack.NewTextBlockObject(slack.PlainTextType, "Reject", false, false))
		reject.Style = slack.StyleDanger
		blocks = append(blocks, slack.NewActionBlock(BlockReview, approve, reject))
	}
	return blocks
}

// BlocksJSON is a card's blocks as Slack receives them (tests compare).
func BlocksJSON(c ah.RequestCard) string {
	b, _ := json.Marshal(slack.Blocks{BlockSet: Blocks(c)})
	return string(b)
}

var _ ah.Chat = (*Chat)(nil)

// Vault is where the secrets are (shared/vault).
type Vault interface {
	Get(ctx context.Context, name string) (string, bool, error)
}

// FromVault is the adapter reading each agency's secrets from the vault
// (ah.SlackSecretName), calling the Web API at apiURL ("" for Slack's).
func FromVault(v Vault, apiURL string) *Chat {
	return &Chat{APIURL: apiURL, HTTP: &http.Client{Timeout: 5 * time.Second}, Secrets: func(ctx context.Context, agencyID string) (ah.SlackSecret, error) {
		raw, found, err := v.Get(ctx, ah.SlackSecretName(agencyID))
		if err != nil {
			return ah.SlackSecret{}, err
		}
		if !found {
			return ah.SlackSecret{}, ah.NotFound("slack connection")
		}
		var s ah.SlackSecret
		if err := json.Unmarshal([]byte(raw), &s); err != nil {
			return ah.SlackSecret{}, fmt.Errorf("the agency's Slack secret is not readable: %w", err)
		}
		if s.BotToken == "" || s.SigningSecret == "" { // disconnected
			return ah.SlackSecret{}, ah.NotFound("slack connection")
		}
		return s, nil
	}}
}
