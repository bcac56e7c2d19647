package dynamo

// SCIM: the agency's connection (AGENCY#<a> / SCIM, found by its token's hash on
// GSI1: SCIMTOKEN#<sha256>) and the groups its identity provider pushes
// (AGENCY#<a> / SCIMGROUP#<id>). Both are audited like any setting; the token
// itself is never stored.

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

const (
	typeSCIMConfig  = "scim_config"
	typeSCIMGroup   = "scim_group"
	scimConfigSK    = "SCIM"
	scimGroupPrefix = "SCIMGROUP" + sep
)

func scimGroupSK(id string) string       { return scimGroupPrefix + id }
func scimTokenGSI1PK(hash string) string { return "SCIMTOKEN" + sep + hash }

type scimConfigItem struct {
	keys
	ah.SCIMConfig
}

type scimGroupItem struct {
	keys
	ah.SCIMGroup
}

var errSCIMGroupNotFound = ah.NotFound("group")

// GetSCIMConfig reads an agency's SCIM connection (a zero config when none).
func (s *Store) GetSCIMConfig(ctx context.Context, agencyID string) (ah.SCIMConfig, error) {
	it, err := get[scimConfigItem](ctx, s, "dynamo.GetSCIMConfig", agencyPK(agencyID), scimConfigSK, errNoSCIM)
	if err == errNoSCIM {
		return ah.SCIMConfig{AgencyID: agencyID, GroupRoles: map[string]ah.Role{}}, nil
	}
	return it.SCIMConfig, err
}

var errNoSCIM = ah.NotFound("scim")

// PutSCIMConfig writes the config, versioned; with tokenHash, that token replaces
// any earlier one at once (the index key moves with the item).
func (s *Store) PutSCIMConfig(ctx context.Context, c ah.SCIMConfig, tokenHash string, prevVersion int) error {
	const op = "dynamo.PutSCIMConfig"
	it := scimConfigItem{keys: keys{PK: agencyPK(c.AgencyID), SK: scimConfigSK, Type: typeSCIMConfig}, SCIMConfig: c}
	if tokenHash == "" && prevVersion > 0 {
		cur, err := get[scimConfigItem](ctx, s, op, agencyPK(c.AgencyID), scimConfigSK, errNoSCIM)
		if err != nil {
			return err
		}
		it.GSI1PK, it.GSI1SK = cur.GSI1PK, cur.GSI1SK
	}
	if tokenHash != "" {
		it.GSI1PK, it.GSI1SK = scimTokenGSI1PK(tokenHash), scimConfigSK
	}
	if prevVersion == 0 {
		return s.create(ctx, op, it, nil)
	}
	return s.replace(ctx, op, it, prevVersion)
}

// DeleteSCIMConfig removes the connection: its token no longer authenticates.
func (s *Store) DeleteSCIMConfig(ctx context.Context, agencyID string) error {
	return s.transact(ctx, "dynamo.DeleteSCIMConfig", nil, write{item: types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table,
		Key: key(agencyPK(agencyID), scimConfigSK), ConditionExpression: aws.String("attribute_exists(PK)")}}, onConditionFailed: errNoSCIM})
}

// AgencyBySCIMToken finds the agency whose current token has this hash.
func (s *Store) AgencyBySCIMToken(ctx context.Context, tokenHash string) (string, error) {
	items, _, err := query[scimConfigItem](ctx, s, "dynamo.AgencyBySCIMToken", &dynamodb.QueryInput{IndexName: aws.String(indexGSI1),
		KeyConditionExpression:    aws.String("GSI1PK = :pk AND GSI1SK = :sk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(scimTokenGSI1PK(tokenHash)), ":sk": str(scimConfigSK)},
	}, ah.Page{Limit: 1})
	if err != nil {
		return "", err
	}
	if len(items) == 0 || !items[0].Enabled {
		return "", errNoSCIM
	}
	return items[0].AgencyID, nil
}

// GetSCIMGroup reads a group.
func (s *Store) GetSCIMGroup(ctx context.Context, agencyID, groupID string) (ah.SCIMGroup, error) {
	it, err := get[scimGroupItem](ctx, s, "dynamo.GetSCIMGroup", agencyPK(agencyID), scimGroupSK(groupID), errSCIMGroupNotFound)
	return it.SCIMGroup, err
}

// ListSCIMGroups reads every group of an agency.
func (s *Store) ListSCIMGroups(ctx context.Context, agencyID string) ([]ah.SCIMGroup, error) {
	var out []ah.SCIMGroup
	page := ah.Page{Limit: 100}
	for {
		items, next, err := list(ctx, s, "dynamo.ListSCIMGroups", prefixQuery(agencyPK(agencyID), scimGroupPrefix), page,
			func(it scimGroupItem) ah.SCIMGroup { return it.SCIMGroup })
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if len(next) == 0 {
			return out, nil
		}
		page.After = next
	}
}

// SaveSCIMGroup writes (or deletes) a group and its members' changes in one transaction.
func (s *Store) SaveSCIMGroup(ctx context.Context, g ah.SCIMGroup, prevVersion int, deleted bool, members []ah.MemberChange) error {
	const op = "dynamo.SaveSCIMGroup"
	if len(members) > 98 {
		return ah.E(ah.KindInvalid, ah.CodeValidation, "one change may move at most 98 members' roles; send the members in smaller changes")
	}
	var writes []write
	switch {
	case deleted:
		writes = append(writes, write{item: types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: key(agencyPK(g.AgencyID), scimGroupSK(g.ID)),
			ConditionExpression: aws.String("version = :prev"), ExpressionAttributeValues: map[string]types.AttributeValue{":prev": num(prevVersion)}}},
			onConditionFailed: errStale})
	default:
		av, err := marshal(scimGroupItem{keys: keys{PK: agencyPK(g.AgencyID), SK: scimGroupSK(g.ID), Type: typeSCIMGroup}, SCIMGroup: g})
		if err != nil {
			return ah.Internal(op, err)
		}
		if prevVersion == 0 {
			writes = append(writes, putNew(s.table, av, errExists))
		} else {
			writes = append(writes, putVersioned(s.table, av, prevVersion, errStale))
		}
	}
	for _, m := range members {
		w, err := s.replaceWrite(newMemberItem(m.Member), m.PrevVersion)
		if err != nil {
			return ah.Internal(op, fmt.Errorf("member %s: %w", m.Member.ID, err))
		}
		writes = append(writes, w)
	}
	return s.transact(ctx, op, nil, writes...)
}

var _ ah.SCIMStore = (*Store)(nil)
