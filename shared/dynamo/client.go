package dynamo

import (
	"context"
	"errors"
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
	it := clientItem{keys: keys{PK: clientPK(c.AgencyID, c.ID), SK: clientSK, Type: typeClient,
		GSI2PK: clientsGSI2PK(c.AgencyID, string(c.Lifecycle)), GSI2SK: clientsGSI2SK(lower, c.ID)}, Client: c, Facts: c.Facts,
		Governance: c.Governance}
	if c.NextReviewAt != nil && c.Lifecycle == ah.ClientActive { // only clients with a review due are in the sparse index
		it.GSI3PK = reviewDueGSI3PK(shardOf(c.ID, sweepShards))
		it.GSI3SK = timedGSI3SK(*c.NextReviewAt, c.AgencyID, c.ID, "")
	}
	return it
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

type linkItem struct {
	keys
	ah.IdentityLink
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

var (
	errClientNotFound = ah.NotFound("client")
	errClientName     = ah.Conflict(ah.CodeClientNameTaken, "a client with this name already exists in the agency")
	errClientChanged  = &ah.Error{Kind: ah.KindConflict, Code: ah.CodeVersionConflict,
		Message: "the client changed since it was read; read it again and retry"}
	errNotOperational = ah.Conflict(ah.CodePlatformNotOperational,
		"the platform is not operational; connect it under Settings > Platforms before adding it to a client")
)

// GetClientDetail reads a client and its detail items with one Query (pattern 13).
func (s *Store) GetClientDetail(ctx context.Context, agencyID, clientID string) (ah.ClientDetail, error) {
	return s.readClient(ctx, "dynamo.GetClientDetail", prefixQuery(clientPK(agencyID, clientID), clientDetailPrefix))
}

// ReadClientAccess reads the client's detail, its guards (the pending requests in
// brief) and its identities with one Query: every sort key below REQUEST# (pattern
// 13 with 22 and 23).
func (s *Store) ReadClientAccess(ctx context.Context, agencyID, clientID string) (ah.ClientDetail, error) {
	return s.readClient(ctx, "dynamo.ReadClientAccess", &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("PK = :pk AND SK < :requests"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(clientPK(agencyID, clientID)), ":requests": str(requestPrefix)},
		ConsistentRead:            aws.Bool(true),
	})
}

func (s *Store) readClient(ctx context.Context, op string, in *dynamodb.QueryInput) (ah.ClientDetail, error) {
	in.TableName = &s.table
	var d ah.ClientDetail
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
			case strings.HasPrefix(sk, clientLinkPrefix):
				var it linkItem
				err = unmarshal(raw, &it)
				d.Links = append(d.Links, it.IdentityLink)
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
			case strings.HasPrefix(sk, clientIdentityPrfx):
				var it clientIdentityItem
				err = unmarshal(raw, &it)
				d.Identities = append(d.Identities, it.ClientIdentity)
			case strings.HasPrefix(sk, pendingGuardPrefix):
				var it pendingGuardItem
				err = unmarshal(raw, &it)
				d.Pending = append(d.Pending, it.PendingRequest)
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
func (s *Store) ListClients(ctx context.Context, agencyID string, lifecycle ah.ClientLifecycle, page ah.Page) ([]ah.Client, ah.Keys, error) {
	return list(ctx, s, "dynamo.ListClients", &dynamodb.QueryInput{
		IndexName:                 aws.String(indexGSI2),
		KeyConditionExpression:    aws.String("GSI2PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(clientsGSI2PK(agencyID, string(lifecycle)))},
	}, page, clientItem.client)
}

// ClientExists reports whether the agency has the client (its key only).
func (s *Store) ClientExists(ctx context.Context, agencyID, clientID string) (bool, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(clientPK(agencyID, clientID), clientSK),
		ProjectionExpression: aws.String("PK")})
	if err != nil {
		return false, mapErr("dynamo.ClientExists", err)
	}
	return out.Item != nil, nil
}

// GetClient reads the client item alone (one GetItem).
func (s *Store) GetClient(ctx context.Context, agencyID, clientID string) (ah.Client, error) {
	const op = "dynamo.GetClient"
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(clientPK(agencyID, clientID), clientSK)})
	if err != nil {
		return ah.Client{}, mapErr(op, err)
	}
	if out.Item == nil {
		return ah.Client{}, ah.NotFound("client")
	}
	var it clientItem
	if err := unmarshal(out.Item, &it); err != nil {
		return ah.Client{}, ah.Internal(op, err)
	}
	return it.client(), nil
}

