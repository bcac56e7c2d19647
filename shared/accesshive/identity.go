package accesshive

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
	Meta
}

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
