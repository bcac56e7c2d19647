package dynamo_test

import (
	"context"
	"testing"
	"time"

	"github.com/accesshive/accesshive/infra/testenv"
	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/dynamo"
)

func newStore(t *testing.T) (*dynamo.Store, *testenv.Env) {
	e := testenv.New(t)
	return dynamo.NewStore(e.Stack.DB, e.Stack.Tables["Table"]), e
}

// TestOwnerCounterGuardsLastOwner writes straight to the store: a change that would
// leave no enabled owner fails with last_owner and changes nothing.
func TestOwnerCounterGuardsLastOwner(t *testing.T) {
	t.Parallel()
	s, e := newStore(t)
	ctx := context.Background()
	m, err := s.MemberByEmail(ctx, e.Seed.Users["owner"].Email)
	if err != nil {
		t.Fatal(err)
	}
	demoted := m
	demoted.Role = ah.RoleAdmin
	demoted.Version++
	err = s.UpdateMember(ctx, demoted, m.Version, -1)
	if ah.CodeOf(err) != ah.CodeLastOwner {
		t.Fatalf("UpdateMember demoting the last owner: %v, want last_owner", err)
	}
	after, _ := s.GetMember(ctx, m.AgencyID, m.ID)
	if after.Role != ah.RoleOwner || after.Version != m.Version {
		t.Fatalf("refused write changed the member: %+v", after)
	}
}

func TestVersionedWrites(t *testing.T) {
	t.Parallel()
	s, e := newStore(t)
	ctx := context.Background()
	p, err := s.GetPlatform(ctx, e.Seed.AgencyID, e.Seed.Platforms["meta"])
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ErrStaleVersion", func(t *testing.T) {
		stale := p
		stale.Name = "stale"
		stale.Version = p.Version + 1
		if err := s.UpdatePlatform(ctx, stale, p.Version+5); ah.CodeOf(err) != ah.CodeVersionConflict {
			t.Fatalf("stale write: %v, want version_conflict", err)
		}
	})
	t.Run("OK", func(t *testing.T) {
		next := p
		next.Name = "fresh"
		next.Version = p.Version + 1
		next.UpdatedAt = time.Now().UTC()
		if err := s.UpdatePlatform(ctx, next, p.Version); err != nil {
			t.Fatal(err)
		}
		got, _ := s.GetPlatform(ctx, p.AgencyID, p.ID)
		if got.Name != "fresh" || got.Version != p.Version+1 {
			t.Fatalf("got %+v", got)
		}
	})
	t.Run("ErrNotFoundIsDomainError", func(t *testing.T) {
		_, err := s.GetPlatform(ctx, "agy_other", p.ID)
		if ah.KindOf(err) != ah.KindNotFound {
			t.Fatalf("foreign agency read: %v, want not found", err)
		}
	})
}
