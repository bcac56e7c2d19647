package main

// A local OpenID Connect authorization server on the local issuer, so the
// console's real sign-in (authorization code with PKCE) runs locally as it does
// against Cognito or an external IdP: discovery, an authorize page that lists the
// seeded users (the "password" step), and a token endpoint that checks the code
// verifier (S256), the redirect URI and the client, and answers an ID token
// from the local issuer. Codes are single use and live a minute.

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/accesshive/accesshive/infra/authn"
	"github.com/accesshive/accesshive/infra/localstack"
)

// consoleClientID is the console's client id at the local issuer.
const consoleClientID = "accesshive-console-local"

type authCode struct {
	handle, challenge, redirectURI, clientID string
	expires                                  time.Time
}

type oidcServer struct {
	iss    *authn.Issuer
	seeded localstack.Seeded
	now    func() time.Time
	mu     sync.Mutex
	codes  map[string]authCode
}

func newOIDC(iss *authn.Issuer, seeded localstack.Seeded) *oidcServer {
	return &oidcServer{iss: iss, seeded: seeded, now: time.Now, codes: map[string]authCode{}}
}

// handles reports whether the path is the authorization server's (under the issuer).
func (o *oidcServer) handles(p string) bool {
	switch strings.TrimPrefix(p, issuerPath) {
	case "/.well-known/openid-configuration", "/authorize", "/token":
		return true
	}
	return false
}

const issuerPath = "/local-issuer"

var authorizePage = template.Must(template.New("authorize").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to AccessHive (local issuer)</title></head>
<body><main><h1>Sign in (local issuer)</h1>
<p>The local stack's identity provider. Choose a seeded user:</p>
<form method="post">
{{range .Params}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<ul>{{range .Users}}<li><button type="submit" name="handle" value="{{.}}">{{.}}</button></li>
{{end}}</ul></form></main></body></html>`))

func (o *oidcServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	base := o.iss.URL
	switch strings.TrimPrefix(r.URL.Path, issuerPath) {
	case "/.well-known/openid-configuration":
		writeJSON(w, map[string]any{"issuer": base, "authorization_endpoint": base + "/authorize", "token_endpoint": base + "/token",
			"jwks_uri": base + "/.well-known/jwks.json", "response_types_supported": []string{"code"}, "code_challenge_methods_supported": []string{"S256"},
			"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256"}})
	case "/authorize":
		o.authorize(w, r)
	case "/token":
		o.token(w, r)
	}
}

func (o *oidcServer) authorize(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	q := r.Form
	redirect, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case q.Get("response_type") != "code" || q.Get("client_id") != consoleClientID:
		http.Error(w, "unsupported response_type or unknown client_id", http.StatusBadRequest)
		return
	case err != nil || redirect.Host != r.Host || redirect.Path != "/callback":
		http.Error(w, "redirect_uri must be this origin's /callback", http.StatusBadRequest)
		return
	case q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) < 43:
		http.Error(w, "PKCE is required: code_challenge with code_challenge_method S256", http.StatusBadRequest)
		return
	}
	if r.Method == http.MethodGet {
		var params []struct{ Name, Value string }
		for _, k := range []string{"response_type", "client_id", "redirect_uri", "code_challenge", "code_challenge_method", "state", "scope"} {
			params = append(params, struct{ Name, Value string }{k, q.Get(k)})
		}
		users := make([]string, 0, len(o.seeded.Users))
		for h := range o.seeded.Users {
			users = append(users, h)
		}
		sort.Strings(users)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; form-action 'self'; frame-ancestors 'none'")
		_ = authorizePage.Execute(w, map[string]any{"Params": params, "Users": users})
		return
	}
	if _, ok := o.seeded.Users[q.Get("handle")]; !ok {
		http.Error(w, "no such seeded user", http.StatusBadRequest)
		return
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	code := hex.EncodeToString(b)
	o.mu.Lock()
	o.codes[code] = authCode{handle: q.Get("handle"), challenge: q.Get("code_challenge"), redirectURI: q.Get("redirect_uri"), clientID: q.Get("client_id"),
		expires: o.now().Add(time.Minute)}
	o.mu.Unlock()
	back := redirect.Query()
	back.Set("code", code)
	back.Set("state", q.Get("state"))
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// tokenError answers as RFC 6749 section 5.2 says.
func tokenError(w http.ResponseWriter, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusBadRequest)
	writeJSON(w, map[string]string{"error": code, "error_description": desc})
}

func (o *oidcServer) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		tokenError(w, "invalid_request", "POST a form")
		return
	}
	f := r.PostForm
	if f.Get("grant_type") != "authorization_code" {
		tokenError(w, "unsupported_grant_type", "authorization_code only")
		return
	}
	o.mu.Lock()
	c, ok := o.codes[f.Get("code")]
	delete(o.codes, f.Get("code")) // single use, whatever happens next
	o.mu.Unlock()
	sum := sha256.Sum256([]byte(f.Get("code_verifier")))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	switch {
	case !ok || o.now().After(c.expires):
		tokenError(w, "invalid_grant", "the code is unknown, used or expired")
		return
	case c.redirectURI != f.Get("redirect_uri") || c.clientID != f.Get("client_id"):
		tokenError(w, "invalid_grant", "redirect_uri or client_id differ from the authorization request's")
		return
	case subtle.ConstantTimeCompare([]byte(challenge), []byte(c.challenge)) != 1:
		tokenError(w, "invalid_grant", "the code_verifier does not match the code_challenge")
		return
	}
	u := o.seeded.Users[c.handle]
	tok, err := o.iss.Mint(authn.TokenOpts{Subject: u.UserID, Email: u.Email})
	if err != nil {
		tokenError(w, "server_error", err.Error())
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, map[string]any{"id_token": tok, "access_token": tok, "token_type": "Bearer", "expires_in": 43200})
}
