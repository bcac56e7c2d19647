package dynamo

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

type requestItem struct {
	keys
	ah.AccessRequest
}

func newRequestItem(r ah.AccessRequest) requestItem {
	created := sortableTime(r.CreatedAt)
	it := requestItem{keys: keys{PK: clientPK(r.AgencyID, r.ClientID), SK: requestSK(r.ID), Type: typeRequest,
		GSI1PK: requesterGSI1PK(r.AgencyID, r.RequesterID), GSI1SK: requesterGSI1SK(r.ClientID, created, r.ID),
		GSI2PK: requestsGSI2PK(r.AgencyID, r.ClientID, string(r.Status)), GSI2SK: created + sep + r.ID},
		AccessRequest: r}
	if r.Status == ah.RequestPending { // only pending requests are in the sparse expiry index
		it.GSI3PK = pendingGSI3PK(shardOf(r.ID, sweepShards))
		it.GSI3SK = pendingGSI3SK(sortableTime(r.ExpiresAt), r.AgencyID, r.ClientID, r.ID)
	} else if (r.Status == ah.RequestApproved || r.Status == ah.RequestProvisioned) && r.AccessEndsAt != nil && r.EndNoticeSentAt == nil {
		it.GSI3PK = grantNoticeGSI3PK(shardOf(r.ID, sweepShards))
		it.GSI3SK = timedGSI3SK(r.AccessEndsAt.Add(-time.Duration(r.Policy.Duration.NoticeMinutes)*time.Minute), r.AgencyID, r.ClientID, r.ID)
	}
	return it
}

// pendingGuardItem claims one pending request per client, platform and requester,
// and carries the request in brief (offboarding lists them from the client's
// partition without reading every request).
type pendingGuardItem struct {
	guard
	ah.PendingRequest
}

type clientIdentityItem struct {
	keys
	ah.ClientIdentity
}

func newClientIdentityItem(i ah.ClientIdentity) clientIdentityItem {
	i.Compliance = nil // computed when read, never stored
	return clientIdentityItem{keys: keys{PK: clientPK(i.AgencyID, i.ClientID), SK: clientIdentitySK(i.ID), Type: typeClientIdentity}, ClientIdentity: i}
}

var (
	errRequestNotFound        = ah.NotFound("access request")
	errRequestPending         = ah.Conflict(ah.CodeRequestPending, "you already have a pending request for this platform; wait for the review or cancel it")
	errRequestChanged         = ah.Conflict(ah.CodeRequestNotPending, "the request is no longer pending: it was reviewed, cancelled or expired meanwhile")
	errClientIdentityNotFound = ah.NotFound("identity")
	errIdentityExists         = ah.Conflict(ah.CodeIdentityProvisioning, "an identity for this client and platform was created meanwhile; approve again")
)

// CreateRequest writes a new pending request with its pending guard and counts it
// on the client's platform entry (which must exist).
func (s *Store) CreateRequest(ctx context.Context, r ah.AccessRequest, idem *ah.Idempotency) error {
	const op = "dynamo.CreateRequest"
	pk := clientPK(r.AgencyID, r.ClientID)
	gv, err := marshal(pendingGuardItem{guard: guard{keys: keys{PK: pk, SK: pendingGuardSK(r.PlatformID, r.RequesterID), Type: typePendingGuard},
		AgencyID: r.AgencyID, TargetID: r.ID, UpdatedBy: r.UpdatedBy, LastAction: r.LastAction},
		PendingRequest: ah.PendingRequest{ID: r.ID, PlatformID: r.PlatformID, RequesterID: r.RequesterID, RequesterName: r.RequesterName, RequesterEmail: r.RequesterEmail, IdentityType: r.IdentityType,
			CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt}})
	if err != nil {
		return ah.Internal(op, err)
	}
	g := putNew(s.table, gv, errRequestPending)
	// The client must take requests, checked in the same transaction (no extra read).
	open := write{item: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName: &s.table, Key: key(pk, clientSK), ConditionExpression: aws.String(clientOpen),
		ExpressionAttributeValues: map[string]types.AttributeValue{":active": str(string(ah.ClientActive))},
	}}, onConditionFailed: errClientClosed}
	extra := []write{g, open, s.pendingCount(pk, r.PlatformID, 1, r.UpdatedBy, r.LastAction, r.UpdatedAt, &ah.MissingError{What: "client_platform", ID: r.PlatformID})}
	for _, lead := range r.ReminderLeads {
		rv, err := marshal(reminderItem{keys: keys{PK: pk, SK: reminderSK(r.ID, lead), Type: typeReminder,
			GSI3PK: remindGSI3PK(shardOf(r.ID, sweepShards)), GSI3SK: timedGSI3SK(r.ExpiresAt.Add(-time.Duration(lead)*time.Minute), r.AgencyID, r.ClientID, r.ID)},
			AgencyID: r.AgencyID, ClientID: r.ClientID, RequestID: r.ID, LeadMinutes: lead})
		if err != nil {
			return ah.Internal(op, err)
		}
		extra = append(extra, putNew(s.table, rv, errExists))
	}
	return s.create(ctx, op, newRequestItem(r), idem, extra...)
}

