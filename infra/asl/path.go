package asl

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// get reads a reference path ("$", "$.a.b", "$.a[0]") from doc; "$$." paths read
// the context object.
func get(doc, ctxObj any, path string) (any, error) {
	root := doc
	switch {
	case strings.HasPrefix(path, "$$"):
		root, path = ctxObj, path[1:]
	case !strings.HasPrefix(path, "$"):
		return nil, fmt.Errorf("path %q does not start with $", path)
	}
	cur := root
	for _, seg := range splitPath(path[1:]) {
		switch v := cur.(type) {
		case map[string]any:
			next, ok := v[seg]
			if !ok {
				return nil, fmt.Errorf("path %q: no field %q", path, seg)
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(v) {
				return nil, fmt.Errorf("path %q: bad index %q", path, seg)
			}
			cur = v[i]
		default:
			return nil, fmt.Errorf("path %q: %q is not an object", path, seg)
		}
	}
	return cur, nil
}

// splitPath turns ".a.b[0]" into ["a", "b", "0"].
func splitPath(p string) []string {
	p = strings.ReplaceAll(strings.ReplaceAll(p, "[", "."), "]", "")
	var out []string
	for _, s := range strings.Split(p, ".") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// set returns doc with value placed at path ("$" replaces doc).
func set(doc any, path string, value any) (any, error) {
	if path == "$" {
		return value, nil
	}
	if !strings.HasPrefix(path, "$.") {
		return nil, fmt.Errorf("ResultPath %q must be $ or start with $ and a dot", path)
	}
	segs := splitPath(path[1:])
	root, ok := deepCopy(doc).(map[string]any)
	if !ok {
		root = map[string]any{}
	}
	cur := root
	for i, seg := range segs {
		if i == len(segs)-1 {
			cur[seg] = value
			break
		}
		next, ok := cur[seg].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[seg] = next
		}
		cur = next
	}
	return root, nil
}

func deepCopy(v any) any {
	data, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(data, &out)
	return out
}

// render fills a Parameters/ResultSelector template: keys ending in ".$" take the
// value at their path; other values are copied, recursing into objects.
func render(tpl json.RawMessage, doc, ctxObj any) (any, error) {
	var t any
	if err := json.Unmarshal(tpl, &t); err != nil {
		return nil, err
	}
	return renderValue(t, doc, ctxObj)
}

func renderValue(t, doc, ctxObj any) (any, error) {
	switch v := t.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, val := range v {
			if name, ok := strings.CutSuffix(k, ".$"); ok {
				p, _ := val.(string)
				got, err := get(doc, ctxObj, p)
				if err != nil {
					return nil, err
				}
				out[name] = got
				continue
			}
			r, err := renderValue(val, doc, ctxObj)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, val := range v {
			r, err := renderValue(val, doc, ctxObj)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return t, nil
}
