package accesshive

import (
	"net/mail"
	"strings"
	"unicode/utf8"
)

// Field error codes used by validation.
const (
	FieldRequired = "required"
	FieldTooLong  = "too_long"
	FieldTooShort = "too_short"
	FieldInvalid  = "invalid"
	FieldOutRange = "out_of_range"
	FieldUnknown  = "unknown_value"
	// FieldPasswordPolicy: a password the security policy does not allow.
	FieldPasswordPolicy = "password_policy"
)

// NormalizeEmail trims and lowercases an address for comparison and uniqueness.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidEmail reports whether s is a bare address (no display name) of reasonable length.
func ValidEmail(s string) bool {
	if s == "" || len(s) > 254 {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == "" && strings.Contains(s[strings.LastIndexByte(s, '@'):], ".")
}

// checkText validates a required or optional text field: the text rules
// (TextProblem; line breaks only in multi-line fields) and its length. Required
// means something visible: white space and invisible characters do not count.
func checkText(v *Validation, field, value string, required bool, max int) {
	name := field[strings.LastIndexByte(field, '.')+1:]
	if p := TextProblem(value, MultilineField(name)); p != "" {
		v.Add(field, FieldInvalid, "%s %s", field, p)
		return
	}
	n := utf8.RuneCountInString(strings.TrimSpace(value))
	switch {
	case required && Blank(value):
		v.Add(field, FieldRequired, "%s is required", field)
	case n > max:
		v.Add(field, FieldTooLong, "%s must be at most %d characters", field, max)
	}
}

// checkEmail validates a required email field.
func checkEmail(v *Validation, field, value string) {
	if value == "" {
		v.Add(field, FieldRequired, "%s is required", field)
		return
	}
	v.Check(TextProblem(value, false) == "" && ValidEmail(value), field, FieldInvalid, "%s must be an email address like name@example.com", field)
}
