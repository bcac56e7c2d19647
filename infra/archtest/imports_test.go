package archtest

import (
	"bufio"
	"bytes"
	"os/exec"
	"path"
	"strings"
	"testing"
)

const module = "github.com/accesshive/accesshive/"

// kind is what a package is, from its path alone (docs/architecture.md).
func kind(pkg string) string {
	rel := strings.TrimPrefix(pkg, module)
	switch {
	case rel == "shared/accesshive" || rel == "shared/cursor":
		return "domain"
	case rel == "shared/service":
		return "service"
	case rel == "shared/httpapi" || rel == "shared/scim" || rel == "shared/slackapp":
		// the protocols the service is reached by: the API, SCIM, Slack's callbacks
		return "http"
	case strings.HasPrefix(rel, "shared/"):
		return "adapter"
	case strings.HasPrefix(rel, "functions/") && path.Base(rel) == "handler":
		return "handler"
	case strings.HasPrefix(rel, "functions/"):
		return "main"
	case strings.HasPrefix(rel, "infra/"):
		return "infra"
	}
	return "unknown"
}

// mayImport says which kinds of project package each kind may import (in code
// that ships: test files are not held to it).
var mayImport = map[string][]string{
	"domain":  {},
	"service": {"domain"},
	"http":    {"domain", "service"},
	"adapter": {"domain"},
	"handler": {"domain", "service", "http", "adapter"},
	"main":    {"handler", "adapter"},
	"infra":   {"domain", "service", "http", "adapter", "handler", "infra"},
}

// goList runs go list over the module and returns one line per package.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v\n%s", args, err, stderr.String())
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// go list is not seen by the test cache: make test runs with -count=1.

// TestImportRules: every project import in shipping code goes the way the map
// allows; in particular nothing under shared/ or functions/ imports infra/, the
// service imports no adapter, and the domain imports nothing of the project.
func TestImportRules(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, line := range goList(t, "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...") {
		fields := strings.Fields(line)
		pkg, imports := fields[0], fields[1:]
		from := kind(pkg)
		seen[from] = true
		if from == "unknown" {
			t.Errorf("%s is of no known kind; place it under shared/, functions/ or infra/ and add it to the map", pkg)
			continue
		}
		for _, imp := range imports {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			to := kind(imp)
			allowed := false
			for _, k := range mayImport[from] {
				allowed = allowed || k == to
			}
			// a main imports its own handler, no other function's
			if from == "main" && to == "handler" && path.Dir(strings.TrimPrefix(imp, module)) != strings.TrimPrefix(pkg, module) {
				allowed = false
			}
			if !allowed {
				t.Errorf("%s (%s) imports %s (%s): not allowed by docs/architecture.md", pkg, from, imp, to)
			}
		}
	}
	for k := range mayImport {
		if !seen[k] {
			t.Errorf("no package of kind %s: the map is stale", k)
		}
	}
}

// TestWhatEachFunctionLinks: the Google Admin SDK is linked into the Workspace
// function alone; only the notifications function links SES; no function links
// the local stack, and the API links neither SES nor the Lambda client; only the
// stream functions link the Streams client (they read a failed batch again).
func TestWhatEachFunctionLinks(t *testing.T) {
	t.Parallel()
	const (
		adminSDK = "google.golang.org/api/admin/directory/v1"
		ses      = "github.com/aws/aws-sdk-go-v2/service/sesv2"
		lambda   = "github.com/aws/aws-sdk-go-v2/service/lambda"
		streams  = "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
		bus      = "github.com/aws/aws-sdk-go-v2/service/eventbridge"
		slackGo  = "github.com/slack-go/slack"
		signing  = "github.com/standard-webhooks/standard-webhooks/libraries/go"
		scimLib  = "github.com/elimity-com/scim"
	)
	mains := goList(t, "-f", "{{if eq .Name \"main\"}}{{.ImportPath}}{{end}}", "./functions/...")
	if len(mains) < 8 {
		t.Fatalf("found %d functions, want at least 8", len(mains))
	}
	for _, fn := range mains {
		name := path.Base(fn)
		deps := map[string]bool{}
		for _, d := range goList(t, "-deps", "-tags", "lambda.norpc", fn) {
			deps[d] = true
		}
		if deps[adminSDK] != (name == "workspace") {
			t.Errorf("%s links the Admin SDK: %v", name, deps[adminSDK])
		}
		if deps[ses] != (name == "notify") {
			t.Errorf("%s links SES: %v", name, deps[ses])
		}
		if deps[streams] != (name == "audit-stream" || name == "notify" || name == "events") {
			t.Errorf("%s links the Streams client: %v", name, deps[streams])
		}
		if deps[bus] != (name == "events") {
			t.Errorf("%s links the EventBridge client: %v", name, deps[bus])
		}
		if deps[slackGo] != (name == "api" || name == "notify") {
			t.Errorf("%s links the Slack client: %v", name, deps[slackGo])
		}
		if deps[signing] != (name == "webhooks") {
			t.Errorf("%s links the webhook signer: %v", name, deps[signing])
		}
		if deps[scimLib] != (name == "api") {
			t.Errorf("%s links the SCIM server: %v", name, deps[scimLib])
		}
		if name == "api" && deps[lambda] {
			t.Errorf("the API links the Lambda client")
		}
		for d := range deps {
			if strings.HasPrefix(d, module+"infra/") {
				t.Errorf("%s links %s, which emulates AWS and never deploys", name, d)
			}
		}
	}
}
