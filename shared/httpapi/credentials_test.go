package httpapi_test

import (
	"strings"
	"testing"

	"github.com/accesshive/accesshive/infra/testenv"
)

// provisioned submits, approves and waits: it returns the identity's path.
func provisioned(t *testing.T, e *testenv.Env, platform, identityType string) string {
	t.Helper()
	base := "/v1/clients/" + e.Seed.ClientID + "/access-requests"
	id := submit(t, e, platform, identityType)["id"].(string)
	r := e.As("admin").Post(base+"/"+id+"/approve", nil)
	if r.Status != 200 {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	waitExecutions(t, e)
	return "/v1/clients/" + e.Seed.ClientID + "/identities/" + r.Map(t)["identityId"].(string)
}

func TestCredentials(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	admin := e.As("admin")
	managed := provisioned(t, e, e.Seed.Platforms["googleAds"], "managed")
	standard := provisioned(t, e, e.Seed.Platforms["meta"], "standard")

	reveal := func(path string) map[string]any {
		r := admin.Post(path+"/credentials/reveal", nil)
		if r.Status != 200 || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("reveal: %d %s", r.Status, r.Body)
		}
		return r.Map(t)
	}
	t.Run("RevealManagedIsAudited", func(t *testing.T) {
		before := admin.Get(managed).Map(t)
		c := reveal(managed)
		user, _ := e.Stack.Directory.User(c["username"].(string))
		if c["password"] != user["password"] {
			t.Fatal("revealed password is not the Workspace user's")
		}
		after := admin.Get(managed).Map(t)
		if after["lastRevealedBy"] != e.Seed.Users["admin"].UserID || after["lastAction"] != "identity.credential.reveal" || after["version"].(float64) != before["version"].(float64)+1 {
			t.Fatalf("reveal not recorded: %v", after)
		}
		if strings.Contains(e.Logs.String(), c["password"].(string)) {
			t.Fatal("a revealed credential reached the logs")
		}
	})
	t.Run("ErrRevealByManager", func(t *testing.T) {
		if r := e.As("manager").Post(managed+"/credentials/reveal", nil); r.Status != 403 {
			t.Fatalf("%d", r.Status)
		}
	})
	t.Run("Rotate", func(t *testing.T) {
		old := reveal(managed)["password"]
		r := admin.Post(managed+"/credentials/rotate", nil)
		if r.Status != 200 || r.Map(t)["credentialStatus"] != "rotated" {
			t.Fatalf("rotate: %d %s", r.Status, r.Body)
		}
		c := reveal(managed)
		user, _ := e.Stack.Directory.User(c["username"].(string))
		if c["password"] == old || c["password"] != user["password"] {
			t.Fatal("rotation did not change both the stored and the Workspace password to the same value")
		}
	})
	t.Run("RotateRefusedByWorkspaceKeepsOld", func(t *testing.T) {
		old := reveal(managed)["password"]
		e.Stack.Directory.Fail(403, 1)
		r := admin.Post(managed+"/credentials/rotate", nil)
		if r.Status != 503 || r.Problem(t).Code != "service_unavailable" {
			t.Fatalf("rotate refused: %d %s", r.Status, r.Body)
		}
		c := reveal(managed)
		user, _ := e.Stack.Directory.User(c["username"].(string))
		if c["password"] != old || user["password"] != old {
			t.Fatal("a refused rotation changed a credential")
		}
	})
	t.Run("StandardHasNoCredentialUntilSupplied", func(t *testing.T) {
		if r := admin.Post(standard+"/credentials/reveal", nil); r.Status != 409 || r.Problem(t).Code != "no_credential" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if r := admin.Send("PUT", standard+"/credentials", map[string]any{"username": "acme-meta", "password": "short"}); r.Status != 422 {
			t.Fatalf("short password: %d", r.Status)
		}
		r := admin.Send("PUT", standard+"/credentials", map[string]any{"username": "acme-meta", "password": "Correct-horse-battery-9"})
		if r.Status != 200 || r.Map(t)["credentialStatus"] != "stored" {
			t.Fatalf("replace: %d %s", r.Status, r.Body)
		}
		c := reveal(standard)
		if c["username"] != "acme-meta" || c["password"] != "Correct-horse-battery-9" {
			t.Fatalf("revealed %v", c)
		}
		r = admin.Send("PUT", standard+"/credentials", map[string]any{"username": "acme-meta", "password": "Another-long-secret-7"})
		if r.Map(t)["credentialStatus"] != "rotated" {
			t.Fatalf("second replace: %s", r.Body)
		}
		if strings.Contains(string(admin.Get(standard).Body), "Another-long-secret-7") {
			t.Fatal("credential in an identity response")
		}
	})
	t.Run("ErrWrongKind", func(t *testing.T) {
		if r := admin.Post(standard+"/credentials/rotate", nil); r.Status != 409 || r.Problem(t).Code != "credential_not_managed" {
			t.Fatalf("rotate standard: %d %s", r.Status, r.Body)
		}
		if r := admin.Send("PUT", managed+"/credentials", map[string]any{"username": "x", "password": "long enough pw"}); r.Status != 409 || r.Problem(t).Code != "credential_generated" {
			t.Fatalf("replace managed: %d %s", r.Status, r.Body)
		}
	})
}
