package service_test

import (
	"testing"
	"time"

	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/service"
)

// TestEffectiveAccessStates: a grant's access follows its identity and its end:
// past the end (not yet revoked by the sweep) it shows expired_not_revoked with
// its end; on an identity still provisioning it shows provisioning; deactivated
// identities show no cell.
func TestEffectiveAccessStates(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Minute), now.Add(time.Hour)
	d := ah.ClientDetail{
		Client:    ah.Client{ID: "cli_1"},
		Platforms: []ah.ClientPlatform{{PlatformID: "pl_a"}, {PlatformID: "pl_b"}},
		Grants: []ah.AccessGrant{
			{RequestID: "req_ended", PlatformID: "pl_a", IdentityID: "idn_a", RequesterID: "cu_1", EndsAt: &past},
			{RequestID: "req_live", PlatformID: "pl_a", IdentityID: "idn_a", RequesterID: "cu_2", EndsAt: &future},
			{RequestID: "req_prov", PlatformID: "pl_b", IdentityID: "idn_b", RequesterID: "cu_1"},
		},
	}
	idns := []ah.ClientIdentity{
		{ID: "idn_a", PlatformID: "pl_a", Status: ah.IdentityActive, RequestID: "req_ended", ActiveGrants: 2},
		{ID: "idn_b", PlatformID: "pl_b", Status: ah.IdentityProvisioning, RequestID: "req_prov", ActiveGrants: 1},
		{ID: "idn_c", PlatformID: "pl_b", Status: ah.IdentityDeactivated},
	}
	ea := service.EffectiveAccessOf(d, idns, now)
	got := map[string]ah.AccessCell{}
	for _, c := range ea.Cells {
		got[c.Kind+"/"+c.PlatformID+"/"+c.PrincipalID] = c
	}
	want := map[string]string{
		"identity/pl_a/idn_a":   ah.AccessIdentity,
		"identity/pl_b/idn_b":   ah.AccessProvisioning,
		"client_user/pl_a/cu_1": ah.AccessEndedPending,
		"client_user/pl_a/cu_2": ah.AccessGranted,
		"client_user/pl_b/cu_1": ah.AccessProvisioning,
	}
	if len(got) != len(want) {
		t.Fatalf("cells = %v", got)
	}
	for k, access := range want {
		if c, ok := got[k]; !ok || c.Access != access {
			t.Errorf("%s = %+v, want %s", k, c, access)
		}
	}
	if c := got["client_user/pl_a/cu_1"]; c.Until == nil || !c.Until.Equal(past) {
		t.Errorf("ended grant until = %v", c.Until)
	}
	if ea.Cells[0].PlatformID != "pl_a" || ea.Cells[0].Kind != "identity" {
		t.Errorf("cells are not ordered by platform then kind: %+v", ea.Cells[0])
	}
}
