package accesshive

import "strings"

// MFAEnforcement says whether multi-factor authentication is required.
type MFAEnforcement string

// MFA enforcement levels.
const (
	MFAOff      MFAEnforcement = "off"
	MFAOptional MFAEnforcement = "optional"
	MFARequired MFAEnforcement = "required"
)

// Valid reports whether m is a known level.
func (m MFAEnforcement) Valid() bool { return m == MFAOff || m == MFAOptional || m == MFARequired }

// PasswordRules are the password requirements a security policy enforces.
type PasswordRules struct {
	MinLength        int  `json:"minLength"`
	RequireUppercase bool `json:"requireUppercase"`
	RequireLowercase bool `json:"requireLowercase"`
	RequireNumber    bool `json:"requireNumber"`
	RequireSymbol    bool `json:"requireSymbol"`
	// MaxAgeDays forces rotation after this many days; 0 means never.
	MaxAgeDays int `json:"maxAgeDays"`
}

// WorkspaceSettings apply a policy to the Google Workspace users of managed
// identities. AccessHive creates the users in the organizational unit; the
// Workspace admin enforces 2-Step Verification and session length on that unit
// (Workspace sets both per organizational unit, not per user).
type WorkspaceSettings struct {
	// OrgUnitPath is the unit users are created in; "" or "/" is the root.
	OrgUnitPath string `json:"orgUnitPath"`
	// ChangePasswordAtNextLogin makes a new user choose their own password at
	// first sign-in (the credential AccessHive stored then only opens that once).
	ChangePasswordAtNextLogin bool `json:"changePasswordAtNextLogin"`
}

// PolicySnapshot is what compliance needs of a security policy, kept on the
// clients that use it.
type PolicySnapshot struct {
	ID        string            `json:"id"`
	Name      string            `json:"name"`
	Version   int               `json:"version"`
	Password  PasswordRules     `json:"password"`
	Workspace WorkspaceSettings `json:"workspace"`
}

// Snapshot is the policy as credentials and Workspace users need it.
func (p SecurityPolicy) Snapshot() PolicySnapshot {
	return PolicySnapshot{ID: p.ID, Name: p.Name, Version: p.Version, Password: p.Password, Workspace: p.Workspace}
}

// SecurityPolicy controls password requirements, session length and MFA for the
// clients it is assigned to. Exactly one policy per agency is the default.
type SecurityPolicy struct {
	ID                   string            `json:"id"`
	AgencyID             string            `json:"agencyId"`
	Name                 string            `json:"name"`
	Description          string            `json:"description,omitempty"`
	Password             PasswordRules     `json:"password"`
	SessionLengthMinutes int               `json:"sessionLengthMinutes"`
	MFA                  MFAEnforcement    `json:"mfa"`
	Workspace            WorkspaceSettings `json:"workspace"`
	IsDefault            bool              `json:"isDefault"`
	Meta
}

// DefaultSecurityPolicy is the policy every new agency starts with.
func DefaultSecurityPolicy() NewSecurityPolicyInput {
	return NewSecurityPolicyInput{
		Name:                 "Agency default",
		Description:          "Created with the agency. Strong passwords, 12-hour sessions, MFA required.",
		Password:             &PasswordRules{MinLength: 14, RequireUppercase: true, RequireLowercase: true, RequireNumber: true, RequireSymbol: true, MaxAgeDays: 0},
		SessionLengthMinutes: 720,
		MFA:                  MFARequired,
	}
}

// Session length limits, in minutes.
const (
	MinSessionMinutes = 5
	MaxSessionMinutes = 30 * 24 * 60
)

// NewSecurityPolicyInput creates a security policy.
type NewSecurityPolicyInput struct {
	Name                 string             `json:"name"`
	Description          string             `json:"description"`
	Password             *PasswordRules     `json:"password"`
	SessionLengthMinutes int                `json:"sessionLengthMinutes"`
	MFA                  MFAEnforcement     `json:"mfa"`
	Workspace            *WorkspaceSettings `json:"workspace"`
}

