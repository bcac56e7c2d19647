package accesshive

import "time"

// Access reviews (recertification): when a client's compliance asks for them
// (accessReviewEveryDays), the sweep opens a campaign whose items are the client's
// live grants and linked agency identities; the client's owners (or owners and
// admins) keep or revoke each with a reason; what is not decided by the deadline
// follows the client's unreviewedAction (revoke, or escalate to admins).

// Review campaign statuses and item decisions.
const (
	ReviewOpen   = "open"
	ReviewClosed = "closed"

	ReviewKeep              = "keep"
	ReviewRevoke            = "revoke"
	ReviewEscalated         = "escalated"          // not decided by the deadline; for admins
	ReviewRevokedUnreviewed = "revoked_unreviewed" // not decided by the deadline; revoked

	ReviewItemGrant = "grant"
	ReviewItemLink  = "identity_link"

	DefaultReviewDeadlineDays = 14
)

// ReviewItem is one live grant or linked identity to keep or revoke.
type ReviewItem struct {
	ID            string     `json:"id"`
	Kind          string     `json:"kind"`
	RequestID     string     `json:"requestId,omitempty"`
	IdentityID    string     `json:"identityId,omitempty"`
	PrincipalID   string     `json:"principalId"`
	PlatformID    string     `json:"platformId,omitempty"`
	Decision      string     `json:"decision,omitempty"`
	Reason        string     `json:"reason,omitempty"`
	DecidedBy     string     `json:"decidedBy,omitempty"`
	DecidedByName string     `json:"decidedByName,omitempty"`
	DecidedAt     *time.Time `json:"decidedAt,omitempty"`
}

// ReviewCampaign is one access review of a client.
type ReviewCampaign struct {
	ID               string       `json:"id"`
	AgencyID         string       `json:"agencyId"`
	ClientID         string       `json:"clientId"`
	OpenedAt         time.Time    `json:"openedAt"`
	Deadline         time.Time    `json:"deadline"`
	Status           string       `json:"status"`
	UnreviewedAction string       `json:"unreviewedAction"`
	Items            []ReviewItem `json:"items"`
	Meta
}

// ReviewDecisionInput keeps or revokes one item, with a reason.
type ReviewDecisionInput struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
}

// Validate checks the input.
func (in ReviewDecisionInput) Validate() error {
	var v Validation
	v.Check(in.Decision == ReviewKeep || in.Decision == ReviewRevoke, "decision", FieldUnknown, "decision must be keep or revoke")
	checkText(&v, "reason", in.Reason, true, 1000)
	return v.Err()
}
