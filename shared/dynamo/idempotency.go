package dynamo

import (
	"context"
	"fmt"
	"time"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// IdempotencyTTL is how long a creating request's Idempotency-Key is remembered.
const IdempotencyTTL = 24 * time.Hour

// Idempotency ties a creating write to the caller's Idempotency-Key. The record is
// written in the same transaction as the resource, so a retried request either
// finds the record (and replays its response) or creates the resource: never both,
// never neither.
type Idempotency struct {
	AgencyID    string
	MemberID    string
	Key         string
	Fingerprint string // hash of method, route and body
	Response    []byte // the resource as created, replayed on a retry
	Now         time.Time
}

// ErrReplay is returned (wrapped in *Replay) when the key was used before with the
// same request: the caller answers with the stored response.
type Replay struct {
	Response []byte
}

func (r *Replay) Error() string { return "idempotent replay" }

type idempotencyItem struct {
	keys
	Fingerprint string    `json:"fingerprint"`
	Response    string    `json:"response"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedBy   string    `json:"updatedBy"`
	LastAction  string    `json:"lastAction"`
}

func (s *Store) idempotencyWrite(idem *Idempotency) (write, error) {
	item, err := marshal(idempotencyItem{
		keys: keys{
			PK: idempotencyPK(idem.AgencyID, idem.MemberID, idem.Key), SK: idempotencySK,
			Type: typeIdempotency, TTL: idem.Now.Add(IdempotencyTTL).Unix(),
		},
		Fingerprint: idem.Fingerprint,
		Response:    string(idem.Response),
		CreatedAt:   idem.Now,
		UpdatedBy:   idem.MemberID,
		LastAction:  "idempotency.record",
	})
	if err != nil {
		return write{}, fmt.Errorf("encode idempotency record: %w", err)
	}
	return putNew(s.table, item, nil), nil
}

func (s *Store) replay(ctx context.Context, op string, idem *Idempotency) error {
	rec, err := get[idempotencyItem](ctx, s, op, idempotencyPK(idem.AgencyID, idem.MemberID, idem.Key), idempotencySK,
		ah.Internal(op, fmt.Errorf("idempotency record vanished")))
	if err != nil {
		return err
	}
	if rec.Fingerprint != idem.Fingerprint {
		return &ah.Error{Kind: ah.KindInvalid, Code: ah.CodeIdempotencyKeyReused, Op: op,
			Message: "this Idempotency-Key was already used with a different request; use a new key"}
	}
	return &Replay{Response: []byte(rec.Response)}
}
