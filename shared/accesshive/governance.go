package accesshive

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Governance: agency-level governance policies (approval workflow, duration
// limits, audit requirements), assigned to clients and to a client's platforms;
// role templates; time-bound access grants. docs/governance.md explains the model.

// Limits of governance policies and requests, in minutes where a duration.
const (
	MaxApprovals           = 5
	MaxAccessMinutes       = 366 * 24 * 60
	DefaultNoticeMinutes   = 24 * 60
	MaxJustificationLength = 2000
)

// ApproverClientOwner, in an approval rule's roles, lets the client's owners (its
// governance's clientOwners) review its requests; RoleClientManager there lets a
// client manager on the client's team with the manager team role review them.
const ApproverClientOwner Role = "client_owner"

// ApprovalRule is how many distinct people must approve, and in which roles.
// The requester never approves their own request.
type ApprovalRule struct {
	RequiredApprovals int    `json:"requiredApprovals"`
	ApproverRoles     []Role `json:"approverRoles"`
}

// DurationRule limits how long granted access lasts. Zero means no limit (max)
// or no default (default). With a maximum, every grant ends.
type DurationRule struct {
	MaxMinutes     int `json:"maxMinutes"`
	DefaultMinutes int `json:"defaultMinutes"`
	// NoticeMinutes is how long before the end the requester is told.
	NoticeMinutes int `json:"noticeMinutes"`
	// BreakGlassMaxMinutes limits emergency access taken without approval (0:
	// DefaultBreakGlassMinutes).
	BreakGlassMaxMinutes int `json:"breakGlassMaxMinutes,omitempty"`
}

// Break-glass limits, in minutes.
const (
	DefaultBreakGlassMinutes = 60
	MaxBreakGlassMinutes     = 24 * 60
)

// BreakGlassLimit is how long emergency access may last under the rule.
func (d DurationRule) BreakGlassLimit() int {
	if d.BreakGlassMaxMinutes == 0 {
		return DefaultBreakGlassMinutes
	}
	return d.BreakGlassMaxMinutes
}

// AuditRule is what reviewers and requesters must write down.
type AuditRule struct {
	JustificationRequired  bool `json:"justificationRequired"`
	JustificationMinLength int  `json:"justificationMinLength"`
	// ReasonRequired makes a reason mandatory to reject a request or revoke access early.
	ReasonRequired bool `json:"reasonRequired"`
}

// PolicyRules are what a governance policy enforces.
type PolicyRules struct {
	Approval ApprovalRule `json:"approval"`
	Duration DurationRule `json:"duration"`
	Audit    AuditRule    `json:"audit"`
}

// GovernancePolicy is an agency's named set of access rules.
type GovernancePolicy struct {
	ID          string `json:"id"`
	AgencyID    string `json:"agencyId"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	PolicyRules
	Meta
}

// BuiltInRules are in force where no policy is assigned and the agency has no
// default: one approval by an owner or admin, a justification, no time limit.
func BuiltInRules() PolicyRules {
	return PolicyRules{
		Approval: ApprovalRule{RequiredApprovals: 1, ApproverRoles: []Role{RoleOwner, RoleAdmin}},
		Duration: DurationRule{NoticeMinutes: DefaultNoticeMinutes},
		Audit:    AuditRule{JustificationRequired: true, JustificationMinLength: 1},
	}
}

// Policy sources, most specific first: how the policy in force was chosen.
const (
	PolicyFromPlatformAssignment = "platform_assignment"
	PolicyFromClientAssignment   = "client_assignment"
	PolicyFromTemplate           = "role_template"
	PolicyFromAgencyDefault      = "agency_default"
	PolicyBuiltIn                = "built_in"
)

// AppliedPolicy is the policy a request was evaluated against, copied onto the
// request when it was submitted, so later edits of the policy do not change it.
type AppliedPolicy struct {
	PolicyID string `json:"policyId,omitempty"`
	Name     string `json:"name"`
	Version  int    `json:"version,omitempty"`
	Source   string `json:"source"`
	PolicyRules
}

// NewGovernancePolicyInput creates a governance policy.
type NewGovernancePolicyInput struct {
	Name        string        `json:"name"`
	Description string        `json:"description"`
	Approval    *ApprovalRule `json:"approval"`
	Duration    *DurationRule `json:"duration"`
	Audit       *AuditRule    `json:"audit"`
}

// Rules returns the input's rules with omitted parts taken from the built-in ones.
func (in NewGovernancePolicyInput) Rules() PolicyRules {
	r := BuiltInRules()
	if in.Approval != nil {
		r.Approval = *in.Approval
	}
	if in.Duration != nil {
		r.Duration = *in.Duration
	}
	if in.Audit != nil {
		r.Audit = *in.Audit
	}
	return r.normalized()
}

// Validate checks the input.
func (in NewGovernancePolicyInput) Validate() error {
	var v Validation
	checkText(&v, "name", in.Name, true, 120)
	checkText(&v, "description", in.Description, false, 1000)
	in.Rules().check(&v)
	return v.Err()
}

// GovernancePolicyPatch changes a policy; nil parts stay unchanged. Requests
// already submitted keep the rules they were evaluated against.
type GovernancePolicyPatch struct {
	Name        *string       `json:"name"`
	Description *string       `json:"description"`
	Approval    *ApprovalRule `json:"approval"`
	Duration    *DurationRule `json:"duration"`
	Audit       *AuditRule    `json:"audit"`
}

// Apply returns pol with the patch applied, or the validation error.
func (p GovernancePolicyPatch) Apply(pol GovernancePolicy) (GovernancePolicy, error) {
	var v Validation
	if p.Name == nil && p.Description == nil && p.Approval == nil && p.Duration == nil && p.Audit == nil {
		v.Add("", FieldRequired, "the patch changes nothing: name at least one field")
		return pol, v.Err()
	}
	if p.Name != nil {
		checkText(&v, "name", *p.Name, true, 120)
		pol.Name = strings.TrimSpace(*p.Name)
	}
	if p.Description != nil {
		checkText(&v, "description", *p.Description, false, 1000)
		pol.Description = strings.TrimSpace(*p.Description)
	}
	if p.Approval != nil {
		pol.Approval = *p.Approval
	}
	if p.Duration != nil {
		pol.Duration = *p.Duration
	}
	if p.Audit != nil {
		pol.Audit = *p.Audit
	}
	pol.PolicyRules = pol.PolicyRules.normalized()
	pol.PolicyRules.check(&v)
	return pol, v.Err()
}

func (r PolicyRules) normalized() PolicyRules {
	if r.Duration.NoticeMinutes == 0 {
		r.Duration.NoticeMinutes = DefaultNoticeMinutes
	}
	if r.Audit.JustificationRequired && r.Audit.JustificationMinLength == 0 {
		r.Audit.JustificationMinLength = 1
	}
	return r
}

func (r PolicyRules) check(v *Validation) {
	a := r.Approval
	v.Check(a.RequiredApprovals >= 1 && a.RequiredApprovals <= MaxApprovals, "approval.requiredApprovals", FieldOutRange,
		"approval.requiredApprovals must be between 1 and %d", MaxApprovals)
	if len(a.ApproverRoles) == 0 {
		v.Add("approval.approverRoles", FieldRequired, "approval.approverRoles must name at least one of agency_owner, admin, client_owner, client_manager")
	}
	seen := map[Role]bool{}
	for i, role := range a.ApproverRoles {
		field := fmt.Sprintf("approval.approverRoles[%d]", i)
		switch {
		case role != RoleOwner && role != RoleAdmin && role != ApproverClientOwner && role != RoleClientManager:
			v.Add(field, FieldUnknown, "approvers are agency_owner, admin, client_owner (the client's owners) or client_manager (a client manager managing the client)")
		case seen[role]:
			v.Add(field, FieldInvalid, "%s is listed twice", role)
		}
		seen[role] = true
	}
	d := r.Duration
	v.Check(d.MaxMinutes >= 0 && d.MaxMinutes <= MaxAccessMinutes, "duration.maxMinutes", FieldOutRange,
		"duration.maxMinutes must be between 0 (no limit) and %d", MaxAccessMinutes)
	v.Check(d.DefaultMinutes >= 0 && d.DefaultMinutes <= MaxAccessMinutes, "duration.defaultMinutes", FieldOutRange,
		"duration.defaultMinutes must be between 0 (no default) and %d", MaxAccessMinutes)
	if d.MaxMinutes > 0 && d.DefaultMinutes > d.MaxMinutes {
		v.Add("duration.defaultMinutes", FieldOutRange, "duration.defaultMinutes must not exceed duration.maxMinutes")
	}
	v.Check(d.NoticeMinutes >= 1 && d.NoticeMinutes <= 30*24*60, "duration.noticeMinutes", FieldOutRange,
		"duration.noticeMinutes must be between 1 and %d", 30*24*60)
	v.Check(d.BreakGlassMaxMinutes >= 0 && d.BreakGlassMaxMinutes <= MaxBreakGlassMinutes, "duration.breakGlassMaxMinutes", FieldOutRange,
		"duration.breakGlassMaxMinutes must be between 0 (the default, %d) and %d", DefaultBreakGlassMinutes, MaxBreakGlassMinutes)
	v.Check(r.Audit.JustificationMinLength >= 0 && r.Audit.JustificationMinLength <= 500, "audit.justificationMinLength", FieldOutRange,
		"audit.justificationMinLength must be between 0 and 500")
}

// MayApprove reports whether a principal may review a client's request under the
// rule: by agency role (owner, admin), as one of the client's owners
// (clientOwners), or as a client manager managing the client (manager on its team).
func (a ApprovalRule) MayApprove(p Principal, clientID string, clientOwners []string) bool {
	for _, r := range a.ApproverRoles {
		switch r {
		case RoleOwner, RoleAdmin:
			if p.Role == r {
				return true
			}
		case ApproverClientOwner:
			if p.Role.IsAgencyRole() && p.Role != RoleAuditor && slices.Contains(clientOwners, p.MemberID) {
				return true
			}
		case RoleClientManager:
			if p.Role == RoleClientManager && p.TeamRole(clientID) == TeamManager {
				return true
			}
		}
	}
	return false
}

// NeedsClientOwners reports whether deciding who may approve needs the client's
// owners (a read of the client).
func (a ApprovalRule) NeedsClientOwners() bool {
	return slices.Contains(a.ApproverRoles, ApproverClientOwner)
}

// GrantMinutes decides how long access lasts: the requested duration, else the
// template's default, else the policy's default, else its maximum (a policy with a
// maximum always ends access); 0 means no end. A request above the maximum is
// refused with policy_violation.
func (r PolicyRules) GrantMinutes(requested, templateDefault int) (int, error) {
	m := requested
	if m == 0 {
		m = templateDefault
	}
	if m == 0 {
		m = r.Duration.DefaultMinutes
	}
	if max := r.Duration.MaxMinutes; max > 0 {
		if m == 0 || (requested == 0 && m > max) {
			m = max
		}
		if m > max {
			return 0, PolicyViolation("durationMinutes", FieldOutRange, "the policy in force allows at most %d minutes of access", max)
		}
	}
	return m, nil
}

// CheckJustification applies the audit rule (and the client's compliance setting).
func (r PolicyRules) CheckJustification(justification string, complianceRequires bool) error {
	n := VisibleLength(justification) // zero-width or control characters are not a justification
	min := 0
	if r.Audit.JustificationRequired || complianceRequires {
		min = max(r.Audit.JustificationMinLength, 1)
	}
	if n < min {
		if n == 0 {
			return PolicyViolation("justification", FieldRequired, "the policy in force requires a justification")
		}
		return PolicyViolation("justification", FieldTooShort, "the policy in force requires a justification of at least %d characters", min)
	}
	return nil
}

// PolicyViolation is a 422 naming the field the policy in force refused.
func PolicyViolation(field, code, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Kind: KindInvalid, Code: CodePolicyViolation, Message: msg,
		Fields: []FieldError{{Field: field, Code: code, Message: msg}}}
}

// RoleTemplate is a reusable access pattern a request can name.
type RoleTemplate struct {
	ID                     string       `json:"id"`
	AgencyID               string       `json:"agencyId"`
	Name                   string       `json:"name"`
	Description            string       `json:"description,omitempty"`
	PlatformKind           PlatformKind `json:"platformKind"`
	IdentityType           IdentityType `json:"identityType"`
	DefaultDurationMinutes int          `json:"defaultDurationMinutes"`
	GovernancePolicyID     string       `json:"governancePolicyId,omitempty"`
	Meta
}

// RoleTemplateInput creates a role template (and, whole, replaces one on PATCH's fields).
type RoleTemplateInput struct {
	Name                   string       `json:"name"`
	Description            string       `json:"description"`
	PlatformKind           PlatformKind `json:"platformKind"`
	IdentityType           IdentityType `json:"identityType"`
	DefaultDurationMinutes int          `json:"defaultDurationMinutes"`
	GovernancePolicyID     string       `json:"governancePolicyId"`
}

// Validate checks the input.
func (in RoleTemplateInput) Validate() error {
	var v Validation
	in.check(&v)
	return v.Err()
}

func (in RoleTemplateInput) check(v *Validation) {
	checkText(v, "name", in.Name, true, 120)
	checkText(v, "description", in.Description, false, 1000)
	switch {
	case in.PlatformKind == "":
		v.Add("platformKind", FieldRequired, "platformKind is required")
	case !in.PlatformKind.Valid():
		v.Add("platformKind", FieldUnknown, "platformKind must be one of %s", "google_ads, meta_business, google_analytics, google_workspace, linkedin, tiktok, other")
	}
	switch {
	case in.IdentityType == "":
		v.Add("identityType", FieldRequired, "identityType is required (managed or standard)")
	case !in.IdentityType.Valid():
		v.Add("identityType", FieldUnknown, "identityType must be managed or standard")
	}
	v.Check(in.DefaultDurationMinutes >= 0 && in.DefaultDurationMinutes <= MaxAccessMinutes, "defaultDurationMinutes", FieldOutRange,
		"defaultDurationMinutes must be between 0 (none) and %d", MaxAccessMinutes)
}

// RoleTemplatePatch changes a template; nil fields stay unchanged.
type RoleTemplatePatch struct {
	Name                   *string       `json:"name"`
	Description            *string       `json:"description"`
	PlatformKind           *PlatformKind `json:"platformKind"`
	IdentityType           *IdentityType `json:"identityType"`
	DefaultDurationMinutes *int          `json:"defaultDurationMinutes"`
	GovernancePolicyID     *string       `json:"governancePolicyId"`
}

// Apply returns t with the patch applied, or the validation error.
func (p RoleTemplatePatch) Apply(t RoleTemplate) (RoleTemplate, error) {
	in := RoleTemplateInput{Name: t.Name, Description: t.Description, PlatformKind: t.PlatformKind, IdentityType: t.IdentityType,
		DefaultDurationMinutes: t.DefaultDurationMinutes, GovernancePolicyID: t.GovernancePolicyID}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&in.Name, p.Name)
	set(&in.Description, p.Description)
	set(&in.GovernancePolicyID, p.GovernancePolicyID)
	if p.PlatformKind != nil {
		in.PlatformKind = *p.PlatformKind
	}
	if p.IdentityType != nil {
		in.IdentityType = *p.IdentityType
	}
	if p.DefaultDurationMinutes != nil {
		in.DefaultDurationMinutes = *p.DefaultDurationMinutes
	}
	var v Validation
	if p == (RoleTemplatePatch{}) {
		v.Add("", FieldRequired, "the patch changes nothing: name at least one field")
	}
	in.check(&v)
	t.Name, t.Description, t.PlatformKind, t.IdentityType = in.Name, in.Description, in.PlatformKind, in.IdentityType
	t.DefaultDurationMinutes, t.GovernancePolicyID = in.DefaultDurationMinutes, in.GovernancePolicyID
	return t, v.Err()
}

// ClientGovernance is what a client's Governance tab sets: policy assignments,
// team groups, client owners and compliance settings.
type ClientGovernance struct {
	PolicyAssignments []PolicyAssignment `json:"policyAssignments"`
	TeamGroups        []TeamGroup        `json:"teamGroups"`
	ClientOwners      []string           `json:"clientOwners"`
	Compliance        ComplianceSettings `json:"compliance"`
}

// Limits of a client's governance (one transaction writes it all).
const (
	MaxGroupMembers  = 25
	MaxClientOwners  = 5
	MaxAssignments   = 20
	ScopeClient      = "client"
	DefaultRetention = 365
)

// Validate checks the governance a PUT sends.
func (g ClientGovernance) Validate() error {
	var v Validation
	v.Check(len(g.PolicyAssignments) <= MaxAssignments, "policyAssignments", FieldOutRange, "at most %d policy assignments", MaxAssignments)
	scopes := map[string]bool{}
	for i, a := range g.PolicyAssignments {
		f := fmt.Sprintf("policyAssignments[%d]", i)
		v.Check(a.PolicyID != "", f+".policyId", FieldRequired, "policyId is required")
		v.Check(a.Scope != "", f+".scope", FieldRequired, "scope is required: client, or a platform id configured for the client")
		if scopes[a.Scope] {
			v.Add(f+".scope", FieldInvalid, "scope %s is assigned twice; one policy per scope", a.Scope)
		}
		scopes[a.Scope] = true
	}
	names, members, total := map[string]bool{}, map[string]string{}, 0
	for i, tg := range g.TeamGroups {
		f := fmt.Sprintf("teamGroups[%d]", i)
		checkText(&v, f+".name", tg.Name, true, 64)
		key := strings.ToLower(strings.TrimSpace(tg.Name))
		if key != "" && names[key] {
			v.Add(f+".name", FieldInvalid, "group names must be unique")
		}
		names[key] = true
		if !tg.Role.Valid() {
			v.Add(f+".role", FieldUnknown, "role must be one of %s", "manager, operator, viewer")
		}
		v.Check(len(tg.MemberIDs) > 0, f+".memberIds", FieldRequired, "a group has at least one member")
		for j, m := range tg.MemberIDs {
			total++
			if other, dup := members[m]; dup {
				v.Add(fmt.Sprintf("%s.memberIds[%d]", f, j), FieldInvalid, "%s is already in group %q; a member is in at most one group", m, other)
			}
			members[m] = tg.Name
		}
	}
	v.Check(total <= MaxGroupMembers, "teamGroups", FieldOutRange, "at most %d members across groups", MaxGroupMembers)
	v.Check(len(g.ClientOwners) <= MaxClientOwners, "clientOwners", FieldOutRange, "at most %d client owners", MaxClientOwners)
	owners := map[string]bool{}
	for i, o := range g.ClientOwners {
		if owners[o] || o == "" {
			v.Add(fmt.Sprintf("clientOwners[%d]", i), FieldInvalid, "client owners are distinct member ids")
		}
		owners[o] = true
	}
	c := g.Compliance
	checkText(&v, "compliance.dataResidency", c.DataResidency, false, 64)
	v.Check(c.AuditRetentionDays == 0 || (c.AuditRetentionDays >= 30 && c.AuditRetentionDays <= 3650), "compliance.auditRetentionDays",
		FieldOutRange, "compliance.auditRetentionDays must be between 30 and 3650 (0: the default, %d)", DefaultRetention)
	v.Check(c.AccessReviewEveryDays >= 0 && c.AccessReviewEveryDays <= 365, "compliance.accessReviewEveryDays", FieldOutRange,
		"compliance.accessReviewEveryDays must be between 0 (no reviews) and 365")
	v.Check(c.ReviewDeadlineDays >= 0 && c.ReviewDeadlineDays <= 90, "compliance.reviewDeadlineDays", FieldOutRange,
		"compliance.reviewDeadlineDays must be between 0 (14) and 90")
	v.Check(c.UnreviewedAction == "" || c.UnreviewedAction == "revoke" || c.UnreviewedAction == "escalate", "compliance.unreviewedAction", FieldUnknown,
		"compliance.unreviewedAction must be revoke or escalate")
	return v.Err()
}

// Normalized fills defaults and empty lists, so reads always show every field.
func (g ClientGovernance) Normalized() ClientGovernance {
	if g.PolicyAssignments == nil {
		g.PolicyAssignments = []PolicyAssignment{}
	}
	if g.TeamGroups == nil {
		g.TeamGroups = []TeamGroup{}
	}
	for i := range g.TeamGroups {
		g.TeamGroups[i].Name = strings.TrimSpace(g.TeamGroups[i].Name)
	}
	if g.ClientOwners == nil {
		g.ClientOwners = []string{}
	}
	if g.Compliance.AuditRetentionDays == 0 {
		g.Compliance.AuditRetentionDays = DefaultRetention
	}
	return g
}

// AssignedPolicy returns the policy assigned to the client's platform, else to
// the client, with its source; "" when neither.
func (g ClientGovernance) AssignedPolicy(platformID string) (policyID, source string) {
	for _, a := range g.PolicyAssignments {
		if a.Scope == platformID {
			return a.PolicyID, PolicyFromPlatformAssignment
		}
	}
	for _, a := range g.PolicyAssignments {
		if a.Scope == ScopeClient {
			return a.PolicyID, PolicyFromClientAssignment
		}
	}
	return "", ""
}

// GroupOf returns the team group a member is in, or "".
func (g ClientGovernance) GroupOf(memberID string) string {
	for _, tg := range g.TeamGroups {
		for _, m := range tg.MemberIDs {
			if m == memberID {
				return tg.Name
			}
		}
	}
	return ""
}

// WithoutMember removes a member from every team group (a direct team change
// takes the member out of group management); empty groups are dropped.
func (g ClientGovernance) WithoutMember(memberID string) ClientGovernance {
	groups := make([]TeamGroup, 0, len(g.TeamGroups))
	for _, tg := range g.TeamGroups {
		kept := make([]string, 0, len(tg.MemberIDs))
		for _, m := range tg.MemberIDs {
			if m != memberID {
				kept = append(kept, m)
			}
		}
		if len(kept) > 0 {
			tg.MemberIDs = kept
			groups = append(groups, tg)
		}
	}
	g.TeamGroups = groups
	return g
}

// Approval is one reviewer's approval of a request.
type Approval struct {
	By     string    `json:"by"`
	ByName string    `json:"byName,omitempty"`
	Role   Role      `json:"role"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
}

// AccessGrant is live access of a requester to a client's platform through the
// client-dedicated identity: created when a request is fully approved, deleted when
// it ends or is revoked (the request keeps the history).
type AccessGrant struct {
	RequestID      string        `json:"requestId"`
	ClientID       string        `json:"clientId"`
	PlatformID     string        `json:"platformId"`
	IdentityID     string        `json:"identityId"`
	RequesterID    string        `json:"requesterId"`
	IdentityType   IdentityType  `json:"identityType"`
	RoleTemplateID string        `json:"roleTemplateId,omitempty"`
	Policy         AppliedPolicy `json:"policy"`
	Approvals      []Approval    `json:"approvals"`
	GrantedAt      time.Time     `json:"grantedAt"`
	EndsAt         *time.Time    `json:"endsAt,omitempty"`
	// BreakGlass marks emergency access taken without approval.
	BreakGlass bool `json:"breakGlass,omitempty"`
}

// RevokeInput is the body of an early revoke.
type RevokeInput struct {
	Reason string `json:"reason"`
}

// Validate checks the input.
func (in RevokeInput) Validate() error {
	var v Validation
	checkText(&v, "reason", in.Reason, false, 1000)
	return v.Err()
}

// BreakGlassInput takes emergency access to one platform of a client without
// approval: a mandatory reason, at most the policy's break-glass limit.
type BreakGlassInput struct {
	PlatformID      string `json:"platformId"`
	Reason          string `json:"reason"`
	DurationMinutes int    `json:"durationMinutes"`
}

// Validate checks the input.
func (in BreakGlassInput) Validate() error {
	var v Validation
	v.Check(in.PlatformID != "", "platformId", FieldRequired, "platformId is required")
	checkText(&v, "reason", in.Reason, true, 1000)
	v.Check(in.DurationMinutes >= 0 && in.DurationMinutes <= MaxBreakGlassMinutes, "durationMinutes", FieldOutRange,
		"durationMinutes must be between 0 (the policy's limit) and %d", MaxBreakGlassMinutes)
	return v.Err()
}

// PostReview is the review an admin must close after break-glass access.
type PostReview struct {
	Status       string     `json:"status"` // open, closed
	ClosedAt     *time.Time `json:"closedAt,omitempty"`
	ClosedBy     string     `json:"closedBy,omitempty"`
	ClosedByName string     `json:"closedByName,omitempty"`
	Note         string     `json:"note,omitempty"`
}

// CloseReviewInput closes a break-glass access's post-hoc review.
type CloseReviewInput struct {
	Note string `json:"note"`
}

// Validate checks the input.
func (in CloseReviewInput) Validate() error {
	var v Validation
	checkText(&v, "note", in.Note, true, 2000)
	return v.Err()
}
