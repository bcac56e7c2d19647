package samtemplate

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// lintDefinition runs cfn-lint on a template holding def inline (cfn-lint cannot
// read a local DefinitionUri, but validates an inline Definition against the ASL
// schema).
func lintDefinition(t *testing.T, def []byte) (string, error) {
	t.Helper()
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Fatal("cfn-lint is not on PATH: pip install cfn-lint")
	}
	var asl any
	if err := json.Unmarshal(def, &asl); err != nil {
		t.Fatal(err)
	}
	tpl := map[string]any{
		"AWSTemplateFormatVersion": "2010-09-09",
		"Resources": map[string]any{"Machine": map[string]any{
			"Type":       "AWS::StepFunctions::StateMachine",
			"Properties": map[string]any{"RoleArn": "arn:aws:iam::123456789012:role/machine", "Definition": asl},
		}},
	}
	data, _ := json.Marshal(tpl)
	path := filepath.Join(t.TempDir(), "machine.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, path).CombinedOutput()
	return string(out), err
}

func TestStateMachinesPassCfnLint(t *testing.T) {
	tpl, err := Load("../../template.yaml", Resolver{Prefix: "lint-", Region: "us-east-1", Account: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	sms, err := tpl.StateMachines("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, sm := range sms {
		t.Run(sm.LogicalID, func(t *testing.T) {
			if out, err := lintDefinition(t, sm.Definition); err != nil {
				t.Fatalf("cfn-lint: %v\n%s", err, out)
			}
		})
	}
	t.Run("ErrBrokenDefinitionIsCaught", func(t *testing.T) {
		broken := strings.Replace(string(sms[0].Definition), `"Type": "Task"`, `"Type": "Tsak"`, 1)
		if broken == string(sms[0].Definition) {
			t.Fatal("the definition has no Task state to break")
		}
		if out, err := lintDefinition(t, []byte(broken)); err == nil {
			t.Fatalf("cfn-lint accepted a state of type Tsak:\n%s", out)
		}
	})
}
