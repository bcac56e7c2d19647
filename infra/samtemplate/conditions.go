package samtemplate

import (
	"fmt"
	"sort"
)

// conditions are the template's Conditions, evaluated with the parameters in force.
type conditions map[string]bool

// evaluateConditions evaluates every condition (Fn::Equals, Fn::Not, Fn::And,
// Fn::Or, Condition references, Ref of a parameter). goformation's own evaluation
// replaces every resource that carries a Condition with a bool, so the local
// reader evaluates them itself.
func evaluateConditions(defs map[string]any, params map[string]string) (conditions, error) {
	out := conditions{}
	names := make([]string, 0, len(defs))
	for n := range defs {
		names = append(names, n)
	}
	sort.Strings(names)
	var eval func(name string, seen map[string]bool) (bool, error)
	var expr func(v any, seen map[string]bool) (any, error)
	expr = func(v any, seen map[string]bool) (any, error) {
		m, ok := v.(map[string]any)
		if !ok {
			return v, nil
		}
		for fn, arg := range m {
			args, _ := arg.([]any)
			switch fn {
			case "Ref":
				name, _ := arg.(string)
				if p, ok := params[name]; ok {
					return p, nil
				}
				return nil, fmt.Errorf("condition: Ref %v is not a parameter", arg)
			case "Condition":
				name, _ := arg.(string)
				return eval(name, seen)
			case "Fn::Equals":
				if len(args) != 2 {
					return nil, fmt.Errorf("condition: Fn::Equals takes two values")
				}
				a, err := expr(args[0], seen)
				if err != nil {
					return nil, err
				}
				b, err := expr(args[1], seen)
				if err != nil {
					return nil, err
				}
				return fmt.Sprint(a) == fmt.Sprint(b), nil
			case "Fn::Not", "Fn::And", "Fn::Or":
				var vals []bool
				for _, a := range args {
					r, err := expr(a, seen)
					if err != nil {
						return nil, err
					}
					b, ok := r.(bool)
					if !ok {
						return nil, fmt.Errorf("condition: %s of a non-condition %v", fn, a)
					}
					vals = append(vals, b)
				}
				switch fn {
				case "Fn::Not":
					if len(vals) != 1 {
						return nil, fmt.Errorf("condition: Fn::Not takes one condition")
					}
					return !vals[0], nil
				case "Fn::And":
					for _, b := range vals {
						if !b {
							return false, nil
						}
					}
					return true, nil
				default:
					for _, b := range vals {
						if b {
							return true, nil
						}
					}
					return false, nil
				}
			}
		}
		return nil, fmt.Errorf("condition: cannot evaluate %v", v)
	}
	eval = func(name string, seen map[string]bool) (bool, error) {
		if v, ok := out[name]; ok {
			return v, nil
		}
		def, ok := defs[name]
		if !ok {
			return false, fmt.Errorf("condition %s is not defined", name)
		}
		if seen[name] {
			return false, fmt.Errorf("condition %s refers to itself", name)
		}
		seen[name] = true
		r, err := expr(def, seen)
		if err != nil {
			return false, fmt.Errorf("condition %s: %w", name, err)
		}
		b, ok := r.(bool)
		if !ok {
			return false, fmt.Errorf("condition %s is not a boolean", name)
		}
		out[name] = b
		return b, nil
	}
	for _, n := range names {
		if _, err := eval(n, map[string]bool{}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// fnIf resolves Fn::If [condition, then, else].
func (c conditions) fnIf(_ string, input any, _ any) any {
	args, ok := input.([]any)
	if !ok || len(args) != 3 {
		return nil
	}
	name, _ := args[0].(string)
	if c[name] {
		return args[1]
	}
	return args[2]
}

// Holds reports whether a resource's Condition holds (no condition: it does).
func (t *Template) Holds(logicalID string) bool {
	c := t.raw.Resources[logicalID].Condition
	return c == "" || t.conditions[c]
}
