package accesshive

import "time"

// Limits of the agency's access-request expiry window, in minutes.
const (
	MinAccessRequestExpiryMinutes     = 5
	MaxAccessRequestExpiryMinutes     = 30 * 24 * 60
	DefaultAccessRequestExpiryMinutes = 72 * 60
)

// Limits of how long the audit trail keeps an agency's entries, in days (entries
// expire by the audit table's TTL; a change applies to entries written after it).
const (
	MinAuditRetentionDays     = 90
	MaxAuditRetentionDays     = 3653 // ten years
	DefaultAuditRetentionDays = 2557 // seven years
)

// Agency is the tenant: every other item belongs to exactly one agency.
type Agency struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Settings Settings `json:"settings"`
	Meta
}

// Settings are the agency-wide settings shown under Settings.
type Settings struct {
	// AccessRequestExpiryMinutes is how long a pending access request waits for review
	// before it expires (Settings > Access Requests).
	AccessRequestExpiryMinutes int `json:"accessRequestExpiryMinutes"`
	// DefaultSecurityPolicyID is the policy new clients get when none is chosen.
	DefaultSecurityPolicyID string `json:"defaultSecurityPolicyId"`
	// DefaultGovernancePolicyID governs requests where no policy is assigned
	// ("": the built-in rules).
	DefaultGovernancePolicyID string `json:"defaultGovernancePolicyId"`
	// AuditRetentionDays is how long the audit trail keeps an entry.
	AuditRetentionDays int `json:"auditRetentionDays"`
	// EscalationMinutes is how long a failed provisioning waits for an admin
	// (a retry) before the client's technical contacts are told (0: the default).
	EscalationMinutes int `json:"escalationMinutes"`
	// ReminderLeadMinutes are how long before a pending request expires its
	// possible reviewers are reminded (e.g. 1440 and 60); none: no reminders.
	ReminderLeadMinutes []int `json:"reminderLeadMinutes,omitempty"`
}

// MaxReminders is how many reminder lead times an agency may set.
const MaxReminders = 3

// Escalation limits and default, in minutes.
const (
	DefaultEscalationMinutes = 60
	MinEscalationMinutes     = 5
	MaxEscalationMinutes     = 7 * 24 * 60
)

// EscalateAfter is how long a failed provisioning waits before escalation.
func (s Settings) EscalateAfter() time.Duration {
	m := s.EscalationMinutes
	if m == 0 {
		m = DefaultEscalationMinutes
	}
	return time.Duration(m) * time.Minute
}

// Retention is how long the agency's audit entries are kept (the default for an
// agency created before the setting existed).
func (s Settings) Retention() time.Duration {
	days := s.AuditRetentionDays
	if days == 0 {
		days = DefaultAuditRetentionDays
	}
	return time.Duration(days) * 24 * time.Hour
}

// Meta is the bookkeeping every stored item carries.
type Meta struct {
	Version    int       `json:"version"`
	CreatedAt  time.Time `json:"createdAt"`
	UpdatedAt  time.Time `json:"updatedAt"`
	UpdatedBy  string    `json:"updatedBy"`
	LastAction string    `json:"lastAction"`
}

// SettingsPatch is a partial update of agency settings; nil fields stay unchanged.
type SettingsPatch struct {
	AgencyName                 *string `json:"agencyName"`
	AccessRequestExpiryMinutes *int    `json:"accessRequestExpiryMinutes"`
	DefaultSecurityPolicyID    *string `json:"defaultSecurityPolicyId"`
	DefaultGovernancePolicyID  *string `json:"defaultGovernancePolicyId"`
	AuditRetentionDays         *int    `json:"auditRetentionDays"`
	EscalationMinutes          *int    `json:"escalationMinutes"`
	ReminderLeadMinutes        *[]int  `json:"reminderLeadMinutes"`
}