// CreateGrantedRequest writes a request granted at once (break-glass) with its
// grant, the client's facts and the identity's count, in one transaction; the
// client must still take access (checked on the facts update, or on its own).
func (s *Store) CreateGrantedRequest(ctx context.Context, r ah.AccessRequest, g ah.NewGrant) error {
	const op = "dynamo.CreateGrantedRequest"
	av, err := marshal(newRequestItem(r))
	if err != nil {
		return ah.Internal(op, err)
	}
	writes := []write{putNew(s.table, av, errExists)}
	gw, err := s.grantWrites(r.AgencyID, g, stamp{UpdatedAt: r.UpdatedAt, UpdatedBy: r.UpdatedBy, LastAction: r.LastAction})
	if err != nil {
		return ah.Internal(op, err)
	}
	writes = append(writes, gw...)
	if g.Grant.EndsAt == nil {
		writes = append(writes, write{item: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			TableName: &s.table, Key: key(clientPK(r.AgencyID, r.ClientID), clientSK), ConditionExpression: aws.String(clientOpen),
			ExpressionAttributeValues: map[string]types.AttributeValue{":active": str(string(ah.ClientActive))},
		}}, onConditionFailed: errAccessClosed})
	}
	return s.transact(ctx, op, nil, writes...)
}

// reminderItem is a planned reviewer reminder (sparse GSI3 REMIND#<shard>, keyed
// by its due time): written with the request, deleted when it is sent or the
// request leaves pending.
type reminderItem struct {
	keys
	AgencyID    string `json:"agencyId"`
	ClientID    string `json:"clientId"`
	RequestID   string `json:"requestId"`
	LeadMinutes int    `json:"leadMinutes"`
}

// DueReminders calls fn for every planned reminder due before now.
func (s *Store) DueReminders(ctx context.Context, now time.Time, fn func(ah.ReminderDue) error) error {
	return eachDue(ctx, s, "dynamo.DueReminders", remindGSI3PK, now, func(it reminderItem) error {
		return fn(ah.ReminderDue{AgencyID: it.AgencyID, ClientID: it.ClientID, RequestID: it.RequestID, LeadMinutes: it.LeadMinutes})
	})
}

