package dynamo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

type clientItem struct {
	keys
	ah.Client
	Facts      ah.ClientFacts      `json:"facts"`
	Governance ah.ClientGovernance `json:"governance"`
}

func newClientItem(c ah.Client) clientItem {
	lower := strings.ToLower(c.Name)
	if c.Facts.AccessEnds == nil {
		// Always a map, so a grant's end can be set inside it with one update.
		c.Facts.AccessEnds = map[string]time.Time{}
	}
	return clientItem{keys: keys{PK: clientPK(c.AgencyID, c.ID), SK: clientSK, Type: typeClient,
		GSI2PK: clientsGSI2PK(c.AgencyID, string(c.Lifecycle)), GSI2SK: clientsGSI2SK(lower, c.ID)}, Client: c, Facts: c.Facts,
		Governance: c.Governance}
}

func (it clientItem) client() ah.Client {
	c := it.Client
	c.Facts = it.Facts
	c.Governance = it.Governance.Normalized()
	return c
}

// stamp is who last wrote a detail item, and how.
type stamp struct {
	UpdatedAt  time.Time `json:"updatedAt"`
	UpdatedBy  string    `json:"updatedBy"`
	LastAction string    `json:"lastAction"`
}

type contactItem struct {
	keys
	ah.Contact
	AgencyID string `json:"agencyId"`
	ClientID string `json:"clientId"`
	stamp
}

type teamItem struct {
	keys
	ah.TeamAssignment
	AgencyID string `json:"agencyId"`
	ClientID string `json:"clientId"`
	stamp
}

type clientPlatformItem struct {
	keys
	ah.ClientPlatform
	AgencyID string `json:"agencyId"`
	ClientID string `json:"clientId"`
	stamp
}

// ClientDetail is a client with its contacts, team, platforms and live grants.
type ClientDetail struct {
	Client    ah.Client
	Contacts  []ah.Contact
	Team      []ah.TeamAssignment
	Platforms []ah.ClientPlatform
	Grants    []ah.AccessGrant
}

// TeamRole returns the member's team role, or "" when not on the team.
func (d ClientDetail) TeamRole(memberID string) ah.TeamRole {
	for _, t := range d.Team {
		if t.MemberID == memberID {
			return t.Role
		}
	}
	return ""
}

var (
	errClientNotFound = ah.NotFound("client")
	errClientName     = ah.Conflict(ah.CodeClientNameTaken, "a client with this name already exists in the agency")
	errClientChanged  = &ah.Error{Kind: ah.KindConflict, Code: ah.CodeVersionConflict,
		Message: "the client changed since it was read; read it again and retry"}
	errNotOperational = ah.Conflict(ah.CodePlatformNotOperational,
		"the platform is not operational; connect it under Settings > Platforms before adding it to a client")
	errUnknownPolicy = fieldError("securityPolicyId", ah.FieldUnknown, "no such security policy in this agency")
)

func fieldError(field, code, msg string) *ah.Error {
	return &ah.Error{Kind: ah.KindInvalid, Code: ah.CodeValidation, Message: "one or more fields are invalid",
		Fields: []ah.FieldError{{Field: field, Code: code, Message: msg}}}
}

// GetClientDetail reads a client and its detail items with one Query.
func (s *Store) GetClientDetail(ctx context.Context, agencyID, clientID string) (ClientDetail, error) {
	const op = "dynamo.GetClientDetail"
	in := prefixQuery(clientPK(agencyID, clientID), clientDetailPrefix)
	in.TableName = &s.table
	var d ClientDetail
	found := false
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return d, mapErr(op, err)
		}
		for _, raw := range out.Items {
			sk := raw["SK"].(*types.AttributeValueMemberS).Value
			var err error
			switch {
			case sk == clientSK:
				var it clientItem
				err = unmarshal(raw, &it)
				d.Client, found = it.client(), true
			case strings.HasPrefix(sk, clientContactPrefix):
				var it contactItem
				err = unmarshal(raw, &it)
				d.Contacts = append(d.Contacts, it.Contact)
			case strings.HasPrefix(sk, clientTeamPrefix):
				var it teamItem
				err = unmarshal(raw, &it)
				d.Team = append(d.Team, it.TeamAssignment)
			case strings.HasPrefix(sk, clientPlatformPrfx):
				var it clientPlatformItem
				err = unmarshal(raw, &it)
				d.Platforms = append(d.Platforms, it.ClientPlatform)
			case strings.HasPrefix(sk, clientGrantPrefx):
				var it grantItem
				err = unmarshal(raw, &it)
				d.Grants = append(d.Grants, it.AccessGrant)
			}
			if err != nil {
				return d, ah.Internal(op, fmt.Errorf("decode %s: %w", sk, err))
			}
		}
	}
	if !found {
		return d, errClientNotFound
	}
	return d, nil
}

