package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"

	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/service"
)

// versioned is a resource with an ETag version.
type versioned interface{ ETagVersion() int }

func versionOf(v any) int {
	if x, ok := v.(versioned); ok {
		return x.ETagVersion()
	}
	return 0
}

// create handles POST routes that create a resource: decode, idempotency, 201.
func create[In, Out any](fn func(context.Context, ah.Principal, In, *service.Idem) (service.Created[Out], error)) func(*call) (reply, error) {
	return createCall(func(c *call, in In, idem *service.Idem) (service.Created[Out], error) {
		return fn(c.r.Context(), c.p, in, idem)
	})
}

// createIn handles POST routes that create a resource under a parent.
func createIn[In, Out any](parent string, fn func(context.Context, ah.Principal, string, In, *service.Idem) (service.Created[Out], error)) func(*call) (reply, error) {
	return createCall(func(c *call, in In, idem *service.Idem) (service.Created[Out], error) {
		return fn(c.r.Context(), c.p, c.r.PathValue(parent), in, idem)
	})
}

func createCall[In, Out any](fn func(*call, In, *service.Idem) (service.Created[Out], error)) func(*call) (reply, error) {
	return func(c *call) (reply, error) {
		body, err := readBody(c.r)
		if err != nil {
			return reply{}, err
		}
		var in In
		if err := decodeJSON(body, &in); err != nil {
			return reply{}, err
		}
		idem, err := idempotency(c, body)
		if err != nil {
			return reply{}, err
		}
		res, err := fn(c, in, idem)
		if err != nil {
			return reply{}, err
		}
		return reply{status: http.StatusCreated, body: res.Value, version: versionOf(res.Value), replayed: res.Replayed}, nil
	}
}

// idempotency reads the Idempotency-Key header and fingerprints the request.
func idempotency(c *call, body []byte) (*service.Idem, error) {
	key := c.r.Header.Get("Idempotency-Key")
	if key == "" {
		return nil, nil
	}
	if len(key) > 255 {
		return nil, ah.E(ah.KindBadRequest, ah.CodeInvalidIdempotency, "Idempotency-Key must be at most 255 characters")
	}
	for _, ch := range key {
		if ch < 0x21 || ch > 0x7e {
			return nil, ah.E(ah.KindBadRequest, ah.CodeInvalidIdempotency, "Idempotency-Key must be printable ASCII without spaces")
		}
	}
	h := sha256.New()
	h.Write([]byte(c.route.method + " " + c.r.URL.Path + "\n"))
	h.Write(body)
	return &service.Idem{Key: key, Fingerprint: hex.EncodeToString(h.Sum(nil))}, nil
}

// get handles GET routes that read one resource named by a path parameter.
func get[Out any](param string, fn func(context.Context, ah.Principal, string) (Out, error)) func(*call) (reply, error) {
	return func(c *call) (reply, error) {
		v, err := fn(c.r.Context(), c.p, c.r.PathValue(param))
		if err != nil {
			return reply{}, err
		}
		return reply{status: http.StatusOK, body: v, version: versionOf(v)}, nil
	}
}

// decodePatch reads a PATCH body into patch and its If-Match header.
func decodePatch(c *call, patch any) (*int, error) {
	ifMatch, err := parseIfMatch(c.r)
	if err != nil {
		return nil, err
	}
	body, err := readBody(c.r)
	if err != nil {
		return nil, err
	}
	return ifMatch, decodeJSON(body, patch)
}

// patch handles PATCH routes on one resource named by a path parameter.
func patch[In, Out any](param string, fn func(context.Context, ah.Principal, string, In, *int) (Out, error)) func(*call) (reply, error) {
	return func(c *call) (reply, error) {
		var in In
		ifMatch, err := decodePatch(c, &in)
		if err != nil {
			return reply{}, err
		}
		v, err := fn(c.r.Context(), c.p, c.r.PathValue(param), in, ifMatch)
		if err != nil {
			return reply{}, err
		}
		return reply{status: http.StatusOK, body: v, version: versionOf(v)}, nil
	}
}

// listBody is the shape of every list answer.
type listBody[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor,omitempty"`
}

// list handles GET routes that list resources, one page at a time: limit is capped
// at MaxLimit and the cursor is verified against the agency and the list.
func list[Out any](s *Server, fn func(context.Context, ah.Principal, ah.Page) ([]Out, ah.Keys, error)) func(*call) (reply, error) {
	return listCall(s, func(c *call, page ah.Page) ([]Out, ah.Keys, error) { return fn(c.r.Context(), c.p, page) })
}

