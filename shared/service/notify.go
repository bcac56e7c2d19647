package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// Notifications leave the request path: a change to an access request is one
// transaction and nothing else, and the notifications function, fed by the table's
// stream, tells the people it concerns (in-app, and by email). Each notification's
// id and time come from the change, so a redelivered change writes the same items
// again, and an email already sent is not sent twice; a failed email is recorded on
// its notification and reported, so the stream delivers the change again.

// notice is one notification a request change calls for.
type notice struct {
	kind, title, body string
	suffix            string // distinguishes notices of one kind on one request (reminders)
	reviewers         bool   // to the agency's reviewers, not the requester
	owners            bool   // also to the client's owners
	admins            bool   // to every owner and admin and the client's owners, not the requester
}

// requestNotices are the notifications a request's change from old (nil: new) to
// cur calls for.
func requestNotices(old, cur *ah.AccessRequest) []notice {
	if old == nil {
		if cur.BreakGlass {
			ends := ""
			if cur.AccessEndsAt != nil {
				ends = cur.AccessEndsAt.Format(time.RFC3339)
			}
			return []notice{{kind: "break_glass", title: "Break-glass access taken", admins: true,
				body: fmt.Sprintf("%s took emergency access without approval (until %s): %q. Close its review on the request once you have checked it.",
					cur.RequesterName, ends, cur.Justification)}}
		}
		if cur.Status == ah.RequestPending {
			return []notice{{kind: "pending", title: "New access request", reviewers: true,
				body: fmt.Sprintf("A %s access request is waiting: %q. Review it on the client's Access Requests tab.", cur.IdentityType, cur.Justification)}}
		}
		return nil
	}
	var out []notice
	if old.Status != cur.Status {
		switch cur.Status {
		case ah.RequestApproved:
			body := "Your access request was approved; your identity is being provisioned." + endsNote(*cur)
			if cur.Reason != "" {
				body += " Note from the reviewer: " + cur.Reason
			}
			out = append(out, notice{kind: "approved", title: "Access request approved", body: body})
		case ah.RequestProvisioned:
			out = append(out, notice{kind: "provisioned", title: "Your access is ready",
				body: "Your access request was approved and your identity is ready. Its credentials are available from your agency." + endsNote(*cur)})
		case ah.RequestRejected:
			body := "Your access request was rejected."
			if cur.Reason != "" {
				body += " Reason: " + cur.Reason
			}
			out = append(out, notice{kind: "rejected", title: "Access request rejected", body: body})
		case ah.RequestExpired:
			out = append(out, notice{kind: "expired", title: "Access request expired",
				body: "Your access request expired before it was reviewed. You can submit a new one; ask your agency owner to lengthen the window under Settings > Access Requests if this keeps happening."})
		case ah.RequestRevoked:
			if last := lastAction(cur); last == "access_ended" {
				ends := ""
				if cur.AccessEndsAt != nil {
					ends = " (" + cur.AccessEndsAt.Format(time.RFC3339) + ")"
				}
				out = append(out, notice{kind: "access_ended", title: "Your access has ended",
					body: fmt.Sprintf("Your access granted by request %s reached its end time%s. Submit a new request if you still need it.", cur.ID, ends)})
			} else {
				body := "Your access was revoked by your agency."
				if cur.Reason != "" {
					body += " Reason: " + cur.Reason
				}
				out = append(out, notice{kind: "revoked", title: "Access revoked", body: body})
			}
		}
	}
	if cur.Status == ah.RequestPending {
		for _, lead := range cur.RemindersSent {
			if !slices.Contains(old.RemindersSent, lead) {
				out = append(out, notice{kind: "reminder", suffix: strconv.Itoa(lead), title: "A request is waiting for your review", reviewers: true,
					body: fmt.Sprintf("A %s access request (%q, by %s) expires at %s unless it is reviewed. Review it on the client's Access Requests tab.",
						cur.IdentityType, cur.Justification, cur.RequesterName, cur.ExpiresAt.Format(time.RFC3339))})
			}
		}
	}
	if old.EndNoticeSentAt == nil && cur.EndNoticeSentAt != nil && cur.AccessEndsAt != nil {
		out = append(out, notice{kind: "access_ending", title: "Your access ends soon", owners: true,
			body: fmt.Sprintf("Your access granted by request %s ends at %s. Ask your agency for a new request if you need it longer.", cur.ID, cur.AccessEndsAt.Format(time.RFC3339))})
	}
	return out
}

