// Package cursor turns a DynamoDB LastEvaluatedKey into an opaque pagination cursor
// the server can verify: the key is HMAC-signed together with the list it belongs to
// (scope), so a cursor cannot be forged, altered, or replayed on another list or
// another agency. The signing key can rotate (NewRotating): cursors signed with
// the previous key still verify until it is dropped.
package cursor

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrInvalid reports a cursor that was not issued by this server for this list.
var ErrInvalid = errors.New("invalid cursor")

// Codec signs cursors with the current key and verifies them with the current or
// a previous one, so the key can be rotated without a redeploy: cursors handed out
// before the rotation keep working while the previous key is kept.
type Codec struct {
	mu        sync.Mutex
	keys      [][]byte // current first
	source    KeySource
	fetched   time.Time
	refreshed time.Time // last refresh attempt
	ttl       time.Duration
	now       func() time.Time
}

// KeySource supplies the signing keys: the current one first, then any previous
// ones still accepted (Secrets Manager's AWSCURRENT and AWSPREVIOUS).
type KeySource interface {
	Keys(ctx context.Context) ([][]byte, error)
}

// MinKeyLength is the shortest key a codec accepts.
const MinKeyLength = 32

// New returns a codec with one fixed key (at least 32 random bytes).
func New(key []byte) *Codec { return &Codec{keys: [][]byte{key}} }

// NewRotating reads its keys from source now, and again every ttl (and at once
// when a cursor fails verification, in case the key was just rotated elsewhere).
func NewRotating(ctx context.Context, source KeySource, ttl time.Duration) (*Codec, error) {
	c := &Codec{source: source, ttl: ttl, now: time.Now}
	if err := c.refresh(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Codec) refresh(ctx context.Context) error {
	keys, err := c.source.Keys(ctx)
	c.refreshed = c.now()
	if err != nil {
		return fmt.Errorf("read cursor keys: %w", err)
	}
	if len(keys) == 0 || len(keys[0]) < MinKeyLength {
		return fmt.Errorf("the current cursor key must be at least %d bytes", MinKeyLength)
	}
	c.keys, c.fetched = keys, c.refreshed
	return nil
}

// current returns the keys, refreshed when stale (a failed refresh keeps the
// keys it has; verification failures retry it at most every few seconds).
func (c *Codec) current(force bool) [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.source != nil {
		stale := c.now().Sub(c.fetched) > c.ttl
		if (stale || force) && c.now().Sub(c.refreshed) > 5*time.Second {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			_ = c.refresh(ctx)
			cancel()
		}
	}
	return c.keys
}

// Encode returns the cursor for the key after which the next page starts.
func (c *Codec) Encode(scope string, after map[string]string) string {
	payload, _ := json.Marshal(after) // a map of strings always marshals
	mac := sign(c.current(false)[0], scope, payload)
	return base64.RawURLEncoding.EncodeToString(append(mac, payload...))
}

// Decode verifies a cursor issued for scope and returns its key.
func (c *Codec) Decode(scope, cur string) (map[string]string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cur)
	if err != nil || len(raw) <= sha256.Size {
		return nil, ErrInvalid
	}
	mac, payload := raw[:sha256.Size], raw[sha256.Size:]
	if !verifies(c.current(false), scope, mac, payload) && (c.source == nil || !verifies(c.current(true), scope, mac, payload)) {
		return nil, ErrInvalid
	}
	var after map[string]string
	if err := json.Unmarshal(payload, &after); err != nil || len(after) == 0 {
		return nil, ErrInvalid
	}
	return after, nil
}

func verifies(keys [][]byte, scope string, mac, payload []byte) bool {
	for _, k := range keys {
		if hmac.Equal(mac, sign(k, scope, payload)) {
			return true
		}
	}
	return false
}

func sign(key []byte, scope string, payload []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(scope))
	h.Write([]byte{0})
	h.Write(payload)
	return h.Sum(nil)
}
