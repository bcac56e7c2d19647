// Package cursor turns a DynamoDB LastEvaluatedKey into an opaque pagination cursor
// the server can verify: the key is HMAC-signed together with the list it belongs to
// (scope), so a cursor cannot be forged, altered, or replayed on another list or
// another agency.
package cursor

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
)

// ErrInvalid reports a cursor that was not issued by this server for this list.
var ErrInvalid = errors.New("invalid cursor")

// Codec signs and verifies cursors with one secret key.
type Codec struct {
	key []byte
}

// New returns a codec; the key should be at least 32 random bytes.
func New(key []byte) *Codec { return &Codec{key: key} }

// Encode returns the cursor for the key after which the next page starts.
func (c *Codec) Encode(scope string, after map[string]string) string {
	payload, _ := json.Marshal(after) // a map of strings always marshals
	mac := c.sign(scope, payload)
	return base64.RawURLEncoding.EncodeToString(append(mac, payload...))
}

// Decode verifies a cursor issued for scope and returns its key.
func (c *Codec) Decode(scope, cur string) (map[string]string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cur)
	if err != nil || len(raw) <= sha256.Size {
		return nil, ErrInvalid
	}
	mac, payload := raw[:sha256.Size], raw[sha256.Size:]
	if !hmac.Equal(mac, c.sign(scope, payload)) {
		return nil, ErrInvalid
	}
	var after map[string]string
	if err := json.Unmarshal(payload, &after); err != nil || len(after) == 0 {
		return nil, ErrInvalid
	}
	return after, nil
}

func (c *Codec) sign(scope string, payload []byte) []byte {
	h := hmac.New(sha256.New, c.key)
	h.Write([]byte(scope))
	h.Write([]byte{0})
	h.Write(payload)
	return h.Sum(nil)
}
