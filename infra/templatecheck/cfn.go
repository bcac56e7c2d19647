package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Template is a transformed (plain CloudFormation) template.
type Template struct {
	Parameters map[string]map[string]any `json:"Parameters"`
	Conditions map[string]any            `json:"Conditions"`
	Resources  map[string]*Resource      `json:"Resources"`
	Outputs    map[string]map[string]any `json:"Outputs"`
}

// Resource is one resource of the template.
type Resource struct {
	Type       string         `json:"Type"`
	Condition  string         `json:"Condition,omitempty"`
	Properties map[string]any `json:"Properties"`
	DependsOn  any            `json:"DependsOn,omitempty"`
	Metadata   map[string]any `json:"Metadata,omitempty"`
	// Keep what the check does not read, so a mutated copy round-trips.
	DeletionPolicy      string `json:"DeletionPolicy,omitempty"`
	UpdateReplacePolicy string `json:"UpdateReplacePolicy,omitempty"`
}

// parse reads a transformed template.
func parse(data []byte) (*Template, error) {
	var t Template
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("transformed template: %w", err)
	}
	for _, r := range t.Resources {
		if r.Properties == nil {
			r.Properties = map[string]any{}
		}
	}
	return &t, nil
}

// ids returns the logical ids of the resources of a type, sorted.
func (t *Template) ids(typ string) []string {
	var out []string
	for id, r := range t.Resources {
		if r.Type == typ {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// path walks nested maps: get(v, "A", "B") is v["A"]["B"], nil where absent.
func get(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// list is v as a list: a single value is a list of one, an Fn::If offers both
// branches (either may deploy), AWS::NoValue is nothing.
func list(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		var out []any
		for _, e := range x {
			out = append(out, branches(e)...)
		}
		return out
	default:
		return branches(v)
	}
}

// branches is what a value may be once its conditions are known.
func branches(v any) []any {
	if args, ok := get(v, "Fn::If").([]any); ok && len(args) == 3 {
		var out []any
		for _, b := range args[1:] {
			if arr, ok := b.([]any); ok {
				out = append(out, list(arr)...)
				continue
			}
			out = append(out, branches(b)...)
		}
		return out
	}
	if ref(v) == "AWS::NoValue" {
		return nil
	}
	return []any{v}
}

// ref is the name a {"Ref": name} refers to ("" for anything else).
func ref(v any) string { return str(get(v, "Ref")) }

// getAtt is the logical id and attribute of {"Fn::GetAtt": [id, attr]}.
func getAtt(v any) (string, string) {
	switch a := get(v, "Fn::GetAtt").(type) {
	case []any:
		if len(a) == 2 {
			return str(a[0]), str(a[1])
		}
	case string:
		id, attr, _ := strings.Cut(a, ".")
		return id, attr
	}
	return "", ""
}

var subVar = regexp.MustCompile(`\$\{([A-Za-z0-9:]+)(\.[A-Za-z0-9.]+)?\}`)

// mentions reports whether v refers to name anywhere: Ref, GetAtt, or a ${name}
// or ${name.Attr} in an Fn::Sub.
func mentions(v any, name string) bool {
	switch x := v.(type) {
	case map[string]any:
		if ref(x) == name {
			return true
		}
		if id, _ := getAtt(x); id == name {
			return true
		}
		if sub, ok := x["Fn::Sub"]; ok {
			s := str(sub)
			if arr, ok := sub.([]any); ok && len(arr) > 0 {
				s = str(arr[0])
				if len(arr) > 1 && mentions(arr[1], name) {
					return true
				}
			}
			for _, m := range subVar.FindAllStringSubmatch(s, -1) {
				if m[1] == name {
					return true
				}
			}
			return false
		}
		for _, e := range x {
			if mentions(e, name) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if mentions(e, name) {
				return true
			}
		}
	}
	return false
}

// Statement is one IAM policy statement, its actions and resources as lists.
type Statement struct {
	Sid       string
	Effect    string
	Actions   []string
	Resources []any
	Condition any
	Policy    string // the inline policy's name or the managed policy's id
}

func statements(doc any, policy string) []Statement {
	var out []Statement
	for _, s := range list(get(doc, "Statement")) {
		st := Statement{Sid: str(get(s, "Sid")), Effect: str(get(s, "Effect")), Condition: get(s, "Condition"), Policy: policy,
			Resources: list(get(s, "Resource"))}
		for _, a := range list(get(s, "Action")) {
			st.Actions = append(st.Actions, str(a))
		}
		out = append(out, st)
	}
	return out
}

// roleStatements are a role's inline statements and those of the stack's own
// managed policies it attaches.
func (t *Template) roleStatements(roleID string) []Statement {
	r := t.Resources[roleID]
	var out []Statement
	for _, p := range list(r.Properties["Policies"]) {
		out = append(out, statements(get(p, "PolicyDocument"), str(get(p, "PolicyName")))...)
	}
	for _, m := range list(r.Properties["ManagedPolicyArns"]) {
		if id := ref(m); id != "" && t.Resources[id] != nil && t.Resources[id].Type == "AWS::IAM::ManagedPolicy" {
			out = append(out, statements(t.Resources[id].Properties["PolicyDocument"], id)...)
		}
	}
	return out
}

// roleOf is the logical id of the role a function or state machine assumes.
func (t *Template) roleOf(id string) string {
	r := t.Resources[id]
	if r == nil {
		return ""
	}
	role, _ := getAtt(r.Properties["RoleArn"])
	if role == "" {
		role, _ = getAtt(r.Properties["Role"])
	}
	return role
}

func hasAction(st Statement, actions ...string) bool {
	for _, a := range st.Actions {
		for _, want := range actions {
			if strings.EqualFold(a, want) {
				return true
			}
		}
	}
	return false
}

// number reads a JSON number or numeric string.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case string:
		var f float64
		_, err := fmt.Sscan(x, &f)
		return f, err == nil
	}
	return 0, false
}

// definition is a state machine's ASL, its substitutions applied by logical id:
// "${X}" becomes "ref:<id>" for a GetAtt/Ref of resource id.
func (t *Template) definition(id string) (map[string]any, error) {
	p := t.Resources[id].Properties
	var text string
	switch d := p["DefinitionString"].(type) {
	case string:
		text = d
	case map[string]any:
		join, _ := d["Fn::Join"].([]any)
		if len(join) != 2 {
			return nil, fmt.Errorf("%s: DefinitionString is neither text nor Fn::Join", id)
		}
		var parts []string
		for _, e := range list(join[1]) {
			parts = append(parts, str(e))
		}
		text = strings.Join(parts, str(join[0]))
	default:
		if def, ok := p["Definition"].(map[string]any); ok {
			b, _ := json.Marshal(def)
			text = string(b)
		}
	}
	subs, _ := p["DefinitionSubstitutions"].(map[string]any)
	text = subVar.ReplaceAllStringFunc(text, func(m string) string {
		name := subVar.FindStringSubmatch(m)[1]
		v, ok := subs[name]
		if !ok {
			return m
		}
		if rid, _ := getAtt(v); rid != "" {
			return "ref:" + rid
		}
		if rid := ref(v); rid != "" {
			return "ref:" + rid
		}
		return str(v)
	})
	var def map[string]any
	if err := json.Unmarshal([]byte(text), &def); err != nil {
		return nil, fmt.Errorf("%s: definition: %w", id, err)
	}
	return def, nil
}
