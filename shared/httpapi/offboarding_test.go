package httpapi_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/accesshive/accesshive/infra/testenv"
	ah "github.com/accesshive/accesshive/shared/accesshive"
)

func stepMap(t *testing.T, c map[string]any) map[string]string {
	out := map[string]string{}
	o, _ := c["offboarding"].(map[string]any)
	if o == nil {
		return out
	}
	for _, s := range o["steps"].([]any) {
		s := s.(map[string]any)
		out[s["name"].(string)] = s["status"].(string)
	}
	return out
}

func TestOffboarding(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	acme := e.Seed.ClientID
	path := "/v1/clients/" + acme
	admin := e.As("admin")

	// A managed identity, provisioned; a pending request; then a second identity
	// left mid-provisioning (its Workspace step keeps failing with 503).
	managed := provisioned(t, e, e.Seed.Platforms["googleAds"], "managed")
	idn := admin.Get(managed).Map(t)
	email := idn["email"].(string)
	pending := submit(t, e, e.Seed.Platforms["meta"], "standard")["id"].(string)

	t.Run("Preview", func(t *testing.T) {
		p := admin.Get(path + "/offboarding").Map(t)
		if p["clientName"] != "Acme Outdoor" || len(p["identities"].([]any)) != 1 || len(p["pendingRequests"].([]any)) != 1 || len(p["platforms"].([]any)) != 2 {
			t.Fatalf("preview = %v", p)
		}
		if r := e.As("member").Get(path + "/offboarding"); r.Status != 403 {
			t.Fatalf("member preview: %d", r.Status)
		}
	})
	t.Run("ErrWrongName", func(t *testing.T) {
		for _, name := range []string{"acme outdoor", "Acme", ""} {
			r := admin.Post(path+"/offboarding", map[string]any{"confirmName": name})
			if r.Status != 422 || !hasField(r.Problem(t), "confirmName") {
				t.Fatalf("confirm %q: %d %s", name, r.Status, r.Body)
			}
		}
		if c := admin.Get(path).Map(t); c["offboarding"] != nil {
			t.Fatal("a refused confirmation started offboarding")
		}
	})

	// Workspace refuses the suspension: offboarding fails at that step.
	e.Stack.Directory.Fail(403, 1)
	r := admin.Post(path+"/offboarding", map[string]any{"confirmName": "Acme Outdoor"})
	if r.Status != 202 || r.Map(t)["offboarding"].(map[string]any)["status"] != "running" {
		t.Fatalf("confirm: %d %s", r.Status, r.Body)
	}
	t.Run("LockedWhileRunningOrFailed", func(t *testing.T) {
		waitExecutions(t, e)
		c := admin.Get(path).Map(t)
		st := stepMap(t, c)
		if c["offboarding"].(map[string]any)["status"] != "failed" || st["suspend_workspace_users"] != "failed" ||
			st["deactivate_identities"] != "done" || st["delete_credentials"] != "pending" || c["lifecycle"] != "active" {
			t.Fatalf("after a Workspace refusal: %v %v", c["offboarding"], c["lifecycle"])
		}
	})

	// Confirm again: the new attempt skips what was done and finishes.
	r = admin.Post(path+"/offboarding", map[string]any{"confirmName": "Acme Outdoor"})
	if r.Status != 202 {
		t.Fatalf("second confirm: %d %s", r.Status, r.Body)
	}
	waitExecutions(t, e)
	c := admin.Get(path).Map(t)
	if c["status"] != "archived" || c["lifecycle"] != "archived" || c["offboarding"].(map[string]any)["status"] != "done" {
		t.Fatalf("after offboarding: %v %v", c["status"], c["offboarding"])
	}
	for name, st := range stepMap(t, c) {
		if st != "done" {
			t.Errorf("step %s = %s", name, st)
		}
	}
	t.Run("EverythingRevoked", func(t *testing.T) {
		got := admin.Get(managed).Map(t)
		if got["status"] != "deactivated" || got["credentialStatus"] != "revoked" {
			t.Fatalf("identity = %v %v", got["status"], got["credentialStatus"])
		}
		if u, _ := e.Stack.Directory.User(email); u["suspended"] != true {
			t.Fatalf("Workspace user not suspended: %v", u)
		}
		_, err := secretsmanager.NewFromConfig(e.Stack.AWS).GetSecretValue(context.Background(),
			&secretsmanager.GetSecretValueInput{SecretId: new(e.Stack.SecretName(ah.CredentialSecretName(e.Seed.AgencyID, acme, got["id"].(string))))})
		if err == nil {
			t.Fatal("the stored credential is still readable")
		}
		granted := admin.Get(path + "/access-requests/" + got["requestId"].(string)).Map(t)
		if granted["status"] != "revoked" || granted["reason"] != "the client was offboarded" {
			t.Fatalf("granted request = %v %v", granted["status"], granted["reason"])
		}
		for _, c := range admin.Get(path + "/effective-access").Map(t)["cells"].([]any) {
			if k := c.(map[string]any)["kind"]; k != "team_member" {
				t.Fatalf("access left after offboarding: %v", c)
			}
		}
		req := admin.Get(path + "/access-requests/" + pending).Map(t)
		if req["status"] != "rejected" || req["reason"] != "the client was offboarded" {
			t.Fatalf("pending request = %v", req)
		}
		var plats struct{ Items []map[string]any }
		admin.Get(path+"/platforms").JSON(t, &plats)
		for _, p := range plats.Items {
			if p["provisioningStatus"] != "revoked" {
				t.Fatalf("platform access not revoked: %v", p)
			}
		}
	})
	t.Run("ArchivedIsReadOnlyButReadable", func(t *testing.T) {
		var active, archived struct{ Items []map[string]any }
		admin.Get("/v1/clients").JSON(t, &active)
		admin.Get("/v1/clients?status=archived").JSON(t, &archived)
		if len(active.Items) != 0 || len(archived.Items) != 1 {
			t.Fatalf("active %d archived %d", len(active.Items), len(archived.Items))
		}
		if r := admin.Patch(path, map[string]any{"description": "x"}); r.Status != 409 || r.Problem(t).Code != "client_archived" {
			t.Fatalf("patch archived: %d %s", r.Status, r.Body)
		}
		if r := e.As("clientUser").Post(path+"/access-requests", map[string]any{"platformId": e.Seed.Platforms["meta"], "identityType": "standard", "justification": "x"}); r.Status != 409 {
			t.Fatalf("request on archived client: %d %s", r.Status, r.Body)
		}
		if r := admin.Post(path+"/offboarding", map[string]any{"confirmName": "Acme Outdoor"}); r.Status != 409 {
			t.Fatalf("offboarding twice: %d", r.Status)
		}
		drain(t, e)
		var act struct{ Items []map[string]any }
		admin.Get(path+"/activity?action=client.offboarding.archive_client").JSON(t, &act)
		if len(act.Items) == 0 {
			t.Fatal("the archive is not in the activity trail")
		}
	})
}

