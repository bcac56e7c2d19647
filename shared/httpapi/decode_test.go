package httpapi

import (
	"strings"
	"testing"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name     string
		give     string
		wantCode string
	}{
		{"OK", `{"email":"a@b.co","name":"A","role":"member"}`, ""},
		{"ErrEmpty", `  `, ah.CodeMalformedJSON},
		{"ErrSyntax", `{"email":}`, ah.CodeMalformedJSON},
		{"ErrTruncated", `{"email":"a@b.co"`, ah.CodeMalformedJSON},
		{"ErrArray", `[]`, ah.CodeMalformedJSON},
		{"ErrTrailing", `{} {}`, ah.CodeMalformedJSON},
		{"ErrUnknown", `{"emial":"a@b.co"}`, ah.CodeUnknownField},
		{"ErrType", `{"name":7}`, ah.CodeValidation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in ah.NewMemberInput
			err := decodeJSON([]byte(tt.give), &in)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("decodeJSON: %v", err)
				}
				return
			}
			if got := ah.CodeOf(err); got != tt.wantCode {
				t.Fatalf("code %q, want %q (%v)", got, tt.wantCode, err)
			}
			if ah.KindOf(err) == ah.KindInternal {
				t.Fatal("a client's body produced an internal error")
			}
		})
	}
}

// FuzzDecodeJSON: no body a client can send makes decoding panic or answer an
// internal error.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"email":"a@b.co","name":"A","role":"member"}`, `{`, `[]`, `{"x":1}`, `{"name":7}`, "\x00", `{"role":"admin"} x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in ah.NewMemberInput
		err := decodeJSON(body, &in)
		if err != nil && ah.KindOf(err) == ah.KindInternal {
			t.Fatalf("internal error for %q: %v", body, err)
		}
		if err == nil {
			if verr := in.Validate(); verr != nil && ah.KindOf(verr) != ah.KindInvalid {
				t.Fatalf("validation of %q: %v", body, verr)
			}
		}
	})
}

func TestParseIfMatch(t *testing.T) {
	for give, want := range map[string]int{`"3"`: 3, `W/"12"`: 12, `*`: 0, ``: 0} {
		r := newReq(give)
		got, err := parseIfMatch(r)
		if err != nil {
			t.Fatalf("parseIfMatch(%q): %v", give, err)
		}
		if (got == nil) != (want == 0) || (got != nil && *got != want) {
			t.Fatalf("parseIfMatch(%q) = %v, want %d", give, got, want)
		}
	}
	for _, bad := range []string{`3`, `"x"`, `"0"`, `"-1"`, strings.Repeat("9", 40)} {
		if _, err := parseIfMatch(newReq(bad)); ah.CodeOf(err) != ah.CodeInvalidIfMatch {
			t.Fatalf("parseIfMatch(%q) = %v, want invalid_if_match", bad, err)
		}
	}
}
