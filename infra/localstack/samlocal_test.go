package localstack_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/accesshive/accesshive/infra/localstack"
	"github.com/accesshive/accesshive/infra/samtemplate"
	"github.com/accesshive/accesshive/infra/testenv"
)

var update = flag.Bool("update", false, "rewrite testdata/sam/env.json from template.yaml")

// samLocalEnv is what sam local's env file must say for each function: the
// variables the template gives it, resolved as `make run` names things (prefix
// accesshive-), pointed at make run's fixed ports through host.docker.internal
// (Docker's name for the host), with the function's logical id as its identity.
func samLocalEnv(t *testing.T) map[string]map[string]string {
	t.Helper()
	tpl, err := samtemplate.Load(testenv.TemplatePath(), samtemplate.Resolver{Prefix: "accesshive-", Region: localstack.Region,
		Account: localstack.Account, Parameters: map[string]string{"JwtIssuer": localIssuer, "JwtAudience": "accesshive-local",
			"WorkspaceDomain": localstack.LocalWorkspaceDomain, "EmailSender": localstack.LocalSender}})
	if err != nil {
		t.Fatal(err)
	}
	fns, err := tpl.Functions()
	if err != nil {
		t.Fatal(err)
	}
	const host = "http://host.docker.internal"
	out := map[string]map[string]string{}
	for id, fn := range fns {
		env := map[string]string{}
		for k, v := range fn.Env {
			switch k {
			case "AWS_ENDPOINT_URL":
				v = host + ":4566"
			case "SAM_LOCAL_FUNCTION":
				v = id
			case "WORKSPACE_ENDPOINT":
				v = host + ":4567/"
			case "SAM_LOCAL_JWT_ISSUER":
				v = localIssuer
			case "SAM_LOCAL_JWT_AUDIENCE":
				v = "accesshive-local"
			case "SAM_LOCAL_JWKS_URL":
				v = host + ":3000/local-issuer/.well-known/jwks.json"
			case "GOGC", "GOMEMLIMIT":
				continue
			}
			env[k] = v
		}
		out[id] = env
	}
	return out
}

// localIssuer is the issuer make run's tokens name.
const localIssuer = "http://127.0.0.1:3000/local-issuer"

// TestSamLocalEnvFile: testdata/sam/env.json is what sam local needs to run any
// function against make run: every function has an entry, every variable in it is
// one the template declares for that function (SAM CLI overrides nothing else),
// and the values are make run's. go test -update rewrites it.
func TestSamLocalEnvFile(t *testing.T) {
	want := samLocalEnv(t)
	path := filepath.Join("..", "..", "testdata", "sam", "env.json")
	if *update {
		data, _ := json.MarshalIndent(want, "", "  ")
		if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]map[string]string
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	var problems []string
	for id, w := range want {
		g, ok := got[id]
		if !ok {
			problems = append(problems, id+": no entry")
			continue
		}
		for k, v := range w {
			if g[k] != v {
				problems = append(problems, id+"."+k+" = "+g[k]+", want "+v)
			}
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				problems = append(problems, id+"."+k+" is not declared for the function in template.yaml (SAM CLI would ignore it)")
			}
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			problems = append(problems, id+": not a template function")
		}
	}
	sort.Strings(problems)
	if len(problems) > 0 {
		t.Fatalf("testdata/sam/env.json (go test ./infra/localstack -run TestSamLocalEnvFile -update):\n%s", strings.Join(problems, "\n"))
	}
}