// GetClients reads clients by id in one BatchGetItem (up to 100; missing ones are
// absent): a member's clients come from the teams on their principal.
func (s *Store) GetClients(ctx context.Context, agencyID string, ids []string) ([]ah.Client, error) {
	const op = "dynamo.GetClients"
	if len(ids) == 0 {
		return nil, nil
	}
	wanted := make([]map[string]types.AttributeValue, len(ids))
	for i, id := range ids {
		wanted[i] = key(clientPK(agencyID, id), clientSK)
	}
	got, err := s.batchGet(ctx, op, wanted)
	if err != nil {
		return nil, err
	}
	out := make([]ah.Client, 0, len(got))
	for _, raw := range got {
		var it clientItem
		if err := unmarshal(raw, &it); err != nil {
			return nil, ah.Internal(op, err)
		}
		out = append(out, it.client())
	}
	return out, nil
}

// clientTx builds one transaction over a client aggregate: the client item (new,
// or replacing its previous version) and what goes with the change. Every item is
// touched once: a member's team entry and the check that they may be on a team
// are one update.
type clientTx struct {
	s      *Store
	c      ah.Client
	pk     string
	st     stamp
	writes []write
	member map[string]bool
}

func (s *Store) clientTx(c ah.Client, prevVersion int) (*clientTx, error) {
	t := &clientTx{s: s, c: c, pk: clientPK(c.AgencyID, c.ID), st: stamp{UpdatedAt: c.UpdatedAt, UpdatedBy: c.UpdatedBy, LastAction: c.LastAction},
		member: map[string]bool{}}
	av, err := marshal(newClientItem(c))
	if err != nil {
		return nil, err
	}
	if prevVersion == 0 {
		t.writes = append(t.writes, putNew(s.table, av, errExists))
	} else {
		t.writes = append(t.writes, putVersioned(s.table, av, prevVersion, errClientChanged))
	}
	return t, nil
}

func (t *clientTx) put(item any) error {
	av, err := marshal(item)
	if err != nil {
		return err
	}
	t.writes = append(t.writes, write{item: types.TransactWriteItem{Put: &types.Put{TableName: &t.s.table, Item: av}}})
	return nil
}

// claimName claims the client's name in the agency (and frees the old one).
func (t *clientTx) claimName(oldName string) error {
	newName := strings.ToLower(t.c.Name)
	g, err := t.s.guardWrite(guard{keys: keys{PK: agencyPK(t.c.AgencyID), SK: clientNameGuardSK(newName), Type: typeClientNameGrd},
		AgencyID: t.c.AgencyID, TargetID: t.c.ID, UpdatedBy: t.st.UpdatedBy, LastAction: t.st.LastAction}, errClientName)
	if err != nil {
		return err
	}
	t.writes = append(t.writes, g)
	if oldName != "" {
		t.writes = append(t.writes, t.s.deleteWrite(agencyPK(t.c.AgencyID), clientNameGuardSK(strings.ToLower(oldName))))
	}
	return nil
}

func (t *clientTx) putContact(ct ah.Contact) error {
	return t.put(contactItem{keys: keys{PK: t.pk, SK: clientContactSK(ct.ID), Type: typeContact}, Contact: ct,
		AgencyID: t.c.AgencyID, ClientID: t.c.ID, stamp: t.st})
}

// putTeam writes a team assignment and records it on the member's item (their
// principal carries their teams), which must be enabled agency staff.
func (t *clientTx) putTeam(ta ah.TeamAssignment, index int) error {
	if err := t.put(teamItem{keys: keys{PK: t.pk, SK: clientTeamSK(ta.MemberID), Type: typeTeam}, TeamAssignment: ta,
		AgencyID: t.c.AgencyID, ClientID: t.c.ID, stamp: t.st}); err != nil {
		return err
	}
	t.memberTeam(ta.MemberID, "SET teams.#c = :role", map[string]types.AttributeValue{":role": str(string(ta.Role))}, index)
	return nil
}

