// Package iam evaluates identity-based IAM policies the way AWS does, so the local
// stack refuses every call a function's role in template.yaml would not allow:
// an explicit Deny wins, then any Allow, otherwise the call is denied implicitly.
// Actions match case-insensitively and resources case-sensitively, both with the
// * and ? wildcards; NotAction and NotResource invert a statement's match; the
// condition operators below are evaluated against the request's context keys, and
// any other operator makes the call fail loudly (a policy the local stack cannot
// judge must not pass silently).
package iam

import (
	"fmt"
	"sort"
	"strings"
)

// Statement is one statement of a policy document.
type Statement struct {
	Sid         string
	Effect      string // Allow or Deny
	Action      []string
	NotAction   []string
	Resource    []string
	NotResource []string
	// Condition is operator -> context key -> values.
	Condition map[string]map[string][]string
}

// Policy is a named policy document (an inline policy or a managed one).
type Policy struct {
	Name       string
	Statements []Statement
}

// Principal is a role and its policies.
type Principal struct {
	// Name is the role's owner as the template names it (a function's logical id).
	Name string
	// ARN is the assumed-role session ARN AWS names in its messages.
	ARN      string
	Policies []Policy
}

// Request is one authorization question: may the principal perform Action on
// Resource, given the request's context keys.
type Request struct {
	Action   string
	Resource string
	Context  map[string][]string
}

// DeniedError is AWS's AccessDeniedException.
type DeniedError struct {
	Principal string
	Request   Request
	Explicit  bool
	// Unsupported names a condition operator the evaluator does not implement.
	Unsupported string
}

func (e *DeniedError) Error() string {
	reason := fmt.Sprintf("because no identity-based policy allows the %s action", e.Request.Action)
	switch {
	case e.Unsupported != "":
		reason = fmt.Sprintf("because the local stack does not evaluate the condition operator %s", e.Unsupported)
	case e.Explicit:
		reason = "with an explicit deny in an identity-based policy"
	}
	return fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s %s", e.Principal, e.Request.Action, e.Request.Resource, reason)
}

// Authorize answers every request in order; the first denied one is the error.
func (p *Principal) Authorize(reqs ...Request) error {
	for _, r := range reqs {
		if err := p.authorize(r); err != nil {
			return err
		}
	}
	return nil
}

func (p *Principal) authorize(r Request) error {
	allowed := false
	for _, pol := range p.Policies {
		for _, st := range pol.Statements {
			applies, unsupported := st.applies(r)
			if unsupported != "" {
				return &DeniedError{Principal: p.ARN, Request: r, Unsupported: unsupported}
			}
			if !applies {
				continue
			}
			if strings.EqualFold(st.Effect, "Deny") {
				return &DeniedError{Principal: p.ARN, Request: r, Explicit: true}
			}
			allowed = true
		}
	}
	if !allowed {
		return &DeniedError{Principal: p.ARN, Request: r}
	}
	return nil
}

// applies reports whether the statement matches the request's action, resource and
// conditions.
func (st Statement) applies(r Request) (bool, string) {
	if len(st.Action) > 0 && !matchAny(st.Action, r.Action, true) {
		return false, ""
	}
	if len(st.NotAction) > 0 && matchAny(st.NotAction, r.Action, true) {
		return false, ""
	}
	if len(st.Resource) > 0 && !matchAny(st.Resource, r.Resource, false) {
		return false, ""
	}
	if len(st.NotResource) > 0 && matchAny(st.NotResource, r.Resource, false) {
		return false, ""
	}
	ops := make([]string, 0, len(st.Condition))
	for op := range st.Condition {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		for k, want := range st.Condition[op] {
			ok, known := condition(op, r.Context[k], want)
			if !known {
				return false, op
			}
			if !ok {
				return false, ""
			}
		}
	}
	return true, ""
}

func matchAny(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if Match(p, s, fold) {
			return true
		}
	}
	return false
}

// Match reports whether s matches an IAM pattern (* any run of characters, ?
// one character), case-insensitively when fold.
func Match(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	// Not path.Match: it stops * at '/' and knows [] classes; IAM does neither.
	return wildcard(pattern, s)
}

// wildcard matches * and ? iteratively, backtracking to the last *.
func wildcard(p, s string) bool {
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// condition evaluates one operator on one key. known is false for an operator the
// evaluator does not implement.
func condition(op string, got, want []string) (ok, known bool) {
	set, base := "", op
	if s, b, found := strings.Cut(op, ":"); found {
		set, base = s, b
	}
	ifExists := strings.HasSuffix(base, "IfExists")
	base = strings.TrimSuffix(base, "IfExists")
	if base == "Null" {
		isNull := len(got) == 0
		for _, w := range want {
			if (w == "true") == isNull {
				return true, true
			}
		}
		return false, true
	}
	var one func(g, w string) bool
	negate := false
	switch base {
	case "StringEquals", "ArnEquals":
		one = func(g, w string) bool { return g == w }
	case "StringNotEquals", "ArnNotEquals":
		one, negate = func(g, w string) bool { return g == w }, true
	case "StringEqualsIgnoreCase":
		one = strings.EqualFold
	case "StringLike", "ArnLike":
		one = func(g, w string) bool { return wildcard(w, g) }
	case "StringNotLike", "ArnNotLike":
		one, negate = func(g, w string) bool { return wildcard(w, g) }, true
	case "Bool":
		one = func(g, w string) bool { return strings.EqualFold(g, w) }
	default:
		return false, false
	}
	if len(got) == 0 {
		if ifExists {
			return true, true
		}
		if set == "ForAllValues" {
			return true, true
		}
		return negate && set == "", true
	}
	matches := func(g string) bool {
		for _, w := range want {
			if one(g, w) {
				return true
			}
		}
		return false
	}
	switch set {
	case "ForAllValues":
		for _, g := range got {
			if matches(g) == negate {
				return false, true
			}
		}
		return true, true
	case "ForAnyValue":
		for _, g := range got {
			if matches(g) != negate {
				return true, true
			}
		}
		return false, true
	case "":
		m := matches(got[0])
		return m != negate, true
	}
	return false, false
}
