package main

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/accesshive/accesshive/infra/authn"
	"github.com/accesshive/accesshive/infra/localstack"
)

// TestLocalAuthorizationServer: the local issuer's code flow holds to PKCE (S256),
// the registered client and redirect, and single-use codes.
func TestLocalAuthorizationServer(t *testing.T) {
	iss, err := authn.NewIssuer("http://127.0.0.1:3000/local-issuer", "accesshive")
	if err != nil {
		t.Fatal(err)
	}
	o := newOIDC(iss, localstack.Seeded{Users: map[string]localstack.SeededUser{"admin": {UserID: "mbr_1", Email: "admin@northwind.example"}}})
	verifier := "a-long-random-verifier-of-at-least-43-characters-xyz"
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	auth := url.Values{"response_type": {"code"}, "client_id": {consoleClientID}, "redirect_uri": {"http://127.0.0.1:3000/callback"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "state": {"s1"}}
	call := func(method, path string, form url.Values) *httptest.ResponseRecorder {
		var req *http.Request
		if method == http.MethodGet {
			req = httptest.NewRequest(method, path+"?"+form.Encode(), nil)
		} else {
			req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.Host = "127.0.0.1:3000"
		w := httptest.NewRecorder()
		o.ServeHTTP(w, req)
		return w
	}
	code := func() string {
		f := url.Values{"handle": {"admin"}}
		for k, v := range auth {
			f[k] = v
		}
		w := call(http.MethodPost, "/local-issuer/authorize", f)
		loc, _ := url.Parse(w.Header().Get("Location"))
		if w.Code != http.StatusFound || loc.Query().Get("state") != "s1" || loc.Query().Get("code") == "" {
			t.Fatalf("authorize: %d %s", w.Code, w.Header().Get("Location"))
		}
		return loc.Query().Get("code")
	}
	noPKCE := url.Values{"response_type": {"code"}, "client_id": {consoleClientID}, "redirect_uri": {"http://127.0.0.1:3000/callback"}}
	if w := call(http.MethodGet, "/local-issuer/authorize", noPKCE); w.Code != http.StatusBadRequest {
		t.Fatalf("authorize without PKCE: %d", w.Code)
	}
	elsewhere := url.Values{}
	for k, v := range auth {
		elsewhere[k] = v
	}
	elsewhere.Set("redirect_uri", "https://evil.example/callback")
	if w := call(http.MethodGet, "/local-issuer/authorize", elsewhere); w.Code != http.StatusBadRequest {
		t.Fatalf("authorize to another origin: %d", w.Code)
	}
	token := func(c, v string) *httptest.ResponseRecorder {
		return call(http.MethodPost, "/local-issuer/token", url.Values{"grant_type": {"authorization_code"}, "code": {c}, "code_verifier": {v},
			"redirect_uri": {"http://127.0.0.1:3000/callback"}, "client_id": {consoleClientID}})
	}
	if w := token(code(), "not-the-verifier-not-the-verifier-not-the-verifier"); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "invalid_grant") {
		t.Fatalf("wrong verifier: %d %s", w.Code, w.Body)
	}
	c := code()
	w := token(c, verifier)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"id_token"`) {
		t.Fatalf("token: %d %s", w.Code, w.Body)
	}
	if w := token(c, verifier); w.Code != http.StatusBadRequest {
		t.Fatalf("a code used twice: %d", w.Code)
	}
}
