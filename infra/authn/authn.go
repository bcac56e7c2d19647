// Package authn issues and verifies the JWTs the local stack uses in place of the
// identity provider, checking what the API Gateway JWT authorizer checks: signature,
// issuer, audience, expiry and not-before.
package authn

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Issuer signs tokens with an RSA key and verifies them.
type Issuer struct {
	URL      string
	Audience string
	key      *rsa.PrivateKey
}

// NewIssuer returns an issuer with a fresh key.
func NewIssuer(url, audience string) (*Issuer, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	return &Issuer{URL: url, Audience: audience, key: key}, nil
}

// LoadOrCreateIssuer keeps its key in keyPath so tokens survive restarts.
func LoadOrCreateIssuer(url, audience, keyPath string) (*Issuer, error) {
	if data, err := os.ReadFile(keyPath); err == nil {
		block, _ := pem.Decode(data)
		if block == nil {
			return nil, fmt.Errorf("%s: not a PEM key", keyPath)
		}
		key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", keyPath, err)
		}
		return &Issuer{URL: url, Audience: audience, key: key}, nil
	}
	iss, err := NewIssuer(url, audience)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(keyPath), 0o700); err != nil {
		return nil, err
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(iss.key)})
	if err := os.WriteFile(keyPath, pemBytes, 0o600); err != nil {
		return nil, fmt.Errorf("save signing key: %w", err)
	}
	return iss, nil
}

// TokenOpts describe a token to mint.
type TokenOpts struct {
	Subject string
	Email   string
	TTL     time.Duration // default 12h
	// Audience overrides the issuer's audience (tests of rejection).
	Audience string
	// Extra claims; a nil value removes the claim (tests of a missing claim).
	Extra map[string]any
	// KeyID overrides the kid header and NoKeyID leaves it out (tests of an
	// unknown key).
	KeyID   string
	NoKeyID bool
}

// Mint signs a token for a subject.
func (i *Issuer) Mint(o TokenOpts) (string, error) {
	if o.TTL == 0 {
		o.TTL = 12 * time.Hour
	}
	aud := i.Audience
	if o.Audience != "" {
		aud = o.Audience
	}
	now := time.Now()
	claims := jwt.MapClaims{
		"iss": i.URL, "sub": o.Subject, "aud": aud,
		"iat": now.Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(o.TTL).Unix(),
	}
	if o.Email != "" {
		claims["email"] = o.Email
		claims["email_verified"] = true
	}
	for k, v := range o.Extra {
		if v == nil {
			delete(claims, k)
		} else {
			claims[k] = v
		}
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = i.KeyID()
	if o.KeyID != "" {
		tok.Header["kid"] = o.KeyID
	}
	if o.NoKeyID {
		delete(tok.Header, "kid")
	}
	return tok.SignedString(i.key)
}

// KeyID is the issuer's key id (the kid of its tokens and of its one key in the
// key set): derived from the public key, so a token signed by another key,
// even an earlier one of this issuer, names a key the set does not have.
func (i *Issuer) KeyID() string {
	der, err := x509.MarshalPKIXPublicKey(&i.key.PublicKey)
	if err != nil {
		return "local"
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:8])
}

// JWKS is the issuer's key set (RFC 7517), as an identity provider publishes it
// at its jwks_uri: what API Gateway, and the API under sam local, verify against.
func (i *Issuer) JWKS() []byte {
	pub := i.key.PublicKey
	e := big.NewInt(int64(pub.E)).Bytes()
	doc, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": i.KeyID(),
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()), "e": base64.RawURLEncoding.EncodeToString(e),
	}}})
	return doc
}

// ErrUnauthorized is any token the authorizer would refuse.
var ErrUnauthorized = errors.New("unauthorized")

// Verify checks a token as the API Gateway JWT authorizer does (the key named by
// its kid in the issuer's key set, RS256, issuer, audience, expiry, not-before) and
// returns its claims as strings (the form API Gateway passes to the function).
func (i *Issuer) Verify(token string) (map[string]string, error) {
	parsed, err := jwt.Parse(token, func(t *jwt.Token) (any, error) {
		if kid, _ := t.Header["kid"].(string); kid != i.KeyID() {
			return nil, fmt.Errorf("kid %q is not in the key set", t.Header["kid"])
		}
		return &i.key.PublicKey, nil
	},
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(i.URL), jwt.WithAudience(i.Audience),
		jwt.WithExpirationRequired(), jwt.WithLeeway(30*time.Second))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnauthorized, err)
	}
	mc, _ := parsed.Claims.(jwt.MapClaims)
	out := make(map[string]string, len(mc))
	for k, v := range mc {
		switch x := v.(type) {
		case string:
			out[k] = x
		case float64:
			out[k] = fmt.Sprint(int64(x))
		default:
			out[k] = fmt.Sprint(x)
		}
	}
	return out, nil
}
