package dynamo

import (
	"context"
	"fmt"
	"time"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

type idempotencyItem struct {
	keys
	Fingerprint string    `json:"fingerprint"`
	Response    string    `json:"response"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedBy   string    `json:"updatedBy"`
	LastAction  string    `json:"lastAction"`
}

func (s *Store) idempotencyWrite(idem *ah.Idempotency) (write, error) {
	item, err := marshal(idempotencyItem{
		keys: keys{
			PK: idempotencyPK(idem.AgencyID, idem.MemberID, idem.Key), SK: idempotencySK,
			Type: typeIdempotency, TTL: idem.Now.Add(ah.IdempotencyTTL).Unix(),
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

func (s *Store) replay(ctx context.Context, op string, idem *ah.Idempotency) error {
	rec, err := get[idempotencyItem](ctx, s, op, idempotencyPK(idem.AgencyID, idem.MemberID, idem.Key), idempotencySK,
		ah.Internal(op, fmt.Errorf("idempotency record vanished")))
	if err != nil {
		return err
	}
	if rec.Fingerprint != idem.Fingerprint {
		return &ah.Error{Kind: ah.KindInvalid, Code: ah.CodeIdempotencyKeyReused, Op: op,
			Message: "this Idempotency-Key was already used with a different request; use a new key"}
	}
	return &ah.Replay{Response: []byte(rec.Response)}
}
