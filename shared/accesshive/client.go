package accesshive

import (
	"regexp"
	"strings"
	"time"
)

// ClientLifecycle is whether a client is served or archived (offboarded).
type ClientLifecycle string

// Client lifecycles; the list filters on them (?status=active|archived).
const (
	ClientActive   ClientLifecycle = "active"
	ClientArchived ClientLifecycle = "archived"
)

// ClientStatus is the operational state the client dashboard shows.
type ClientStatus string

// Client statuses.
const (
	ClientOnboarding     ClientStatus = "onboarding"      // checklist items remain
	ClientHealthy        ClientStatus = "healthy"         // all access items operational
	ClientNeedsAttention ClientStatus = "needs_attention" // admin action needed (reasons listed)
	ClientStatusArchived ClientStatus = "archived"        // offboarded
)

// TeamRole is a member's role on one client's team.
type TeamRole string

// Team roles. Managers and operators have identity access; viewers do not.
const (
	TeamManager  TeamRole = "manager"
	TeamOperator TeamRole = "operator"
	TeamViewer   TeamRole = "viewer"
)

// Valid reports whether r is a known team role.
func (r TeamRole) Valid() bool { return r == TeamManager || r == TeamOperator || r == TeamViewer }

// IdentityAccess reports whether the team role may see the client's identities.
func (r TeamRole) IdentityAccess() bool { return r == TeamManager || r == TeamOperator }

// ContactKind is a technical or business contact.
type ContactKind string

// Contact kinds.
const (
	ContactTechnical ContactKind = "technical"
	ContactBusiness  ContactKind = "business"
)

// Regions a client's primary region can be (data residency and compliance scope).
var Regions = []string{"us", "ca", "latam", "eu", "uk", "mea", "apac", "anz"}

// Industries a client can be classified in.
var Industries = []string{"automotive", "consumer_goods", "ecommerce", "education", "finance", "healthcare",
	"hospitality", "manufacturing", "media", "nonprofit", "professional_services", "public_sector",
	"real_estate", "retail", "technology", "travel", "other"}

// Limits of what one client create may carry (one transaction).
const (
	MaxContactsOnCreate = 10
	MaxTeamOnCreate     = 30
)

// Contact is a person at the client who receives notifications and escalations.
type Contact struct {
	ID    string      `json:"id"`
	Kind  ContactKind `json:"kind"`
	Name  string      `json:"name"`
	Email string      `json:"email"`
	Phone string      `json:"phone,omitempty"`
}

// TeamAssignment puts an agency member on a client's team with a team role.
type TeamAssignment struct {
	MemberID       string    `json:"memberId"`
	Role           TeamRole  `json:"role"`
	IdentityAccess bool      `json:"identityAccess"`
	AssignedAt     time.Time `json:"assignedAt"`
	AssignedBy     string    `json:"assignedBy"`
	// Group is the team group the assignment comes from ("" when direct).
	Group string `json:"group,omitempty"`
}

// ClientPlatform is a platform configured for a client.
type ClientPlatform struct {
	PlatformID         string         `json:"platformId"`
	Name               string         `json:"name"`
	Kind               PlatformKind   `json:"kind"`
	PlatformStatus     PlatformStatus `json:"platformStatus"`
	ProvisioningStatus string         `json:"provisioningStatus"`
	PendingRequests    int            `json:"pendingRequests"`
	AddedAt            time.Time      `json:"addedAt"`
	AddedBy            string         `json:"addedBy"`
}

// Provisioning statuses of a client platform.
const (
	ProvisioningNotStarted  = "not_started"
	ProvisioningInProgress  = "provisioning"
	ProvisioningProvisioned = "provisioned"
	ProvisioningFailed      = "failed"
	// ProvisioningAwaitingCredential: the platform's standard identity is set up
	// and waits for an admin to supply its credential.
	ProvisioningAwaitingCredential = "awaiting_credential"
)

