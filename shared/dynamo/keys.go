package dynamo

import "time"

// Every key string in the table is built here and nowhere else. The layout and the
// access pattern each key serves are listed in docs/access-patterns.md.

const sep = "#"

// Item type names, stored in the "type" attribute.
const (
	typeAgency        = "agency"
	typeMember        = "member"
	typeEmailGuard    = "email_guard"
	typeSubjectGuard  = "subject_guard"
	typePlatform      = "platform"
	typePolicy        = "security_policy"
	typeIdentity      = "identity"
	typeIdentityGuard = "platform_identity_guard"
	typeIdempotency   = "idempotency"
)

// Index names, as declared in template.yaml.
const (
	indexGSI1 = "GSI1"
)

func agencyPK(agencyID string) string { return "AGENCY" + sep + agencyID }

const agencySK = "AGENCY"

const memberPrefix = "MEMBER" + sep

func memberSK(memberID string) string { return memberPrefix + memberID }

func emailGuardPK(email string) string { return "EMAIL" + sep + email }

const emailGuardSK = "EMAIL"

func subjectKey(subject string) string { return "SUBJECT" + sep + subject }

const subjectGuardSK = "SUBJECT"

// memberGSI1SK is the sort key of a member on GSI1 (looked up by subject).
const memberGSI1SK = "MEMBER"

const platformPrefix = "PLATFORM" + sep

func platformSK(platformID string) string { return platformPrefix + platformID }

const policyPrefix = "SECPOLICY" + sep

func policySK(policyID string) string { return policyPrefix + policyID }

const identityPrefix = "IDENTITY" + sep

func identitySK(identityID string) string { return identityPrefix + identityID }

func platformIdentityGuardSK(platformID string) string {
	return "GUARD" + sep + "PLATFORM_IDENTITY" + sep + platformID
}

func idempotencyPK(agencyID, memberID, key string) string {
	return "IDEMPOTENCY" + sep + agencyID + sep + memberID + sep + key
}

const idempotencySK = "IDEMPOTENCY"

// ownerCounterSK is the item counting an agency's enabled owners, so the last one
// can never be demoted or disabled.
const ownerCounterSK = "COUNTER" + sep + "OWNERS"

const typeCounter = "counter"

// Client partition: the client item and its detail items share one partition, all
// with sort keys under "CLIENT", so the client detail is one Query.
const (
	typeClient         = "client"
	typeContact        = "client_contact"
	typeIdentityLink   = "client_identity_link"
	typeReminder       = "reminder"
	typeReview         = "review_campaign"
	typeTeam           = "client_team"
	typeClientPlatform = "client_platform"
	typeClientNameGrd  = "client_name_guard"
	indexGSI2          = "GSI2"
)

func clientPK(agencyID, clientID string) string {
	return "AGENCY" + sep + agencyID + sep + "CLIENT" + sep + clientID
}

const (
	clientSK            = "CLIENT"
	clientDetailPrefix  = "CLIENT"
	clientContactPrefix = "CLIENT" + sep + "CONTACT" + sep
	clientTeamPrefix    = "CLIENT" + sep + "TEAM" + sep
	clientPlatformPrfx  = "CLIENT" + sep + "PLATFORM" + sep
	clientLinkPrefix    = "CLIENT" + sep + "LINK" + sep
)

func clientLinkSK(identityID string) string { return clientLinkPrefix + identityID }

func clientContactSK(contactID string) string   { return clientContactPrefix + contactID }
func clientTeamSK(memberID string) string       { return clientTeamPrefix + memberID }
func clientPlatformSK(platformID string) string { return clientPlatformPrfx + platformID }

// clientNameGuardSK claims a client name (lowercased) within an agency.
func clientNameGuardSK(lowerName string) string {
	return "GUARD" + sep + "CLIENT_NAME" + sep + lowerName
}

// clientsGSI2PK lists an agency's clients of one lifecycle, sorted by clientsGSI2SK.
func clientsGSI2PK(agencyID, lifecycle string) string {
	return "AGENCY" + sep + agencyID + sep + "CLIENTS" + sep + lifecycle
}

func clientsGSI2SK(lowerName, clientID string) string { return lowerName + sep + clientID }

// platformClientsGSI1PK lists the clients a platform is configured for.
func platformClientsGSI1PK(agencyID, platformID string) string {
	return "AGENCY" + sep + agencyID + sep + "PLATFORM" + sep + platformID + sep + "CLIENTS"
}

func clientGSI1SK(clientID string) string { return "CLIENT" + sep + clientID }

// Access requests and client-dedicated identities live in the client partition.
const (
	typeRequest        = "access_request"
	typePendingGuard   = "pending_request_guard"
	typeClientIdentity = "client_identity"
	typeClientIdGuard  = "client_identity_guard"
	indexGSI3          = "GSI3"
	requestPrefix      = "REQUEST" + sep
	clientIdentityPrfx = "IDENTITY" + sep
	// sweepShards spreads each time-keyed GSI3 partition (pending requests, grant
	// ends, end notices) over this many partitions, so none gets hot.
	sweepShards = 4
)

func requestSK(requestID string) string { return requestPrefix + requestID }

// requestsGSI2PK lists a client's requests of one status in creation order.
func requestsGSI2PK(agencyID, clientID, status string) string {
	return clientPK(agencyID, clientID) + sep + "REQUESTS" + sep + status
}

