package httpapi_test

import (
	"testing"

	"github.com/accesshive/accesshive/infra/testenv"
)

func TestHealthAndMe(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	t.Run("HealthNeedsNoToken", func(t *testing.T) {
		r := e.Do(testenv.Request{Method: "GET", Path: "/v1/health"})
		if r.Status != 200 || r.Map(t)["status"] != "ok" {
			t.Fatalf("health = %d %s", r.Status, r.Body)
		}
	})
	for handle, role := range map[string]string{"owner": "agency_owner", "admin": "admin", "manager": "client_manager", "member": "member", "otherOwner": "agency_owner"} {
		t.Run("Me/"+handle, func(t *testing.T) {
			r := e.As(handle).Get("/v1/me")
			if r.Status != 200 {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			m := r.Map(t)
			if m["role"] != role || m["email"] != e.Seed.Users[handle].Email || m["memberId"] != e.Seed.Users[handle].UserID {
				t.Fatalf("me = %v", m)
			}
			wantAgency := e.Seed.AgencyID
			if handle == "otherOwner" {
				wantAgency = e.Seed.OtherAgencyID
			}
			if m["agencyId"] != wantAgency {
				t.Fatalf("agencyId = %v, want %s", m["agencyId"], wantAgency)
			}
		})
	}
	t.Run("ErrNoToken", func(t *testing.T) {
		if r := e.Do(testenv.Request{Method: "GET", Path: "/v1/me"}); r.Status != 401 {
			t.Fatalf("status %d, want 401", r.Status)
		}
	})
}