// ListClients lists an agency's clients of one lifecycle, by name (GSI2).
func (s *Store) ListClients(ctx context.Context, agencyID string, lifecycle ah.ClientLifecycle, page Page) ([]ah.Client, Keys, error) {
	return list(ctx, s, "dynamo.ListClients", &dynamodb.QueryInput{
		IndexName:                 aws.String(indexGSI2),
		KeyConditionExpression:    aws.String("GSI2PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(clientsGSI2PK(agencyID, string(lifecycle)))},
	}, page, clientItem.client)
}

// ListMemberClients lists the clients a member is on the team of: one GSI1 Query
// for the team items, one BatchGetItem for their clients. lifecycle filters.
func (s *Store) ListMemberClients(ctx context.Context, agencyID, memberID string, lifecycle ah.ClientLifecycle, page Page) ([]ah.Client, Keys, error) {
	const op = "dynamo.ListMemberClients"
	teams, next, err := query[teamItem](ctx, s, op, &dynamodb.QueryInput{
		IndexName:              aws.String(indexGSI1),
		KeyConditionExpression: aws.String("GSI1PK = :pk AND begins_with(GSI1SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(memberClientsGSI1PK(agencyID, memberID)), ":sk": str(clientGSI1SK("")),
		},
	}, page)
	if err != nil || len(teams) == 0 {
		return nil, next, err
	}
	keysToGet := make([]map[string]types.AttributeValue, len(teams))
	for i, t := range teams {
		keysToGet[i] = key(clientPK(agencyID, t.ClientID), clientSK)
	}
	var clients []ah.Client
	req := map[string]types.KeysAndAttributes{s.table: {Keys: keysToGet, ConsistentRead: aws.Bool(true)}}
	for attempt := 0; len(req) > 0; attempt++ {
		if attempt > 5 {
			return nil, nil, &ah.Error{Kind: ah.KindUnavailable, Code: ah.CodeUnavailable, Op: op, Message: "the service is busy; retry later"}
		}
		out, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return nil, nil, mapErr(op, err)
		}
		for _, raw := range out.Responses[s.table] {
			var it clientItem
			if err := unmarshal(raw, &it); err != nil {
				return nil, nil, ah.Internal(op, err)
			}
			if it.Lifecycle == lifecycle {
				clients = append(clients, it.client())
			}
		}
		req = out.UnprocessedKeys
		if len(req) > 0 {
			time.Sleep(time.Duration(10<<attempt) * time.Millisecond)
		}
	}
	sortClientsByName(clients)
	return clients, next, nil
}

