package accesshive

import "testing"

// TestDetailType: an action's EventBridge detail-type, as docs/integrations.md names them.
func TestDetailType(t *testing.T) {
	for action, want := range map[string]string{
		"access_request.approve":  "AccessRequest Approved",
		"access_request.approved": "AccessRequest Approved",
		"access_request.submit":   "AccessRequest Submitted",
		"member.email_change":     "Member Email Changed",
		"platform.create":         "Platform Created",
		"identity.retry":          "Identity Retried",
		"client_identity.delete":  "ClientIdentity Deleted",
	} {
		if got := DetailType(action); got != want {
			t.Errorf("DetailType(%q) = %q, want %q", action, got, want)
		}
	}
}

// TestEventTypeShape: what a webhook may subscribe to.
func TestEventTypeShape(t *testing.T) {
	for typ, want := range map[string]bool{"access_request.approve": true, "member.email_change": true, "Access.approve": false,
		"access_request": false, "a.b.c": false, "access request.approve": false, ".approve": false} {
		if got := eventTypeShape(typ); got != want {
			t.Errorf("eventTypeShape(%q) = %v", typ, got)
		}
	}
}