func lastAction(r *ah.AccessRequest) string {
	if len(r.History) == 0 {
		return ""
	}
	return r.History[len(r.History)-1].Action
}

func endsNote(r ah.AccessRequest) string {
	if r.AccessEndsAt == nil {
		return ""
	}
	return " Your access ends at " + r.AccessEndsAt.Format(time.RFC3339) + "."
}

// NotifyRequestChange tells the people a request's change concerns: the agency's
// owners and admins of a new request, the requester of what happened to theirs.
// An email that fails is recorded on its notification and returned (after every
// other notification is delivered), so the change is delivered again and only what
// was not sent is sent then.
func (s *Service) NotifyRequestChange(ctx context.Context, old, cur *ah.AccessRequest) error {
	var failed []error
	if err := s.slackOnRequestChange(ctx, old, cur); err != nil {
		failed = append(failed, err)
	}
	for _, n := range requestNotices(old, cur) {
		var to []ah.Member
		if n.admins {
			members, err := allPages(func(pg ah.Page) ([]ah.Member, ah.Keys, error) { return s.store.ListMembers(ctx, cur.AgencyID, pg) })
			if err != nil {
				return err
			}
			c, err := s.store.GetClient(ctx, cur.AgencyID, cur.ClientID)
			if err != nil {
				return err
			}
			for _, m := range members {
				if m.Status != ah.MemberDisabled && m.ID != cur.RequesterID &&
					(m.Role == ah.RoleOwner || m.Role == ah.RoleAdmin || slices.Contains(c.Governance.ClientOwners, m.ID)) {
					to = append(to, m)
				}
			}
		} else if n.reviewers {
			// Everyone the request's rules let review it: owners and admins, and
			// the client's owners or managers where the policy names them.
			members, err := allPages(func(pg ah.Page) ([]ah.Member, ah.Keys, error) { return s.store.ListMembers(ctx, cur.AgencyID, pg) })
			if err != nil {
				return err
			}
			rules := rulesOf(*cur)
			var owners []string
			if rules.Approval.NeedsClientOwners() {
				c, err := s.store.GetClient(ctx, cur.AgencyID, cur.ClientID)
				if err != nil {
					return err
				}
				owners = c.Governance.ClientOwners
			}
			for _, m := range members {
				p := ah.Principal{AgencyID: m.AgencyID, MemberID: m.ID, Role: m.Role, Teams: m.Teams}
				if m.Status != ah.MemberDisabled && m.ID != cur.RequesterID && rules.Approval.MayApprove(p, cur.ClientID, owners) {
					to = append(to, m)
				}
			}
		} else {
			m, err := s.store.GetMember(ctx, cur.AgencyID, cur.RequesterID)
			if err != nil {
				return err
			}
			to = append(to, m)
			if n.owners {
				// The client's owners hear too (e.g. before a grant ends).
				c, err := s.store.GetClient(ctx, cur.AgencyID, cur.ClientID)
				if err != nil {
					return err
				}
				for _, id := range c.Governance.ClientOwners {
					if o, err := s.store.GetMember(ctx, cur.AgencyID, id); err == nil && o.Status != ah.MemberDisabled && o.ID != cur.RequesterID {
						to = append(to, o)
					}
				}
			}
		}
		for _, m := range to {
			id := "ntf_" + cur.ID + "-" + n.kind
			if n.suffix != "" {
				id += "-" + n.suffix
			}
			if n.reviewers || n.admins || m.ID != cur.RequesterID {
				id += "-" + m.ID
			}
			note := ah.Notification{ID: id, AgencyID: cur.AgencyID, MemberID: m.ID, Kind: "access_request." + n.kind, Title: n.title,
				Body: n.body, ClientID: cur.ClientID, RequestID: cur.ID, CreatedAt: cur.UpdatedAt}
			if err := s.deliver(ctx, m, note); err != nil {
				failed = append(failed, err)
			}
		}
	}
	if old != nil && old.Status != ah.RequestRevoked && cur.Status == ah.RequestRevoked && lastAction(cur) == "access_ended" {
		n := clientNotice{kind: "access_expired", id: cur.ID, title: "Access expired",
			body: fmt.Sprintf("Access granted by request %s (for %s) reached its end time and was revoked.", cur.ID, cur.RequesterName)}
		if err := s.notifyClient(ctx, cur.AgencyID, cur.ClientID, cur.UpdatedAt, []clientNotice{n}); err != nil {
			failed = append(failed, err)
		}
	}
	return errors.Join(failed...)
}

