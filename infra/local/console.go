package main

// The console on the local API's origin, as CloudFront serves it in AWS: the
// built files of console/dist, every other path answering index.html (deep
// links), the API's paths going to the gateway, and the same security headers
// (a strict Content-Security-Policy). Locally only: a development sign-in that
// lists the seeded users and hands out their tokens from the local issuer.

import (
	"encoding/json"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/accesshive/accesshive/infra/authn"
	"github.com/accesshive/accesshive/infra/localstack"
)

// ConsoleCSP is the Content-Security-Policy the console is served with (the
// template's response headers policy says the same, with the issuer's origins).
const ConsoleCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// apiPrefixes go to the gateway; everything else is the console.
var apiPrefixes = []string{"/v1/", "/scim/", "/integrations/", "/local-issuer/"}

func isAPI(p string) bool {
	for _, pre := range apiPrefixes {
		if strings.HasPrefix(p, pre) {
			return true
		}
	}
	return false
}

type devUser struct {
	Handle string `json:"handle"`
	Name   string `json:"name"`
	Email  string `json:"email"`
	Role   string `json:"role"`
}

func withConsole(api http.Handler, dir string, iss *authn.Issuer, seeded localstack.Seeded) http.Handler {
	files := http.FileServer(http.Dir(dir))
	users := make([]devUser, 0, len(seeded.Users))
	for h, u := range seeded.Users {
		users = append(users, devUser{Handle: h, Name: h, Email: u.Email, Role: u.Role})
	}
	sort.Slice(users, func(i, j int) bool { return users[i].Handle < users[j].Handle })
	oidc := newOIDC(iss, seeded)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if oidc.handles(r.URL.Path) {
			oidc.ServeHTTP(w, r)
			return
		}
		if isAPI(r.URL.Path) {
			api.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", ConsoleCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		switch {
		case r.URL.Path == "/console-config.json":
			writeJSON(w, map[string]any{"issuer": iss.URL, "clientId": consoleClientID, "devSignIn": true})
			return
		case r.URL.Path == "/local/dev-users" && r.Method == http.MethodGet:
			writeJSON(w, users)
			return
		case r.URL.Path == "/local/dev-token" && r.Method == http.MethodPost:
			var in struct {
				Handle string `json:"handle"`
			}
			_ = json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<10)).Decode(&in)
			u, ok := seeded.Users[in.Handle]
			if !ok {
				http.Error(w, "no such seeded user", http.StatusNotFound)
				return
			}
			// A fresh token from the local issuer (the seed's expire after 12 hours).
			tok, err := iss.Mint(authn.TokenOpts{Subject: u.UserID, Email: u.Email})
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			writeJSON(w, map[string]string{"token": tok})
			return
		}
		if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
			http.Error(w, "the console is not built: run make console (or make run, which builds it)", http.StatusNotFound)
			return
		}
		clean := path.Clean("/" + r.URL.Path)
		if st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(clean))); err == nil && !st.IsDir() {
			if strings.HasPrefix(clean, "/assets/") {
				h.Set("Cache-Control", "public, max-age=31536000, immutable")
			}
			files.ServeHTTP(w, r)
			return
		}
		// A deep link: the console routes it.
		h.Set("Cache-Control", "no-cache")
		http.ServeFile(w, r, filepath.Join(dir, "index.html"))
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
