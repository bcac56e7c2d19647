package accesshive

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// NewPassword returns a random password of n characters with an upper-case
// letter, a lower-case letter, a digit and a symbol, from alphabets without
// look-alike characters.
func NewPassword(n int) (string, error) {
	sets := []string{"ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz", "23456789", "!@#$%^&*-_=+"}
	all := strings.Join(sets, "")
	b := make([]byte, n)
	for i := range b {
		set := all
		if i < len(sets) {
			set = sets[i]
		}
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
		if err != nil {
			return "", err
		}
		b[i] = set[k.Int64()]
	}
	// shuffle so the classes are not in fixed places
	for i := len(b) - 1; i > 0; i-- {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		if err != nil {
			return "", err
		}
		b[i], b[k.Int64()] = b[k.Int64()], b[i]
	}
	return string(b), nil
}

// GeneratedLength is the length of the passwords AccessHive generates under the
// rules: the policy's minimum, and never under 24 characters. Generated passwords
// always carry every character class, so they meet any class requirement.
func (r PasswordRules) GeneratedLength() int { return max(24, r.MinLength) }

// CredentialProfile is what AccessHive keeps about a credential without keeping
// the credential itself: its length, which character classes it has, and when it
// was set. Compliance with a security policy is judged on it.
type CredentialProfile struct {
	Length int       `json:"length"`
	Upper  bool      `json:"upper"`
	Lower  bool      `json:"lower"`
	Number bool      `json:"number"`
	Symbol bool      `json:"symbol"`
	SetAt  time.Time `json:"setAt"`
}

// ProfileOf profiles a password set at the given time.
func ProfileOf(password string, at time.Time) CredentialProfile {
	p := CredentialProfile{Length: utf8.RuneCountInString(password), SetAt: at}
	for _, c := range password {
		switch {
		case unicode.IsUpper(c):
			p.Upper = true
		case unicode.IsLower(c):
			p.Lower = true
		case unicode.IsDigit(c):
			p.Number = true
		case !unicode.IsSpace(c):
			p.Symbol = true
		}
	}
	return p
}

// Broken lists the rules a credential of this profile breaks as of now, each
// as a sentence naming the rule ("at least 14 characters"); none: it complies.
func (r PasswordRules) Broken(p CredentialProfile, now time.Time) []string {
	var out []string
	if p.Length < r.MinLength {
		out = append(out, fmt.Sprintf("at least %d characters (it has %d)", r.MinLength, p.Length))
	}
	for _, c := range []struct {
		need, has bool
		what      string
	}{{r.RequireUppercase, p.Upper, "an upper-case letter"}, {r.RequireLowercase, p.Lower, "a lower-case letter"},
		{r.RequireNumber, p.Number, "a number"}, {r.RequireSymbol, p.Symbol, "a symbol"}} {
		if c.need && !c.has {
			out = append(out, c.what)
		}
	}
	if r.MaxAgeDays > 0 && !p.SetAt.IsZero() && now.Sub(p.SetAt) > time.Duration(r.MaxAgeDays)*24*time.Hour {
		out = append(out, fmt.Sprintf("a change at least every %d days (last set %s)", r.MaxAgeDays, p.SetAt.Format(time.DateOnly)))
	}
	return out
}

// CheckPassword refuses a password the rules do not allow: a policy violation on
// field, naming every rule broken.
func (r PasswordRules) CheckPassword(field, password, policyName string, now time.Time) error {
	broken := r.Broken(ProfileOf(password, now), now)
	if len(broken) == 0 {
		return nil
	}
	return PolicyViolation(field, FieldPasswordPolicy, "the client's security policy %q requires a password with %s", policyName, strings.Join(broken, "; "))
}

// Compliance says whether an identity's credential meets its client's security
// policy as it is now.
type Compliance struct {
	Compliant     bool     `json:"compliant"`
	PolicyID      string   `json:"policyId"`
	PolicyVersion int      `json:"policyVersion"`
	Reasons       []string `json:"reasons,omitempty"`
}

// ComplianceOf judges a credential profile (nil: set before AccessHive profiled
// credentials) against a policy.
func ComplianceOf(p *CredentialProfile, pol SecurityPolicy, now time.Time) Compliance {
	c := Compliance{PolicyID: pol.ID, PolicyVersion: pol.Version}
	if p == nil {
		c.Reasons = []string{"the credential was set before the policy was checked; rotate or replace it"}
		return c
	}
	c.Reasons = pol.Password.Broken(*p, now)
	c.Compliant = len(c.Reasons) == 0
	return c
}
