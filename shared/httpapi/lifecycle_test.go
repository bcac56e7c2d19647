package httpapi_test

// Beyond the seeds: the access lifecycle (issue 16).

import (
	"testing"

	"github.com/accesshive/accesshive/infra/testenv"
)

// TestAuditorReadsTheTrail (issue 16, item 3): the auditor reads every client's
// Activity (identity entries included), the agency audit search and Effective
// Access (identity rows included), and nothing else: no client list, no
// Identities tab, no credentials, no changes (every other cell is in
// TestRouteRoleTenantMatrix). Admins may invite auditors.
func TestAuditorReadsTheTrail(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	acme := e.Seed.ClientID
	auditor := e.As("auditor")
	id := submit(t, e, e.Seed.Platforms["googleAds"], "managed")["id"].(string)
	ar := e.As("admin").Post("/v1/clients/"+acme+"/access-requests/"+id+"/approve", nil)
	identityID := ar.Map(t)["identityId"].(string)
	drain(t, e)
	var act struct{ Items []map[string]any }
	if r := auditor.Get("/v1/clients/" + acme + "/activity?limit=100"); r.Status != 200 {
		t.Fatalf("activity: %d %s", r.Status, r.Body)
	} else {
		r.JSON(t, &act)
	}
	identityEntries := 0
	for _, it := range act.Items {
		if it["entityType"] == "client_identity" {
			identityEntries++
		}
	}
	if identityEntries == 0 {
		t.Fatalf("the auditor does not see identity entries: %v", act.Items)
	}
	if r := auditor.Get("/v1/audit?action=client.create"); r.Status != 200 {
		t.Fatalf("audit search: %d %s", r.Status, r.Body)
	}
	var ea struct{ Cells []map[string]any }
	auditor.Get("/v1/clients/"+acme+"/effective-access").JSON(t, &ea)
	found := false
	for _, c := range ea.Cells {
		found = found || (c["kind"] == "identity" && c["principalId"] == identityID)
	}
	if !found {
		t.Fatalf("the auditor's Effective Access lacks the identity: %v", ea.Cells)
	}
	for _, c := range []struct{ method, path string }{
		{"GET", "/v1/clients"},
		{"GET", "/v1/clients/" + acme + "/identities"},
		{"POST", "/v1/clients/" + acme + "/identities/" + identityID + "/credentials/reveal"},
		{"GET", "/v1/clients/" + acme + "/access-requests"},
		{"PATCH", "/v1/clients/" + acme},
	} {
		if r := auditor.Send(c.method, c.path, map[string]any{"name": "x"}); r.Status != 403 {
			t.Errorf("auditor %s %s: %d", c.method, c.path, r.Status)
		}
	}
	if r := e.As("admin").Post("/v1/members", map[string]any{"email": "ivy@northwind.example", "name": "Ivy", "role": "auditor"}); r.Status != 201 {
		t.Fatalf("an admin invites an auditor: %d %s", r.Status, r.Body)
	}
}
