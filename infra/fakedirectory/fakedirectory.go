// Package fakedirectory is a fake Google Workspace Directory API (users resource)
// for the local stack and tests; the real google.golang.org/api client talks to it.
package fakedirectory

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
)

// Directory is a Directory API server for local runs and tests: users insert,
// get, update (password, suspended), with injectable failures. The real
// google.golang.org/api client talks to it over HTTP.
type Directory struct {
	mu     sync.Mutex
	users  map[string]map[string]any
	faults []fault
	calls  int
	// hold, while open, keeps every request waiting (Hold, Release); held counts
	// the requests waiting.
	hold chan struct{}
	held int
	// orgUnits are the organizational units users may be created in.
	orgUnits map[string]bool
}

type fault struct {
	status int
	times  int
}

// New returns an empty directory.
func New() *Directory {
	return &Directory{users: map[string]map[string]any{}, orgUnits: map[string]bool{"/": true}}
}

// AddOrgUnit creates an organizational unit (and its parents).
func (f *Directory) AddOrgUnit(path string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for p := path; p != "" && p != "/"; p = p[:strings.LastIndex(p, "/")] {
		f.orgUnits[p] = true
	}
}

// Fail makes the next `times` requests answer status (after earlier faults).
func (f *Directory) Fail(status, times int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, fault{status, times})
}

// Clear removes pending faults.
func (f *Directory) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = nil
}

// Hold keeps every request from now on waiting until Release: a Workspace call
// that hangs, as a provisioning step stuck mid-call sees it.
func (f *Directory) Hold() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hold == nil {
		f.hold = make(chan struct{})
	}
}

// Release lets the held requests (and later ones) through.
func (f *Directory) Release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hold != nil {
		close(f.hold)
		f.hold = nil
	}
}

// Held counts the requests waiting on Hold now.
func (f *Directory) Held() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.held
}

// Users lists the stored users' addresses.
func (f *Directory) Users() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, 0, len(f.users))
	for k := range f.users {
		out = append(out, k)
	}
	return out
}

// User returns a stored user.
func (f *Directory) User(email string) (map[string]any, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[strings.ToLower(email)]
	return u, ok
}

// Calls counts the requests served.
func (f *Directory) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func writeErr(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": status, "message": msg,
		"errors": []map[string]any{{"message": msg, "domain": "global", "reason": http.StatusText(status)}}}})
}

// ServeHTTP implements the users resource of Directory API v1.
func (f *Directory) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	if h := f.hold; h != nil {
		f.held++
		f.mu.Unlock()
		select {
		case <-h:
		case <-r.Context().Done():
		}
		f.mu.Lock()
		f.held--
	}
	defer f.mu.Unlock()
	f.calls++
	if len(f.faults) > 0 {
		fl := &f.faults[0]
		fl.times--
		if fl.times <= 0 {
			f.faults = f.faults[1:]
		}
		writeErr(w, fl.status, "injected failure")
		return
	}
	const base = "/admin/directory/v1/users"
	path := strings.TrimSuffix(r.URL.Path, "/")
	var body map[string]any
	if r.Body != nil {
		_ = json.NewDecoder(r.Body).Decode(&body)
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case path == base && r.Method == http.MethodPost:
		email, _ := body["primaryEmail"].(string)
		if email == "" || body["password"] == nil {
			writeErr(w, http.StatusBadRequest, "Invalid Input: primaryEmail and password are required")
			return
		}
		ou, _ := body["orgUnitPath"].(string)
		if ou == "" {
			ou = "/"
			body["orgUnitPath"] = ou
		}
		if !f.orgUnits[ou] {
			writeErr(w, http.StatusBadRequest, "Invalid Input: INVALID_OU_ID")
			return
		}
		key := strings.ToLower(email)
		if _, ok := f.users[key]; ok {
			writeErr(w, http.StatusConflict, "Entity already exists.")
			return
		}
		body["id"] = "gws-" + key
		body["suspended"] = false
		f.users[key] = body
		_ = json.NewEncoder(w).Encode(redact(body))
	case strings.HasPrefix(path, base+"/"):
		key := strings.ToLower(strings.TrimPrefix(path, base+"/"))
		u, ok := f.users[key]
		if !ok {
			writeErr(w, http.StatusNotFound, "Resource Not Found: userKey")
			return
		}
		switch r.Method {
		case http.MethodGet:
		case http.MethodPut, http.MethodPatch:
			for k, v := range body {
				u[k] = v
			}
		default:
			writeErr(w, http.StatusMethodNotAllowed, "method not allowed")
			return
		}
		_ = json.NewEncoder(w).Encode(redact(u))
	default:
		writeErr(w, http.StatusNotFound, "not found")
	}
}

// redact drops the password from what the API returns, as Google does.
func redact(u map[string]any) map[string]any {
	out := make(map[string]any, len(u))
	for k, v := range u {
		if k != "password" {
			out[k] = v
		}
	}
	return out
}
