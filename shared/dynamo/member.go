package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

type memberItem struct {
	keys
	ah.Member
	Subject string `json:"subject,omitempty"`
}

func newMemberItem(m ah.Member) memberItem {
	if m.Teams == nil {
		// Always a map, so a team change can set one entry inside it.
		m.Teams = map[string]ah.TeamRole{}
	}
	it := memberItem{keys: keys{PK: agencyPK(m.AgencyID), SK: memberSK(m.ID), Type: typeMember}, Member: m, Subject: m.Subject}
	if m.Subject != "" {
		it.GSI1PK, it.GSI1SK = subjectKey(m.Subject), memberGSI1SK
	}
	return it
}

func (it memberItem) member() ah.Member {
	m := it.Member
	m.Subject = it.Subject
	return m
}

var (
	errMemberNotFound = ah.NotFound("member")
	errEmailTaken     = ah.Conflict(ah.CodeEmailTaken, "a member with this email already exists")
	errSubjectTaken   = ah.Conflict(ah.CodeConflict, "this sign-in identity is already bound to another member")
	errLastOwner      = ah.Conflict(ah.CodeLastOwner, "an agency must keep at least one enabled owner")
)

// memberWrites are the writes that create a member: the member, its email guard and,
// when already known, its subject guard.
func (s *Store) memberWrites(m ah.Member) ([]write, error) {
	av, err := marshal(newMemberItem(m))
	if err != nil {
		return nil, fmt.Errorf("encode member: %w", err)
	}
	writes := []write{putNew(s.table, av, errExists)}
	eg, err := s.guardWrite(guard{keys: keys{PK: emailGuardPK(m.Email), SK: emailGuardSK, Type: typeEmailGuard},
		AgencyID: m.AgencyID, MemberID: m.ID, UpdatedBy: m.UpdatedBy, LastAction: m.LastAction}, errEmailTaken)
	if err != nil {
		return nil, err
	}
	writes = append(writes, eg)
	if m.Subject != "" {
		sg, err := s.subjectGuard(m)
		if err != nil {
			return nil, err
		}
		writes = append(writes, sg)
	}
	return writes, nil
}

func (s *Store) subjectGuard(m ah.Member) (write, error) {
	return s.guardWrite(guard{keys: keys{PK: subjectKey(m.Subject), SK: subjectGuardSK, Type: typeSubjectGuard},
		AgencyID: m.AgencyID, MemberID: m.ID, UpdatedBy: m.UpdatedBy, LastAction: m.LastAction}, errSubjectTaken)
}

// CreateMember writes a new member with its email guard; an owner also counts
// towards the agency's owners. Returns email_taken, or a *Replay for a repeated
// Idempotency-Key.
func (s *Store) CreateMember(ctx context.Context, m ah.Member, idem *ah.Idempotency) error {
	const op = "dynamo.CreateMember"
	writes, err := s.memberWrites(m)
	if err != nil {
		return ah.Internal(op, err)
	}
	if m.Role == ah.RoleOwner {
		writes = append(writes, s.counterAdd(agencyPK(m.AgencyID), ownerCounterSK, 1, 0, m.UpdatedBy, m.LastAction, nil))
	}
	return s.transact(ctx, op, idem, writes...)
}

// GetMember reads a member of an agency.
func (s *Store) GetMember(ctx context.Context, agencyID, memberID string) (ah.Member, error) {
	it, err := get[memberItem](ctx, s, "dynamo.GetMember", agencyPK(agencyID), memberSK(memberID), errMemberNotFound)
	return it.member(), err
}

// ListMembers lists an agency's members in id (creation) order.
func (s *Store) ListMembers(ctx context.Context, agencyID string, page ah.Page) ([]ah.Member, ah.Keys, error) {
	return list(ctx, s, "dynamo.ListMembers", prefixQuery(agencyPK(agencyID), memberPrefix), page, func(it memberItem) ah.Member { return it.member() })
}

