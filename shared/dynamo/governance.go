package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

type govPolicyItem struct {
	keys
	ah.GovernancePolicy
}

func newGovPolicyItem(p ah.GovernancePolicy) govPolicyItem {
	return govPolicyItem{keys: keys{PK: agencyPK(p.AgencyID), SK: govPolicySK(p.ID), Type: typeGovPolicy}, GovernancePolicy: p}
}

type roleTemplateItem struct {
	keys
	ah.RoleTemplate
}

func newRoleTemplateItem(t ah.RoleTemplate) roleTemplateItem {
	return roleTemplateItem{keys: keys{PK: agencyPK(t.AgencyID), SK: roleTemplateSK(t.ID), Type: typeRoleTemplate}, RoleTemplate: t}
}

type grantItem struct {
	keys
	ah.AccessGrant
	AgencyID string `json:"agencyId"`
	stamp
}

func newGrantItem(agencyID string, g ah.AccessGrant, st stamp) grantItem {
	it := grantItem{keys: keys{PK: clientPK(agencyID, g.ClientID), SK: grantSK(g.RequestID), Type: typeGrant}, AccessGrant: g, AgencyID: agencyID, stamp: st}
	if g.EndsAt != nil { // only grants that end are in the sparse end index
		it.GSI3PK = grantEndGSI3PK(shardOf(g.RequestID, sweepShards))
		it.GSI3SK = timedGSI3SK(*g.EndsAt, agencyID, g.ClientID, g.RequestID)
	}
	return it
}

var (
	errGovPolicyNotFound    = ah.NotFound("governance policy")
	errRoleTemplateNotFound = ah.NotFound("role template")
)

// CreateGovernancePolicy writes a new governance policy.
func (s *Store) CreateGovernancePolicy(ctx context.Context, p ah.GovernancePolicy, idem *ah.Idempotency) error {
	return s.create(ctx, "dynamo.CreateGovernancePolicy", newGovPolicyItem(p), idem)
}

// GetGovernancePolicy reads a governance policy.
func (s *Store) GetGovernancePolicy(ctx context.Context, agencyID, policyID string) (ah.GovernancePolicy, error) {
	it, err := get[govPolicyItem](ctx, s, "dynamo.GetGovernancePolicy", agencyPK(agencyID), govPolicySK(policyID), errGovPolicyNotFound)
	return it.GovernancePolicy, err
}

// ListGovernancePolicies lists an agency's governance policies.
func (s *Store) ListGovernancePolicies(ctx context.Context, agencyID string, page ah.Page) ([]ah.GovernancePolicy, ah.Keys, error) {
	return list(ctx, s, "dynamo.ListGovernancePolicies", prefixQuery(agencyPK(agencyID), govPolicyPrefix), page,
		func(it govPolicyItem) ah.GovernancePolicy { return it.GovernancePolicy })
}

// UpdateGovernancePolicy writes a changed policy if its version is still prevVersion.
func (s *Store) UpdateGovernancePolicy(ctx context.Context, p ah.GovernancePolicy, prevVersion int) error {
	return s.replace(ctx, "dynamo.UpdateGovernancePolicy", newGovPolicyItem(p), prevVersion)
}

// requireGovPolicy checks in a transaction that a governance policy exists.
func (s *Store) requireGovPolicy(agencyID, policyID string, onMissing error) write {
	return mustExist(s.table, agencyPK(agencyID), govPolicySK(policyID), onMissing)
}

// CreateRoleTemplate writes a new role template; its policy, if named, must exist.
func (s *Store) CreateRoleTemplate(ctx context.Context, t ah.RoleTemplate, idem *ah.Idempotency) error {
	var extra []write
	if t.GovernancePolicyID != "" {
		extra = append(extra, s.requireGovPolicy(t.AgencyID, t.GovernancePolicyID, &ah.MissingError{What: "governance_policy", ID: t.GovernancePolicyID}))
	}
	return s.create(ctx, "dynamo.CreateRoleTemplate", newRoleTemplateItem(t), idem, extra...)
}

// GetRoleTemplate reads a role template.
func (s *Store) GetRoleTemplate(ctx context.Context, agencyID, templateID string) (ah.RoleTemplate, error) {
	it, err := get[roleTemplateItem](ctx, s, "dynamo.GetRoleTemplate", agencyPK(agencyID), roleTemplateSK(templateID), errRoleTemplateNotFound)
	return it.RoleTemplate, err
}

