package httpapi_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/accesshive/accesshive/infra/testenv"
	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/httpapi"
)

func TestBadInput(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	owner := e.As("owner")
	validMember := `{"email":"x@northwind.example","name":"X","role":"member"}`
	tests := []struct {
		name       string
		method     string
		path       string
		body       any
		headers    []string
		wantStatus int
		wantCode   string
		wantField  string
	}{
		{"ErrMalformedJSON", "POST", "/v1/members", `{"email":`, nil, 400, "malformed_json", ""},
		{"ErrNotAnObject", "POST", "/v1/members", `[1,2]`, nil, 400, "malformed_json", ""},
		{"ErrTrailingData", "POST", "/v1/members", validMember + `{}`, nil, 400, "malformed_json", ""},
		{"ErrEmptyBody", "POST", "/v1/members", ``, nil, 400, "malformed_json", ""},
		{"ErrUnknownField", "POST", "/v1/members", `{"email":"x@northwind.example","name":"X","role":"member","isAdmin":true}`, nil, 400, "unknown_field", "isAdmin"},
		{"ErrWrongType", "POST", "/v1/members", `{"email":5,"name":"X","role":"member"}`, nil, 422, "validation_failed", "email"},
		{"ErrTooLarge", "POST", "/v1/members", `{"name":"` + strings.Repeat("a", 70<<10) + `"}`, nil, 413, "payload_too_large", ""},
		{"ErrContentType", "POST", "/v1/members", validMember, []string{"Content-Type", "text/plain"}, 415, "unsupported_media_type", ""},
		{"ErrEmailInvalid", "POST", "/v1/members", `{"email":"not-an-email","name":"X","role":"member"}`, nil, 422, "validation_failed", "email"},
		{"ErrEmailDisplayName", "POST", "/v1/members", `{"email":"X <x@northwind.example>","name":"X","role":"member"}`, nil, 422, "validation_failed", "email"},
		{"ErrNameMissing", "POST", "/v1/members", `{"email":"x@northwind.example","role":"member"}`, nil, 422, "validation_failed", "name"},
		{"ErrRoleUnknown", "POST", "/v1/members", `{"email":"x@northwind.example","name":"X","role":"superuser"}`, nil, 422, "validation_failed", "role"},
		{"ErrRoleClientUser", "POST", "/v1/members", `{"email":"x@northwind.example","name":"X","role":"client_user"}`, nil, 422, "validation_failed", "role"},
		{"ErrPlatformKind", "POST", "/v1/platforms", `{"name":"P","kind":"myspace"}`, nil, 422, "validation_failed", "kind"},
		{"ErrPlatformStatus", "POST", "/v1/platforms", `{"name":"P","kind":"other","status":"great"}`, nil, 422, "validation_failed", "status"},
		{"ErrPolicyMinLength", "POST", "/v1/security-policies", `{"name":"P","password":{"minLength":4},"sessionLengthMinutes":60,"mfa":"required"}`, nil, 422, "validation_failed", "password.minLength"},
		{"ErrPolicyMFA", "POST", "/v1/security-policies", `{"name":"P","password":{"minLength":12},"sessionLengthMinutes":60,"mfa":"sometimes"}`, nil, 422, "validation_failed", "mfa"},
		{"ErrPolicySession", "POST", "/v1/security-policies", `{"name":"P","password":{"minLength":12},"sessionLengthMinutes":1,"mfa":"off"}`, nil, 422, "validation_failed", "sessionLengthMinutes"},
		{"ErrPolicyNoPassword", "POST", "/v1/security-policies", `{"name":"P","sessionLengthMinutes":60,"mfa":"off"}`, nil, 422, "validation_failed", "password"},
		{"ErrIdentityScope", "POST", "/v1/identities", `{"displayName":"I","email":"i@northwind.example","scope":"galaxy"}`, nil, 422, "validation_failed", "scope"},
		{"ErrIdentityPlatformMissing", "POST", "/v1/identities", `{"displayName":"I","email":"i@northwind.example","scope":"platform"}`, nil, 422, "validation_failed", "platformId"},
		{"ErrIdentityUnknownPlatform", "POST", "/v1/identities", `{"displayName":"I","email":"i@northwind.example","scope":"platform","platformId":"plt_00000000000000000000000000"}`, nil, 422, "validation_failed", "platformId"},
		{"ErrExpiryRange", "PATCH", "/v1/settings", `{"accessRequestExpiryMinutes":1}`, nil, 422, "validation_failed", "accessRequestExpiryMinutes"},
		{"ErrEmptyPatch", "PATCH", "/v1/settings", `{}`, nil, 422, "validation_failed", ""},
		{"ErrUnknownDefaultPolicy", "PATCH", "/v1/settings", `{"defaultSecurityPolicyId":"pol_00000000000000000000000000"}`, nil, 422, "validation_failed", "defaultSecurityPolicyId"},
		{"ErrLimitZero", "GET", "/v1/members?limit=0", nil, nil, 422, "validation_failed", "limit"},
		{"ErrLimitText", "GET", "/v1/members?limit=ten", nil, nil, 422, "validation_failed", "limit"},
		{"ErrCursorGarbage", "GET", "/v1/members?cursor=abc", nil, nil, 400, "invalid_cursor", ""},
		{"ErrIfMatchFormat", "PATCH", "/v1/settings", `{"accessRequestExpiryMinutes":60}`, []string{"If-Match", "three"}, 400, "invalid_if_match", ""},
		{"ErrIdempotencyKeyFormat", "POST", "/v1/platforms", `{"name":"P","kind":"other"}`, []string{"Idempotency-Key", "has space"}, 400, "invalid_idempotency_key", ""},
		{"ErrNoRoute", "GET", "/v1/nothing-here", nil, nil, 404, "route_not_found", ""},
		{"ErrMethod", "DELETE", "/v1/members", nil, nil, 405, "method_not_allowed", ""},
		{"ErrUnknownMember", "GET", "/v1/members/mbr_00000000000000000000000000", nil, nil, 404, "not_found", ""},
		{"ErrUnknownPlatform", "PATCH", "/v1/platforms/plt_00000000000000000000000000", `{"name":"x"}`, nil, 404, "not_found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := owner.Send(tt.method, tt.path, bodyOf(tt.body), tt.headers...)
			if r.Status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.wantStatus, r.Body)
			}
			p := r.Problem(t)
			if p.Code != tt.wantCode {
				t.Fatalf("code %q, want %q: %s", p.Code, tt.wantCode, r.Body)
			}
			if p.Type != "https://accesshive.dev/problems/"+tt.wantCode {
				t.Errorf("type %q", p.Type)
			}
			if tt.wantField != "" && !hasField(p, tt.wantField) {
				t.Fatalf("no field error for %q: %s", tt.wantField, r.Body)
			}
		})
	}
	t.Run("MethodNotAllowedSaysAllow", func(t *testing.T) {
		r := owner.Send("DELETE", "/v1/members", nil)
		if allow := r.Header.Get("Allow"); allow != "GET, POST" {
			t.Fatalf("Allow = %q, want \"GET, POST\"", allow)
		}
	})
	t.Run("NothingWrittenOnRefusal", func(t *testing.T) {
		var list struct{ Items []map[string]any }
		owner.Get("/v1/members?limit=100").JSON(t, &list)
		for _, m := range list.Items {
			if m["email"] == "x@northwind.example" {
				t.Fatalf("a refused request wrote member %v", m)
			}
		}
	})
}

