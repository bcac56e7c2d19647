package accesshive

import "time"

// Notification is an in-app message to one member, with the fate of its email.
type Notification struct {
	ID          string    `json:"id"`
	AgencyID    string    `json:"agencyId"`
	MemberID    string    `json:"memberId"`
	Kind        string    `json:"kind"`
	Title       string    `json:"title"`
	Body        string    `json:"body"`
	ClientID    string    `json:"clientId,omitempty"`
	RequestID   string    `json:"requestId,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
	EmailStatus string    `json:"emailStatus"` // sent, failed, not_sent
	EmailError  string    `json:"emailError,omitempty"`
	// ReadAt is when its member marked it read (nil: unread).
	ReadAt *time.Time `json:"readAt,omitempty"`
}

// UnreadCount is how many of a member's notifications are unread.
type UnreadCount struct {
	Unread int `json:"unread"`
}

// MarkedRead is how many notifications a mark-all-read marked.
type MarkedRead struct {
	Marked int `json:"marked"`
}

// What happened to a notification's email.
const (
	EmailSent    = "sent"
	EmailFailed  = "failed"
	EmailNotSent = "not_sent"
)