// ListRoleTemplates lists an agency's role templates.
func (s *Store) ListRoleTemplates(ctx context.Context, agencyID string, page ah.Page) ([]ah.RoleTemplate, ah.Keys, error) {
	return list(ctx, s, "dynamo.ListRoleTemplates", prefixQuery(agencyPK(agencyID), templatePrefix), page,
		func(it roleTemplateItem) ah.RoleTemplate { return it.RoleTemplate })
}

// UpdateRoleTemplate writes a changed template if its version is still prevVersion.
func (s *Store) UpdateRoleTemplate(ctx context.Context, t ah.RoleTemplate, prevVersion int) error {
	var extra []write
	if t.GovernancePolicyID != "" {
		extra = append(extra, s.requireGovPolicy(t.AgencyID, t.GovernancePolicyID, &ah.MissingError{What: "governance_policy", ID: t.GovernancePolicyID}))
	}
	return s.replace(ctx, "dynamo.UpdateRoleTemplate", newRoleTemplateItem(t), prevVersion, extra...)
}

// ReadSubmitContext reads the agency, the client (with its governance), the agency
// platform and the named role template in one BatchGetItem.
func (s *Store) ReadSubmitContext(ctx context.Context, agencyID, clientID, platformID, templateID string) (ah.SubmitContext, error) {
	const op = "dynamo.ReadSubmitContext"
	var sc ah.SubmitContext
	wanted := []map[string]types.AttributeValue{key(agencyPK(agencyID), agencySK), key(clientPK(agencyID, clientID), clientSK),
		key(agencyPK(agencyID), platformSK(platformID))}
	if templateID != "" {
		wanted = append(wanted, key(agencyPK(agencyID), roleTemplateSK(templateID)))
	}
	got, err := s.batchGet(ctx, op, wanted)
	if err != nil {
		return sc, err
	}
	foundAgency, foundClient := false, false
	for _, raw := range got {
		var k keys
		if err := unmarshal(raw, &k); err != nil {
			return sc, ah.Internal(op, err)
		}
		switch k.Type {
		case typeAgency:
			var it agencyItem
			err = unmarshal(raw, &it)
			sc.Agency, foundAgency = it.Agency, true
		case typeClient:
			var it clientItem
			err = unmarshal(raw, &it)
			sc.Client, foundClient = it.client(), true
		case typePlatform:
			var it platformItem
			err = unmarshal(raw, &it)
			sc.Platform = &it.Platform
		case typeRoleTemplate:
			var it roleTemplateItem
			err = unmarshal(raw, &it)
			sc.Template = &it.RoleTemplate
		}
		if err != nil {
			return sc, ah.Internal(op, fmt.Errorf("decode %s: %w", k.SK, err))
		}
	}
	if !foundAgency {
		return sc, ah.Internal(op, fmt.Errorf("agency %s not found", agencyID))
	}
	if !foundClient {
		return sc, errClientNotFound
	}
	return sc, nil
}

// batchGet reads up to 100 items strongly consistently, retrying unprocessed keys.
func (s *Store) batchGet(ctx context.Context, op string, wanted []map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
	req := map[string]types.KeysAndAttributes{s.table: {Keys: wanted, ConsistentRead: aws.Bool(true)}}
	var out []map[string]types.AttributeValue
	for attempt := 0; len(req) > 0 && len(req[s.table].Keys) > 0; attempt++ {
		if attempt > 8 {
			return nil, &ah.Error{Kind: ah.KindUnavailable, Code: ah.CodeUnavailable, Op: op, Message: "the service is busy; retry later"}
		}
		res, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return nil, mapErr(op, err)
		}
		out = append(out, res.Responses[s.table]...)
		req = res.UnprocessedKeys
	}
	return out, nil
}

// GetPolicies reads governance policies by id in one BatchGetItem (missing ones
// are absent from the result).
func (s *Store) GetPolicies(ctx context.Context, agencyID string, ids []string) (map[string]ah.GovernancePolicy, error) {
	const op = "dynamo.GetPolicies"
	out := map[string]ah.GovernancePolicy{}
	seen := map[string]bool{}
	var wanted []map[string]types.AttributeValue
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			wanted = append(wanted, key(agencyPK(agencyID), govPolicySK(id)))
		}
	}
	if len(wanted) == 0 {
		return out, nil
	}
	got, err := s.batchGet(ctx, op, wanted)
	if err != nil {
		return nil, err
	}
	for _, raw := range got {
		var it govPolicyItem
		if err := unmarshal(raw, &it); err != nil {
			return nil, ah.Internal(op, err)
		}
		out[it.ID] = it.GovernancePolicy
	}
	return out, nil
}

