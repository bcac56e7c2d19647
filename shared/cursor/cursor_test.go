package cursor

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	c := New([]byte("0123456789abcdef0123456789abcdef"))
	after := map[string]string{"PK": "AGENCY#a", "SK": "MEMBER#m"}
	cur := c.Encode("a|members", after)
	got, err := c.Decode("a|members", cur)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if got["PK"] != after["PK"] || got["SK"] != after["SK"] || len(got) != 2 {
		t.Fatalf("Decode = %v, want %v", got, after)
	}
}

func TestRejects(t *testing.T) {
	c := New([]byte("0123456789abcdef0123456789abcdef"))
	good := c.Encode("a|members", map[string]string{"PK": "AGENCY#a", "SK": "MEMBER#m"})
	flipped := []byte(good)
	flipped[len(flipped)-3] ^= 1
	tests := []struct {
		name  string
		scope string
		give  string
	}{
		{"ErrOtherScope", "b|members", good},
		{"ErrOtherList", "a|platforms", good},
		{"ErrFlippedByte", "a|members", string(flipped)},
		{"ErrNotBase64", "a|members", "!!!"},
		{"ErrEmpty", "a|members", ""},
		{"ErrShort", "a|members", "YWJj"},
		{"ErrOtherKey", "a|members", New([]byte("another-key-another-key-another!!")).Encode("a|members", map[string]string{"PK": "x"})},
		{"ErrTruncated", "a|members", strings.TrimSuffix(good, good[len(good)-4:])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := c.Decode(tt.scope, tt.give); err != ErrInvalid {
				t.Fatalf("Decode(%q) error = %v, want ErrInvalid", tt.give, err)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	c := New([]byte("0123456789abcdef0123456789abcdef"))
	f.Add(c.Encode("s", map[string]string{"PK": "p"}))
	f.Add("")
	f.Add("AAAA")
	f.Fuzz(func(t *testing.T, s string) {
		after, err := c.Decode("s", s)
		if err == nil && len(after) == 0 {
			t.Fatalf("accepted cursor %q with empty key", s)
		}
	})
}

type keys struct {
	mu   sync.Mutex
	list [][]byte
	n    int
}

func (k *keys) Keys(context.Context) ([][]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.n++
	return k.list, nil
}

func (k *keys) set(list ...string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.list = nil
	for _, s := range list {
		k.list = append(k.list, []byte(s))
	}
}

// TestRotation: after the key rotates, new cursors are signed with the new key and
// cursors signed with the previous one still verify; once the previous key is
// dropped they no longer do. A cursor signed elsewhere with a key this codec has
// not read yet makes it read the keys again.
func TestRotation(t *testing.T) {
	const old, cur = "old-key-old-key-old-key-old-key-0", "new-key-new-key-new-key-new-key-1"
	src := &keys{}
	src.set(old)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	c, err := NewRotating(context.Background(), src, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return now }
	c.fetched, c.refreshed = now, now
	after := map[string]string{"PK": "a"}
	issuedBefore := c.Encode("s", after)

	src.set(cur, old) // rotated: AWSCURRENT is new, AWSPREVIOUS the old one
	now = now.Add(6 * time.Minute)
	issuedAfter := c.Encode("s", after)
	if issuedAfter == issuedBefore {
		t.Fatal("a cursor issued after the rotation is signed with the old key")
	}
	if _, err := New([]byte(cur)).Decode("s", issuedAfter); err != nil {
		t.Fatalf("the new cursor does not verify with the new key: %v", err)
	}
	if _, err := c.Decode("s", issuedBefore); err != nil {
		t.Fatalf("a cursor from before the rotation: %v", err)
	}

	src.set(cur) // the previous key retired
	now = now.Add(6 * time.Minute)
	if _, err := c.Decode("s", issuedBefore); err == nil {
		t.Fatal("a cursor signed with a retired key still verifies")
	}

	// Another container rotated already: this codec's keys are fresh, yet a
	// cursor signed with the newer key makes it read them again.
	const newer = "newer-key-newer-key-newer-key-22"
	src.set(newer, cur)
	fromElsewhere := New([]byte(newer)).Encode("s", after)
	now = now.Add(10 * time.Second)
	if _, err := c.Decode("s", fromElsewhere); err != nil {
		t.Fatalf("a cursor signed with a key not read yet: %v", err)
	}
	if _, err := NewRotating(context.Background(), &keys{list: [][]byte{[]byte("short")}}, time.Minute); err == nil {
		t.Fatal("a short key was accepted")
	}
}