func bodyOf(v any) any {
	if s, ok := v.(string); ok && s == "" {
		return []byte{}
	}
	return v
}

func hasField(p testenv.Problem, field string) bool {
	for _, f := range p.Errors {
		if f.Field == field {
			return true
		}
	}
	return false
}

func TestIfMatch(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	owner := e.As("owner")
	path := "/v1/platforms/" + e.Seed.Platforms["meta"]
	r := owner.Get(path)
	etag := r.Header.Get("ETag")
	if etag != `"1"` {
		t.Fatalf("ETag = %q, want \"1\"", etag)
	}
	t.Run("OK", func(t *testing.T) {
		r := owner.Patch(path, map[string]any{"status": "degraded"}, "If-Match", etag)
		if r.Status != 200 || r.Header.Get("ETag") != `"2"` || r.Map(t)["status"] != "degraded" {
			t.Fatalf("patch = %d %s etag %s", r.Status, r.Body, r.Header.Get("ETag"))
		}
	})
	t.Run("ErrStale", func(t *testing.T) {
		r := owner.Patch(path, map[string]any{"status": "operational"}, "If-Match", etag)
		if r.Status != 412 {
			t.Fatalf("status %d, want 412: %s", r.Status, r.Body)
		}
		p := r.Problem(t)
		if p.Code != "precondition_failed" || p.Current["status"] != "degraded" || p.Current["version"] != float64(2) {
			t.Fatalf("problem = %+v", p)
		}
		if got := owner.Get(path).Map(t)["status"]; got != "degraded" {
			t.Fatalf("stale write applied: status %v", got)
		}
	})
	t.Run("WeakAndStarAccepted", func(t *testing.T) {
		if r := owner.Patch(path, map[string]any{"name": "Meta BM"}, "If-Match", `W/"2"`); r.Status != 200 {
			t.Fatalf("weak etag: %d %s", r.Status, r.Body)
		}
		if r := owner.Patch(path, map[string]any{"name": "Meta BM 2"}, "If-Match", "*"); r.Status != 200 {
			t.Fatalf("star: %d %s", r.Status, r.Body)
		}
	})
	t.Run("RacingPatchesOneWins", func(t *testing.T) {
		cur := owner.Get(path)
		tag := cur.Header.Get("ETag")
		const n = 8
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = owner.Patch(path, map[string]any{"description": fmt.Sprint("writer ", i)}, "If-Match", tag).Status
			}()
		}
		wg.Wait()
		wins := 0
		for _, s := range statuses {
			switch s {
			case 200:
				wins++
			case 409, 412:
			default:
				t.Errorf("racing patch status %d", s)
			}
		}
		if wins != 1 {
			t.Fatalf("%d racing patches won, want exactly 1 (%v)", wins, statuses)
		}
	})
}