// Validate checks the patch's values.
func (p SettingsPatch) Validate() error {
	var v Validation
	if p.AgencyName != nil {
		checkText(&v, "agencyName", *p.AgencyName, true, 120)
	}
	if p.AccessRequestExpiryMinutes != nil {
		m := *p.AccessRequestExpiryMinutes
		v.Check(m >= MinAccessRequestExpiryMinutes && m <= MaxAccessRequestExpiryMinutes,
			"accessRequestExpiryMinutes", FieldOutRange, "accessRequestExpiryMinutes must be between %d and %d",
			MinAccessRequestExpiryMinutes, MaxAccessRequestExpiryMinutes)
	}
	if p.DefaultSecurityPolicyID != nil {
		v.Check(*p.DefaultSecurityPolicyID != "", "defaultSecurityPolicyId", FieldRequired, "defaultSecurityPolicyId cannot be empty")
	}
	if p.AuditRetentionDays != nil {
		d := *p.AuditRetentionDays
		v.Check(d >= MinAuditRetentionDays && d <= MaxAuditRetentionDays, "auditRetentionDays", FieldOutRange,
			"auditRetentionDays must be between %d and %d", MinAuditRetentionDays, MaxAuditRetentionDays)
	}
	if p.EscalationMinutes != nil {
		m := *p.EscalationMinutes
		v.Check(m >= MinEscalationMinutes && m <= MaxEscalationMinutes, "escalationMinutes", FieldOutRange,
			"escalationMinutes must be between %d and %d", MinEscalationMinutes, MaxEscalationMinutes)
	}
	if p.ReminderLeadMinutes != nil {
		leads := *p.ReminderLeadMinutes
		v.Check(len(leads) <= MaxReminders, "reminderLeadMinutes", FieldTooLong, "at most %d reminder lead times", MaxReminders)
		seen := map[int]bool{}
		for i, m := range leads {
			f := "reminderLeadMinutes[" + itoa(i) + "]"
			v.Check(m >= 5 && m <= MaxAccessRequestExpiryMinutes, f, FieldOutRange, "a reminder lead time must be between 5 and %d minutes", MaxAccessRequestExpiryMinutes)
			v.Check(!seen[m], f, FieldInvalid, "%d is listed twice", m)
			seen[m] = true
		}
	}
	if p.AgencyName == nil && p.AccessRequestExpiryMinutes == nil && p.DefaultSecurityPolicyID == nil && p.DefaultGovernancePolicyID == nil &&
		p.AuditRetentionDays == nil && p.EscalationMinutes == nil && p.ReminderLeadMinutes == nil {
		v.Add("", FieldRequired, "the patch changes nothing: name at least one field")
	}
	return v.Err()
}

// NewAgencyInput is what an operator gives to create an agency and its first owner.
type NewAgencyInput struct {
	AgencyName string `json:"agencyName"`
	OwnerEmail string `json:"ownerEmail"`
	OwnerName  string `json:"ownerName"`
	// OwnerSubject optionally binds the owner to a known identity-provider subject now;
	// otherwise the owner is bound at first sign-in by verified email.
	OwnerSubject string `json:"ownerSubject,omitempty"`
}

// Validate checks the input.
func (in NewAgencyInput) Validate() error {
	var v Validation
	checkText(&v, "agencyName", in.AgencyName, true, 120)
	checkEmail(&v, "ownerEmail", in.OwnerEmail)
	checkText(&v, "ownerName", in.OwnerName, true, 120)
	checkText(&v, "ownerSubject", in.OwnerSubject, false, 255)
	return v.Err()
}

// SettingsView is the agency's settings as the API shows them.
type SettingsView struct {
	AgencyID   string `json:"agencyId"`
	AgencyName string `json:"agencyName"`
	Settings
	Version   int       `json:"version"`
	UpdatedAt time.Time `json:"updatedAt"`
	UpdatedBy string    `json:"updatedBy"`
}

// View returns the agency's settings view.
func (a Agency) View() SettingsView {
	v := SettingsView{AgencyID: a.ID, AgencyName: a.Name, Settings: a.Settings, Version: a.Version, UpdatedAt: a.UpdatedAt, UpdatedBy: a.UpdatedBy}
	if v.AuditRetentionDays == 0 {
		v.AuditRetentionDays = DefaultAuditRetentionDays
	}
	return v
}

// Me is who the caller is, as GET /v1/me shows it.
type Me struct {
	Principal
	AgencyName string `json:"agencyName"`
}

// ETagVersion is the version an ETag names.
func (m Meta) ETagVersion() int { return m.Version }
