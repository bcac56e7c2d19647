package accesshive

// MemberStatus is where a member is in their lifecycle.
type MemberStatus string

// Member statuses.
const (
	MemberInvited  MemberStatus = "invited"  // created, not yet signed in
	MemberActive   MemberStatus = "active"   // signed in at least once
	MemberDisabled MemberStatus = "disabled" // may no longer sign in
)

// Member is a person who can sign in to an agency: staff, or a client user.
type Member struct {
	ID       string       `json:"id"`
	AgencyID string       `json:"agencyId"`
	Email    string       `json:"email"`
	Name     string       `json:"name"`
	Role     Role         `json:"role"`
	Status   MemberStatus `json:"status"`
	ClientID string       `json:"clientId,omitempty"`
	// Subject is the identity provider's subject bound at first sign-in. Not shown.
	Subject string `json:"-"`
	// Teams are the clients whose team the member is on, with their team role:
	// kept on the member (their principal) with every team change, so what a member
	// may see needs no extra read.
	Teams map[string]TeamRole `json:"teams"`
	// ExternalID is the identity provider's id for the member (SCIM).
	ExternalID string `json:"externalId,omitempty"`
	// SCIMManaged: the identity provider manages this member through SCIM; its
	// name, email, status and role follow the provider.
	SCIMManaged bool `json:"scimManaged,omitempty"`
	// SCIMGroups are the ids of the SCIM groups the member is in.
	SCIMGroups []string `json:"scimGroups,omitempty"`
	// SCIMDeleted: the identity provider deleted the member; it stays, disabled,
	// for the trail, and SCIM no longer shows it.
	SCIMDeleted bool `json:"scimDeleted,omitempty"`
	Meta
}

// NewMemberInput invites a member of agency staff.
type NewMemberInput struct {
	Email string `json:"email"`
	Name  string `json:"name"`
	Role  Role   `json:"role"`
}

// Validate checks the input.
func (in NewMemberInput) Validate() error {
	var v Validation
	checkEmail(&v, "email", in.Email)
	checkText(&v, "name", in.Name, true, 120)
	switch {
	case in.Role == "":
		v.Add("role", FieldRequired, "role is required")
	case !in.Role.IsAgencyRole():
		v.Add("role", FieldUnknown, "role must be one of agency_owner, admin, client_manager, member (client users are invited on their client)")
	}
	return v.Err()
}

// MemberPatch changes a member; nil fields stay unchanged.
type MemberPatch struct {
	Name *string `json:"name"`
	// Email corrects the member's address. A member already signed in is
	// unbound from their sign-in: they are invited again, and their next
	// sign-in binds only with the new address, verified by the identity provider.
	Email  *string       `json:"email"`
	Role   *Role         `json:"role"`
	Status *MemberStatus `json:"status"`
}

// Validate checks the patch's values.
func (p MemberPatch) Validate() error {
	var v Validation
	if p.Name != nil {
		checkText(&v, "name", *p.Name, true, 120)
	}
	if p.Email != nil {
		checkEmail(&v, "email", *p.Email)
	}
	if p.Role != nil && !p.Role.IsAgencyRole() {
		v.Add("role", FieldUnknown, "role must be one of agency_owner, admin, client_manager, member")
	}
	if p.Status != nil && *p.Status != MemberActive && *p.Status != MemberDisabled {
		v.Add("status", FieldUnknown, "status must be active or disabled")
	}
	if p.Name == nil && p.Email == nil && p.Role == nil && p.Status == nil {
		v.Add("", FieldRequired, "the patch changes nothing: name at least one field")
	}
	return v.Err()
}