// MarkReminderSent adds the reminder to its request (the notifications function
// tells the reviewers) and deletes the planned item, in one transaction; a request
// no longer pending, or reminded already, only loses the planned item.
func (s *Store) MarkReminderSent(ctx context.Context, d ah.ReminderDue, now time.Time) (bool, error) {
	const op = "dynamo.MarkReminderSent"
	pk := clientPK(d.AgencyID, d.ClientID)
	lead, err := marshalList([]int{d.LeadMinutes})
	if err != nil {
		return false, ah.Internal(op, err)
	}
	_, err = s.db.TransactWriteItems(ctx, &transactInput{TransactItems: scoped([]types.TransactWriteItem{
		{Update: &types.Update{TableName: &s.table, Key: key(pk, requestSK(d.RequestID)),
			UpdateExpression:         aws.String("SET remindersSent = list_append(if_not_exists(remindersSent, :empty), :lead), version = version + :one, updatedAt = :now, updatedBy = :by, lastAction = :a"),
			ConditionExpression:      aws.String("#status = :pending AND NOT contains(remindersSent, :n)"),
			ExpressionAttributeNames: map[string]string{"#status": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":empty": &types.AttributeValueMemberL{Value: []types.AttributeValue{}}, ":lead": lead,
				":one": num(1), ":n": num(d.LeadMinutes), ":pending": str(string(ah.RequestPending)), ":now": str(now.Format(time.RFC3339Nano)),
				":by": str("system:expiry"), ":a": str("access_request.reminder")}}},
		{Delete: &types.Delete{TableName: &s.table, Key: key(pk, reminderSK(d.RequestID, d.LeadMinutes))}},
	})})
	if err == nil {
		return true, nil
	}
	if !isCancelled(err) {
		return false, mapErr(op, err)
	}
	if err := s.transact(ctx, op, nil, s.deleteWrite(pk, reminderSK(d.RequestID, d.LeadMinutes))); err != nil {
		return false, err
	}
	return false, nil
}

// clientOpen is the condition on a client item that it still takes requests and
// access: active, and never confirmed for offboarding (a running or failed
// offboarding is finished by confirming it again, never undone). Its value :active
// is the active lifecycle.
const clientOpen = "lifecycle = :active AND attribute_not_exists(offboarding)"

var (
	errClientClosed = ah.Conflict(ah.CodeClientArchived, "the client is archived or being offboarded; it takes no new requests")
	errAccessClosed = ah.Conflict(ah.CodeOffboarding, "the client is being offboarded (or is archived); no access is granted to it")
)

// pendingCount moves a client platform's pending-request count.
func (s *Store) pendingCount(pk, platformID string, delta int, by, action string, now time.Time, onMissing error) write {
	return write{item: types.TransactWriteItem{Update: &types.Update{
		TableName: &s.table, Key: key(pk, clientPlatformSK(platformID)),
		ConditionExpression: aws.String("attribute_exists(PK)"),
		UpdateExpression:    aws.String("SET pendingRequests = if_not_exists(pendingRequests, :zero) + :d, updatedBy = :by, lastAction = :a, updatedAt = :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":d": num(delta), ":zero": num(0), ":by": str(by), ":a": str(action),
			":now": str(now.Format(time.RFC3339Nano))},
	}}, onConditionFailed: onMissing}
}

// GetRequest reads one request.
func (s *Store) GetRequest(ctx context.Context, agencyID, clientID, requestID string) (ah.AccessRequest, error) {
	it, err := get[requestItem](ctx, s, "dynamo.GetRequest", clientPK(agencyID, clientID), requestSK(requestID), errRequestNotFound)
	return it.AccessRequest, err
}

