package accesshive

import (
	"strings"
	"testing"
)

func TestVisibleLength(t *testing.T) {
	for s, want := range map[string]int{
		"":                           0,
		"abc":                        3,
		"  a b  ":                    2,
		strings.Repeat("\u200b", 10): 0, // zero-width spaces
		"\x00\x00\x00":               0,
		"a\u200db":                   2, // a zero-width joiner does not count
		"naïve":                      5,
		"日本語":                        3,
		"\u202eabc":                  3,
	} {
		if got := VisibleLength(s); got != want {
			t.Errorf("VisibleLength(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestTextProblem(t *testing.T) {
	for _, tt := range []struct {
		text      string
		multiline bool
		bad       bool
	}{
		{"Acme Outdoor", false, false},
		{"Ünïcödé 日本 👩‍💻", false, false},
		{"line one\nline two", true, false},
		{"line one\r\nline two\tx", true, false},
		{"line one\nline two", false, true},
		{"tab\tinside", false, true},
		{"nul\x00", true, true},
		{"esc\x1b[31m", true, true},
		{"c1\u0085", true, true},
		{"z\xff@northwind.example", false, true},
		{"z\ufffd@northwind.example", false, true},
		{"\u200b\u200b", true, true},
		{"  ", false, false}, // white space alone is empty text, trimmed away
		{"evil\u202egnp.exe", false, true},
		{"rtl \u202bquote\u202c", true, false},
		{strings.Repeat("x", MaxText), false, false},
		{strings.Repeat("x", MaxText+1), true, true},
	} {
		if got := TextProblem(tt.text, tt.multiline); (got != "") != tt.bad {
			t.Errorf("TextProblem(%q, multiline %v) = %q, want bad %v", tt.text, tt.multiline, got, tt.bad)
		}
	}
}

// TestInvisibleTextIsNoJustification (finding 5): ten zero-width spaces (or NULs)
// do not meet a 10-character minimum, and one is no required justification.
func TestInvisibleTextIsNoJustification(t *testing.T) {
	strict := PolicyRules{Audit: AuditRule{JustificationRequired: true, JustificationMinLength: 10}}
	for name, text := range map[string]string{
		"ZeroWidth": strings.Repeat("\u200b", 10),
		"NUL":       strings.Repeat("\x00", 10),
		"Mixed":     "abc" + strings.Repeat("\u200b", 7),
	} {
		if err := strict.CheckJustification(text, false); CodeOf(err) != CodePolicyViolation {
			t.Errorf("%s: %v, want policy_violation", name, err)
		}
	}
	if err := (PolicyRules{}).CheckJustification("\u200b", true); CodeOf(err) != CodePolicyViolation {
		t.Errorf("one zero-width space as a required justification: %v", err)
	}
}