// deleteTeam removes a team assignment and its entry on the member's item.
func (t *clientTx) deleteTeam(memberID string) {
	t.writes = append(t.writes, t.s.deleteWrite(t.pk, clientTeamSK(memberID)))
	t.memberTeam(memberID, "REMOVE teams.#c", nil, -1)
}

// memberTeam updates the member's teams: staff only (never a client user or a
// disabled member) when index >= 0 (a new or changed assignment).
func (t *clientTx) memberTeam(memberID, expr string, vals map[string]types.AttributeValue, index int) {
	t.member[memberID] = true
	if vals == nil {
		vals = map[string]types.AttributeValue{}
	}
	vals[":one"], vals[":by"], vals[":a"], vals[":now"] = num(1), str(t.st.UpdatedBy), str(t.st.LastAction), str(t.st.UpdatedAt.Format(time.RFC3339Nano))
	sep := " SET "
	if strings.HasPrefix(expr, "SET") {
		sep = ", "
	}
	u := &types.Update{TableName: &t.s.table, Key: key(agencyPK(t.c.AgencyID), memberSK(memberID)),
		UpdateExpression:         aws.String(expr + sep + "version = version + :one, updatedBy = :by, lastAction = :a, updatedAt = :now"),
		ExpressionAttributeNames: map[string]string{"#c": t.c.ID}, ExpressionAttributeValues: vals}
	var onFail error
	if index >= 0 {
		u.ConditionExpression = aws.String("attribute_exists(PK) AND #role <> :cu AND #status <> :disabled")
		u.ExpressionAttributeNames["#role"], u.ExpressionAttributeNames["#status"] = "role", "status"
		vals[":cu"], vals[":disabled"] = str(string(ah.RoleClientUser)), str(string(ah.MemberDisabled))
		onFail = &ah.MissingError{What: "member", ID: memberID, Index: index}
	}
	t.writes = append(t.writes, write{item: types.TransactWriteItem{Update: u}, onConditionFailed: onFail})
}

// requireMember checks a member may be named (a client owner): enabled staff.
func (t *clientTx) requireMember(memberID string, index int) {
	if t.member[memberID] { // its team update checks it already
		return
	}
	t.member[memberID] = true
	t.writes = append(t.writes, write{
		item: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			TableName: &t.s.table, Key: key(agencyPK(t.c.AgencyID), memberSK(memberID)),
			ConditionExpression:      aws.String("attribute_exists(PK) AND #role <> :cu AND #status <> :disabled"),
			ExpressionAttributeNames: map[string]string{"#role": "role", "#status": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":cu": str(string(ah.RoleClientUser)), ":disabled": str(string(ah.MemberDisabled)),
			},
		}},
		onConditionFailed: &ah.MissingError{What: "member", ID: memberID, Index: index},
	})
}

func (t *clientTx) putPlatform(cp ah.ClientPlatform) error {
	return t.put(clientPlatformItem{keys: keys{PK: t.pk, SK: clientPlatformSK(cp.PlatformID), Type: typeClientPlatform,
		GSI1PK: platformClientsGSI1PK(t.c.AgencyID, cp.PlatformID), GSI1SK: clientGSI1SK(t.c.ID)},
		ClientPlatform: cp, AgencyID: t.c.AgencyID, ClientID: t.c.ID, stamp: t.st})
}

// putLink links an agency identity, which must exist and be active.
func (t *clientTx) putLink(l ah.IdentityLink) error {
	if err := t.put(linkItem{keys: keys{PK: t.pk, SK: clientLinkSK(l.IdentityID), Type: typeIdentityLink}, IdentityLink: l,
		AgencyID: t.c.AgencyID, ClientID: t.c.ID, stamp: t.st}); err != nil {
		return err
	}
	t.writes = append(t.writes, write{item: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName: &t.s.table, Key: key(agencyPK(t.c.AgencyID), identitySK(l.IdentityID)),
		ConditionExpression:       aws.String("attribute_exists(PK) AND #status = :active"),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":active": str(string(ah.IdentityActive))},
	}}, onConditionFailed: &ah.MissingError{What: "identity", ID: l.IdentityID}})
	return nil
}

func (t *clientTx) requirePolicy(policyID string) {
	t.writes = append(t.writes, mustExist(t.s.table, agencyPK(t.c.AgencyID), policySK(policyID),
		&ah.MissingError{What: "security_policy", ID: policyID}))
}