func sortClientsByName(cs []ah.Client) {
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && strings.ToLower(cs[j].Name) < strings.ToLower(cs[j-1].Name); j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

// ClientWrite is one change to a client aggregate, written as one transaction: the
// client item (new, or replacing PrevVersion) with its facts, and the detail items
// and checks that go with it.
type ClientWrite struct {
	Client      ah.Client
	PrevVersion int // 0: the client is new
	PrevName    string
	Actor       string
	Action      string

	PutContacts    []ah.Contact
	DeleteContacts []string
	PutTeam        []ah.TeamAssignment
	DeleteTeam     []string
	PutPlatforms   []ah.ClientPlatform

	// RequireMembers must be enabled agency staff (team assignments).
	RequireMembers []string
	// RequirePolicy must exist in the agency.
	RequirePolicy string
	// RequireGovPolicies must exist in the agency (governance assignments).
	RequireGovPolicies []string
	// RequireOperational platforms must be operational at write time.
	RequireOperational []string
	// MemberField names the input field of RequireMembers[i] in errors.
	MemberField func(i int) string
	// NewMember is created in the same transaction (a client user).
	NewMember *ah.Member
}

// WriteClient writes a client change as one transaction. Returns client_name_taken,
// version_conflict, platform_not_operational, a field error for a missing member or
// policy, or a *Replay.
func (s *Store) WriteClient(ctx context.Context, w ClientWrite, idem *Idempotency) error {
	const op = "dynamo.WriteClient"
	c := w.Client
	pk := clientPK(c.AgencyID, c.ID)
	st := stamp{UpdatedAt: c.UpdatedAt, UpdatedBy: w.Actor, LastAction: w.Action}
	var writes []write
	add := func(item any, cond func(map[string]types.AttributeValue) write) error {
		av, err := marshal(item)
		if err != nil {
			return err
		}
		writes = append(writes, cond(av))
		return nil
	}
	clientCond := func(av map[string]types.AttributeValue) write {
		if w.PrevVersion == 0 {
			return putNew(s.table, av, errExists)
		}
		return putVersioned(s.table, av, w.PrevVersion, errClientChanged)
	}
	if err := add(newClientItem(c), clientCond); err != nil {
		return ah.Internal(op, err)
	}
	plain := func(av map[string]types.AttributeValue) write {
		return write{item: types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av}}}
	}
	newName, oldName := strings.ToLower(c.Name), strings.ToLower(w.PrevName)
	if w.PrevVersion == 0 || newName != oldName {
		g := guard{keys: keys{PK: agencyPK(c.AgencyID), SK: clientNameGuardSK(newName), Type: typeClientNameGrd},
			AgencyID: c.AgencyID, TargetID: c.ID, UpdatedBy: w.Actor, LastAction: w.Action}
		gw, err := s.guardWrite(g, errClientName)
		if err != nil {
			return ah.Internal(op, err)
		}
		writes = append(writes, gw)
		if w.PrevVersion != 0 {
			writes = append(writes, s.deleteWrite(agencyPK(c.AgencyID), clientNameGuardSK(oldName)))
		}
	}
	for _, ct := range w.PutContacts {
		it := contactItem{keys: keys{PK: pk, SK: clientContactSK(ct.ID), Type: typeContact}, Contact: ct, AgencyID: c.AgencyID, ClientID: c.ID, stamp: st}
		if err := add(it, plain); err != nil {
			return ah.Internal(op, err)
		}
	}
	for _, id := range w.DeleteContacts {
		writes = append(writes, s.deleteWrite(pk, clientContactSK(id)))
	}
	for _, t := range w.PutTeam {
		it := teamItem{keys: keys{PK: pk, SK: clientTeamSK(t.MemberID), Type: typeTeam,
			GSI1PK: memberClientsGSI1PK(c.AgencyID, t.MemberID), GSI1SK: clientGSI1SK(c.ID)},
			TeamAssignment: t, AgencyID: c.AgencyID, ClientID: c.ID, stamp: st}
		if err := add(it, plain); err != nil {
			return ah.Internal(op, err)
		}
	}
	for _, id := range w.DeleteTeam {
		writes = append(writes, s.deleteWrite(pk, clientTeamSK(id)))
	}
	for _, p := range w.PutPlatforms {
		it := clientPlatformItem{keys: keys{PK: pk, SK: clientPlatformSK(p.PlatformID), Type: typeClientPlatform,
			GSI1PK: platformClientsGSI1PK(c.AgencyID, p.PlatformID), GSI1SK: clientGSI1SK(c.ID)},
			ClientPlatform: p, AgencyID: c.AgencyID, ClientID: c.ID, stamp: st}
		if err := add(it, plain); err != nil {
			return ah.Internal(op, err)
		}
	}
	checked := map[string]bool{}
	for i, m := range w.RequireMembers {
		if checked[m] { // one action per item in a transaction
			continue
		}
		checked[m] = true
		writes = append(writes, write{
			item: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
				TableName: &s.table, Key: key(agencyPK(c.AgencyID), memberSK(m)),
				ConditionExpression:      aws.String("attribute_exists(PK) AND #role <> :cu AND #status <> :disabled"),
				ExpressionAttributeNames: map[string]string{"#role": "role", "#status": "status"},
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":cu": str(string(ah.RoleClientUser)), ":disabled": str(string(ah.MemberDisabled)),
				},
			}},
			onConditionFailed: fieldError(teamField(w, i), ah.FieldUnknown, "no enabled agency member "+m+" (client users cannot be on a team)"),
		})
	}
	for _, id := range uniq(w.RequireGovPolicies) {
		writes = append(writes, s.requireGovPolicy(c.AgencyID, id, fieldError("policyAssignments", ah.FieldUnknown, "no governance policy "+id+" in this agency")))
	}
	if w.RequirePolicy != "" {
		writes = append(writes, mustExist(s.table, agencyPK(c.AgencyID), policySK(w.RequirePolicy), errUnknownPolicy))
	}
	for _, p := range w.RequireOperational {
		writes = append(writes, write{
			item: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
				TableName: &s.table, Key: key(agencyPK(c.AgencyID), platformSK(p)),
				ConditionExpression:       aws.String("#status = :op"),
				ExpressionAttributeNames:  map[string]string{"#status": "status"},
				ExpressionAttributeValues: map[string]types.AttributeValue{":op": str(string(ah.PlatformOperational))},
			}},
			onConditionFailed: errNotOperational,
		})
	}
	if w.NewMember != nil {
		mw, err := s.memberWrites(*w.NewMember)
		if err != nil {
			return ah.Internal(op, err)
		}
		writes = append(writes, mw...)
	}
	return s.transact(ctx, op, idem, writes...)
}

