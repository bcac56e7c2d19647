package samtemplate

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/accesshive/accesshive/infra/iam"
)

func TestLoadRealTemplate(t *testing.T) {
	tpl, err := Load("../../template.yaml", Resolver{Prefix: "t1-", Parameters: map[string]string{"JwtIssuer": "http://issuer"}})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	tables := tpl.Tables()
	if len(tables) == 0 {
		t.Fatal("no tables")
	}
	main := tables[len(tables)-1]
	if main.LogicalID != "Table" || *main.Create.TableName != "t1-Table" {
		t.Fatalf("table = %s %s", main.LogicalID, *main.Create.TableName)
	}
	if main.TTLAttribute != "ttl" {
		t.Errorf("TTL attribute = %q, want ttl", main.TTLAttribute)
	}
	if main.Create.StreamSpecification == nil || main.Create.StreamSpecification.StreamViewType != "NEW_AND_OLD_IMAGES" {
		t.Errorf("stream = %+v", main.Create.StreamSpecification)
	}
	if len(main.Create.GlobalSecondaryIndexes) < 3 {
		t.Errorf("GSIs = %d, want at least 3", len(main.Create.GlobalSecondaryIndexes))
	}
	fns, err := tpl.Functions()
	if err != nil {
		t.Fatal(err)
	}
	api, ok := fns["ApiFunction"]
	if !ok {
		t.Fatal("no ApiFunction")
	}
	if api.Env["TABLE_NAME"] != "t1-Table" {
		t.Errorf("TABLE_NAME = %q, want t1-Table (Globals merged, Ref resolved)", api.Env["TABLE_NAME"])
	}
	if want := "arn:aws:secretsmanager:us-east-1:000000000000:secret:t1-CursorSecret"; api.Env["CURSOR_SECRET_ARN"] != want {
		t.Errorf("CURSOR_SECRET_ARN = %q, want %q", api.Env["CURSOR_SECRET_ARN"], want)
	}
	if api.Env["SECRETS_PREFIX"] != "t1/" {
		t.Errorf("SECRETS_PREFIX = %q, want the stack's name and a slash", api.Env["SECRETS_PREFIX"])
	}
	routes, err := tpl.HTTPRoutes()
	if err != nil {
		t.Fatal(err)
	}
	var health, proxy bool
	for _, r := range routes {
		if r.Path == "/v1/health" && r.Method == "GET" && r.Public {
			health = true
		}
		if r.Path == "/v1/{proxy+}" && r.Method == "ANY" && !r.Public {
			proxy = true
		}
	}
	if !health || !proxy {
		t.Errorf("routes = %+v, want public GET /v1/health and authorized ANY /v1/{proxy+}", routes)
	}
}

// TestLoadConcurrently guards against goformation's global tag registry racing.
func TestLoadConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := Load("../../template.yaml", Resolver{Prefix: fmt.Sprintf("c%d-", i)}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestStateMachines(t *testing.T) {
	tpl, err := Load("../../template.yaml", Resolver{Prefix: "sm-"})
	if err != nil {
		t.Fatal(err)
	}
	sms, err := tpl.StateMachines("../..")
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]StateMachine{}
	for _, sm := range sms {
		byID[sm.LogicalID] = sm
	}
	prov, ok := byID["ProvisioningStateMachine"]
	if _, rot := byID["RotationStateMachine"]; !ok || !rot || len(byID) != 3 {
		t.Fatalf("state machines: %d, want provisioning, offboarding and rotation", len(byID))
	}
	def := string(prov.Definition)
	if !strings.Contains(def, `"arn:aws:lambda:us-east-1:000000000000:function:sm-PrepareIdentityFunction"`) {
		t.Fatalf("substitutions not applied: %.300s", def)
	}
	fns, _ := tpl.Functions()
	if got := fns["ApiFunction"].Env["PROVISIONING_STATE_MACHINE_ARN"]; got != prov.ARN {
		t.Fatalf("api env PROVISIONING_STATE_MACHINE_ARN = %q, want %q", got, prov.ARN)
	}
}

// TestAuditTableIsAppendOnlyByIAM: only the audit-stream function may write the
// audit table, and only PutItem; no role may change or delete an entry. Every
// role of the template (what SAM adds included) is evaluated as IAM would.
func TestAuditTableIsAppendOnlyByIAM(t *testing.T) {
	tpl, err := Load("../../template.yaml", Resolver{Prefix: "iam-"})
	if err != nil {
		t.Fatal(err)
	}
	roles, err := tpl.Roles()
	if err != nil {
		t.Fatal(err)
	}
	audit := "arn:aws:dynamodb:us-east-1:000000000000:table/iam-AuditTable"
	for id, role := range roles {
		for _, action := range []string{"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "DeleteTable", "UpdateTable", "PartiQLUpdate", "PartiQLDelete"} {
			err := role.Authorize(iam.Request{Action: "dynamodb:" + action, Resource: audit})
			if allowed := err == nil; allowed != (id == "AuditStreamFunction" && action == "PutItem") {
				t.Errorf("%s may %s the audit table: %v", id, action, allowed)
			}
		}
	}
}
