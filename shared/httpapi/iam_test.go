package httpapi_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/accesshive/accesshive/infra/samtemplate"
	"github.com/accesshive/accesshive/infra/testenv"
)

// TestEachIAMStatementIsNeeded: the local stack holds every function to its role in
// template.yaml. For each statement below, a copy of the template without it makes
// the flow that needs it fail with AccessDeniedException, as it would in Lambda;
// the same flow passes with the template as it is (the control).
func TestEachIAMStatementIsNeeded(t *testing.T) {
	t.Parallel()
	original, err := os.ReadFile(testenv.TemplatePath())
	if err != nil {
		t.Fatal(err)
	}
	bootstrap := func(t *testing.T, e *testenv.Env) bool {
		_, err := e.Stack.Invoke(context.Background(), "BootstrapFunction",
			[]byte(`{"agencyName":"Iam Agency","ownerEmail":"iam@iam.example","ownerName":"Ia"}`))
		return err == nil
	}
	provisionsManaged := func(t *testing.T, e *testenv.Env) bool {
		base := "/v1/clients/" + e.Seed.ClientID + "/access-requests"
		id := submit(t, e, e.Seed.Platforms["googleAds"], "managed")["id"].(string)
		r := e.As("admin").Post(base+"/"+id+"/approve", nil)
		if r.Status != 200 {
			return false
		}
		waitExecutions(t, e)
		idn := e.As("admin").Get("/v1/clients/" + e.Seed.ClientID + "/identities/" + r.Map(t)["identityId"].(string)).Map(t)
		return idn["status"] == "active"
	}
	audited := func(t *testing.T, e *testenv.Env) bool {
		cid := e.As("manager").Post("/v1/clients", newClientBody("Iam Audited")).Map(t)["id"].(string)
		if !tryDrain(t, e) {
			return false
		}
		var list struct{ Items []map[string]any }
		r := e.As("owner").Get("/v1/clients/" + cid + "/activity")
		if r.Status != 200 {
			return false
		}
		r.JSON(t, &list)
		return len(list.Items) > 0
	}
	rotates := func(t *testing.T, e *testenv.Env) bool {
		id := submit(t, e, e.Seed.Platforms["googleAds"], "managed")["id"].(string)
		r := e.As("admin").Post("/v1/clients/"+e.Seed.ClientID+"/access-requests/"+id+"/approve", nil)
		if r.Status != 200 {
			return false
		}
		waitExecutions(t, e)
		path := "/v1/clients/" + e.Seed.ClientID + "/identities/" + r.Map(t)["identityId"].(string)
		return e.As("admin").Post(path+"/credentials/rotate", nil).Status == 200
	}
	sweeps := func(t *testing.T, e *testenv.Env) bool {
		_, err := e.Stack.Invoke(context.Background(), "ExpireRequestsFunction", []byte(`{"source":"scheduler"}`))
		return err == nil
	}
	requesterEmailed := func(t *testing.T, e *testenv.Env) bool {
		if !provisionsManaged(t, e) {
			return false
		}
		if !tryDrain(t, e) {
			return false
		}
		var list struct{ Items []map[string]any }
		e.As("clientUser").Get("/v1/notifications").JSON(t, &list)
		for _, n := range list.Items {
			if n["kind"] == "access_request.provisioned" {
				return n["emailStatus"] == "sent"
			}
		}
		return false
	}
	offboards := func(t *testing.T, e *testenv.Env) bool {
		provisionsManaged(t, e)
		name := e.As("owner").Get("/v1/clients/" + e.Seed.ClientID).Map(t)["name"].(string)
		if r := e.As("owner").Post("/v1/clients/"+e.Seed.ClientID+"/offboarding", map[string]any{"confirmName": name}); r.Status != 202 {
			return false
		}
		waitExecutions(t, e)
		return e.As("owner").Get("/v1/clients/" + e.Seed.ClientID).Map(t)["status"] == "archived"
	}
	for _, tt := range []struct {
		resource, sid string
		flow          func(*testing.T, *testenv.Env) bool
	}{
		{"BootstrapFunction", "TableWrite", bootstrap},
		{"ApiFunction", "StartWorkflows", provisionsManaged},
		{"ApiFunction", "ReadAudit", audited},
		{"AuditStreamFunction", "AppendAudit", audited},
		{"ExpireRequestsFunction", "Table", sweeps},
		{"ProvisioningStateMachine", "InvokeSteps", provisionsManaged},
		{"WorkspaceFunction", "IdentitySecrets", provisionsManaged},
		{"ApiFunction", "RotateCredentials", rotates},
		{"RotationStateMachine", "InvokeSteps", rotates},
		{"ActivateIdentityFunction", "Table", provisionsManaged},
		{"NotifyFunction", "SendEmail", requesterEmailed},
		{"NotifyFunction", "ReadStream", requesterEmailed},
		{"AuditStreamFunction", "ReadStream", audited},
		{"RotateCredentialFunction", "IdentitySecrets", rotates},
		{"OffboardClientFunction", "Table", offboards},
	} {
		t.Run(tt.resource+"/"+tt.sid, func(t *testing.T) {
			t.Parallel()
			edited, err := samtemplate.WithoutStatement(original, tt.resource, tt.sid)
			if err != nil {
				t.Fatal(err)
			}
			e := testenv.NewWithTemplate(t, edited)
			if tt.flow(t, e) {
				t.Fatalf("the flow succeeded without %s's statement %s", tt.resource, tt.sid)
			}
			if !strings.Contains(e.Logs.String(), "AccessDeniedException") && !strings.Contains(e.Logs.String(), "is not authorized to perform") {
				t.Fatalf("the flow failed, but not for want of permission; logs:\n%s", e.Logs.String())
			}
		})
	}
	t.Run("Control", func(t *testing.T) {
		t.Parallel()
		for name, flow := range map[string]func(*testing.T, *testenv.Env) bool{"bootstrap": bootstrap, "requesterEmailed": requesterEmailed,
			"rotates": rotates, "audited": audited, "sweeps": sweeps, "offboards": offboards} {
			if !flow(t, testenv.New(t)) {
				t.Errorf("%s fails with the template as it is", name)
			}
		}
	})
}

// tryDrain delivers the streams, reporting (not failing on) a function that cannot
// read its stream.
func tryDrain(t *testing.T, e *testenv.Env) bool {
	t.Helper()
	waitExecutions(t, e)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.Stack.DrainStreams(ctx); err != nil {
		e.Logs.Write([]byte(err.Error() + "\n"))
		return false
	}
	return true
}