// deliver stores one notification with its email's outcome; one already emailed is
// left as it is.
func (s *Service) deliver(ctx context.Context, to ah.Member, n ah.Notification) error {
	prev, found, err := s.store.GetNotification(ctx, n.AgencyID, n.MemberID, n.CreatedAt, n.ID)
	if err != nil {
		return err
	}
	if found && prev.EmailStatus == ah.EmailSent {
		return nil
	}
	if found {
		n.ReadAt = prev.ReadAt // a retried email keeps what its member did with it
	}
	var mailErr error
	switch {
	case s.mail == nil || to.Email == "":
		n.EmailStatus = ah.EmailNotSent
	default:
		n.EmailStatus = ah.EmailSent
		if mailErr = s.mail.Send(ctx, to.Email, n.Title, n.Body); mailErr != nil {
			n.EmailStatus, n.EmailError = ah.EmailFailed, mailErr.Error()
		}
	}
	if err := s.store.PutNotification(ctx, n); err != nil {
		return fmt.Errorf("store notification %s: %w", n.ID, err)
	}
	if mailErr != nil {
		return fmt.Errorf("email %s about %s: %w", to.ID, n.ID, mailErr)
	}
	return nil
}

// Client notices: what a client's contacts and client users hear (the seed:
// "These contacts receive notifications and are used for escalation"). Contacts
// are not members: their notices are stored like members' (under "contact:" and
// the contact's id), so a redelivered change sends no email twice, and emailed.

// clientNotice is one notification a client's change calls for.
type clientNotice struct {
	kind, title, body string
	id                string // distinguishes repeated notices of one kind ("" for once-only ones)
	technical         bool   // to technical contacts only
	clientUsers       bool   // also to the client's users
}

// contactMember is a contact as a notification's recipient.
func contactMember(agencyID string, c ah.Contact) ah.Member {
	return ah.Member{ID: "contact:" + c.ID, AgencyID: agencyID, Email: c.Email, Name: c.Name}
}