// ListRequests lists a client's requests: of one status (GSI2, oldest first) or all.
func (s *Store) ListRequests(ctx context.Context, agencyID, clientID string, status ah.RequestStatus, page ah.Page) ([]ah.AccessRequest, ah.Keys, error) {
	in := prefixQuery(clientPK(agencyID, clientID), requestPrefix)
	if status != "" {
		in = &dynamodb.QueryInput{IndexName: aws.String(indexGSI2), KeyConditionExpression: aws.String("GSI2PK = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(requestsGSI2PK(agencyID, clientID, string(status)))}}
	}
	return list(ctx, s, "dynamo.ListRequests", in, page, func(it requestItem) ah.AccessRequest { return it.AccessRequest })
}

// ListRequesterRequests lists one requester's requests on a client (GSI1), of one
// status when given.
func (s *Store) ListRequesterRequests(ctx context.Context, agencyID, clientID, requesterID string, status ah.RequestStatus, page ah.Page) ([]ah.AccessRequest, ah.Keys, error) {
	in := &dynamodb.QueryInput{IndexName: aws.String(indexGSI1),
		KeyConditionExpression: aws.String("GSI1PK = :pk AND begins_with(GSI1SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(requesterGSI1PK(agencyID, requesterID)), ":sk": str(requesterGSI1Prefix(clientID)),
		}}
	if status != "" {
		in.FilterExpression = aws.String("#status = :status")
		in.ExpressionAttributeNames = map[string]string{"#status": "status"}
		in.ExpressionAttributeValues[":status"] = str(string(status))
	}
	return list(ctx, s, "dynamo.ListRequesterRequests", in, page, func(it requestItem) ah.AccessRequest { return it.AccessRequest })
}

// TransitionRequest writes a request's transition. A request that changed meanwhile
// (another reviewer, expiry) fails with request_not_pending.
func (s *Store) TransitionRequest(ctx context.Context, t ah.RequestTransition) error {
	const op = "dynamo.TransitionRequest"
	r := t.Request
	pk := clientPK(r.AgencyID, r.ClientID)
	av, err := marshal(newRequestItem(r))
	if err != nil {
		return ah.Internal(op, err)
	}
	writes := []write{{item: types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av,
		ConditionExpression:       aws.String("version = :prev AND #status = :from"),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":prev": num(t.PrevVersion), ":from": str(string(t.PrevStatus))},
	}}, onConditionFailed: errRequestChanged}}
	// One update of the client's platform entry: its pending count and, when an
	// identity is created, its provisioning status (one operation per item).
	var sets []string
	vals := map[string]types.AttributeValue{":by": str(r.UpdatedBy), ":a": str(r.LastAction), ":now": str(r.UpdatedAt.Format(time.RFC3339Nano))}
	if t.LeavePending {
		writes = append(writes, s.deleteWrite(pk, pendingGuardSK(r.PlatformID, r.RequesterID)))
		for _, lead := range r.ReminderLeads {
			if !slices.Contains(r.RemindersSent, lead) {
				writes = append(writes, s.deleteWrite(pk, reminderSK(r.ID, lead)))
			}
		}
		sets = append(sets, "pendingRequests = if_not_exists(pendingRequests, :zero) - :one")
		vals[":zero"], vals[":one"] = num(0), num(1)
	}
	if t.NewIdentity != nil {
		i := *t.NewIdentity
		iv, err := marshal(newClientIdentityItem(i))
		if err != nil {
			return ah.Internal(op, err)
		}
		g, err := s.guardWrite(guard{keys: keys{PK: pk, SK: clientIdentityGuardSK(i.PlatformID), Type: typeClientIdGuard},
			AgencyID: i.AgencyID, TargetID: i.ID, UpdatedBy: i.UpdatedBy, LastAction: i.LastAction}, errIdentityExists)
		if err != nil {
			return ah.Internal(op, err)
		}
		writes = append(writes, putNew(s.table, iv, errExists), g)
		sets = append(sets, "provisioningStatus = :p")
		vals[":p"] = str(ah.ProvisioningInProgress)
	}
	if t.Grant != nil {
		gw, err := s.grantWrites(r.AgencyID, *t.Grant, stamp{UpdatedAt: r.UpdatedAt, UpdatedBy: r.UpdatedBy, LastAction: r.LastAction})
		if err != nil {
			return ah.Internal(op, err)
		}
		writes = append(writes, gw...)
	}
	// A transition that creates access (an identity, a grant) needs the client
	// open in the same transaction: an approval racing an offboarding's
	// confirmation either lands before it (and the offboarding revokes it) or is
	// refused. When the grant already updates the client item (its end time), the
	// condition goes on that update; an item appears once in a transaction.
	if t.NewIdentity != nil || t.Grant != nil {
		if t.Grant == nil || t.Grant.Grant.EndsAt == nil {
			writes = append(writes, write{item: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
				TableName: &s.table, Key: key(pk, clientSK), ConditionExpression: aws.String(clientOpen),
				ExpressionAttributeValues: map[string]types.AttributeValue{":active": str(string(ah.ClientActive))},
			}}, onConditionFailed: errAccessClosed})
		}
	}
	if len(sets) > 0 {
		writes = append(writes, write{item: types.TransactWriteItem{Update: &types.Update{
			TableName: &s.table, Key: key(pk, clientPlatformSK(r.PlatformID)),
			UpdateExpression:          aws.String("SET " + strings.Join(sets, ", ") + ", updatedBy = :by, lastAction = :a, updatedAt = :now"),
			ExpressionAttributeValues: vals,
		}}})
	}
	return s.transact(ctx, op, nil, writes...)
}

