package httpapi

import (
	"reflect"
	"strings"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// What a request names by id is checked for its shape here, once for every route,
// before any handler runs: a path id that cannot be one is simply not found (404),
// a body or query id that cannot be one is invalid (422). Nothing that is not an
// id's shape reaches the store, where an over-long value would break DynamoDB's
// key limits.

// maxFreeID bounds ids a client chooses (contact ids).
const maxFreeID = 64

// freeIDLimit is how long a path id without a type prefix may be: a notification's
// id is derived from what it is about (the change's ids, its kind, its
// recipient), so it is longer than a client-chosen one.
func freeIDLimit(name string) int {
	if name == "notificationId" {
		return 200
	}
	return maxFreeID
}

// checkPathIDs answers 404 for a path parameter that is not an id of its kind.
func checkPathIDs(rt *route, get func(string) string) error {
	for _, seg := range strings.Split(rt.path, "/") {
		if !strings.HasPrefix(seg, "{") {
			continue
		}
		name := strings.Trim(seg, "{}")
		v := get(name)
		prefix := ah.IDPrefixOf(name)
		if name == "policyId" && strings.HasPrefix(rt.path, "/v1/security-policies") {
			prefix = ah.PrefixSecurityPolicy
		}
		switch {
		case prefix != "" && !ah.ValidID(prefix, v):
			return ah.NotFound(strings.TrimSuffix(name, "Id"))
		case prefix == "" && len(v) > freeIDLimit(name):
			// A client-chosen id (a contact's): its rules are the service's (422 on
			// PUT); one longer than any valid id names nothing.
			return ah.NotFound(strings.TrimSuffix(name, "Id"))
		}
	}
	return nil
}

// checkQueryIDs answers 422 for a query parameter named for an id that is not
// one, and for any query value the text rules refuse.
func checkQueryIDs(query map[string][]string) error {
	var v ah.Validation
	for name, vals := range query {
		for _, x := range vals {
			if p := ah.TextProblem(x, false); p != "" {
				v.Add(name, ah.FieldInvalid, "%s %s", name, p)
			}
		}
		prefix := ah.IDPrefixOf(name)
		if prefix == "" {
			continue
		}
		for _, x := range vals {
			if x != "" && !ah.ValidID(prefix, x) {
				v.Add(name, ah.FieldInvalid, "%s must be an id like %s_01… as this API returns them", name, prefix)
			}
		}
	}
	return v.Err()
}

// checkBody walks a decoded body and answers 422, with each field's path
// (team[1].memberId), for every field named for an id whose value is not one and
// for every string the text rules refuse (ah.TextProblem): the one place every
// text field of every route goes through.
func checkBody(body any) error {
	var v ah.Validation
	walkIDs(reflect.ValueOf(body), "", "", &v)
	return v.Err()
}

func walkIDs(rv reflect.Value, path, name string, v *ah.Validation) {
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !rv.IsNil() {
			walkIDs(rv.Elem(), path, name, v)
		}
	case reflect.Struct:
		t := rv.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if tag == "-" {
				continue
			}
			if f.Anonymous && tag == "" {
				walkIDs(rv.Field(i), path, name, v)
				continue
			}
			if tag == "" {
				tag = f.Name
			}
			walkIDs(rv.Field(i), join(path, tag), tag, v)
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < rv.Len(); i++ {
			walkIDs(rv.Index(i), path+"["+itoa(i)+"]", name, v)
		}
	case reflect.Map:
		iter := rv.MapRange()
		for iter.Next() {
			walkIDs(iter.Value(), join(path, iter.Key().String()), iter.Key().String(), v)
		}
	case reflect.String:
		s := rv.String()
		if p := ah.TextProblem(s, ah.MultilineField(name)); p != "" {
			v.Add(path, ah.FieldInvalid, "%s %s", path, p)
			return
		}
		if prefix := ah.IDPrefixOf(name); prefix != "" && s != "" && !ah.ValidID(prefix, s) {
			v.Add(path, ah.FieldInvalid, "%s must be an id like %s_01… as this API returns them", path, prefix)
		}
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
