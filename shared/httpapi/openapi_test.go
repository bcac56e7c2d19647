package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/accesshive/accesshive/infra/testenv"
	"github.com/accesshive/accesshive/shared/httpapi"
)

type openapiDoc struct {
	raw      map[string]any
	compiler *jsonschema.Compiler
}

func loadOpenAPI(t *testing.T) *openapiDoc {
	t.Helper()
	data, err := os.ReadFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	js, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource("openapi.json", parsed); err != nil {
		t.Fatal(err)
	}
	return &openapiDoc{raw: doc, compiler: c}
}

func (d *openapiDoc) operation(method, path string) (map[string]any, bool) {
	paths, _ := d.raw["paths"].(map[string]any)
	item, _ := paths[path].(map[string]any)
	op, ok := item[strings.ToLower(method)].(map[string]any)
	return op, ok
}

// responseSchema finds the schema pointer for a status (or default) of an operation.
func (d *openapiDoc) responseSchema(t *testing.T, method, path string, status int) string {
	op, ok := d.operation(method, path)
	if !ok {
		t.Fatalf("no operation %s %s", method, path)
	}
	responses := op["responses"].(map[string]any)
	resp, ok := responses[fmt.Sprint(status)].(map[string]any)
	if !ok {
		if resp, ok = responses["default"].(map[string]any); !ok {
			t.Fatalf("%s %s documents no response %d", method, path, status)
		}
	}
	if ref, ok := resp["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/responses/")
		resp = d.raw["components"].(map[string]any)["responses"].(map[string]any)[name].(map[string]any)
	}
	content := resp["content"].(map[string]any)
	for ct, v := range content {
		schema := v.(map[string]any)["schema"].(map[string]any)
		if ref, ok := schema["$ref"].(string); ok {
			return "openapi.json" + ref
		}
		return fmt.Sprintf("openapi.json#/paths/%s/%s/responses/%d/content/%s/schema",
			jsonPointerEscape(path), strings.ToLower(method), status, jsonPointerEscape(ct))
	}
	t.Fatalf("%s %s %d has no content", method, path, status)
	return ""
}

func jsonPointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func (d *openapiDoc) validate(t *testing.T, pointer string, body []byte) {
	t.Helper()
	sch, err := d.compiler.Compile(pointer)
	if err != nil {
		t.Fatalf("compile %s: %v", pointer, err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("response is not JSON: %s", body)
	}
	if err := sch.Validate(v); err != nil {
		t.Fatalf("response does not match %s: %v\nbody: %s", pointer, err, body)
	}
}

// TestOpenAPIMatchesImplementation: every route is documented and every documented
// operation exists; each route's real answer (and a problem answer) matches its
// documented schema, which forbids undocumented fields.
func TestOpenAPIMatchesImplementation(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	routes := httpapi.RouteTable()
	documented := map[string]bool{}
	for path, item := range doc.raw["paths"].(map[string]any) {
		for method := range item.(map[string]any) {
			if method != "parameters" {
				documented[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Path
		if !documented[key] {
			t.Errorf("route %s is not in docs/openapi.yaml", key)
		}
		delete(documented, key)
	}
	for key := range documented {
		t.Errorf("docs/openapi.yaml documents %s, which the API does not serve", key)
	}

	e := testenv.New(t)
	f := seedFixtures(t, e)
	for _, rt := range routes {
		t.Run(rt.Name, func(t *testing.T) {
			handle := "owner"
			if !rt.Public && !containsRole(rt.Roles, "agency_owner") {
				handle = "clientUser"
			}
			method, path, body := matrixCall[rt.Name](e, f)
			r := e.As(handle).Send(method, path, body)
			if r.Status == 204 {
				return
			}
			if r.Status >= 300 && allowedAnswer[rt.Name][handle] != r.Status {
				t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Body)
			}
			doc.validate(t, doc.responseSchema(t, rt.Method, rt.Path, r.Status), r.Body)
		})
	}
	owner := e.As("owner")
	t.Run("Problems", func(t *testing.T) {
		for _, r := range []*testenv.Response{
			owner.Post("/v1/members", map[string]any{"email": "nope"}),
			owner.Get("/v1/members/mbr_00000000000000000000000000"),
			owner.Post("/v1/members", `{"bad":`),
		} {
			doc.validate(t, "openapi.json#/components/schemas/Problem", r.Body)
		}
	})
}