func TestIdempotency(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	owner := e.As("owner")
	body := map[string]any{"name": "Snap Ads", "kind": "other"}
	first := owner.Post("/v1/platforms", body, "Idempotency-Key", "k-1")
	if first.Status != 201 || first.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("first = %d %s", first.Status, first.Body)
	}
	id := first.Map(t)["id"]
	t.Run("ReplaySameResource", func(t *testing.T) {
		again := owner.Post("/v1/platforms", body, "Idempotency-Key", "k-1")
		if again.Status != 201 || again.Map(t)["id"] != id || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay = %d %s %v", again.Status, again.Body, again.Header)
		}
	})
	t.Run("ErrKeyReusedWithOtherBody", func(t *testing.T) {
		r := owner.Post("/v1/platforms", map[string]any{"name": "Other", "kind": "other"}, "Idempotency-Key", "k-1")
		if r.Status != 422 || r.Problem(t).Code != "idempotency_key_reused" {
			t.Fatalf("reuse = %d %s", r.Status, r.Body)
		}
	})
	t.Run("KeysArePerCaller", func(t *testing.T) {
		r := e.As("admin").Post("/v1/platforms", body, "Idempotency-Key", "k-1")
		if r.Status != 201 || r.Map(t)["id"] == id {
			t.Fatalf("another caller's same key replayed: %d %s", r.Status, r.Body)
		}
	})
	t.Run("ExactlyOneCreated", func(t *testing.T) {
		var list struct{ Items []map[string]any }
		owner.Get("/v1/platforms?limit=100").JSON(t, &list)
		n := 0
		for _, p := range list.Items {
			if p["name"] == "Snap Ads" {
				n++
			}
		}
		if n != 2 { // owner's (once, despite the replay) and admin's
			t.Fatalf("%d platforms named Snap Ads, want 2", n)
		}
	})
	t.Run("ConcurrentRetriesCreateOnce", func(t *testing.T) {
		body := map[string]any{"email": "race@northwind.example", "name": "Race", "role": "member"}
		ids := make([]any, 10)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := owner.Post("/v1/members", body, "Idempotency-Key", "race-1")
				if r.Status == 201 {
					ids[i] = r.Map(t)["id"]
				} else if r.Status != 409 {
					t.Errorf("concurrent retry status %d: %s", r.Status, r.Body)
				}
			}()
		}
		wg.Wait()
		var first any
		for _, id := range ids {
			if id == nil {
				continue
			}
			if first == nil {
				first = id
			}
			if id != first {
				t.Fatalf("concurrent retries created different members: %v", ids)
			}
		}
	})
}

