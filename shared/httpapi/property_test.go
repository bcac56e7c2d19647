package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/accesshive/accesshive/infra/testenv"
	"github.com/accesshive/accesshive/shared/httpapi"
)

// stringPaths lists the string leaves of a decoded JSON body, each as the path
// of keys and indexes that reaches it.
func stringPaths(v any, path []any, out *[][]any) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			stringPaths(x[k], append(append([]any(nil), path...), k), out)
		}
	case []any:
		for i, e := range x {
			stringPaths(e, append(append([]any(nil), path...), i), out)
		}
	case string:
		*out = append(*out, path)
	}
}

// withValue returns a deep copy of body with the string at path replaced.
func withValue(body any, path []any, value string) any {
	if len(path) == 0 {
		return value
	}
	switch x := body.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, v := range x {
			out[k] = v
		}
		out[path[0].(string)] = withValue(x[path[0].(string)], path[1:], value)
		return out
	case []any:
		out := append([]any(nil), x...)
		out[path[0].(int)] = withValue(x[path[0].(int)], path[1:], value)
		return out
	}
	return body
}

func pathName(path []any) string {
	var b strings.Builder
	for _, p := range path {
		if i, ok := p.(int); ok {
			fmt.Fprintf(&b, "[%d]", i)
		} else {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p.(string))
		}
	}
	return b.String()
}

// TestEveryBodyFieldRefusesBadText: every string field of every route's body,
// fed control characters, invalid UTF-8 (raw bytes, and a lone surrogate escape),
// zero-width text, 10 KB, and (for ids) an over-long id: the answer is 400 or 422
// and nothing is written. Findings 5, 6 and 8 of the security review, for the
// whole API at once.
func TestEveryBodyFieldRefusesBadText(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	f := seedFixtures(t, e)
	const marker = "\u2603BAD\u2603" // replaced in the encoded body by raw bytes
	bad := []struct {
		name, value string
		raw         []byte // when set, replaces the marker in the encoded body
		idsOnly     bool
	}{
		{name: "NUL", value: "a\x00b"},
		{name: "ESC", value: "name\x1b[31m"},
		{name: "C1", value: "a\u0085b"},
		{name: "ZeroWidthOnly", value: "\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b"},
		{name: "ReplacementChar", value: "z\ufffd@northwind.example"},
		{name: "InvalidUTF8", value: marker, raw: []byte("z\xff@northwind.example")},
		{name: "LoneSurrogate", value: marker, raw: []byte(`\ud800x`)},
		{name: "TenKB", value: strings.Repeat("x", 10<<10)},
		{name: "OverLongID", value: "mbr_" + strings.Repeat("0", 1100), idsOnly: true},
	}
	checked := 0
	for _, rt := range httpapi.RouteTable() {
		if rt.Method == "GET" || rt.Method == "DELETE" {
			continue
		}
		call, handle := routeCall(rt, nil)
		if call == nil {
			continue
		}
		method, path, body := call(e, f)
		if body == nil {
			continue
		}
		var generic any
		data, _ := json.Marshal(body)
		if err := json.Unmarshal(data, &generic); err != nil {
			t.Fatal(err)
		}
		var leaves [][]any
		stringPaths(generic, nil, &leaves)
		for _, leaf := range leaves {
			name := pathName(leaf)
			field := name[strings.LastIndexAny(name, ".]")+1:]
			for _, b := range bad {
				if b.idsOnly && !strings.HasSuffix(field, "Id") && !strings.HasSuffix(name, "]") {
					continue
				}
				encoded, _ := json.Marshal(withValue(generic, leaf, b.value))
				if b.raw != nil {
					encoded = bytes.Replace(encoded, []byte(marker), b.raw, 1)
				}
				e.Stack.Calls.Reset()
				r := e.Do(testenv.Request{Method: method, Path: path, Token: e.Seed.Users[handle].Token, Body: encoded})
				checked++
				if r.Status != 400 && r.Status != 422 {
					t.Errorf("%s %s with %s in %s: %d %s", method, rt.Path, b.name, name, r.Status, r.Body)
				}
				for _, op := range e.Stack.Calls.Names("ApiFunction") {
					if callKind(op) == "write" {
						t.Errorf("%s %s with %s in %s wrote (%s)", method, rt.Path, b.name, name, op)
					}
				}
			}
		}
	}
	t.Logf("%d requests checked", checked)
	if checked < 200 {
		t.Fatalf("only %d requests checked: the fixtures' bodies are missing", checked)
	}
}

// TestNullBodyIsMalformed (finding 7): a body that is not a JSON object, null
// included, is 400 malformed_json on every route that reads one, and changes
// nothing (rotation, with null, used to rotate).
func TestNullBodyIsMalformed(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	ipath := provisioned(t, e, e.Seed.Platforms["googleAds"], "managed")
	before := e.As("admin").Get(ipath).Map(t)["version"]
	for _, body := range []string{"null", "[]", `"x"`, "1", "true"} {
		r := e.Do(testenv.Request{Method: "POST", Path: ipath + "/credentials/rotate", Token: e.Seed.Users["admin"].Token, Body: body})
		if r.Status != 400 || r.Problem(t).Code != "malformed_json" {
			t.Fatalf("rotate with %s: %d %s", body, r.Status, r.Body)
		}
		r = e.Do(testenv.Request{Method: "POST", Path: "/v1/members", Token: e.Seed.Users["admin"].Token, Body: body})
		if r.Status != 400 || r.Problem(t).Code != "malformed_json" {
			t.Fatalf("create member with %s: %d %s", body, r.Status, r.Body)
		}
	}
	if after := e.As("admin").Get(ipath).Map(t)["version"]; after != before {
		t.Fatalf("the identity changed (version %v → %v)", before, after)
	}
}
