package dynamo

// Slack: the agency's connection (AGENCY#<a> / SLACK; its token and signing
// secret are in Secrets Manager), each client's channel
// (AGENCY#<a>#CLIENT#<c> / SLACK) and the card posted for each pending request
// (AGENCY#<a>#CLIENT#<c> / SLACKMSG#<r>, bookkeeping: not audited, TTL 90 days).

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

const (
	typeSlackConfig  = "slack_config"
	typeSlackChannel = "client_slack_channel"
	typeSlackMessage = "slack_message"
	slackSK          = "SLACK"
	slackMsgPrefix   = "SLACKMSG" + sep
)

func slackClientPK(agencyID, clientID string) string { return clientPK(agencyID, clientID) }

type slackConfigItem struct {
	keys
	ah.SlackConfig
}

type slackChannelItem struct {
	keys
	ah.ClientSlackChannel
}

type slackMessageItem struct {
	keys
	ah.SlackMessage
	// Audit bookkeeping names nobody for a message record.
	UpdatedBy  string `json:"updatedBy"`
	LastAction string `json:"lastAction"`
}

var (
	errNoSlack        = ah.NotFound("slack")
	errNoSlackChannel = ah.NotFound("slack channel")
)

// GetSlackConfig reads the agency's Slack connection (NotFound when none).
func (s *Store) GetSlackConfig(ctx context.Context, agencyID string) (ah.SlackConfig, error) {
	it, err := get[slackConfigItem](ctx, s, "dynamo.GetSlackConfig", agencyPK(agencyID), slackSK, errNoSlack)
	return it.SlackConfig, err
}

// PutSlackConfig writes the connection (a reconnection replaces it).
func (s *Store) PutSlackConfig(ctx context.Context, c ah.SlackConfig) error {
	av, err := marshal(slackConfigItem{keys: keys{PK: agencyPK(c.AgencyID), SK: slackSK, Type: typeSlackConfig}, SlackConfig: c})
	if err != nil {
		return ah.Internal("dynamo.PutSlackConfig", err)
	}
	return s.transact(ctx, "dynamo.PutSlackConfig", nil, write{item: types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av}}})
}

// DeleteSlackConfig removes the connection.
func (s *Store) DeleteSlackConfig(ctx context.Context, agencyID string) error {
	return s.transact(ctx, "dynamo.DeleteSlackConfig", nil, write{item: types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table,
		Key: key(agencyPK(agencyID), slackSK), ConditionExpression: aws.String("attribute_exists(PK)")}}, onConditionFailed: errNoSlack})
}

// GetClientSlackChannel reads a client's channel (NotFound when none).
func (s *Store) GetClientSlackChannel(ctx context.Context, agencyID, clientID string) (ah.ClientSlackChannel, error) {
	it, err := get[slackChannelItem](ctx, s, "dynamo.GetClientSlackChannel", slackClientPK(agencyID, clientID), slackSK, errNoSlackChannel)
	return it.ClientSlackChannel, err
}

// PutClientSlackChannel sets a client's channel (the client must exist).
func (s *Store) PutClientSlackChannel(ctx context.Context, c ah.ClientSlackChannel) error {
	av, err := marshal(slackChannelItem{keys: keys{PK: slackClientPK(c.AgencyID, c.ClientID), SK: slackSK, Type: typeSlackChannel}, ClientSlackChannel: c})
	if err != nil {
		return ah.Internal("dynamo.PutClientSlackChannel", err)
	}
	return s.transact(ctx, "dynamo.PutClientSlackChannel", nil, write{item: types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av}}},
		mustExist(s.table, clientPK(c.AgencyID, c.ClientID), clientSK, errClientNotFound))
}

// PutSlackMessage records a posted card unless one is recorded.
func (s *Store) PutSlackMessage(ctx context.Context, m ah.SlackMessage) (bool, error) {
	av, err := marshal(slackMessageItem{keys: keys{PK: slackClientPK(m.AgencyID, m.ClientID), SK: slackMsgPrefix + m.RequestID, Type: typeSlackMessage,
		TTL: m.PostedAt.Add(90 * 24 * time.Hour).Unix()}, SlackMessage: m, UpdatedBy: "system:slack", LastAction: "slack_message.post"})
	if err != nil {
		return false, ah.Internal("dynamo.PutSlackMessage", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, mapErr("dynamo.PutSlackMessage", err)
	}
	return true, nil
}

// GetSlackMessage reads where a request's card was posted (NotFound when none).
func (s *Store) GetSlackMessage(ctx context.Context, agencyID, clientID, requestID string) (ah.SlackMessage, error) {
	it, err := get[slackMessageItem](ctx, s, "dynamo.GetSlackMessage", slackClientPK(agencyID, clientID), slackMsgPrefix+requestID, ah.NotFound("slack message"))
	return it.SlackMessage, err
}

var _ ah.SlackStore = (*Store)(nil)