func teamField(w ClientWrite, i int) string {
	if w.MemberField != nil {
		return w.MemberField(i)
	}
	if w.PrevVersion == 0 {
		return fmt.Sprintf("team[%d].memberId", i)
	}
	return "memberId"
}

func uniq(ids []string) []string {
	seen := map[string]bool{}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func (s *Store) deleteWrite(pk, sk string) write {
	return write{item: types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: key(pk, sk)}}}
}

// ClientsOfPlatform lists the clients a platform is configured for (GSI1).
func (s *Store) ClientsOfPlatform(ctx context.Context, agencyID, platformID string, page Page) ([]string, Keys, error) {
	return list(ctx, s, "dynamo.ClientsOfPlatform", &dynamodb.QueryInput{
		IndexName:              aws.String(indexGSI1),
		KeyConditionExpression: aws.String("GSI1PK = :pk AND begins_with(GSI1SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(platformClientsGSI1PK(agencyID, platformID)), ":sk": str(clientGSI1SK("")),
		},
	}, page, func(it clientPlatformItem) string { return it.ClientID })
}

// SetClientPlatformHealth records a platform's status on one client: its platform
// entry and the client's facts, in one idempotent transaction.
func (s *Store) SetClientPlatformHealth(ctx context.Context, agencyID, clientID, platformID string, status ah.PlatformStatus, actor string, now time.Time) error {
	const op = "dynamo.SetClientPlatformHealth"
	pk := clientPK(agencyID, clientID)
	vals := map[string]types.AttributeValue{":s": str(string(status)), ":by": str(actor), ":a": str("client.platform_health"), ":now": str(now.Format(time.RFC3339Nano)), ":one": num(1)}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: scoped([]types.TransactWriteItem{
		{Update: &types.Update{TableName: &s.table, Key: key(pk, clientPlatformSK(platformID)),
			ConditionExpression:       aws.String("attribute_exists(PK)"),
			UpdateExpression:          aws.String("SET platformStatus = :s, updatedBy = :by, lastAction = :a, updatedAt = :now"),
			ExpressionAttributeValues: vals}},
		{Update: &types.Update{TableName: &s.table, Key: key(pk, clientSK),
			ConditionExpression:       aws.String("attribute_exists(PK)"),
			UpdateExpression:          aws.String("SET facts.platformHealth.#p = :s, version = version + :one, updatedBy = :by, lastAction = :a, updatedAt = :now"),
			ExpressionAttributeNames:  map[string]string{"#p": platformID},
			ExpressionAttributeValues: vals}},
	})})
	if err != nil {
		return mapErr(op, err)
	}
	return nil
}
