package service

// Slack approvals. Connecting stores the app's bot token and signing secret in
// Secrets Manager (checked with Slack's auth.test first); each client names its
// channel. The notify function posts a pending request's card there and updates
// it as the request moves; a button click (shared/slackapp verifies Slack's
// signature) runs DecideFromSlack: the Slack user is mapped to a member of the
// agency by the email Slack confirmed, and the same approve/reject path runs.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// SlackConnector checks a bot token with Slack (auth.test).
type SlackConnector interface {
	AuthTest(ctx context.Context, token string) (teamID, teamName, botUserID string, err error)
	Forget(agencyID string)
}

func (s *Service) slackStore() (ah.SlackStore, error) {
	st, ok := s.store.(ah.SlackStore)
	if !ok {
		return nil, ah.Internal("service.slack", fmt.Errorf("the store keeps no Slack connection"))
	}
	return st, nil
}

var errSlackOff = ah.E(ah.KindConflict, ah.CodeConflict, "Slack is not available on this deployment")

// ConnectSlack connects the agency's Slack app: the token is checked with Slack,
// the secrets stored, the workspace recorded.
func (s *Service) ConnectSlack(ctx context.Context, p ah.Principal, in ah.SlackInput) (ah.SlackConfig, error) {
	if err := in.Validate(); err != nil {
		return ah.SlackConfig{}, err
	}
	st, err := s.slackStore()
	if err != nil {
		return ah.SlackConfig{}, err
	}
	if s.slack == nil || s.vault == nil {
		return ah.SlackConfig{}, errSlackOff
	}
	team, teamName, bot, err := s.slack.AuthTest(ctx, in.BotToken)
	if err != nil {
		var v ah.Validation
		v.Add("botToken", ah.FieldInvalid, "Slack refused the bot token (%s)", clip(err.Error(), 80))
		return ah.SlackConfig{}, v.Err()
	}
	secret, _ := json.Marshal(ah.SlackSecret(in))
	if err := s.vault.Put(ctx, ah.SlackSecretName(p.AgencyID), string(secret)); err != nil {
		return ah.SlackConfig{}, errVaultDown(err)
	}
	s.slack.Forget(p.AgencyID)
	c, err := st.GetSlackConfig(ctx, p.AgencyID)
	if err != nil && ah.KindOf(err) != ah.KindNotFound {
		return ah.SlackConfig{}, err
	}
	c.AgencyID, c.Connected, c.TeamID, c.TeamName, c.BotUserID, c.InteractionsPath = p.AgencyID, true, team, teamName, bot, ah.SlackInteractionsPath(p.AgencyID)
	if c.Version == 0 {
		stampNew(&c.Meta, p.MemberID, "slack.connect", s.clock.Now())
	} else {
		stampChange(&c.Meta, p.MemberID, "slack.connect", s.clock.Now())
	}
	if err := st.PutSlackConfig(ctx, c); err != nil {
		return ah.SlackConfig{}, err
	}
	return c, nil
}

// GetSlack reads the agency's Slack connection (connected false when none).
func (s *Service) GetSlack(ctx context.Context, p ah.Principal) (ah.SlackConfig, error) {
	st, err := s.slackStore()
	if err != nil {
		return ah.SlackConfig{}, err
	}
	c, err := st.GetSlackConfig(ctx, p.AgencyID)
	if ah.KindOf(err) == ah.KindNotFound {
		return ah.SlackConfig{AgencyID: p.AgencyID, InteractionsPath: ah.SlackInteractionsPath(p.AgencyID)}, nil
	}
	return c, err
}

// DisconnectSlack removes the connection and empties its secret (kept, not
// deleted, so connecting again writes a new value at once instead of waiting out
// Secrets Manager's recovery window).
func (s *Service) DisconnectSlack(ctx context.Context, p ah.Principal) error {
	st, err := s.slackStore()
	if err != nil {
		return err
	}
	if err := st.DeleteSlackConfig(ctx, p.AgencyID); err != nil && ah.KindOf(err) != ah.KindNotFound {
		return err
	}
	if s.slack != nil {
		s.slack.Forget(p.AgencyID)
	}
	if s.vault != nil {
		if err := s.vault.Put(ctx, ah.SlackSecretName(p.AgencyID), "{}"); err != nil {
			return errVaultDown(err)
		}
	}
	return nil
}