// requesterGSI1PK lists a member's requests (client users see only their own).
func requesterGSI1PK(agencyID, memberID string) string {
	return "AGENCY" + sep + agencyID + sep + "MEMBER" + sep + memberID + sep + "REQUESTS"
}

func requesterGSI1SK(clientID, createdAt, requestID string) string {
	return requesterGSI1Prefix(clientID) + createdAt + sep + requestID
}

func requesterGSI1Prefix(clientID string) string { return "CLIENT" + sep + clientID + sep }

// pendingGSI3PK is the sparse expiry index's shard of a pending request.
func pendingGSI3PK(shard int) string { return "PENDING" + sep + itoa(shard) }

func pendingGSI3SK(expiresAt, agencyID, clientID, requestID string) string {
	return expiresAt + sep + agencyID + sep + clientID + sep + requestID
}

// pendingGuardSK allows one pending request per client, platform and requester;
// the guard carries the request in brief.
func pendingGuardSK(platformID, requesterID string) string {
	return pendingGuardPrefix + platformID + sep + requesterID
}

const pendingGuardPrefix = "GUARD" + sep + "PENDING_REQUEST" + sep

func clientIdentitySK(identityID string) string { return clientIdentityPrfx + identityID }

// clientIdentityGuardSK allows one client-dedicated identity per client and platform.
func clientIdentityGuardSK(platformID string) string {
	return "GUARD" + sep + "CLIENT_IDENTITY" + sep + platformID
}

const typeNotification = "notification"

// notificationsPK holds one member's notifications, sorted by time.
func notificationsPK(agencyID, memberID string) string {
	return "AGENCY" + sep + agencyID + sep + "MEMBER" + sep + memberID + sep + "NOTIFICATIONS"
}

func notificationSK(createdAt, id string) string { return createdAt + sep + id }

// sortableTime formats a time for sort keys: UTC, fixed width (nanoseconds always
// nine digits), so lexical order is time order. RFC 3339 with variable fractions
// is not ("…09.8Z" sorts after "…09.807Z").
func sortableTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// Governance: agency policies and role templates in the agency partition; live
// grants in the client partition (under "CLIENT", so the client detail Query
// brings them); the end of a time-bound grant and the notice before it on the
// sparse GSI3, beside pending requests.
const (
	typeGovPolicy    = "governance_policy"
	typeRoleTemplate = "role_template"
	typeGrant        = "access_grant"
	govPolicyPrefix  = "GOVPOLICY" + sep
	templatePrefix   = "ROLETEMPLATE" + sep
	clientGrantPrefx = "CLIENT" + sep + "GRANT" + sep
)

func govPolicySK(policyID string) string      { return govPolicyPrefix + policyID }
func roleTemplateSK(templateID string) string { return templatePrefix + templateID }
func grantSK(requestID string) string         { return clientGrantPrefx + requestID }

// grantEndGSI3PK is the sparse index shard of a live grant that ends.
func grantEndGSI3PK(shard int) string { return "GRANTEND" + sep + itoa(shard) }

// grantNoticeGSI3PK is the sparse index shard of a granted request whose requester
// is still to be told its access ends soon.
func grantNoticeGSI3PK(shard int) string { return "GRANTNOTICE" + sep + itoa(shard) }

// reminderSK is a planned reviewer reminder of a pending request, in the client's
// partition outside every detail, access and request range.
func reminderSK(requestID string, lead int) string {
	return "SWEEP" + sep + "REMIND" + sep + requestID + sep + itoa(lead)
}

// remindGSI3PK is the sparse index shard of planned reviewer reminders.
func remindGSI3PK(shard int) string { return "REMIND" + sep + itoa(shard) }

// reviewSK is an access review campaign in the client's partition (after every
// request, outside the detail and access ranges).
func reviewSK(reviewID string) string { return reviewPrefix + reviewID }

const reviewPrefix = "REVIEW" + sep

// reviewDueGSI3PK is the sparse index shard of clients whose next review is due.
func reviewDueGSI3PK(shard int) string { return "REVIEWDUE" + sep + itoa(shard) }

// reviewDeadlineGSI3PK is the sparse index shard of open campaigns by deadline.
func reviewDeadlineGSI3PK(shard int) string { return "REVIEWDEADLINE" + sep + itoa(shard) }

// escalateGSI3PK is the sparse index shard of a failed identity not yet escalated.
func escalateGSI3PK(shard int) string { return "ESCALATE" + sep + itoa(shard) }

// timedGSI3SK orders a time-keyed GSI3 entry by its time, then names its item.
func timedGSI3SK(at time.Time, agencyID, clientID, requestID string) string {
	return sortableTime(at) + sep + agencyID + sep + clientID + sep + requestID
}

// The audit table (AuditTable): a client's entries share its partition, an
// agency's entries outside any client its own; GSI1 holds every entry of an agency.
// The sort key is the change's time (fixed width) and the stream record's id.
func auditClientPK(agencyID, clientID string) string { return clientPK(agencyID, clientID) }
func auditAgencyPK(agencyID string) string           { return agencyPK(agencyID) }
func auditSK(at time.Time, eventID string) string    { return sortableTime(at) + sep + eventID }
