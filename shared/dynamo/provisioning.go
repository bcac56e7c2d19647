package dynamo

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// provisioningActor is who provisioning writes are stamped with.
const provisioningActor = "provisioning"

// stepNames aliases every attribute provisioning expressions touch ("provisioning",
// "status" and "error" are DynamoDB reserved words).
var stepNames = map[string]string{"#prov": "provisioning", "#steps": "steps", "#attempts": "attempts",
	"#attempt": "attempt", "#st": "status", "#err": "error", "#status": "status"}

var aliasRE = regexp.MustCompile(`#[A-Za-z0-9_]+`)

// namesFor returns the aliases of pool (stepNames when nil) the given expressions
// use: DynamoDB refuses unused ones.
func namesFor(pool map[string]string, exprs ...*string) map[string]string {
	if pool == nil {
		pool = stepNames
	}
	out := map[string]string{}
	for _, e := range exprs {
		if e == nil {
			continue
		}
		for _, a := range aliasRE.FindAllString(*e, -1) {
			if n, ok := pool[a]; ok {
				out[a] = n
			} else if n, ok := stepNames[a]; ok {
				out[a] = n
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

var valueRE = regexp.MustCompile(`:[A-Za-z0-9_]+`)

// valuesFor returns the values of pool that the given expressions use: DynamoDB
// refuses a whole request, transactions included, when a value goes unused.
func valuesFor(pool map[string]types.AttributeValue, exprs ...*string) map[string]types.AttributeValue {
	out := map[string]types.AttributeValue{}
	for _, e := range exprs {
		if e == nil {
			continue
		}
		for _, p := range valueRE.FindAllString(*e, -1) {
			if v, ok := pool[p]; ok {
				out[p] = v
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// scoped gives each update of a transaction the aliases (its own, or the
// provisioning aliases) and values its own expressions use, from pools shared by
// the transaction's items.
func scoped(items []types.TransactWriteItem) []types.TransactWriteItem {
	for _, it := range items {
		if u := it.Update; u != nil {
			u.ExpressionAttributeNames = namesFor(u.ExpressionAttributeNames, u.UpdateExpression, u.ConditionExpression)
			u.ExpressionAttributeValues = valuesFor(u.ExpressionAttributeValues, u.UpdateExpression, u.ConditionExpression)
		}
	}
	return items
}

func stepIndex(step string) (int, error) {
	for i, s := range ah.ProvisioningSteps {
		if s == step {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown provisioning step %q", step)
}

// UpdateStep writes one step's status if the identity is provisioning this attempt.
func (s *Store) UpdateStep(ctx context.Context, u ah.StepUpdate) error {
	const op = "dynamo.UpdateStep"
	i, err := stepIndex(u.Step)
	if err != nil {
		return ah.Internal(op, err)
	}
	p := fmt.Sprintf("#prov.#steps[%d]", i)
	inc := 0
	if u.CountAttempt {
		inc = 1
	}
	expr := "SET " + p + ".#st = :st, " + p + ".#attempts = " + p + ".#attempts + :inc, " + p + ".#err = :err, updatedAt = :now, updatedBy = :by, lastAction = :action"
	vals := map[string]types.AttributeValue{":st": str(u.Status), ":inc": num(inc), ":err": str(u.Error),
		":now": str(u.Now.Format(time.RFC3339Nano)), ":by": str(provisioningActor), ":action": str("identity.step." + u.Step + "." + u.Status),
		":attempt": num(u.Attempt), ":provisioning": str(string(ah.IdentityProvisioning)), ":active": str(string(ah.IdentityActive))}
	if u.Email != "" {
		expr += ", email = if_not_exists(email, :email)"
		vals[":email"] = str(u.Email)
	}
	if u.CredentialStatus != "" {
		expr += ", credentialStatus = :cs"
		vals[":cs"] = str(string(u.CredentialStatus))
	}
	if u.Profile != nil {
		pv, err := marshalList(*u.Profile)
		if err != nil {
			return ah.Internal(op, err)
		}
		expr += ", credentialProfile = :profile"
		vals[":profile"] = pv
	}
	cond := "#prov.#attempt = :attempt AND (#status = :provisioning OR #status = :active)"
	_, err = s.db.UpdateItem(ctx, &dynamodbUpdate{
		TableName: &s.table, Key: key(clientPK(u.AgencyID, u.ClientID), clientIdentitySK(u.IdentityID)),
		UpdateExpression:          aws.String(expr),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  namesFor(nil, &expr, &cond),
		ExpressionAttributeValues: vals,
	})
	if isConditionFailed(err) {
		return ah.ErrStaleAttempt
	}
	if err != nil {
		return mapErr(op, err)
	}
	return nil
}

// ActivateIdentity finishes provisioning in one transaction: the identity becomes
// active (its activate step done), the request provisioned (with history), and the
// client's platform entry provisioned. Repeating it after success is a no-op.
func (s *Store) ActivateIdentity(ctx context.Context, agencyID, clientID, identityID, requestID, platformID string, attempt int, now time.Time) error {
	const op = "dynamo.ActivateIdentity"
	pk := clientPK(agencyID, clientID)
	i, _ := stepIndex(ah.StepActivate)
	step := fmt.Sprintf("#prov.#steps[%d]", i)
	nowS := now.Format(time.RFC3339Nano)
	event, err := marshalList([]ah.RequestEvent{{At: now, By: provisioningActor, Action: "provisioned", Status: ah.RequestProvisioned}})
	if err != nil {
		return ah.Internal(op, err)
	}
	stamp := map[string]types.AttributeValue{":now": str(nowS), ":by": str(provisioningActor), ":action": str("identity.activate")}
	merge := func(m map[string]types.AttributeValue) map[string]types.AttributeValue {
		for k, v := range stamp {
			m[k] = v
		}
		return m
	}
	platformStatus := ah.ProvisioningProvisioned
	if requestID == "" {
		platformStatus = ah.ProvisioningAwaitingCredential
	}
	items := []types.TransactWriteItem{
		{Update: &types.Update{TableName: &s.table, Key: key(pk, clientIdentitySK(identityID)),
			UpdateExpression:         aws.String("SET #status = :active, " + step + ".#st = :done, " + step + ".#attempts = " + step + ".#attempts + :one, version = version + :one, updatedAt = :now, updatedBy = :by, lastAction = :action"),
			ConditionExpression:      aws.String("#prov.#attempt = :attempt AND #status = :provisioning"),
			ExpressionAttributeNames: stepNames,
			ExpressionAttributeValues: merge(map[string]types.AttributeValue{":active": str(string(ah.IdentityActive)), ":done": str(ah.StepDone),
				":one": num(1), ":attempt": num(attempt), ":provisioning": str(string(ah.IdentityProvisioning))})}},
		{Update: &types.Update{TableName: &s.table, Key: key(pk, clientPlatformSK(platformID)),
			UpdateExpression:          aws.String("SET provisioningStatus = :p, updatedAt = :now, updatedBy = :by, lastAction = :action"),
			ConditionExpression:       aws.String("attribute_exists(PK)"),
			ExpressionAttributeValues: merge(map[string]types.AttributeValue{":p": str(platformStatus)})}},
	}
	if requestID != "" {
		items = append(items, types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: key(pk, requestSK(requestID)),
			UpdateExpression:         aws.String("SET #status = :provisioned, GSI2PK = :gsi2, history = list_append(history, :event), version = version + :one, updatedAt = :now, updatedBy = :by, lastAction = :action"),
			ConditionExpression:      aws.String("#status = :approved"),
			ExpressionAttributeNames: map[string]string{"#status": "status"},
			ExpressionAttributeValues: merge(map[string]types.AttributeValue{":provisioned": str(string(ah.RequestProvisioned)), ":approved": str(string(ah.RequestApproved)),
				":gsi2": str(requestsGSI2PK(agencyID, clientID, string(ah.RequestProvisioned))), ":event": event, ":one": num(1)})}})
	}
	_, err = s.db.TransactWriteItems(ctx, &transactInput{TransactItems: scoped(items)})
	if err == nil {
		return nil
	}
	if isCancelled(err) {
		// Already active for this attempt (a redelivered step) is success.
		idn, gerr := s.GetClientIdentity(ctx, agencyID, clientID, identityID)
		if gerr == nil && idn.Status == ah.IdentityActive && idn.Provisioning.Attempt == attempt {
			return nil
		}
		return fmt.Errorf("%w (%s)", ah.ErrStaleAttempt, cancellationReasons(err))
	}
	return mapErr(op, err)
}

// MarkFailed records a failed step: the identity becomes failed, the client counts
// a failed identity (needs attention) and its platform entry shows failed. An
// identity already failed for this attempt is left as it is.
func (s *Store) MarkFailed(ctx context.Context, agencyID, clientID, identityID, platformID string, attempt int, step, errMsg string, now time.Time) error {
	const op = "dynamo.MarkFailed"
	pk := clientPK(agencyID, clientID)
	i, err := stepIndex(step)
	if err != nil {
		return ah.Internal(op, err)
	}
	sp := fmt.Sprintf("#prov.#steps[%d]", i)
	vals := map[string]types.AttributeValue{":now": str(now.Format(time.RFC3339Nano)), ":by": str(provisioningActor), ":action": str("identity.fail"), ":one": num(1)}
	with := func(m map[string]types.AttributeValue) map[string]types.AttributeValue {
		for k, v := range vals {
			m[k] = v
		}
		return m
	}
	_, err = s.db.TransactWriteItems(ctx, &transactInput{TransactItems: scoped([]types.TransactWriteItem{
		{Update: &types.Update{TableName: &s.table, Key: key(pk, clientIdentitySK(identityID)),
			UpdateExpression: aws.String("SET #status = :failed, " + sp + ".#st = :failedStep, " + sp + ".#err = :err, failedAt = :now, GSI3PK = :g3pk, GSI3SK = :g3sk, " +
				"version = version + :one, updatedAt = :now, updatedBy = :by, lastAction = :action REMOVE escalatedAt"),
			ConditionExpression:      aws.String("#prov.#attempt = :attempt AND #status = :provisioning"),
			ExpressionAttributeNames: stepNames,
			ExpressionAttributeValues: with(map[string]types.AttributeValue{":failed": str(string(ah.IdentityFailed)), ":failedStep": str(ah.StepFailed),
				":err": str(errMsg), ":attempt": num(attempt), ":provisioning": str(string(ah.IdentityProvisioning)),
				":g3pk": str(escalateGSI3PK(shardOf(identityID, sweepShards))), ":g3sk": str(timedGSI3SK(now, agencyID, clientID, identityID))})}},
		{Update: &types.Update{TableName: &s.table, Key: key(pk, clientSK),
			UpdateExpression:          aws.String("SET facts.failedIdentities = facts.failedIdentities + :one, version = version + :one, updatedAt = :now, updatedBy = :by, lastAction = :action"),
			ConditionExpression:       aws.String("attribute_exists(PK)"),
			ExpressionAttributeValues: with(map[string]types.AttributeValue{})}},
		{Update: &types.Update{TableName: &s.table, Key: key(pk, clientPlatformSK(platformID)),
			UpdateExpression:          aws.String("SET provisioningStatus = :p, updatedAt = :now, updatedBy = :by, lastAction = :action"),
			ConditionExpression:       aws.String("attribute_exists(PK)"),
			ExpressionAttributeValues: with(map[string]types.AttributeValue{":p": str(ah.ProvisioningFailed)})}},
	})})
	if isCancelled(err) {
		return nil // already failed (or moved on): nothing to record twice
	}
	if err != nil {
		return mapErr(op, err)
	}
	return nil
}

// RetryProvisioning starts a new attempt on a failed or stuck identity: the step
// it resumes at and those after it become pending again (done and skipped steps
// stay), the client's platform entry shows provisioning, and for a failed identity
// the client's failed-identity count drops. A stuck attempt is replaced only if it
// has not moved since it was read (same attempt, same last progress): its later
// writes then find a newer attempt and change nothing. The client must still take
// access (not offboarding), checked in the same transaction.
func (s *Store) RetryProvisioning(ctx context.Context, r ah.ProvisioningRetry) error {
	const op = "dynamo.RetryProvisioning"
	i := r.Identity
	pk := clientPK(i.AgencyID, i.ClientID)
	av, err := marshal(newClientIdentityItem(i))
	if err != nil {
		return ah.Internal(op, err)
	}
	stamp := func(m map[string]types.AttributeValue) map[string]types.AttributeValue {
		m[":now"], m[":by"], m[":action"] = str(r.Now.Format(time.RFC3339Nano)), str(r.Actor), str("identity.retry")
		return m
	}
	identity := &types.Put{TableName: &s.table, Item: av,
		ConditionExpression:       aws.String("version = :prev AND #status = :failed"),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":prev": num(r.PrevVersion), ":failed": str(string(ah.IdentityFailed))}}
	client := &types.Update{TableName: &s.table, Key: key(pk, clientSK),
		UpdateExpression:          aws.String("SET facts.failedIdentities = facts.failedIdentities - :one, version = version + :one, updatedAt = :now, updatedBy = :by, lastAction = :action"),
		ConditionExpression:       aws.String("facts.failedIdentities >= :one AND " + clientOpen),
		ExpressionAttributeValues: stamp(map[string]types.AttributeValue{":one": num(1), ":active": str(string(ah.ClientActive))})}
	var clientWrite types.TransactWriteItem
	if r.Stuck {
		identity.ConditionExpression = aws.String("version = :prev AND #status = :provisioning AND #prov.#attempt = :attempt AND updatedAt = :updated")
		identity.ExpressionAttributeNames = map[string]string{"#status": "status", "#prov": "provisioning", "#attempt": "attempt"}
		identity.ExpressionAttributeValues = map[string]types.AttributeValue{":prev": num(r.PrevVersion), ":provisioning": str(string(ah.IdentityProvisioning)),
			":attempt": num(r.PrevAttempt), ":updated": str(r.PrevUpdatedAt.Format(time.RFC3339Nano))}
		clientWrite = types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: &s.table, Key: key(pk, clientSK),
			ConditionExpression:       aws.String(clientOpen),
			ExpressionAttributeValues: map[string]types.AttributeValue{":active": str(string(ah.ClientActive))}}}
	} else {
		clientWrite = types.TransactWriteItem{Update: client}
	}
	return s.transact(ctx, op, nil,
		write{item: types.TransactWriteItem{Put: identity},
			onConditionFailed: ah.Conflict(ah.CodeVersionConflict, "the identity changed meanwhile (its provisioning moved, or it is no longer failed); read it again")},
		write{item: clientWrite, onConditionFailed: errAccessClosed},
		write{item: types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: key(pk, clientPlatformSK(i.PlatformID)),
			UpdateExpression:          aws.String("SET provisioningStatus = :p, updatedAt = :now, updatedBy = :by, lastAction = :action"),
			ExpressionAttributeValues: stamp(map[string]types.AttributeValue{":p": str(ah.ProvisioningInProgress)})}}},
	)
}

// ProvideCredential records a standard identity's credential and, in the same
// transaction, moves the approved requests that waited on it to provisioned and
// the client's platform entry to provisioned. A request or identity changed
// meanwhile fails the whole write (version_conflict).
func (s *Store) ProvideCredential(ctx context.Context, c ah.CredentialProvided) error {
	const op = "dynamo.ProvideCredential"
	if len(c.Requests) > ah.MaxWaitingRequests {
		return ah.Internal(op, fmt.Errorf("%d waiting requests in one write; at most %d", len(c.Requests), ah.MaxWaitingRequests))
	}
	i := c.Identity
	av, err := marshal(newClientIdentityItem(i))
	if err != nil {
		return ah.Internal(op, err)
	}
	changed := ah.Conflict(ah.CodeVersionConflict, "the identity or a request waiting on it changed meanwhile; read it again")
	writes := []write{putVersioned(s.table, av, c.PrevVersion, changed)}
	for _, r := range c.Requests {
		rv, err := marshal(newRequestItem(r))
		if err != nil {
			return ah.Internal(op, err)
		}
		writes = append(writes, write{item: types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: rv,
			ConditionExpression:       aws.String("version = :prev AND #status = :approved"),
			ExpressionAttributeNames:  map[string]string{"#status": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":prev": num(r.Version - 1), ":approved": str(string(ah.RequestApproved))}}},
			onConditionFailed: changed})
	}
	writes = append(writes, write{item: types.TransactWriteItem{Update: &types.Update{TableName: &s.table,
		Key:                       key(clientPK(i.AgencyID, i.ClientID), clientPlatformSK(i.PlatformID)),
		UpdateExpression:          aws.String("SET provisioningStatus = :p, updatedAt = :now, updatedBy = :by, lastAction = :action"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": str(ah.ProvisioningProvisioned), ":now": str(i.UpdatedAt.Format(time.RFC3339Nano)), ":by": str(i.UpdatedBy), ":action": str(i.LastAction)}}},
		onConditionFailed: changed})
	return s.transact(ctx, op, nil, writes...)
}

// DueEscalations calls fn for every failed identity not yet escalated that failed
// before failedBefore (the sparse GSI3: only failed identities are in it).
func (s *Store) DueEscalations(ctx context.Context, failedBefore time.Time, fn func(ah.ClientIdentity) error) error {
	return eachDue(ctx, s, "dynamo.DueEscalations", escalateGSI3PK, failedBefore, func(it clientIdentityItem) error { return fn(it.ClientIdentity) })
}

// MarkEscalated records the escalation of an identity's failed attempt and takes
// it out of the escalation index, once: an identity retried, deactivated or
// escalated meanwhile is left alone (false).
func (s *Store) MarkEscalated(ctx context.Context, i ah.ClientIdentity, now time.Time) (bool, error) {
	_, err := s.db.UpdateItem(ctx, &dynamodbUpdate{TableName: &s.table, Key: key(clientPK(i.AgencyID, i.ClientID), clientIdentitySK(i.ID)),
		UpdateExpression:         aws.String("SET escalatedAt = :now, version = version + :one, updatedAt = :now, updatedBy = :by, lastAction = :action REMOVE GSI3PK, GSI3SK"),
		ConditionExpression:      aws.String("#status = :failed AND #prov.#attempt = :attempt AND attribute_not_exists(escalatedAt)"),
		ExpressionAttributeNames: map[string]string{"#status": "status", "#prov": "provisioning", "#attempt": "attempt"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": str(now.Format(time.RFC3339Nano)), ":one": num(1), ":by": str("system:escalation"),
			":action": str("identity.escalate"), ":failed": str(string(ah.IdentityFailed)), ":attempt": num(i.Provisioning.Attempt)}})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, mapErr("dynamo.MarkEscalated", err)
	}
	return true, nil
}