// ClientIdentityFor returns the dedicated identity of a client and platform, if any.
func (s *Store) ClientIdentityFor(ctx context.Context, agencyID, clientID, platformID string) (ah.ClientIdentity, bool, error) {
	const op = "dynamo.ClientIdentityFor"
	g, err := get[guard](ctx, s, op, clientPK(agencyID, clientID), clientIdentityGuardSK(platformID), errClientIdentityNotFound)
	if ah.KindOf(err) == ah.KindNotFound {
		return ah.ClientIdentity{}, false, nil
	}
	if err != nil {
		return ah.ClientIdentity{}, false, err
	}
	i, err := s.GetClientIdentity(ctx, agencyID, clientID, g.TargetID)
	return i, err == nil, err
}

// GetClientIdentity reads a client-dedicated identity.
func (s *Store) GetClientIdentity(ctx context.Context, agencyID, clientID, identityID string) (ah.ClientIdentity, error) {
	it, err := get[clientIdentityItem](ctx, s, "dynamo.GetClientIdentity", clientPK(agencyID, clientID), clientIdentitySK(identityID), errClientIdentityNotFound)
	return it.ClientIdentity, err
}

// GetClientIdentityWithClient reads an identity and its client in one
// BatchGetItem (strongly consistent).
func (s *Store) GetClientIdentityWithClient(ctx context.Context, agencyID, clientID, identityID string) (ah.ClientIdentity, ah.Client, error) {
	const op = "dynamo.GetClientIdentityWithClient"
	pk := clientPK(agencyID, clientID)
	got, err := s.batchGet(ctx, op, []map[string]types.AttributeValue{key(pk, clientIdentitySK(identityID)), key(pk, clientSK)})
	if err != nil {
		return ah.ClientIdentity{}, ah.Client{}, err
	}
	var i clientIdentityItem
	var c clientItem
	foundI, foundC := false, false
	for _, raw := range got {
		switch raw["SK"].(*types.AttributeValueMemberS).Value {
		case clientSK:
			err, foundC = unmarshal(raw, &c), true
		default:
			err, foundI = unmarshal(raw, &i), true
		}
		if err != nil {
			return ah.ClientIdentity{}, ah.Client{}, ah.Internal(op, err)
		}
	}
	if !foundC {
		return ah.ClientIdentity{}, ah.Client{}, errClientNotFound
	}
	if !foundI {
		return ah.ClientIdentity{}, ah.Client{}, errClientIdentityNotFound
	}
	return i.ClientIdentity, c.client(), nil
}

// ListClientIdentities lists a client's dedicated identities.
func (s *Store) ListClientIdentities(ctx context.Context, agencyID, clientID string, page ah.Page) ([]ah.ClientIdentity, ah.Keys, error) {
	return list(ctx, s, "dynamo.ListClientIdentities", prefixQuery(clientPK(agencyID, clientID), clientIdentityPrfx), page,
		func(it clientIdentityItem) ah.ClientIdentity { return it.ClientIdentity })
}

// UpdateClientIdentity writes a changed identity if its version is still prevVersion.
func (s *Store) UpdateClientIdentity(ctx context.Context, i ah.ClientIdentity, prevVersion int) error {
	return s.replace(ctx, "dynamo.UpdateClientIdentity", newClientIdentityItem(i), prevVersion)
}

// ExpiredPending calls fn for every pending request whose expiry is before now,
// reading only those: the sparse GSI3 shards, past entries only.
func (s *Store) ExpiredPending(ctx context.Context, now time.Time, fn func(ah.AccessRequest) error) error {
	return eachDue(ctx, s, "dynamo.ExpiredPending", pendingGSI3PK, now, func(it requestItem) error { return fn(it.AccessRequest) })
}

