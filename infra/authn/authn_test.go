package authn

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func TestVerify(t *testing.T) {
	iss, err := NewIssuer("http://127.0.0.1:3000/issuer", "accesshive")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewIssuer("http://127.0.0.1:3000/issuer", "accesshive")
	wrongIss, _ := NewIssuer("http://evil", "accesshive")
	good, _ := iss.Mint(TokenOpts{Subject: "u1", Email: "a@example.com"})
	claims, err := iss.Verify(good)
	if err != nil {
		t.Fatalf("Verify(good): %v", err)
	}
	if claims["sub"] != "u1" || claims["email"] != "a@example.com" || claims["email_verified"] != "true" {
		t.Fatalf("claims = %v", claims)
	}
	expired, _ := iss.Mint(TokenOpts{Subject: "u1", TTL: -time.Hour})
	wrongAud, _ := iss.Mint(TokenOpts{Subject: "u1", Audience: "other"})
	otherKey, _ := other.Mint(TokenOpts{Subject: "u1"})
	badIss, _ := wrongIss.Mint(TokenOpts{Subject: "u1"})
	// signed by the right key, but naming a key the set does not have, or none:
	// API Gateway refuses both
	unknownKid, _ := iss.Mint(TokenOpts{Subject: "u1", KeyID: other.KeyID()})
	noKid, _ := iss.Mint(TokenOpts{Subject: "u1", NoKeyID: true})
	for name, tok := range map[string]string{
		"ErrExpired": expired, "ErrAudience": wrongAud, "ErrSignature": otherKey, "ErrIssuer": badIss,
		"ErrUnknownKid": unknownKid, "ErrNoKid": noKid,
		"ErrGarbage": "not.a.jwt", "ErrEmpty": "", "ErrTampered": good[:len(good)-4] + "AAAA",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := iss.Verify(tok); !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("Verify = %v, want ErrUnauthorized", err)
			}
		})
	}
}

func TestLoadOrCreateKeepsKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key.pem")
	a, err := LoadOrCreateIssuer("i", "aud", path)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := a.Mint(TokenOpts{Subject: "s"})
	b, err := LoadOrCreateIssuer("i", "aud", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Verify(tok); err != nil {
		t.Fatalf("token from the first issuer not accepted after reload: %v", err)
	}
}
