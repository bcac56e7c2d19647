package accesshive

import (
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

func itoa(i int) string { return strconv.Itoa(i) }

func sortStrings(s []string) { sort.Strings(s) }

// The rules every piece of text the API accepts goes through (the HTTP layer
// applies TextProblem to every string of every body; field validation applies it
// again with the field's own limits, and counts lengths with VisibleLength).

// MaxText bounds any string a body carries; fields set their own, smaller limits.
const MaxText = 4000

// multilineFields are the free-text fields where line breaks and tabs belong.
var multilineFields = map[string]bool{"description": true, "justification": true, "reason": true}

// MultilineField reports whether a field (by its JSON name) is free text that may
// span lines.
func MultilineField(name string) bool { return multilineFields[name] }

// invisible reports a rune that shows nothing: controls, format characters (zero
// width spaces and joiners, bidirectional marks) and white space.
func invisible(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.IsSpace(r) || unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp)
}

// VisibleLength counts the characters of s that show: control, format and white
// space characters do not count, so ten zero-width spaces are not ten characters.
func VisibleLength(s string) int {
	n := 0
	for _, r := range s {
		if !invisible(r) {
			n++
		}
	}
	return n
}

// Blank reports whether s shows nothing at all.
func Blank(s string) bool { return VisibleLength(s) == 0 }

// bidiControl reports the embedding, override and isolate controls that reorder
// how text displays (the "Trojan Source" characters).
func bidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}

// TextProblem says what makes s unacceptable as text, or "" when nothing does:
// invalid UTF-8 or the replacement character U+FFFD (what invalid bytes and lone
// surrogate escapes decode to), control characters (line breaks and tabs only in
// multi-line fields), bidirectional overrides in single-line fields, text made
// only of invisible characters, and anything over MaxText characters.
func TextProblem(s string, multiline bool) string {
	if !utf8.ValidString(s) || strings.ContainsRune(s, utf8.RuneError) {
		return "must be valid UTF-8 text, without the replacement character U+FFFD"
	}
	if utf8.RuneCountInString(s) > MaxText {
		return "is too long"
	}
	hasFormat := false
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t' || r == '\r':
			if !multiline {
				return "must be on one line (no line breaks or tabs)"
			}
		case unicode.IsControl(r):
			return "must not contain control characters"
		case bidiControl(r) && !multiline:
			return "must not contain bidirectional override characters"
		case unicode.Is(unicode.Cf, r):
			hasFormat = true
		}
	}
	if hasFormat && Blank(s) {
		return "must not be only invisible characters"
	}
	return ""
}