// eachDue calls fn for every item of the time-keyed sparse GSI3 partitions
// (one per shard) due before now, a page of 100 at a time.
func eachDue[I any](ctx context.Context, s *Store, op string, shardPK func(int) string, now time.Time, fn func(I) error) error {
	for shard := range sweepShards {
		page := ah.Page{Limit: 100}
		for {
			items, next, err := query[I](ctx, s, op, &dynamodb.QueryInput{
				IndexName:              aws.String(indexGSI3),
				KeyConditionExpression: aws.String("GSI3PK = :pk AND GSI3SK < :now"),
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":pk": str(shardPK(shard)), ":now": str(sortableTime(now)),
				},
			}, page)
			if err != nil {
				return fmt.Errorf("shard %d: %w", shard, err)
			}
			for _, it := range items {
				if err := fn(it); err != nil {
					return err
				}
			}
			if len(next) == 0 {
				break
			}
			page.After = next
		}
	}
	return nil
}

// ImportRequests bulk-writes requests (load tests, benchmarks and migrations) with
// BatchWriteItem, 25 at a time, bypassing guards and counters. Never use it in a
// request path.
func (s *Store) ImportRequests(ctx context.Context, reqs []ah.AccessRequest) error {
	items := make([]any, len(reqs))
	for i, r := range reqs {
		items[i] = newRequestItem(r)
	}
	return s.importItems(ctx, "dynamo.ImportRequests", items)
}

// ImportReminders bulk-writes the planned reminders of requests (benchmarks and
// migrations), like ImportRequests: never in a request path.
func (s *Store) ImportReminders(ctx context.Context, reqs []ah.AccessRequest) error {
	var items []any
	for _, r := range reqs {
		for _, lead := range r.ReminderLeads {
			items = append(items, reminderItem{keys: keys{PK: clientPK(r.AgencyID, r.ClientID), SK: reminderSK(r.ID, lead), Type: typeReminder,
				GSI3PK: remindGSI3PK(shardOf(r.ID, sweepShards)), GSI3SK: timedGSI3SK(r.ExpiresAt.Add(-time.Duration(lead)*time.Minute), r.AgencyID, r.ClientID, r.ID)},
				AgencyID: r.AgencyID, ClientID: r.ClientID, RequestID: r.ID, LeadMinutes: lead})
		}
	}
	return s.importItems(ctx, "dynamo.ImportReminders", items)
}

// ImportClients bulk-writes client items (benchmarks and migrations), like
// ImportRequests: no name guards, no detail; never in a request path.
func (s *Store) ImportClients(ctx context.Context, clients []ah.Client) error {
	items := make([]any, len(clients))
	for i, c := range clients {
		items[i] = newClientItem(c)
	}
	return s.importItems(ctx, "dynamo.ImportClients", items)
}

// ImportGrants bulk-writes live grants of one agency (benchmarks and migrations),
// like ImportRequests: no guards, no counters, never in a request path.
func (s *Store) ImportGrants(ctx context.Context, agencyID string, grants []ah.AccessGrant) error {
	items := make([]any, len(grants))
	for i, g := range grants {
		items[i] = newGrantItem(agencyID, g, stamp{UpdatedAt: g.GrantedAt, UpdatedBy: "import", LastAction: "import"})
	}
	return s.importItems(ctx, "dynamo.ImportGrants", items)
}

func (s *Store) importItems(ctx context.Context, op string, all []any) error {
	for start := 0; start < len(all); start += 25 {
		var writes []types.WriteRequest
		for _, it := range all[start:min(start+25, len(all))] {
			av, err := marshal(it)
			if err != nil {
				return ah.Internal(op, err)
			}
			writes = append(writes, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
		}
		req := map[string][]types.WriteRequest{s.table: writes}
		for attempt := 0; len(req) > 0; attempt++ {
			if attempt > 8 {
				return ah.Internal(op, fmt.Errorf("unprocessed items after retries"))
			}
			out, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: req})
			if err != nil {
				return mapErr(op, err)
			}
			req = out.UnprocessedItems
		}
	}
	return nil
}