// ClientFacts are the stored facts a client's status is computed from. Every write
// that changes one updates it in the same transaction, so reading a status never
// needs another query.
type ClientFacts struct {
	TechnicalContacts int                       `json:"technicalContacts"`
	BusinessContacts  int                       `json:"businessContacts"`
	TeamMembers       int                       `json:"teamMembers"`
	Platforms         int                       `json:"platforms"`
	PlatformHealth    map[string]PlatformStatus `json:"platformHealth"`
	FailedIdentities  int                       `json:"failedIdentities"`
	// NonCompliantIdentities counts the active identities whose credential does
	// not meet the client's security policy as last evaluated.
	NonCompliantIdentities int `json:"nonCompliantIdentities"`
	// Policy is the client's security policy as last evaluated (id, version,
	// password rules), so its tabs judge compliance without reading the policy.
	Policy *PolicySnapshot `json:"policy,omitempty"`
	// AccessEnds holds the end time of each live time-bound grant (by request id);
	// a grant past its end that is still here has expired but is not yet revoked.
	AccessEnds map[string]time.Time `json:"accessEnds,omitempty"`
}

// Client is an agency's customer account.
type Client struct {
	ID               string          `json:"id"`
	AgencyID         string          `json:"agencyId"`
	Name             string          `json:"name"`
	Description      string          `json:"description,omitempty"`
	Industry         string          `json:"industry"`
	Region           string          `json:"region"`
	Timezone         string          `json:"timezone"`
	SecurityPolicyID string          `json:"securityPolicyId"`
	Lifecycle        ClientLifecycle `json:"lifecycle"`
	Offboarding      *Offboarding    `json:"offboarding,omitempty"`
	// NextReviewAt is when the next access review opens (compliance
	// accessReviewEveryDays; nil: none).
	NextReviewAt *time.Time  `json:"nextReviewAt,omitempty"`
	Facts        ClientFacts `json:"-"`
	// Governance is stored with the client (the Governance tab shows it).
	Governance ClientGovernance `json:"-"`
	Meta
}

// ChecklistItem is one onboarding step and whether it is done.
type ChecklistItem struct {
	Item  string `json:"item"`
	Label string `json:"label"`
	Done  bool   `json:"done"`
}

// AttentionReason is why a client needs attention.
type AttentionReason struct {
	Reason     string `json:"reason"`
	Detail     string `json:"detail"`
	PlatformID string `json:"platformId,omitempty"`
	Count      int    `json:"count,omitempty"`
}

// Checklist returns the onboarding checklist computed from stored facts.
func (c Client) Checklist() []ChecklistItem {
	f := c.Facts
	return []ChecklistItem{
		{"technical_contact", "Add a technical contact", f.TechnicalContacts > 0},
		{"business_contact", "Add a business contact", f.BusinessContacts > 0},
		{"team", "Assign at least one team member", f.TeamMembers > 0},
		{"platform", "Configure at least one platform", f.Platforms > 0},
		{"security_policy", "Choose a security policy", c.SecurityPolicyID != ""},
	}
}

// Attention returns the reasons the client needs admin action, in a stable order.
func (c Client) Attention(now time.Time) []AttentionReason {
	var out []AttentionReason
	if n := c.Facts.FailedIdentities; n > 0 {
		out = append(out, AttentionReason{Reason: "failed_provisioning", Detail: "identity provisioning failed; retry it from the identity", Count: n})
	}
	if n := c.Facts.NonCompliantIdentities; n > 0 {
		out = append(out, AttentionReason{Reason: "noncompliant_identities", Detail: "identities' credentials do not meet the client's security policy; rotate or replace them", Count: n})
	}
	if n := c.ExpiredAccess(now); n > 0 {
		out = append(out, AttentionReason{Reason: "expired_access", Detail: "access has passed its end time but is not yet revoked; the expiry sweep revokes it, or revoke it from the request", Count: n})
	}
	ids := make([]string, 0, len(c.Facts.PlatformHealth))
	for id := range c.Facts.PlatformHealth {
		ids = append(ids, id)
	}
	sortStrings(ids)
	for _, id := range ids {
		if s := c.Facts.PlatformHealth[id]; s != PlatformOperational {
			out = append(out, AttentionReason{Reason: "platform_not_operational", PlatformID: id,
				Detail: "a configured platform is " + string(s) + "; check Settings > Platforms"})
		}
	}
	return out
}