// EndedGrants calls fn for every live grant whose end is before now (GSI3,
// sparse): the sweep reads what ended, not the table.
func (s *Store) EndedGrants(ctx context.Context, now time.Time, fn func(ah.EndedGrant) error) error {
	return eachDue(ctx, s, "dynamo.EndedGrants", grantEndGSI3PK, now, func(it grantItem) error {
		return fn(ah.EndedGrant{AgencyID: it.AgencyID, AccessGrant: it.AccessGrant})
	})
}

// DueEndNotices calls fn for every granted request whose end notice is due (GSI3).
func (s *Store) DueEndNotices(ctx context.Context, now time.Time, fn func(ah.AccessRequest) error) error {
	return eachDue(ctx, s, "dynamo.DueEndNotices", grantNoticeGSI3PK, now, func(it requestItem) error { return fn(it.AccessRequest) })
}

// MarkEndNoticeSent records that the requester was told (and takes the request
// out of the notice index). A request that changed meanwhile is left alone.
func (s *Store) MarkEndNoticeSent(ctx context.Context, r ah.AccessRequest, now time.Time) error {
	const op = "dynamo.MarkEndNoticeSent"
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: key(clientPK(r.AgencyID, r.ClientID), requestSK(r.ID)),
		UpdateExpression:          aws.String("SET endNoticeSentAt = :now, version = version + :one, updatedAt = :now, updatedBy = :by, lastAction = :a REMOVE GSI3PK, GSI3SK"),
		ConditionExpression:       aws.String("version = :prev"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": str(now.Format(time.RFC3339Nano)), ":one": num(1), ":prev": num(r.Version), ":by": str("system:expiry"), ":a": str("access_request.end_notice")},
	})
	if isCancelled(err) || isConditionFailed(err) {
		return nil
	}
	if err != nil {
		return mapErr(op, err)
	}
	return nil
}

var errGrantChanged = ah.Conflict(ah.CodeVersionConflict, "the access changed meanwhile; read the request again")

// EndGrant writes a grant's end as one transaction.
func (s *Store) EndGrant(ctx context.Context, e ah.GrantEnd) error {
	const op = "dynamo.EndGrant"
	r := e.Request
	pk := clientPK(r.AgencyID, r.ClientID)
	av, err := marshal(newRequestItem(r))
	if err != nil {
		return ah.Internal(op, err)
	}
	nowS := str(r.UpdatedAt.Format(time.RFC3339Nano))
	writes := []write{
		{item: types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av,
			ConditionExpression:       aws.String("version = :prev AND #status = :from"),
			ExpressionAttributeNames:  map[string]string{"#status": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":prev": num(e.PrevVersion), ":from": str(string(e.PrevStatus))},
		}}, onConditionFailed: errGrantChanged},
		{item: types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: key(pk, grantSK(r.ID)),
			ConditionExpression: aws.String("attribute_exists(PK)")}}, onConditionFailed: errGrantChanged},
	}
	if e.Grant.EndsAt != nil {
		writes = append(writes, write{item: types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: key(pk, clientSK),
			UpdateExpression:          aws.String("REMOVE facts.accessEnds.#req SET version = version + :one, updatedAt = :now, updatedBy = :by, lastAction = :a"),
			ConditionExpression:       aws.String("attribute_exists(PK)"),
			ExpressionAttributeNames:  map[string]string{"#req": r.ID},
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": num(1), ":now": nowS, ":by": str(r.UpdatedBy), ":a": str(r.LastAction)},
		}}, onConditionFailed: errClientNotFound})
	}
	if e.Grant.IdentityID != "" {
		upd := "SET activeGrants = :next, version = version + :one, updatedAt = :now, updatedBy = :by, lastAction = :a"
		vals := map[string]types.AttributeValue{":next": num(max(e.IdentityGrants-1, 0)), ":n": num(e.IdentityGrants), ":one": num(1),
			":now": nowS, ":by": str(r.UpdatedBy), ":a": str(r.LastAction)}
		names := map[string]string{}
		if e.Deactivate {
			upd += ", #status = :deactivated"
			vals[":deactivated"], vals[":active"] = str(string(ah.IdentityDeactivated)), str(string(ah.IdentityActive))
			names["#status"] = "status"
			if e.Deprovision != nil {
				dv, err := marshalList(*e.Deprovision)
				if err != nil {
					return ah.Internal(op, err)
				}
				upd += ", deprovisioning = :dep"
				vals[":dep"] = dv
			}
		}
		cond := "(activeGrants = :n OR (attribute_not_exists(activeGrants) AND :n = :zero))"
		vals[":zero"] = num(0)
		if e.Deactivate {
			cond += " AND #status = :active"
		}
		u := &types.Update{TableName: &s.table, Key: key(pk, clientIdentitySK(e.Grant.IdentityID)),
			UpdateExpression: aws.String(upd), ConditionExpression: aws.String(cond), ExpressionAttributeValues: vals}
		if len(names) > 0 {
			u.ExpressionAttributeNames = names
		}
		writes = append(writes, write{item: types.TransactWriteItem{Update: u}, onConditionFailed: errGrantChanged})
	}
	return s.transact(ctx, op, nil, writes...)
}

