package accesshive

import (
	"crypto/rand"
	"math/big"
	"strings"
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