// ExpiredAccess counts live grants whose end time is not after now.
func (c Client) ExpiredAccess(now time.Time) int {
	n := 0
	for _, end := range c.Facts.AccessEnds {
		if !end.After(now) {
			n++
		}
	}
	return n
}

// Status computes the client's status from stored facts as of now.
func (c Client) Status(now time.Time) ClientStatus {
	if c.Lifecycle == ClientArchived {
		return ClientStatusArchived
	}
	if len(c.Attention(now)) > 0 {
		return ClientNeedsAttention
	}
	for _, item := range c.Checklist() {
		if !item.Done {
			return ClientOnboarding
		}
	}
	return ClientHealthy
}

// ClientView is a client as the API shows it: status, checklist and reasons
// computed, and (on the detail route) its contacts, team and platforms.
type ClientView struct {
	Client
	Status    ClientStatus      `json:"status"`
	Checklist []ChecklistItem   `json:"checklist"`
	Attention []AttentionReason `json:"attention"`
	Counts    ClientCounts      `json:"counts"`
	Contacts  []Contact         `json:"contacts,omitempty"`
	Team      []TeamAssignment  `json:"team,omitempty"`
	Platforms []ClientPlatform  `json:"platforms,omitempty"`
}

// ClientCounts summarises a client for the list.
type ClientCounts struct {
	Contacts  int `json:"contacts"`
	Team      int `json:"team"`
	Platforms int `json:"platforms"`
}

// View returns the client's view as of now without its detail collections.
func (c Client) View(now time.Time) ClientView {
	at := c.Attention(now)
	if at == nil {
		at = []AttentionReason{}
	}
	return ClientView{Client: c, Status: c.Status(now), Checklist: c.Checklist(), Attention: at,
		Counts: ClientCounts{Contacts: c.Facts.TechnicalContacts + c.Facts.BusinessContacts, Team: c.Facts.TeamMembers, Platforms: c.Facts.Platforms}}
}

// ContactInput is a contact as a client sends it.
type ContactInput struct {
	Kind  ContactKind `json:"kind"`
	Name  string      `json:"name"`
	Email string      `json:"email"`
	Phone string      `json:"phone"`
}

var phonePattern = regexp.MustCompile(`^\+?[0-9][0-9 ().-]{5,22}[0-9]$`)

// Validate checks a contact; prefix names the field path ("contacts[0].").
func (in ContactInput) validate(v *Validation, prefix string) {
	switch {
	case in.Kind == "":
		v.Add(prefix+"kind", FieldRequired, "%skind is required", prefix)
	case in.Kind != ContactTechnical && in.Kind != ContactBusiness:
		v.Add(prefix+"kind", FieldUnknown, "%skind must be technical or business", prefix)
	}
	checkText(v, prefix+"name", in.Name, true, 120)
	checkEmail(v, prefix+"email", in.Email)
	v.Check(in.Phone == "" || phonePattern.MatchString(in.Phone), prefix+"phone", FieldInvalid, "%sphone must be a phone number like +44 20 7946 0958", prefix)
}

// Validate checks the contact.
func (in ContactInput) Validate() error {
	var v Validation
	in.validate(&v, "")
	return v.Err()
}

// TeamInput assigns a member to a client's team.
type TeamInput struct {
	MemberID string   `json:"memberId"`
	Role     TeamRole `json:"role"`
}

func (in TeamInput) validate(v *Validation, prefix string, needID bool) {
	if needID {
		v.Check(in.MemberID != "", prefix+"memberId", FieldRequired, "%smemberId is required", prefix)
	}
	switch {
	case in.Role == "":
		v.Add(prefix+"role", FieldRequired, "%srole is required", prefix)
	case !in.Role.Valid():
		v.Add(prefix+"role", FieldUnknown, "%srole must be manager, operator or viewer", prefix)
	}
}

