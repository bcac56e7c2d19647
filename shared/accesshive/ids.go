package accesshive

import "strings"

// Id prefixes: every id AccessHive mints is a prefix, "_" and a lowercase ULID.
const (
	PrefixAgency           = "agy"
	PrefixClient           = "cli"
	PrefixContact          = "con"
	PrefixGovernancePolicy = "gov"
	PrefixIdentity         = "idn"
	PrefixMember           = "mbr"
	PrefixPlatform         = "plt"
	PrefixSecurityPolicy   = "pol"
	PrefixRequest          = "req"
	PrefixRoleTemplate     = "rtp"
)

// ulidLength is the length of a ULID in Crockford base32.
const ulidLength = 26

// ValidID reports whether id has the shape of an id AccessHive minted with prefix:
// the prefix, "_", then 26 characters of lowercase Crockford base32. Checking the
// shape at the edge keeps what cannot be an id (too long for a DynamoDB key, other
// characters) from ever reaching the store: it is simply not found.
func ValidID(prefix, id string) bool {
	rest, ok := strings.CutPrefix(id, prefix+"_")
	if !ok || len(rest) != ulidLength {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z') || c == 'i' || c == 'l' || c == 'o' || c == 'u' {
			return false
		}
	}
	return true
}

// IDPrefixOf names the prefix of the ids a request field holds, by its name
// ("platformId", "memberIds", "defaultSecurityPolicyId"; "policyId" is a
// governance policy's, as in policy assignments); "" for names that hold no id of
// AccessHive's.
func IDPrefixOf(name string) string {
	switch strings.TrimSuffix(name, "s") {
	case "clientId":
		return PrefixClient
	case "platformId":
		return PrefixPlatform
	case "identityId":
		return PrefixIdentity
	case "requestId":
		return PrefixRequest
	case "memberId", "requesterId":
		return PrefixMember
	case "securityPolicyId", "defaultSecurityPolicyId":
		return PrefixSecurityPolicy
	case "governancePolicyId", "defaultGovernancePolicyId", "policyId":
		return PrefixGovernancePolicy
	case "roleTemplateId", "templateId":
		return PrefixRoleTemplate
	case "agencyId":
		return PrefixAgency
	}
	return ""
}