// SetClientSlackChannel names the channel a client's pending requests go to.
func (s *Service) SetClientSlackChannel(ctx context.Context, p ah.Principal, clientID string, in ah.ClientSlackChannelInput) (ah.ClientSlackChannel, error) {
	if err := in.Validate(); err != nil {
		return ah.ClientSlackChannel{}, err
	}
	st, err := s.slackStore()
	if err != nil {
		return ah.ClientSlackChannel{}, err
	}
	if err := clientScope(p, clientID); err != nil {
		return ah.ClientSlackChannel{}, err
	}
	c, err := st.GetClientSlackChannel(ctx, p.AgencyID, clientID)
	if err != nil && ah.KindOf(err) != ah.KindNotFound {
		return ah.ClientSlackChannel{}, err
	}
	c.AgencyID, c.ClientID, c.ChannelID = p.AgencyID, clientID, in.ChannelID
	if c.Version == 0 {
		stampNew(&c.Meta, p.MemberID, "client.slack_channel", s.clock.Now())
	} else {
		stampChange(&c.Meta, p.MemberID, "client.slack_channel", s.clock.Now())
	}
	if err := st.PutClientSlackChannel(ctx, c); err != nil {
		return ah.ClientSlackChannel{}, err
	}
	return c, nil
}

// GetClientSlackChannel reads a client's channel.
func (s *Service) GetClientSlackChannel(ctx context.Context, p ah.Principal, clientID string) (ah.ClientSlackChannel, error) {
	st, err := s.slackStore()
	if err != nil {
		return ah.ClientSlackChannel{}, err
	}
	// One read: the principal says whether the client is theirs to see; a client
	// that does not exist has no channel either (404).
	if err := clientScope(p, clientID); err != nil {
		return ah.ClientSlackChannel{}, err
	}
	return st.GetClientSlackChannel(ctx, p.AgencyID, clientID)
}

