package dynamo

import (
	"context"
	"fmt"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

type agencyItem struct {
	keys
	ah.Agency
}

func newAgencyItem(a ah.Agency) agencyItem {
	return agencyItem{keys: keys{PK: agencyPK(a.ID), SK: agencySK, Type: typeAgency}, Agency: a}
}

var errAgencyNotFound = ah.NotFound("agency")

// CreateAgency writes an agency, its owner (with email and subject guards) and its
// default security policy in one transaction. Returns email_taken when the owner's
// email already belongs to a member anywhere.
func (s *Store) CreateAgency(ctx context.Context, o ah.AgencyCreation) error {
	const op = "dynamo.CreateAgency"
	owner, err := s.memberWrites(o.Owner)
	if err != nil {
		return ah.Internal(op, err)
	}
	pol, err := marshal(newPolicyItem(o.Policy))
	if err != nil {
		return ah.Internal(op, err)
	}
	writes := append(owner, putNew(s.table, pol, errExists),
		s.counterAdd(agencyPK(o.Agency.ID), ownerCounterSK, 1, 0, o.Owner.UpdatedBy, "member.create", nil))
	return s.create(ctx, op, newAgencyItem(o.Agency), nil, writes...)
}

// GetAgency reads an agency.
func (s *Store) GetAgency(ctx context.Context, agencyID string) (ah.Agency, error) {
	it, err := get[agencyItem](ctx, s, "dynamo.GetAgency", agencyPK(agencyID), agencySK, errAgencyNotFound)
	return it.Agency, err
}

// UpdateAgency writes a changed agency if its version is still PrevVersion.
func (s *Store) UpdateAgency(ctx context.Context, o ah.AgencyUpdate) error {
	const op = "dynamo.UpdateAgency"
	var extra []write
	if o.NewDefault != nil && o.OldDefault != nil {
		for _, p := range []struct {
			pol  *ah.SecurityPolicy
			prev int
		}{{o.NewDefault, o.NewDefaultPrev}, {o.OldDefault, o.OldDefaultPrev}} {
			w, err := s.replaceWrite(newPolicyItem(*p.pol), p.prev)
			if err != nil {
				return ah.Internal(op, err)
			}
			extra = append(extra, w)
		}
	}
	if err := s.replace(ctx, op, newAgencyItem(o.Agency), o.PrevVersion, extra...); err != nil {
		return fmt.Errorf("update agency %s: %w", o.Agency.ID, err)
	}
	return nil
}