// grantWrites are the writes a full approval adds for its grant.
func (s *Store) grantWrites(agencyID string, g ah.NewGrant, st stamp) ([]write, error) {
	gr := g.Grant
	av, err := marshal(newGrantItem(agencyID, gr, st))
	if err != nil {
		return nil, err
	}
	pk := clientPK(agencyID, gr.ClientID)
	nowS := str(st.UpdatedAt.Format(time.RFC3339Nano))
	writes := []write{putNew(s.table, av, errExists)}
	if gr.EndsAt != nil {
		writes = append(writes, write{item: types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: key(pk, clientSK),
			UpdateExpression:         aws.String("SET facts.accessEnds.#req = :end, version = version + :one, updatedAt = :now, updatedBy = :by, lastAction = :a"),
			ConditionExpression:      aws.String("attribute_exists(facts.accessEnds) AND " + clientOpen),
			ExpressionAttributeNames: map[string]string{"#req": gr.RequestID},
			ExpressionAttributeValues: map[string]types.AttributeValue{":end": str(gr.EndsAt.UTC().Format(time.RFC3339Nano)), ":one": num(1), ":now": nowS,
				":by": str(st.UpdatedBy), ":a": str(st.LastAction), ":active": str(string(ah.ClientActive))},
		}}, onConditionFailed: errAccessClosed})
	}
	if g.CountOnIdentity {
		writes = append(writes, write{item: types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: key(pk, clientIdentitySK(gr.IdentityID)),
			UpdateExpression:          aws.String("SET activeGrants = if_not_exists(activeGrants, :zero) + :one, version = version + :one, updatedAt = :now, updatedBy = :by, lastAction = :a"),
			ConditionExpression:       aws.String("#status = :active"),
			ExpressionAttributeNames:  map[string]string{"#status": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":zero": num(0), ":one": num(1), ":active": str(string(ah.IdentityActive)), ":now": nowS, ":by": str(st.UpdatedBy), ":a": str(st.LastAction)},
		}}, onConditionFailed: ah.Conflict(ah.CodeIdentityNotActive, "the client's identity on this platform stopped being active meanwhile; approve again")})
	}
	if g.Reactivate != nil {
		iv, err := marshal(newClientIdentityItem(*g.Reactivate))
		if err != nil {
			return nil, err
		}
		writes = append(writes, write{item: types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: iv,
			ConditionExpression:       aws.String("version = :prev AND #status = :deactivated"),
			ExpressionAttributeNames:  map[string]string{"#status": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":prev": num(g.ReactivatePrev), ":deactivated": str(string(ah.IdentityDeactivated))},
		}}, onConditionFailed: ah.Conflict(ah.CodeIdentityProvisioning, "the client's identity on this platform changed meanwhile; approve again")})
	}
	return writes, nil
}

var errGrantNotFound = ah.NotFound("access grant")

// GetGrant reads one live grant (not found: no live access for the request).
func (s *Store) GetGrant(ctx context.Context, agencyID, clientID, requestID string) (ah.AccessGrant, error) {
	it, err := get[grantItem](ctx, s, "dynamo.GetGrant", clientPK(agencyID, clientID), grantSK(requestID), errGrantNotFound)
	return it.AccessGrant, err
}