// Validate checks the input.
func (in NewSecurityPolicyInput) Validate() error {
	var v Validation
	checkText(&v, "name", in.Name, true, 120)
	checkText(&v, "description", in.Description, false, 1000)
	if in.Password == nil {
		v.Add("password", FieldRequired, "password rules are required")
	} else {
		checkPassword(&v, *in.Password)
	}
	checkSession(&v, in.SessionLengthMinutes)
	checkMFA(&v, in.MFA)
	if in.Workspace != nil {
		checkWorkspace(&v, *in.Workspace)
	}
	return v.Err()
}

// SecurityPolicyPatch changes a policy; nil fields stay unchanged. Setting IsDefault
// to true makes this the agency default (the previous default stops being one);
// false is refused: choose another default instead.
type SecurityPolicyPatch struct {
	Name                 *string            `json:"name"`
	Description          *string            `json:"description"`
	Password             *PasswordRules     `json:"password"`
	SessionLengthMinutes *int               `json:"sessionLengthMinutes"`
	MFA                  *MFAEnforcement    `json:"mfa"`
	Workspace            *WorkspaceSettings `json:"workspace"`
	IsDefault            *bool              `json:"isDefault"`
}

// Validate checks the patch's values.
func (p SecurityPolicyPatch) Validate() error {
	var v Validation
	if p.Name != nil {
		checkText(&v, "name", *p.Name, true, 120)
	}
	if p.Description != nil {
		checkText(&v, "description", *p.Description, false, 1000)
	}
	if p.Password != nil {
		checkPassword(&v, *p.Password)
	}
	if p.SessionLengthMinutes != nil {
		checkSession(&v, *p.SessionLengthMinutes)
	}
	if p.MFA != nil {
		checkMFA(&v, *p.MFA)
	}
	if p.Workspace != nil {
		checkWorkspace(&v, *p.Workspace)
	}
	if p.IsDefault != nil && !*p.IsDefault {
		v.Add("isDefault", CodeDefaultPolicy, "an agency always has one default policy: make another policy the default instead")
	}
	if p.Name == nil && p.Description == nil && p.Password == nil && p.SessionLengthMinutes == nil && p.MFA == nil && p.Workspace == nil && p.IsDefault == nil {
		v.Add("", FieldRequired, "the patch changes nothing: name at least one field")
	}
	return v.Err()
}

func checkPassword(v *Validation, p PasswordRules) {
	v.Check(p.MinLength >= 8 && p.MinLength <= 128, "password.minLength", FieldOutRange, "password.minLength must be between 8 and 128")
	v.Check(p.MaxAgeDays >= 0 && p.MaxAgeDays <= 3650, "password.maxAgeDays", FieldOutRange, "password.maxAgeDays must be between 0 (never) and 3650")
}

func checkSession(v *Validation, m int) {
	v.Check(m >= MinSessionMinutes && m <= MaxSessionMinutes, "sessionLengthMinutes", FieldOutRange,
		"sessionLengthMinutes must be between %d and %d", MinSessionMinutes, MaxSessionMinutes)
}

func checkMFA(v *Validation, m MFAEnforcement) {
	switch {
	case m == "":
		v.Add("mfa", FieldRequired, "mfa is required")
	case !m.Valid():
		v.Add("mfa", FieldUnknown, "mfa must be one of off, optional, required")
	}
}

func checkWorkspace(v *Validation, w WorkspaceSettings) {
	ou := w.OrgUnitPath
	v.Check(ou == "" || (strings.HasPrefix(ou, "/") && !strings.Contains(ou, "//") && len(ou) <= 400 && !strings.ContainsAny(ou, "\x00\n\r")),
		"workspace.orgUnitPath", FieldInvalid, "workspace.orgUnitPath must be an organizational unit path such as /AccessHive/Clients")
}