// listIn handles list routes under one parent resource named by a path parameter.
func listIn[Out any](s *Server, param string, fn func(context.Context, ah.Principal, string, ah.Page) ([]Out, ah.Keys, error)) func(*call) (reply, error) {
	return listCall(s, func(c *call, page ah.Page) ([]Out, ah.Keys, error) {
		return fn(c.r.Context(), c.p, c.r.PathValue(param), page)
	})
}

// listCall runs one page of any list.
func listCall[Out any](s *Server, fn func(*call, ah.Page) ([]Out, ah.Keys, error)) func(*call) (reply, error) {
	return func(c *call) (reply, error) {
		page, scope, err := s.pageOf(c)
		if err != nil {
			return reply{}, err
		}
		items, next, err := fn(c, page)
		if err != nil {
			return reply{}, err
		}
		body := listBody[Out]{Items: items}
		if len(next) > 0 {
			body.NextCursor = s.cursor.Encode(scope, next)
		}
		return reply{status: http.StatusOK, body: body}, nil
	}
}

// pageOf reads limit and cursor. The cursor's scope binds it to the agency, the
// route and the list's filters.
func (s *Server) pageOf(c *call) (ah.Page, string, error) {
	q := c.r.URL.Query()
	page := ah.Page{Limit: DefaultLimit}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			var v ah.Validation
			v.Add("limit", ah.FieldOutRange, "limit must be a whole number from 1 to %d", MaxLimit)
			return page, "", v.Err()
		}
		page.Limit = min(n, MaxLimit)
	}
	scope := c.p.AgencyID + "|" + c.route.name + "|" + c.r.URL.Path + "|" + filterKey(q)
	if cur := q.Get("cursor"); cur != "" {
		after, err := s.cursor.Decode(scope, cur)
		if err != nil {
			return page, "", ah.E(ah.KindBadRequest, ah.CodeInvalidCursor, "the cursor is not valid for this list; start again without it")
		}
		page.After = after
	}
	return page, scope, nil
}

// filterKey is the list's filters in a canonical form (everything but paging).
func filterKey(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		if k != "cursor" && k != "limit" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	f := url.Values{}
	for _, k := range keys {
		f[k] = q[k]
	}
	return f.Encode()
}

// getIn handles GET routes that read one resource under a parent.
func getIn[Out any](parent, param string, fn func(context.Context, ah.Principal, string, string) (Out, error)) func(*call) (reply, error) {
	return func(c *call) (reply, error) {
		v, err := fn(c.r.Context(), c.p, c.r.PathValue(parent), c.r.PathValue(param))
		if err != nil {
			return reply{}, err
		}
		return reply{status: http.StatusOK, body: v, version: versionOf(v)}, nil
	}
}

// put handles PUT routes that create (201) or replace (200) a sub-resource.
func put[In, Out any](parent, param string, fn func(context.Context, ah.Principal, string, string, In) (Out, bool, error)) func(*call) (reply, error) {
	return func(c *call) (reply, error) {
		body, err := readBody(c.r)
		if err != nil {
			return reply{}, err
		}
		var in In
		if err := decodeJSON(body, &in); err != nil {
			return reply{}, err
		}
		v, created, err := fn(c.r.Context(), c.p, c.r.PathValue(parent), c.r.PathValue(param), in)
		if err != nil {
			return reply{}, err
		}
		return reply{status: map[bool]int{true: http.StatusCreated, false: http.StatusOK}[created], body: v}, nil
	}
}

// del handles DELETE routes of a sub-resource: 204 on success.
func del(parent, param string, fn func(context.Context, ah.Principal, string, string) error) func(*call) (reply, error) {
	return func(c *call) (reply, error) {
		if err := fn(c.r.Context(), c.p, c.r.PathValue(parent), c.r.PathValue(param)); err != nil {
			return reply{}, err
		}
		return reply{status: http.StatusNoContent}, nil
	}
}

// withBody handles a route whose JSON body decodes to In and whose answer is fn's
// value, with status (and its version as the ETag).
func withBody[In, Out any](status int, fn func(c *call, in In) (Out, error)) func(*call) (reply, error) {
	return func(c *call) (reply, error) {
		body, err := readBody(c.r)
		if err != nil {
			return reply{}, err
		}
		var in In
		if err := decodeJSON(body, &in); err != nil {
			return reply{}, err
		}
		v, err := fn(c, in)
		return reply{status: status, body: v, version: versionOf(v)}, err
	}
}

// noBody handles an action route that takes no body (empty or {}) and answers
// fn's value with status (and its version as the ETag).
func noBody[Out any](status int, fn func(c *call) (Out, error)) func(*call) (reply, error) {
	return func(c *call) (reply, error) {
		if err := emptyOrObject(c); err != nil {
			return reply{}, err
		}
		v, err := fn(c)
		return reply{status: status, body: v, version: versionOf(v)}, err
	}
}