func (t *clientTx) commit(ctx context.Context, op string, idem *ah.Idempotency) error {
	return t.s.transact(ctx, op, idem, t.writes...)
}

// CreateClient writes a new client with its name guard, contacts and team (each
// member recorded on their item) and checks its security policy.
func (s *Store) CreateClient(ctx context.Context, c ah.ClientCreation, idem *ah.Idempotency) error {
	const op = "dynamo.CreateClient"
	t, err := s.clientTx(c.Client, 0)
	if err == nil {
		err = t.claimName("")
	}
	for i := 0; err == nil && i < len(c.Contacts); i++ {
		err = t.putContact(c.Contacts[i])
	}
	for i := 0; err == nil && i < len(c.Team); i++ {
		err = t.putTeam(c.Team[i], i)
	}
	for i := 0; err == nil && i < len(c.Links); i++ {
		err = t.putLink(c.Links[i])
	}
	if err != nil {
		return ah.Internal(op, err)
	}
	if c.Client.SecurityPolicyID != "" {
		t.requirePolicy(c.Client.SecurityPolicyID)
	}
	return t.commit(ctx, op, idem)
}

// UpdateClient writes a client's changed basic information: its name guard moves
// with a rename and a changed security policy must exist.
func (s *Store) UpdateClient(ctx context.Context, u ah.ClientUpdate) error {
	const op = "dynamo.UpdateClient"
	t, err := s.clientTx(u.Client, u.PrevVersion)
	if err == nil && !strings.EqualFold(u.Client.Name, u.PrevName) {
		err = t.claimName(u.PrevName)
	}
	if err != nil {
		return ah.Internal(op, err)
	}
	if u.PolicyChanged {
		t.requirePolicy(u.Client.SecurityPolicyID)
	}
	return t.commit(ctx, op, nil)
}

// PutContact creates or replaces a contact with the client's new facts.
func (s *Store) PutContact(ctx context.Context, c ah.ClientChange, ct ah.Contact) error {
	const op = "dynamo.PutContact"
	t, err := s.clientTx(c.Client, c.PrevVersion)
	if err == nil {
		err = t.putContact(ct)
	}
	if err != nil {
		return ah.Internal(op, err)
	}
	return t.commit(ctx, op, nil)
}

// PutIdentityLink links an active agency identity to the client.
func (s *Store) PutIdentityLink(ctx context.Context, c ah.ClientChange, l ah.IdentityLink) error {
	const op = "dynamo.PutIdentityLink"
	t, err := s.clientTx(c.Client, c.PrevVersion)
	if err == nil {
		err = t.putLink(l)
	}
	if err != nil {
		return ah.Internal(op, err)
	}
	return t.commit(ctx, op, nil)
}

// DeleteIdentityLink unlinks an agency identity from the client.
func (s *Store) DeleteIdentityLink(ctx context.Context, c ah.ClientChange, identityID string) error {
	const op = "dynamo.DeleteIdentityLink"
	t, err := s.clientTx(c.Client, c.PrevVersion)
	if err != nil {
		return ah.Internal(op, err)
	}
	t.writes = append(t.writes, s.deleteWrite(t.pk, clientLinkSK(identityID)))
	return t.commit(ctx, op, nil)
}

// DeleteContact removes a contact with the client's new facts.
func (s *Store) DeleteContact(ctx context.Context, c ah.ClientChange, contactID string) error {
	const op = "dynamo.DeleteContact"
	t, err := s.clientTx(c.Client, c.PrevVersion)
	if err != nil {
		return ah.Internal(op, err)
	}
	t.writes = append(t.writes, s.deleteWrite(t.pk, clientContactSK(contactID)))
	return t.commit(ctx, op, nil)
}

// PutTeamMember assigns a member to the client's team (recorded on their item).
func (s *Store) PutTeamMember(ctx context.Context, c ah.ClientChange, ta ah.TeamAssignment) error {
	const op = "dynamo.PutTeamMember"
	t, err := s.clientTx(c.Client, c.PrevVersion)
	if err == nil {
		err = t.putTeam(ta, 0)
	}
	if err != nil {
		return ah.Internal(op, err)
	}
	return t.commit(ctx, op, nil)
}