// clientNotices are the notifications a client's change from old (nil: new) to
// cur calls for: the client newly needs attention, its offboarding started, its
// offboarding finished.
func clientNotices(old, cur *ah.Client) []clientNotice {
	var out []clientNotice
	if cur.Offboarding != nil && cur.Offboarding.Attempt == 1 && cur.Offboarding.Status == "running" && (old == nil || old.Offboarding == nil) {
		out = append(out, clientNotice{kind: "offboarding_started", title: cur.Name + " is being offboarded", clientUsers: true,
			body: fmt.Sprintf("%s is being offboarded by your agency: its identities are deactivated, pending requests rejected, access revoked, stored credentials deleted and client users' sign-ins disabled. You will hear when it is finished.", cur.Name)})
	}
	if old != nil && old.Lifecycle != ah.ClientArchived && cur.Lifecycle == ah.ClientArchived {
		out = append(out, clientNotice{kind: "offboarding_finished", title: cur.Name + " was offboarded", clientUsers: true,
			body: fmt.Sprintf("%s was offboarded: every access your agency managed for it is revoked and its client users can no longer sign in.", cur.Name)})
	}
	if old == nil || cur.Lifecycle != ah.ClientActive || cur.Offboarding != nil {
		return out
	}
	had := map[string]bool{}
	for _, a := range old.Attention(cur.UpdatedAt) {
		had[a.Reason+"/"+a.PlatformID] = true
	}
	for _, a := range cur.Attention(cur.UpdatedAt) {
		if had[a.Reason+"/"+a.PlatformID] {
			continue
		}
		out = append(out, clientNotice{kind: "needs_attention", id: a.Reason + "-" + a.PlatformID + "-" + fmt.Sprint(cur.Version),
			title: cur.Name + " needs attention", body: fmt.Sprintf("%s needs attention: %s. Your agency has been told as well.", cur.Name, a.Detail)})
	}
	return out
}

// NotifyClientChange tells a client's contacts (and for offboarding its client
// users) what its change calls for. Like NotifyRequestChange, an email that fails
// is recorded and returned after the rest is delivered.
func (s *Service) NotifyClientChange(ctx context.Context, old, cur *ah.Client) error {
	notices := clientNotices(old, cur)
	if len(notices) == 0 {
		return nil
	}
	return s.notifyClient(ctx, cur.AgencyID, cur.ID, cur.UpdatedAt, notices)
}

// NotifyIdentityChange escalates a failed provisioning nobody retried to the
// client's technical contacts, when the expiry sweep marks it escalated.
func (s *Service) NotifyIdentityChange(ctx context.Context, old, cur *ah.ClientIdentity) error {
	if cur.EscalatedAt == nil || (old != nil && old.EscalatedAt != nil) {
		return nil
	}
	step, reason := "", ""
	for _, st := range cur.Provisioning.Steps {
		if st.Status == ah.StepFailed {
			step, reason = st.Name, st.Error
		}
	}
	n := clientNotice{kind: "provisioning_escalated", id: cur.ID + "-" + fmt.Sprint(cur.Provisioning.Attempt), technical: true,
		title: "Provisioning failed and is waiting for your agency",
		body:  fmt.Sprintf("Setting up access on a platform failed at step %s and nobody at your agency has retried it yet (identity %s): %s. Please contact your agency.", step, cur.ID, reason)}
	return s.notifyClient(ctx, cur.AgencyID, cur.ClientID, *cur.EscalatedAt, []clientNotice{n})
}

// notifyClient delivers client notices to the client's contacts and users.
func (s *Service) notifyClient(ctx context.Context, agencyID, clientID string, at time.Time, notices []clientNotice) error {
	d, err := s.store.GetClientDetail(ctx, agencyID, clientID)
	if err != nil {
		return err
	}
	var users []ah.Member
	for _, n := range notices {
		if n.clientUsers {
			if users, err = s.clientUsers(ctx, agencyID, clientID); err != nil {
				return err
			}
			break
		}
	}
	var failed []error
	for _, n := range notices {
		var to []ah.Member
		for _, c := range d.Contacts {
			if !n.technical || c.Kind == ah.ContactTechnical {
				to = append(to, contactMember(agencyID, c))
			}
		}
		if n.clientUsers {
			to = append(to, users...)
		}
		for _, m := range to {
			id := "ntf_" + clientID + "-" + n.kind
			if n.id != "" {
				id += "-" + n.id
			}
			note := ah.Notification{ID: id + "-" + m.ID, AgencyID: agencyID, MemberID: m.ID, Kind: "client." + n.kind, Title: n.title,
				Body: n.body, ClientID: clientID, CreatedAt: at}
			if err := s.deliver(ctx, m, note); err != nil {
				failed = append(failed, err)
			}
		}
	}
	return errors.Join(failed...)
}