// UpdateMember writes a changed member if its version is still prevVersion.
// ownerDelta (+1, -1 or 0) moves the agency's enabled-owner count in the same
// transaction; the count may never fall below one (last_owner).
func (s *Store) UpdateMember(ctx context.Context, m ah.Member, prevVersion, ownerDelta int) error {
	const op = "dynamo.UpdateMember"
	var extra []write
	if ownerDelta != 0 {
		extra = append(extra, s.counterAdd(agencyPK(m.AgencyID), ownerCounterSK, ownerDelta, 1, m.UpdatedBy, m.LastAction, errLastOwner))
	}
	if err := s.replace(ctx, op, newMemberItem(m), prevVersion, extra...); err != nil {
		return fmt.Errorf("update member %s: %w", m.ID, err)
	}
	return nil
}

// MemberBySubject finds the member bound to an identity-provider subject (GSI1).
// The index is eventually consistent; callers fall back to MemberByEmail.
func (s *Store) MemberBySubject(ctx context.Context, subject string) (ah.Member, error) {
	items, _, err := query[memberItem](ctx, s, "dynamo.MemberBySubject", &dynamodb.QueryInput{
		IndexName:              aws.String(indexGSI1),
		KeyConditionExpression: aws.String("GSI1PK = :pk AND GSI1SK = :sk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(subjectKey(subject)), ":sk": str(memberGSI1SK),
		},
	}, ah.Page{Limit: 1})
	if err != nil {
		return ah.Member{}, err
	}
	if len(items) == 0 {
		return ah.Member{}, errMemberNotFound
	}
	return items[0].member(), nil
}

// MemberByEmail finds the member an email belongs to, through its email guard.
func (s *Store) MemberByEmail(ctx context.Context, email string) (ah.Member, error) {
	const op = "dynamo.MemberByEmail"
	g, err := get[guard](ctx, s, op, emailGuardPK(email), emailGuardSK, errMemberNotFound)
	if err != nil {
		return ah.Member{}, err
	}
	return s.GetMember(ctx, g.AgencyID, g.MemberID)
}

// BindSubject stores the subject a member signed in with (m carries it and its new
// version) together with the subject's guard, so one subject maps to one member.
func (s *Store) BindSubject(ctx context.Context, m ah.Member, prevVersion int) error {
	const op = "dynamo.BindSubject"
	sg, err := s.subjectGuard(m)
	if err != nil {
		return ah.Internal(op, err)
	}
	return s.replace(ctx, op, newMemberItem(m), prevVersion, sg)
}

// ChangeMemberEmail moves a member to a new email in one transaction: the member
// (versioned), the new email's guard (email_taken when claimed), the old email's
// guard and subject guard released.
func (s *Store) ChangeMemberEmail(ctx context.Context, c ah.MemberEmailChange) error {
	const op = "dynamo.ChangeMemberEmail"
	m := c.Member
	put, err := s.replaceWrite(newMemberItem(m), c.PrevVersion)
	if err != nil {
		return ah.Internal(op, err)
	}
	eg, err := s.guardWrite(guard{keys: keys{PK: emailGuardPK(m.Email), SK: emailGuardSK, Type: typeEmailGuard},
		AgencyID: m.AgencyID, MemberID: m.ID, UpdatedBy: m.UpdatedBy, LastAction: m.LastAction}, errEmailTaken)
	if err != nil {
		return ah.Internal(op, err)
	}
	writes := []write{put, eg, s.deleteWrite(emailGuardPK(c.PrevEmail), emailGuardSK)}
	if c.PrevSubject != "" {
		writes = append(writes, s.deleteWrite(subjectKey(c.PrevSubject), subjectGuardSK))
	}
	if c.OwnerDelta != 0 {
		writes = append(writes, s.counterAdd(agencyPK(m.AgencyID), ownerCounterSK, c.OwnerDelta, 1, m.UpdatedBy, m.LastAction, errLastOwner))
	}
	return s.transact(ctx, op, nil, writes...)
}
