package accesshive

import (
	"context"
	"strings"
	"time"
)

// SCIM: an agency's identity provider creates, updates, deactivates and deletes
// its staff (RFC 7643/7644). The provider authenticates with a bearer token the
// agency's owner issues (stored hashed); its groups map to agency roles by
// display name. Owners and client users are never managed by SCIM.

// SCIMActor is who the audit trail names for what the identity provider changes.
const SCIMActor = "system:scim"

// SCIMConfig is an agency's SCIM connection.
type SCIMConfig struct {
	AgencyID string `json:"agencyId"`
	// Enabled: a token has been issued (and SCIM not disabled since).
	Enabled bool `json:"enabled"`
	// TokenHint is the token's last four characters, to tell tokens apart.
	TokenHint     string     `json:"tokenHint,omitempty"`
	TokenIssuedAt *time.Time `json:"tokenIssuedAt,omitempty"`
	TokenIssuedBy string     `json:"tokenIssuedBy,omitempty"`
	// GroupRoles maps a SCIM group's display name to the role its members get.
	// A member in several mapped groups gets the most privileged role; in none,
	// DefaultRole.
	GroupRoles  map[string]Role `json:"groupRoles"`
	DefaultRole Role            `json:"defaultRole"`
	Meta
}

// SCIMToken is a newly issued token: shown once.
type SCIMToken struct {
	SCIMConfig
	Token string `json:"token"`
	// BaseURL is the path of the SCIM service under the API's address.
	BaseURL string `json:"baseUrl"`
}

// SCIMBasePath is where the SCIM service answers.
const SCIMBasePath = "/scim/v2"

// SCIMConfigInput sets the group mapping.
type SCIMConfigInput struct {
	GroupRoles  map[string]Role `json:"groupRoles"`
	DefaultRole Role            `json:"defaultRole"`
}

// scimAssignable are the roles SCIM may give: never owner, never client_user.
func scimAssignable(r Role) bool {
	return r == RoleAdmin || r == RoleClientManager || r == RoleMember || r == RoleAuditor
}

// Validate checks the mapping.
func (in SCIMConfigInput) Validate() error {
	var v Validation
	if len(in.GroupRoles) > 50 {
		v.Add("groupRoles", FieldOutRange, "groupRoles may map at most 50 groups")
	}
	for name, role := range in.GroupRoles {
		if Blank(name) || len([]rune(name)) > 256 || TextProblem(name, false) != "" {
			v.Add("groupRoles", FieldInvalid, "group names must be 1 to 256 visible characters")
			break
		}
		if !scimAssignable(role) {
			v.Add("groupRoles."+clip(name, 40), FieldUnknown, "a group maps to admin, client_manager, member or auditor (owners are never given by the identity provider)")
		}
	}
	if in.DefaultRole != "" && !scimAssignable(in.DefaultRole) {
		v.Add("defaultRole", FieldUnknown, "defaultRole must be admin, client_manager, member or auditor")
	}
	return v.Err()
}

// RoleFor is the role a member in the given groups (display names) gets.
func (c SCIMConfig) RoleFor(groups []string) Role {
	best := -1
	for _, g := range groups {
		r, ok := c.GroupRoles[g]
		if !ok {
			continue
		}
		for i, known := range AllRoles {
			if known == r && (best < 0 || i < best) {
				best = i
			}
		}
	}
	if best >= 0 {
		return AllRoles[best]
	}
	if c.DefaultRole != "" {
		return c.DefaultRole
	}
	return RoleMember
}

// SCIMUserInput is a SCIM User as AccessHive keeps it.
type SCIMUserInput struct {
	UserName    string
	GivenName   string
	FamilyName  string
	Formatted   string
	DisplayName string
	ExternalID  string
	Active      bool
}

// Name is the member's name from what the provider sent.
func (u SCIMUserInput) Name() string {
	for _, n := range []string{u.DisplayName, u.Formatted, strings.TrimSpace(u.GivenName + " " + u.FamilyName)} {
		if strings.TrimSpace(n) != "" {
			return strings.TrimSpace(n)
		}
	}
	return u.UserName
}

// Validate checks a user: userName is the member's email.
func (u SCIMUserInput) Validate() error {
	var v Validation
	checkEmail(&v, "userName", u.UserName)
	checkText(&v, "name", u.Name(), true, 120)
	checkText(&v, "externalId", u.ExternalID, false, 256)
	return v.Err()
}

// SCIMGroup is a group the identity provider pushes.
type SCIMGroup struct {
	ID          string   `json:"id"`
	AgencyID    string   `json:"agencyId"`
	DisplayName string   `json:"displayName"`
	ExternalID  string   `json:"externalId,omitempty"`
	Members     []string `json:"members"`
	Meta
}

// SCIMGroupInput is a group as the provider sends it.
type SCIMGroupInput struct {
	DisplayName string
	ExternalID  string
	Members     []string
}

// Validate checks a group.
func (g SCIMGroupInput) Validate() error {
	var v Validation
	checkText(&v, "displayName", g.DisplayName, true, 256)
	checkText(&v, "externalId", g.ExternalID, false, 256)
	if len(g.Members) > 1000 {
		v.Add("members", FieldOutRange, "a group has at most 1000 members here")
	}
	return v.Err()
}

// MemberChange is one member's versioned write in a larger transaction.
type MemberChange struct {
	Member      Member
	PrevVersion int
}

// SCIMStore keeps the SCIM connection and groups.
type SCIMStore interface {
	GetSCIMConfig(ctx context.Context, agencyID string) (SCIMConfig, error)
	// PutSCIMConfig writes the config (version prevVersion; 0 for a new one);
	// tokenHash, when set, becomes the one token that authenticates.
	PutSCIMConfig(ctx context.Context, c SCIMConfig, tokenHash string, prevVersion int) error
	DeleteSCIMConfig(ctx context.Context, agencyID string) error
	// AgencyBySCIMToken finds the agency a token hash belongs to (NotFound).
	AgencyBySCIMToken(ctx context.Context, tokenHash string) (string, error)
	GetSCIMGroup(ctx context.Context, agencyID, groupID string) (SCIMGroup, error)
	ListSCIMGroups(ctx context.Context, agencyID string) ([]SCIMGroup, error)
	// SaveSCIMGroup writes a group (prevVersion 0: new) and its members' role
	// changes in one transaction; deleted removes it instead.
	SaveSCIMGroup(ctx context.Context, g SCIMGroup, prevVersion int, deleted bool, members []MemberChange) error
}