// DeleteTeamMember takes a member off the client's team (and off their item).
func (s *Store) DeleteTeamMember(ctx context.Context, c ah.ClientChange, memberID string) error {
	const op = "dynamo.DeleteTeamMember"
	t, err := s.clientTx(c.Client, c.PrevVersion)
	if err != nil {
		return ah.Internal(op, err)
	}
	t.deleteTeam(memberID)
	return t.commit(ctx, op, nil)
}

// AddClientPlatform configures a platform for the client, re-checking in the same
// transaction that it is still operational.
func (s *Store) AddClientPlatform(ctx context.Context, c ah.ClientChange, cp ah.ClientPlatform) error {
	const op = "dynamo.AddClientPlatform"
	t, err := s.clientTx(c.Client, c.PrevVersion)
	if err == nil {
		err = t.putPlatform(cp)
	}
	if err != nil {
		return ah.Internal(op, err)
	}
	t.writes = append(t.writes, write{
		item: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			TableName: &s.table, Key: key(agencyPK(c.Client.AgencyID), platformSK(cp.PlatformID)),
			ConditionExpression:       aws.String("#status = :op"),
			ExpressionAttributeNames:  map[string]string{"#status": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":op": str(string(ah.PlatformOperational))},
		}},
		onConditionFailed: errNotOperational,
	})
	return t.commit(ctx, op, nil)
}

// CreateClientUser creates a client user of the client (the client's version moves
// with it, so an archived or offboarding client cannot gain one meanwhile).
func (s *Store) CreateClientUser(ctx context.Context, c ah.ClientChange, m ah.Member, idem *ah.Idempotency) error {
	const op = "dynamo.CreateClientUser"
	t, err := s.clientTx(c.Client, c.PrevVersion)
	if err != nil {
		return ah.Internal(op, err)
	}
	mw, err := s.memberWrites(m)
	if err != nil {
		return ah.Internal(op, err)
	}
	t.writes = append(t.writes, mw...)
	return t.commit(ctx, op, idem)
}

// SetClientGovernance writes a client's governance with the team assignments its
// groups make: members recorded on their items, client owners and policies checked.
func (s *Store) SetClientGovernance(ctx context.Context, g ah.GovernanceChange) error {
	const op = "dynamo.SetClientGovernance"
	t, err := s.clientTx(g.Client, g.PrevVersion)
	if err != nil {
		return ah.Internal(op, err)
	}
	index := map[string]int{}
	for i, m := range g.RequireMembers {
		if _, ok := index[m]; !ok {
			index[m] = i
		}
	}
	for _, ta := range g.PutTeam {
		i, ok := index[ta.MemberID]
		if !ok {
			i = len(g.RequireMembers)
		}
		if err := t.putTeam(ta, i); err != nil {
			return ah.Internal(op, err)
		}
	}
	for _, id := range g.DeleteTeam {
		t.deleteTeam(id)
	}
	for i, m := range g.RequireMembers {
		t.requireMember(m, i)
	}
	for i, id := range uniq(g.RequirePolicies) {
		t.writes = append(t.writes, mustExist(s.table, agencyPK(g.Client.AgencyID), govPolicySK(id),
			&ah.MissingError{What: "governance_policy", ID: id, Index: i}))
	}
	return t.commit(ctx, op, nil)
}

// SaveOffboarding writes the client's offboarding progress (and, at its end, the
// client archived).
func (s *Store) SaveOffboarding(ctx context.Context, c ah.ClientChange) error {
	const op = "dynamo.SaveOffboarding"
	t, err := s.clientTx(c.Client, c.PrevVersion)
	if err != nil {
		return ah.Internal(op, err)
	}
	return t.commit(ctx, op, nil)
}

