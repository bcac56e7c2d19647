package dynamo

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
)

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

// memberClientsGSI1PK lists the clients a member is on the team of (team items).
func memberClientsGSI1PK(agencyID, memberID string) string {
	return "AGENCY" + sep + agencyID + sep + "MEMBER" + sep + memberID + sep + "CLIENTS"
}

// platformClientsGSI1PK lists the clients a platform is configured for.
func platformClientsGSI1PK(agencyID, platformID string) string {
	return "AGENCY" + sep + agencyID + sep + "PLATFORM" + sep + platformID + sep + "CLIENTS"
}

func clientGSI1SK(clientID string) string { return "CLIENT" + sep + clientID }