// TeamRoleInput is the body of PUT .../team/{memberId}.
type TeamRoleInput struct {
	Role TeamRole `json:"role"`
}

// Validate checks the input.
func (in TeamRoleInput) Validate() error {
	var v Validation
	TeamInput{Role: in.Role}.validate(&v, "", false)
	return v.Err()
}

// NewClientInput is the five steps of the new-client flow in one body.
type NewClientInput struct {
	Name             string         `json:"name"`
	Description      string         `json:"description"`
	Industry         string         `json:"industry"`
	Region           string         `json:"region"`
	Timezone         string         `json:"timezone"`
	SecurityPolicyID string         `json:"securityPolicyId"`
	Contacts         []ContactInput `json:"contacts"`
	Team             []TeamInput    `json:"team"`
	// IdentityIDs links existing agency identities to the new client (the seed:
	// "If you plan to assign identities during setup, create them first").
	IdentityIDs []string `json:"identityIds"`
}

// Validate checks every step's data.
func (in NewClientInput) Validate() error {
	var v Validation
	checkText(&v, "name", in.Name, true, 120)
	checkText(&v, "description", in.Description, false, 2000)
	checkClientFields(&v, &in.Industry, &in.Region, &in.Timezone)
	v.Check(len(in.Contacts) <= MaxContactsOnCreate, "contacts", FieldTooLong, "at most %d contacts when creating; add more afterwards", MaxContactsOnCreate)
	v.Check(len(in.Team) <= MaxTeamOnCreate, "team", FieldTooLong, "at most %d team members when creating; add more afterwards", MaxTeamOnCreate)
	for i, c := range in.Contacts {
		c.validate(&v, "contacts["+itoa(i)+"].")
	}
	seen := map[string]bool{}
	for i, t := range in.Team {
		p := "team[" + itoa(i) + "]."
		t.validate(&v, p, true)
		if seen[t.MemberID] {
			v.Add(p+"memberId", FieldInvalid, "member %s is listed twice", t.MemberID)
		}
		seen[t.MemberID] = true
	}
	v.Check(len(in.IdentityIDs) <= MaxLinksOnCreate, "identityIds", FieldTooLong, "at most %d identities when creating; link more afterwards", MaxLinksOnCreate)
	linked := map[string]bool{}
	for i, id := range in.IdentityIDs {
		f := "identityIds[" + itoa(i) + "]"
		v.Check(id != "", f, FieldRequired, "an identity id is required")
		v.Check(!linked[id], f, FieldInvalid, "identity %s is listed twice", id)
		linked[id] = true
	}
	return v.Err()
}

// ClientPatch changes a client's basic information; nil fields stay unchanged.
type ClientPatch struct {
	Name             *string `json:"name"`
	Description      *string `json:"description"`
	Industry         *string `json:"industry"`
	Region           *string `json:"region"`
	Timezone         *string `json:"timezone"`
	SecurityPolicyID *string `json:"securityPolicyId"`
}

// Validate checks the patch's values.
func (p ClientPatch) Validate() error {
	var v Validation
	if p.Name != nil {
		checkText(&v, "name", *p.Name, true, 120)
	}
	if p.Description != nil {
		checkText(&v, "description", *p.Description, false, 2000)
	}
	checkClientFields(&v, p.Industry, p.Region, p.Timezone)
	if p.SecurityPolicyID != nil {
		v.Check(*p.SecurityPolicyID != "", "securityPolicyId", FieldRequired, "securityPolicyId cannot be empty")
	}
	if p.Name == nil && p.Description == nil && p.Industry == nil && p.Region == nil && p.Timezone == nil && p.SecurityPolicyID == nil {
		v.Add("", FieldRequired, "the patch changes nothing: name at least one field")
	}
	return v.Err()
}

