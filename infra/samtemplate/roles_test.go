package samtemplate

import (
	"encoding/json"
	"errors"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/accesshive/accesshive/infra/iam"
)

// samRoles transforms template.yaml with aws-sam-translator (the library sam
// deploy uses) and lists, per function or state machine, the managed policy ARNs
// and the actions of the role SAM generates for it.
const samRoles = `
import json, os, sys
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse
tpl = yaml_parse(open(sys.argv[1]).read())
for v in tpl["Resources"].values():
    if v["Type"] == "AWS::Serverless::Function": v["Properties"]["CodeUri"] = "s3://b/k"
    if v["Type"] == "AWS::Serverless::StateMachine": v["Properties"]["DefinitionUri"] = "s3://b/k"
class NoManagedPolicies:
    def load(self): return {}
out = transform(tpl, {}, NoManagedPolicies())
# conditions at the parameters' defaults: only UseCognito holds (no external issuer)
holds = {"UseCognito"}
def resolve(v):
    if isinstance(v, dict) and "Fn::If" in v:
        c, a, b = v["Fn::If"]
        v = a if c in holds else b
    if isinstance(v, dict) and v.get("Ref") == "AWS::NoValue":
        return None
    return v
roles = {}
for k, v in out["Resources"].items():
    if v["Type"] != "AWS::IAM::Role" or not k.endswith("Role"): continue
    owner = k[:-len("Role")]
    if owner not in tpl["Resources"]: continue
    p = v["Properties"]
    actions = set()
    for pol in p.get("Policies", []):
        sts = pol["PolicyDocument"]["Statement"]
        for st in (sts if isinstance(sts, list) else [sts]):
            a = st["Action"]
            actions.update(a if isinstance(a, list) else [a])
    managed = [m for m in (resolve(m) for m in p.get("ManagedPolicyArns", [])) if m is not None]
    roles[owner] = {"managed": sorted(managed), "actions": sorted(actions)}
print(json.dumps(roles))
`

type roleSummary struct {
	Managed []string `json:"managed"`
	Actions []string `json:"actions"`
}

// TestRolesMatchSAM: the roles the local stack enforces are the roles sam deploy
// creates: for every function and state machine, the same managed policies and the
// same inline actions (what SAM adds implicitly included).
func TestRolesMatchSAM(t *testing.T) {
	out, err := exec.Command("python3", "-c", samRoles, "../../template.yaml").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("aws-sam-translator (pip install aws-sam-translator): %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var want map[string]roleSummary
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	tpl, err := Load("../../template.yaml", Resolver{Prefix: "roles-"})
	if err != nil {
		t.Fatal(err)
	}
	roles, err := tpl.Roles()
	if err != nil {
		t.Fatal(err)
	}
	if len(roles) != len(want) {
		t.Errorf("local roles %d, SAM roles %d", len(roles), len(want))
	}
	for id, w := range want {
		p, ok := roles[id]
		if !ok {
			t.Errorf("%s: no local role", id)
			continue
		}
		var got roleSummary
		actions := map[string]bool{}
		for _, pol := range p.Policies {
			if strings.HasPrefix(pol.Name, "arn:aws:iam::aws:policy/") {
				got.Managed = append(got.Managed, pol.Name)
				continue
			}
			for _, st := range pol.Statements {
				for _, a := range st.Action {
					actions[a] = true
				}
			}
		}
		for a := range actions {
			got.Actions = append(got.Actions, a)
		}
		sort.Strings(got.Managed)
		sort.Strings(got.Actions)
		// SAM names its managed policies with ${AWS::Partition}.
		for i, m := range w.Managed {
			w.Managed[i] = strings.Replace(m, "${AWS::Partition}", "aws", 1)
		}
		if strings.Join(got.Managed, ",") != strings.Join(w.Managed, ",") {
			t.Errorf("%s managed policies: local %v, SAM %v", id, got.Managed, w.Managed)
		}
		if strings.Join(got.Actions, ",") != strings.Join(w.Actions, ",") {
			t.Errorf("%s actions: local %v, SAM %v", id, got.Actions, w.Actions)
		}
	}
}

func TestRolesRefusePolicyTemplates(t *testing.T) {
	_, err := policies("Fn", json.RawMessage(`[{"SQSSendMessagePolicy":{"QueueName":"q"}}]`), nil)
	if err == nil || !strings.Contains(err.Error(), "SAM policy template SQSSendMessagePolicy is not expanded locally") {
		t.Fatalf("err = %v", err)
	}
	_, err = policies("Fn", json.RawMessage(`["AmazonDynamoDBFullAccess"]`), nil)
	if err == nil || !strings.Contains(err.Error(), "not known to the local stack") {
		t.Fatalf("err = %v", err)
	}
}

// TestRolesResolveToLocalARNs: a statement's resources are the local ARNs of the
// template's resources, so the local stack can check calls against them.
func TestRolesResolveToLocalARNs(t *testing.T) {
	tpl, err := Load("../../template.yaml", Resolver{Prefix: "r-"})
	if err != nil {
		t.Fatal(err)
	}
	roles, err := tpl.Roles()
	if err != nil {
		t.Fatal(err)
	}
	api := roles["ApiFunction"]
	if err := api.Authorize(iam.Request{Action: "dynamodb:Query", Resource: "arn:aws:dynamodb:us-east-1:000000000000:table/r-Table/index/GSI2"}); err != nil {
		t.Fatal(err)
	}
	if err := api.Authorize(iam.Request{Action: "dynamodb:PutItem", Resource: "arn:aws:dynamodb:us-east-1:000000000000:table/r-AuditTable"}); err == nil {
		t.Fatal("the API may write the audit table")
	}
	sm := roles["ProvisioningStateMachine"]
	if err := sm.Authorize(iam.Request{Action: "lambda:InvokeFunction", Resource: "arn:aws:lambda:us-east-1:000000000000:function:r-ActivateIdentityFunction"}); err != nil {
		t.Fatal(err)
	}
	audit := roles["AuditStreamFunction"]
	if err := audit.Authorize(iam.Request{Action: "sqs:SendMessage", Resource: "arn:aws:sqs:us-east-1:000000000000:r-AuditFailures"},
		iam.Request{Action: "dynamodb:GetRecords", Resource: "arn:aws:dynamodb:us-east-1:000000000000:table/r-Table/stream/local"}); err != nil {
		t.Fatal(err)
	}
}