// slackOnRequestChange posts a new pending request's card to its client's
// channel, or updates the card of one that moved. Nothing to do when the agency
// has no Slack or the client no channel. A card is posted once: a redelivered
// change finds it recorded.
func (s *Service) slackOnRequestChange(ctx context.Context, old, cur *ah.AccessRequest) error {
	if s.chat == nil || cur == nil {
		return nil
	}
	st, err := s.slackStore()
	if err != nil {
		return err
	}
	if old != nil && old.Status == cur.Status && len(old.Approvals) == len(cur.Approvals) {
		return nil // nothing a card shows changed
	}
	if cur.Status == ah.RequestPending && old == nil {
		if _, err := st.GetSlackConfig(ctx, cur.AgencyID); ah.KindOf(err) == ah.KindNotFound {
			return nil
		} else if err != nil {
			return err
		}
		ch, err := st.GetClientSlackChannel(ctx, cur.AgencyID, cur.ClientID)
		if ah.KindOf(err) == ah.KindNotFound {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := st.GetSlackMessage(ctx, cur.AgencyID, cur.ClientID, cur.ID); err == nil {
			return nil // posted already (a redelivered change)
		}
		card, err := s.requestCard(ctx, cur)
		if err != nil {
			return err
		}
		ts, err := s.chat.PostCard(ctx, cur.AgencyID, ch.ChannelID, card)
		if ah.KindOf(err) == ah.KindConflict { // Slack refused: no retry mends it
			s.log.Warn("slack: the card was not posted", "client", cur.ClientID, "request", cur.ID, "error", err.Error())
			return nil
		}
		if err != nil {
			return fmt.Errorf("post to Slack: %w", err)
		}
		_, err = st.PutSlackMessage(ctx, ah.SlackMessage{AgencyID: cur.AgencyID, ClientID: cur.ClientID, RequestID: cur.ID, ChannelID: ch.ChannelID, TS: ts, PostedAt: s.clock.Now()})
		return err
	}
	msg, err := st.GetSlackMessage(ctx, cur.AgencyID, cur.ClientID, cur.ID)
	if ah.KindOf(err) == ah.KindNotFound {
		return nil // never posted
	}
	if err != nil {
		return err
	}
	card, err := s.requestCard(ctx, cur)
	if err != nil {
		return err
	}
	err = s.chat.UpdateCard(ctx, cur.AgencyID, msg.ChannelID, msg.TS, card)
	if ah.KindOf(err) == ah.KindConflict {
		s.log.Warn("slack: the card was not updated", "client", cur.ClientID, "request", cur.ID, "error", err.Error())
		return nil
	}
	if err != nil {
		return fmt.Errorf("update the Slack card: %w", err)
	}
	return nil
}

// requestCard is what a card says of a request now.
func (s *Service) requestCard(ctx context.Context, r *ah.AccessRequest) (ah.RequestCard, error) {
	c, err := s.store.GetClient(ctx, r.AgencyID, r.ClientID)
	if err != nil {
		return ah.RequestCard{}, err
	}
	platform := r.PlatformID
	if pl, err := s.store.GetPlatform(ctx, r.AgencyID, r.PlatformID); err == nil {
		platform = pl.Name
	}
	card := ah.RequestCard{ClientID: r.ClientID, RequestID: r.ID, ClientName: c.Name, RequesterName: r.RequesterName, PlatformName: platform,
		IdentityType: string(r.IdentityType), Justification: r.Justification, Status: r.Status, Approvals: len(r.Approvals),
		Needed: rulesOf(*r).Approval.RequiredApprovals}
	if r.Status != ah.RequestPending && len(r.History) > 0 {
		last := r.History[len(r.History)-1]
		for i := len(r.History) - 1; i >= 0; i-- { // the decision, not a later provisioning step
			if h := r.History[i]; h.Status == ah.RequestApproved || h.Status == ah.RequestRejected || h.Status == ah.RequestExpired || h.Status == ah.RequestCancelled {
				last = h
				break
			}
		}
		by := last.ByName
		if by == "" {
			by = "AccessHive"
		}
		card.Outcome = fmt.Sprintf("%s by %s", titleWord(string(last.Status)), by)
		if last.Reason != "" {
			card.Outcome += ": " + clip(last.Reason, 200)
		}
	}
	return card, nil
}

func titleWord(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// SlackDecision is a button click, as the interactions endpoint read it.
type SlackDecision struct {
	AgencyID, TeamID, UserID, ChannelID string
	Approve                             bool
	ClientID, RequestID                 string
}

// DecideFromSlack runs an approve or reject clicked in Slack: the workspace must
// be the agency's, the Slack user a member by the email Slack confirmed; then the
// same path as the API's. A refusal is told to the user (only them) in Slack and
// returned.
func (s *Service) DecideFromSlack(ctx context.Context, d SlackDecision) (ah.AccessRequest, error) {
	st, err := s.slackStore()
	if err != nil {
		return ah.AccessRequest{}, err
	}
	if s.chat == nil {
		return ah.AccessRequest{}, errSlackOff
	}
	cfg, err := st.GetSlackConfig(ctx, d.AgencyID)
	if err != nil {
		return ah.AccessRequest{}, err
	}
	if cfg.TeamID != d.TeamID {
		return ah.AccessRequest{}, ah.E(ah.KindForbidden, ah.CodeForbidden, "this Slack workspace is not the agency's")
	}
	r, err := s.decideFromSlack(ctx, d)
	if err != nil {
		msg := "AccessHive could not do that."
		if e := ah.ErrorOf(err); e != nil && e.Kind != ah.KindInternal {
			msg = "AccessHive refused: " + e.Message
		}
		if terr := s.chat.Tell(ctx, d.AgencyID, d.ChannelID, d.UserID, msg); terr != nil {
			s.log.Warn("slack: could not tell the user", "error", terr.Error())
		}
	}
	return r, err
}

func (s *Service) decideFromSlack(ctx context.Context, d SlackDecision) (ah.AccessRequest, error) {
	email, confirmed, err := s.chat.UserEmail(ctx, d.AgencyID, d.UserID)
	if err != nil {
		return ah.AccessRequest{}, ah.E(ah.KindUnavailable, ah.CodeUnavailable, "Slack did not say who you are; try again")
	}
	if !confirmed || email == "" {
		return ah.AccessRequest{}, ah.E(ah.KindForbidden, ah.CodeNotAMember, "your Slack email is not confirmed, so AccessHive cannot tell who you are")
	}
	m, err := s.store.MemberByEmail(ctx, ah.NormalizeEmail(email))
	if ah.KindOf(err) == ah.KindNotFound || err == nil && m.AgencyID != d.AgencyID {
		return ah.AccessRequest{}, ah.E(ah.KindForbidden, ah.CodeNotAMember, "no member of the agency has your Slack email (%s)", email)
	}
	if err != nil {
		return ah.AccessRequest{}, err
	}
	if m.Status == ah.MemberDisabled {
		return ah.AccessRequest{}, ah.E(ah.KindForbidden, ah.CodeMemberDisabled, "your membership is disabled")
	}
	p := ah.Principal{AgencyID: m.AgencyID, MemberID: m.ID, Subject: m.Subject, Email: m.Email, Name: m.Name, Role: m.Role, ClientID: m.ClientID, Teams: m.Teams}
	in := ah.ReviewInput{Reason: "in Slack"}
	if d.Approve {
		return s.ApproveRequest(ctx, p, d.ClientID, d.RequestID, in)
	}
	return s.RejectRequest(ctx, p, d.ClientID, d.RequestID, in)
}
