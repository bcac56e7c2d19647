package accesshive

// Role is an agency-level role. Client users are bound to one client.
type Role string

// The roles a principal can hold.
const (
	RoleOwner         Role = "agency_owner"
	RoleAdmin         Role = "admin"
	RoleClientManager Role = "client_manager"
	RoleMember        Role = "member"
	// RoleAuditor reads every client's Activity, the agency audit search and
	// Effective Access, and nothing else: no credentials, no changes.
	RoleAuditor    Role = "auditor"
	RoleClientUser Role = "client_user"
)

// AllRoles lists every role, most privileged first.
var AllRoles = []Role{RoleOwner, RoleAdmin, RoleClientManager, RoleMember, RoleAuditor, RoleClientUser}

// AgencyRoles are the roles of agency staff who work on clients (every role but
// the auditor and client_user).
var AgencyRoles = []Role{RoleOwner, RoleAdmin, RoleClientManager, RoleMember}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, known := range AllRoles {
		if r == known {
			return true
		}
	}
	return false
}

// IsAgencyRole reports whether r is a role of agency staff.
func (r Role) IsAgencyRole() bool { return r.Valid() && r != RoleClientUser }

// CanManageRole reports whether a principal with role r may create, change or disable
// a member holding target (and assign target to someone). Owners manage everyone;
// admins manage everyone below admin. Nobody else manages members.
func (r Role) CanManageRole(target Role) bool {
	switch r {
	case RoleOwner:
		return true
	case RoleAdmin:
		return target == RoleClientManager || target == RoleMember || target == RoleAuditor || target == RoleClientUser
	}
	return false
}

// Principal is the authenticated caller: a member of exactly one agency.
type Principal struct {
	AgencyID string `json:"agencyId"`
	MemberID string `json:"memberId"`
	Subject  string `json:"subject"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     Role   `json:"role"`
	ClientID string `json:"clientId,omitempty"`
	// Teams are the clients whose team the principal is on, with their team role.
	Teams map[string]TeamRole `json:"teams,omitempty"`
}

// SeesAllClients reports whether the principal sees every client of the agency
// (owners and admins); other staff see the clients whose team they are on.
func (p Principal) SeesAllClients() bool { return p.Is(RoleOwner, RoleAdmin) }

// SeesClient reports whether the principal may see a client: owners and admins
// every client, other staff the clients whose team they are on. Client users see
// no client's staff views.
func (p Principal) SeesClient(clientID string) bool {
	return p.SeesAllClients() || p.Audits() || (p.Role.IsAgencyRole() && p.TeamRole(clientID) != "")
}

// Audits reports whether the principal is an auditor: every client's trail and
// effective access to read (the route table keeps them from everything else).
func (p Principal) Audits() bool { return p.Role == RoleAuditor }

// HasIdentityAccess reports whether the principal may see a client's dedicated
// identities and their credentials' bookkeeping: owners and admins, and team
// members whose team role includes identity access (manager, operator).
func (p Principal) HasIdentityAccess(clientID string) bool {
	return p.SeesAllClients() || (p.Role.IsAgencyRole() && p.TeamRole(clientID).IdentityAccess())
}

// ManagesClient reports whether the principal may take a client's gravest
// decisions (offboarding): owners and admins, and a client manager who is on the
// client's team with the manager role.
func (p Principal) ManagesClient(clientID string) bool {
	return p.SeesAllClients() || (p.Role == RoleClientManager && p.TeamRole(clientID) == TeamManager)
}

// AuditIdentityTypes are the audit entry types that describe a client's
// dedicated identities (their email, status, provisioning, credential reveals and
// rotations): read with identity access only, like the Identities tab.
var AuditIdentityTypes = []string{"client_identity", "client_identity_guard", "client_identity_link"}

// MaySeeAuditEntry is the one rule for who may read an audit entry: the rule of
// the resource it describes. An entry of a client is read by those who see the
// client, an identity's only with identity access on it; an agency entry (no
// client) by owners and admins.
func (p Principal) MaySeeAuditEntry(e AuditEntry) bool {
	if p.Audits() {
		return true
	}
	if e.ClientID == "" {
		return p.SeesAllClients()
	}
	if !p.SeesClient(e.ClientID) {
		return false
	}
	for _, t := range AuditIdentityTypes {
		if e.EntityType == t {
			return p.HasIdentityAccess(e.ClientID)
		}
	}
	return true
}

// AuditExclusions are the entry types a principal may not see on a client's
// trail, for the store to leave out of the page it reads.
func (p Principal) AuditExclusions(clientID string) []string {
	if p.HasIdentityAccess(clientID) || p.Audits() {
		return nil
	}
	return AuditIdentityTypes
}

// TeamRole is the principal's team role on a client, "" when not on its team.
func (p Principal) TeamRole(clientID string) TeamRole { return p.Teams[clientID] }

// Is reports whether the principal holds one of roles.
func (p Principal) Is(roles ...Role) bool {
	for _, r := range roles {
		if p.Role == r {
			return true
		}
	}
	return false
}
