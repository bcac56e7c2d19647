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

// checkText validates a required or optional free-text field's length.
func checkText(v *Validation, field, value string, required bool, max int) {
	n := utf8.RuneCountInString(strings.TrimSpace(value))
	switch {
	case required && n == 0:
		v.Add(field, FieldRequired, "%s is required", field)
	case n > max:
		v.Add(field, FieldTooLong, "%s must be at most %d characters", field, max)
	case !utf8.ValidString(value):
		v.Add(field, FieldInvalid, "%s must be valid UTF-8", field)
	}
}

// checkEmail validates a required email field.
func checkEmail(v *Validation, field, value string) {
	if value == "" {
		v.Add(field, FieldRequired, "%s is required", field)
		return
	}
	v.Check(ValidEmail(value), field, FieldInvalid, "%s must be an email address like name@example.com", field)
}
