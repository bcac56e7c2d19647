package accesshive

import "time"

// IdentityScope says what an agency identity is for.
type IdentityScope string

// Identity scopes of agency identities.
const (
	ScopeAgency   IdentityScope = "agency"   // agency-wide: shared team access
	ScopePlatform IdentityScope = "platform" // one per platform, owned by the agency
)

// IdentityType says who manages an identity's credentials.
type IdentityType string

// Identity types.
const (
	// IdentityManaged identities are Google Workspace domain users whose credentials
	// AccessHive creates and manages.
	IdentityManaged IdentityType = "managed"
	// IdentityStandard identities are records whose credentials an admin supplies.
	IdentityStandard IdentityType = "standard"
)

// Valid reports whether t is a known type.
func (t IdentityType) Valid() bool { return t == IdentityManaged || t == IdentityStandard }

// IdentityStatus is an identity's lifecycle state.
type IdentityStatus string

// Identity statuses.
const (
	IdentityProvisioning IdentityStatus = "provisioning"
	IdentityActive       IdentityStatus = "active"
	IdentityFailed       IdentityStatus = "failed"
	IdentityDeactivated  IdentityStatus = "deactivated"
)

// CredentialStatus says whether an identity has usable credentials.
type CredentialStatus string

// Credential statuses.
const (
	CredentialNone    CredentialStatus = "none"    // nothing stored yet
	CredentialStored  CredentialStatus = "stored"  // a credential is stored and current
	CredentialRotated CredentialStatus = "rotated" // stored, replaced since first issued
	CredentialRevoked CredentialStatus = "revoked" // removed
)

// Identity is an agency identity created through the wizard: agency-wide, or the
// agency's one identity on a platform.
type Identity struct {
	ID               string           `json:"id"`
	AgencyID         string           `json:"agencyId"`
	DisplayName      string           `json:"displayName"`
	Email            string           `json:"email"`
	Scope            IdentityScope    `json:"scope"`
	PlatformID       string           `json:"platformId,omitempty"`
	IdentityType     IdentityType     `json:"identityType"`
	Status           IdentityStatus   `json:"status"`
	CredentialStatus CredentialStatus `json:"credentialStatus"`
	// Credential bookkeeping, as on client-dedicated identities.
	LastRevealedAt      *time.Time         `json:"lastRevealedAt,omitempty"`
	LastRevealedBy      string             `json:"lastRevealedBy,omitempty"`
	CredentialChangedAt *time.Time         `json:"credentialChangedAt,omitempty"`
	RotationStartedAt   *time.Time         `json:"rotationStartedAt,omitempty"`
	CredentialProfile   *CredentialProfile `json:"credentialProfile,omitempty"`
	Meta
}

// IdentityPatch changes an agency identity; nil fields stay unchanged. Status
// deactivates (or reactivates) it: a deactivated identity cannot be linked and
// its credential cannot be revealed.
type IdentityPatch struct {
	DisplayName *string         `json:"displayName"`
	Status      *IdentityStatus `json:"status"`
}

// Validate checks the patch.
func (p IdentityPatch) Validate() error {
	var v Validation
	if p.DisplayName != nil {
		checkText(&v, "displayName", *p.DisplayName, true, 120)
	}
	if p.Status != nil {
		v.Check(*p.Status == IdentityActive || *p.Status == IdentityDeactivated, "status", FieldUnknown, "status must be active or deactivated")
	}
	if p.DisplayName == nil && p.Status == nil {
		v.Add("", FieldRequired, "the patch changes nothing: name at least one field")
	}
	return v.Err()
}

// AgencyCredentialSecretName is the vault name of an agency identity's credential.
func AgencyCredentialSecretName(agencyID, identityID string) string {
	return "identities/" + agencyID + "/agency/" + identityID
}

// IdentityLink links an agency identity to a client: the client's team uses it
// there, and the client's Effective Access shows it ("agency identity, linked by").
type IdentityLink struct {
	IdentityID   string    `json:"identityId"`
	LinkedAt     time.Time `json:"linkedAt"`
	LinkedBy     string    `json:"linkedBy"`
	LinkedByName string    `json:"linkedByName"`
}

// LinkedIdentity is a link with the agency identity it names.
type LinkedIdentity struct {
	IdentityLink
	Identity Identity `json:"identity"`
}

// MaxLinksOnCreate is how many agency identities one client create may link.
const MaxLinksOnCreate = 20

// NewIdentityInput creates an agency identity.
type NewIdentityInput struct {
	DisplayName  string        `json:"displayName"`
	Email        string        `json:"email"`
	Scope        IdentityScope `json:"scope"`
	PlatformID   string        `json:"platformId"`
	IdentityType IdentityType  `json:"identityType"`
}

// Validate checks the input.
func (in NewIdentityInput) Validate() error {
	var v Validation
	checkText(&v, "displayName", in.DisplayName, true, 120)
	checkEmail(&v, "email", in.Email)
	switch in.Scope {
	case ScopeAgency:
		v.Check(in.PlatformID == "", "platformId", FieldInvalid, "platformId is only for platform-scoped identities")
	case ScopePlatform:
		v.Check(in.PlatformID != "", "platformId", FieldRequired, "platformId is required for a platform-scoped identity")
	case "":
		v.Add("scope", FieldRequired, "scope is required")
	default:
		v.Add("scope", FieldUnknown, "scope must be agency or platform")
	}
	v.Check(in.IdentityType == "" || in.IdentityType.Valid(), "identityType", FieldUnknown, "identityType must be managed or standard")
	return v.Err()
}

// DirectoryUser is a Google Workspace user a managed identity is.
type DirectoryUser struct {
	PrimaryEmail string
	GivenName    string
	FamilyName   string
	Password     string
	// OrgUnitPath is the organizational unit the user is created in ("": root).
	OrgUnitPath string
	// ChangePasswordAtNextLogin makes the user choose a password at first sign-in.
	ChangePasswordAtNextLogin bool
}