func TestOffboardingStopsProvisioning(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	acme := e.Seed.ClientID
	// The Workspace step keeps answering 503, so provisioning is mid-flight (retrying).
	e.Stack.Directory.Fail(503, 1000)
	id := submit(t, e, e.Seed.Platforms["googleAds"], "managed")["id"].(string)
	r := e.As("admin").Post("/v1/clients/"+acme+"/access-requests/"+id+"/approve", nil)
	identity := r.Map(t)["identityId"].(string)
	if r := e.As("admin").Post("/v1/clients/"+acme+"/offboarding", map[string]any{"confirmName": "Acme Outdoor"}); r.Status != 202 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	waitExecutions(t, e)
	got := e.As("admin").Get("/v1/clients/" + acme + "/identities/" + identity).Map(t)
	if got["status"] != "deactivated" {
		t.Fatalf("identity mid-provisioning = %v", got["status"])
	}
	// The same outage fails the suspension: offboarding stops there, retryable.
	c := e.As("admin").Get("/v1/clients/" + acme).Map(t)
	if c["lifecycle"] != "active" || stepMap(t, c)["suspend_workspace_users"] != "failed" {
		t.Fatalf("client during the outage = %v %v", c["lifecycle"], c["offboarding"])
	}
	e.Stack.Directory.Clear()
	if r := e.As("admin").Post("/v1/clients/"+acme+"/offboarding", map[string]any{"confirmName": "Acme Outdoor"}); r.Status != 202 {
		t.Fatalf("confirm again: %d %s", r.Status, r.Body)
	}
	waitExecutions(t, e)
	c = e.As("admin").Get("/v1/clients/" + acme).Map(t)
	if c["lifecycle"] != "archived" || c["offboarding"].(map[string]any)["attempt"] != float64(2) {
		t.Fatalf("client after the retry = %v %v", c["lifecycle"], c["offboarding"])
	}
	// The stopped provisioning never resumed: the identity stays deactivated.
	if got := e.As("admin").Get("/v1/clients/" + acme + "/identities/" + identity).Map(t); got["status"] != "deactivated" {
		t.Fatalf("identity after offboarding = %v", got["status"])
	}
}