// RevokeClientPlatforms records the client's platform entries as revoked.
func (s *Store) RevokeClientPlatforms(ctx context.Context, c ah.ClientChange, platforms []ah.ClientPlatform) error {
	const op = "dynamo.RevokeClientPlatforms"
	t, err := s.clientTx(c.Client, c.PrevVersion)
	for i := 0; err == nil && i < len(platforms); i++ {
		err = t.putPlatform(platforms[i])
	}
	if err != nil {
		return ah.Internal(op, err)
	}
	return t.commit(ctx, op, nil)
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
func (s *Store) ClientsOfPlatform(ctx context.Context, agencyID, platformID string, page ah.Page) ([]string, ah.Keys, error) {
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

// SetNonCompliant records the client's count of non-compliant identities.
func (s *Store) SetNonCompliant(ctx context.Context, agencyID, clientID string, n int, pol ah.PolicySnapshot, now time.Time, actor string) error {
	pv, err := marshalList(pol)
	if err != nil {
		return ah.Internal("dynamo.SetNonCompliant", err)
	}
	_, err = s.db.UpdateItem(ctx, &dynamodbUpdate{TableName: &s.table, Key: key(clientPK(agencyID, clientID), clientSK),
		UpdateExpression:    aws.String("SET facts.nonCompliantIdentities = :n, facts.policy = :pol, version = version + :one, updatedAt = :now, updatedBy = :by, lastAction = :action"),
		ConditionExpression: aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": num(n), ":pol": pv, ":one": num(1), ":now": str(now.Format(time.RFC3339Nano)),
			":by": str(actor), ":action": str("client.compliance")}})
	if isConditionFailed(err) {
		return ah.NotFound("client")
	}
	if err != nil {
		return mapErr("dynamo.SetNonCompliant", err)
	}
	return nil
}

type reviewItem struct {
	keys
	ah.ReviewCampaign
}

func newReviewItem(r ah.ReviewCampaign) reviewItem {
	it := reviewItem{keys: keys{PK: clientPK(r.AgencyID, r.ClientID), SK: reviewSK(r.ID), Type: typeReview}, ReviewCampaign: r}
	if r.Status == ah.ReviewOpen { // only open campaigns are in the deadline index
		it.GSI3PK = reviewDeadlineGSI3PK(shardOf(r.ID, sweepShards))
		it.GSI3SK = timedGSI3SK(r.Deadline, r.AgencyID, r.ClientID, r.ID)
	}
	return it
}

var errReviewNotFound = ah.NotFound("access review")

// DueReviews calls fn for every active client whose next review is due.
func (s *Store) DueReviews(ctx context.Context, now time.Time, fn func(ah.Client) error) error {
	return eachDue(ctx, s, "dynamo.DueReviews", reviewDueGSI3PK, now, func(it clientItem) error { return fn(it.client()) })
}

// OpenReview writes a campaign and the client with its next review time in one
// transaction; a campaign that exists already (a redelivered sweep) is success.
func (s *Store) OpenReview(ctx context.Context, c ah.ClientChange, r ah.ReviewCampaign) error {
	const op = "dynamo.OpenReview"
	t, err := s.clientTx(c.Client, c.PrevVersion)
	if err != nil {
		return ah.Internal(op, err)
	}
	av, err := marshal(newReviewItem(r))
	if err != nil {
		return ah.Internal(op, err)
	}
	exists := ah.Conflict(ah.CodeConflict, "the review is open already")
	t.writes = append(t.writes, putNew(s.table, av, exists))
	err = t.commit(ctx, op, nil)
	if errors.Is(err, exists) {
		return nil
	}
	return err
}

// GetReview reads one campaign.
func (s *Store) GetReview(ctx context.Context, agencyID, clientID, reviewID string) (ah.ReviewCampaign, error) {
	it, err := get[reviewItem](ctx, s, "dynamo.GetReview", clientPK(agencyID, clientID), reviewSK(reviewID), errReviewNotFound)
	return it.ReviewCampaign, err
}

// ListReviews lists a client's campaigns, oldest first.
func (s *Store) ListReviews(ctx context.Context, agencyID, clientID string, page ah.Page) ([]ah.ReviewCampaign, ah.Keys, error) {
	return list(ctx, s, "dynamo.ListReviews", prefixQuery(clientPK(agencyID, clientID), reviewPrefix), page,
		func(it reviewItem) ah.ReviewCampaign { return it.ReviewCampaign })
}

// SaveReview writes a changed campaign at its previous version.
func (s *Store) SaveReview(ctx context.Context, r ah.ReviewCampaign, prevVersion int) error {
	return s.replace(ctx, "dynamo.SaveReview", newReviewItem(r), prevVersion)
}

// OverdueReviews calls fn for every open campaign past its deadline.
func (s *Store) OverdueReviews(ctx context.Context, now time.Time, fn func(ah.ReviewCampaign) error) error {
	return eachDue(ctx, s, "dynamo.OverdueReviews", reviewDeadlineGSI3PK, now, func(it reviewItem) error { return fn(it.ReviewCampaign) })
}