func TestPagination(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	owner := e.As("owner")
	for i := range 7 {
		if r := owner.Post("/v1/members", map[string]any{"email": fmt.Sprintf("p%d@northwind.example", i), "name": "P", "role": "member"}); r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
	}
	seen := map[any]bool{}
	path := "/v1/members?limit=3"
	pages := 0
	var lastCursor string
	for {
		var page struct {
			Items      []map[string]any `json:"items"`
			NextCursor string           `json:"nextCursor"`
		}
		r := owner.Get(path)
		r.JSON(t, &page)
		pages++
		if len(page.Items) > 3 {
			t.Fatalf("page of %d items, limit 3", len(page.Items))
		}
		for _, m := range page.Items {
			if seen[m["id"]] {
				t.Fatalf("member %v on two pages", m["id"])
			}
			seen[m["id"]] = true
		}
		if page.NextCursor == "" {
			if strings.Contains(string(r.Body), "nextCursor") {
				t.Fatal("last page names nextCursor")
			}
			break
		}
		lastCursor = page.NextCursor
		path = "/v1/members?limit=3&cursor=" + page.NextCursor
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
	}
	if len(seen) != 13 { // 6 seeded (4 staff, an auditor, a client user) + 7
		t.Fatalf("paged through %d members, want 13", len(seen))
	}
	t.Run("LimitCapped", func(t *testing.T) {
		var page struct{ Items []any }
		if r := owner.Get("/v1/members?limit=100000"); r.Status != 200 {
			t.Fatalf("status %d", r.Status)
		} else {
			r.JSON(t, &page)
		}
	})
	tampered := []byte(lastCursor)
	tampered[len(tampered)/2] ^= 0x01
	for name, path := range map[string]string{
		"ErrTampered":     "/v1/members?limit=3&cursor=" + string(tampered),
		"ErrOtherList":    "/v1/platforms?limit=3&cursor=" + lastCursor,
		"ErrOtherFilters": "/v1/members?limit=3&x=1&cursor=" + lastCursor,
	} {
		t.Run(name, func(t *testing.T) {
			r := owner.Get(path)
			if r.Status != 400 || r.Problem(t).Code != "invalid_cursor" {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
		})
	}
	t.Run("ErrOtherAgency", func(t *testing.T) {
		r := e.As("otherOwner").Get("/v1/members?limit=3&cursor=" + lastCursor)
		if r.Status != 400 || r.Problem(t).Code != "invalid_cursor" {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
	})
}

// TestOverLongIDs: an id that cannot be one (longer than any DynamoDB key allows,
// or of the wrong shape) is not found (404) in a path and invalid (422) in a body
// or a query, on every route and for every role allowed there: never a 500 from a
// key DynamoDB refuses.
func TestOverLongIDs(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	long := strings.Repeat("a", 1100)
	for _, rt := range httpapi.RouteTable() {
		if !strings.Contains(rt.Path, "{") {
			continue
		}
		as := "owner"
		if !rt.Public && !slices.Contains(rt.Roles, ah.RoleOwner) {
			as = "clientUser"
		}
		segs := strings.Split(rt.Path, "/")
		for i, seg := range segs {
			if !strings.HasPrefix(seg, "{") {
				continue
			}
			path := make([]string, len(segs))
			for j, s := range segs {
				switch {
				case j == i:
					path[j] = s[1:4] + "_" + long
				case s == "{clientId}":
					path[j] = e.Seed.ClientID
				case strings.HasPrefix(s, "{"):
					path[j] = "x"
				default:
					path[j] = s
				}
			}
			p := strings.Join(path, "/")
			t.Run(rt.Name+"/"+seg, func(t *testing.T) {
				r := e.As(as).Send(rt.Method, p, map[string]any{})
				if r.Status != 404 && r.Status != 403 {
					t.Fatalf("%s %s…: %d %s, want 404", rt.Method, p[:60], r.Status, r.Body)
				}
			})
		}
	}
	body := []struct {
		name, method, path, as string
		body                   map[string]any
		field                  string
	}{
		{"SubmitPlatform", "POST", "/v1/clients/" + e.Seed.ClientID + "/access-requests", "clientUser",
			map[string]any{"platformId": "plt_" + long, "identityType": "managed", "justification": "Run the spring campaign"}, "platformId"},
		{"ClientTeam", "POST", "/v1/clients", "owner", map[string]any{"name": "Long Ids", "description": "d", "industry": "retail", "region": "eu",
			"timezone": "Europe/Paris", "team": []any{map[string]any{"memberId": "mbr_" + long, "role": "viewer"}}}, "team[0].memberId"},
		{"ClientPolicy", "POST", "/v1/clients", "owner", map[string]any{"name": "Long Ids", "description": "d", "industry": "retail", "region": "eu",
			"timezone": "Europe/Paris", "securityPolicyId": long}, "securityPolicyId"},
		{"DefaultPolicy", "PATCH", "/v1/settings", "owner", map[string]any{"defaultGovernancePolicyId": "gov_" + long}, "defaultGovernancePolicyId"},
		{"GroupMembers", "PUT", "/v1/clients/" + e.Seed.ClientID + "/governance", "owner", map[string]any{"policyAssignments": []any{},
			"teamGroups": []any{map[string]any{"name": "G", "role": "viewer", "memberIds": []string{"mbr_" + long}}}, "clientOwners": []any{}, "compliance": map[string]any{}},
			"teamGroups[0].memberIds[0]"},
	}
	for _, tt := range body {
		t.Run("Body/"+tt.name, func(t *testing.T) {
			r := e.As(tt.as).Send(tt.method, tt.path, tt.body)
			if r.Status != 422 || !hasField(r.Problem(t), tt.field) {
				t.Fatalf("%d %s, want 422 on %s", r.Status, r.Body, tt.field)
			}
		})
	}
	t.Run("Query", func(t *testing.T) {
		r := e.As("owner").Get("/v1/audit?clientId=cli_" + long)
		if r.Status != 422 || !hasField(r.Problem(t), "clientId") {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
}
