package cursor

import (
	"strings"
	"testing"
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