func checkClientFields(v *Validation, industry, region, timezone *string) {
	checkChoice(v, "industry", industry, Industries)
	checkChoice(v, "region", region, Regions)
	if timezone != nil {
		switch {
		case *timezone == "":
			v.Add("timezone", FieldRequired, "timezone is required")
		case !ValidTimezone(*timezone):
			v.Add("timezone", FieldInvalid, "timezone must be an IANA name like Europe/London")
		}
	}
}

// checkChoice validates an optional (nil) or required choice from set.
func checkChoice(v *Validation, field string, value *string, set []string) {
	switch {
	case value == nil:
	case *value == "":
		v.Add(field, FieldRequired, "%s is required", field)
	case !oneOf(*value, set):
		v.Add(field, FieldUnknown, "%s must be one of %s", field, strings.Join(set, ", "))
	}
}

// ValidTimezone reports whether s is an IANA time zone name.
func ValidTimezone(s string) bool {
	if s == "" || s == "Local" || len(s) > 64 || strings.ContainsAny(s, " \\") || strings.HasPrefix(s, "/") || strings.Contains(s, "..") {
		return false
	}
	_, err := time.LoadLocation(s)
	return err == nil
}

var contactIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidContactID reports whether a client-chosen contact id is acceptable.
func ValidContactID(s string) bool { return contactIDPattern.MatchString(s) }

// NewClientUserInput invites a person at the client.
type NewClientUserInput struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

// Validate checks the input.
func (in NewClientUserInput) Validate() error {
	var v Validation
	checkEmail(&v, "email", in.Email)
	checkText(&v, "name", in.Name, true, 120)
	return v.Err()
}

func oneOf(s string, set []string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}

// Offboarding step names, in order.
const (
	StepDeactivateIdentities  = "deactivate_identities"
	StepRejectPendingRequests = "reject_pending_requests"
	StepRevokeAccess          = "revoke_access"
	StepSuspendWorkspaceUsers = "suspend_workspace_users"
	StepDeleteCredentials     = "delete_credentials"
	StepDisableClientUsers    = "disable_client_users"
	StepArchiveClient         = "archive_client"
)

// OffboardingSteps lists the steps of offboarding.
var OffboardingSteps = []string{StepDeactivateIdentities, StepRejectPendingRequests, StepRevokeAccess,
	StepSuspendWorkspaceUsers, StepDeleteCredentials, StepDisableClientUsers, StepArchiveClient}

// Offboarding is a client's offboarding progress.
type Offboarding struct {
	Status    string             `json:"status"` // running, done, failed
	Attempt   int                `json:"attempt"`
	StartedAt time.Time          `json:"startedAt"`
	StartedBy string             `json:"startedBy"`
	Steps     []ProvisioningStep `json:"steps"`
}

// ConfirmOffboardingInput confirms an offboarding by repeating the client's name.
type ConfirmOffboardingInput struct {
	ConfirmName string `json:"confirmName"`
}

// PendingRequest is a pending access request in brief (what offboarding rejects).
type PendingRequest struct {
	ID             string       `json:"id"`
	PlatformID     string       `json:"platformId"`
	RequesterID    string       `json:"requesterId"`
	RequesterName  string       `json:"requesterName"`
	RequesterEmail string       `json:"requesterEmail"`
	IdentityType   IdentityType `json:"identityType"`
	CreatedAt      time.Time    `json:"createdAt"`
	ExpiresAt      time.Time    `json:"expiresAt"`
}

// OffboardingPreview is everything an offboarding will revoke.
type OffboardingPreview struct {
	ClientID        string           `json:"clientId"`
	ClientName      string           `json:"clientName"`
	Identities      []ClientIdentity `json:"identities"`
	PendingRequests []PendingRequest `json:"pendingRequests"`
	Platforms       []ClientPlatform `json:"platforms"`
	Team            []TeamAssignment `json:"team"`
	Offboarding     *Offboarding     `json:"offboarding,omitempty"`
}
