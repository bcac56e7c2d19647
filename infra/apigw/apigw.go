// Package apigw emulates API Gateway HTTP APIs (payload format 2.0) locally: it
// matches a request to a template route, verifies the JWT as the authorizer would,
// turns the request into the events.APIGatewayV2HTTPRequest Lambda receives, invokes
// the function and writes its response back.
package apigw

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// Function is a Lambda handler for HTTP API events.
type Function func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// Route sends matching requests to a function.
type Route struct {
	Method   string // GET, POST, ... or ANY
	Path     string // /v1/health, /v1/items/{id}, /v1/{proxy+}
	Public   bool   // no authorizer
	Function Function
}

// Verifier checks a bearer token and returns its claims as strings.
type Verifier interface {
	Verify(token string) (map[string]string, error)
}

// Gateway is an http.Handler in front of the routes.
type Gateway struct {
	routes   []Route
	verifier Verifier
	MaxBody  int64 // API Gateway's payload limit, 10 MB
}

// New returns a gateway; routes are tried most specific first, as API Gateway does.
func New(routes []Route, v Verifier) *Gateway {
	rs := append([]Route(nil), routes...)
	sort.SliceStable(rs, func(i, j int) bool { return specificity(rs[i]) > specificity(rs[j]) })
	return &Gateway{routes: rs, verifier: v, MaxBody: 10 << 20}
}

func specificity(r Route) int {
	score := 0
	for _, seg := range strings.Split(r.Path, "/") {
		switch {
		case strings.HasSuffix(seg, "+}"):
			score += 0
		case strings.HasPrefix(seg, "{"):
			score += 10
		default:
			score += 100
		}
	}
	if !strings.Contains(r.Path, "+}") {
		score += 10000
	}
	if r.Method != "ANY" {
		score++
	}
	return score
}

// match reports whether path fits the route's template, with its path parameters.
func match(tpl, path string) (map[string]string, bool) {
	ts := strings.Split(strings.Trim(tpl, "/"), "/")
	ps := strings.Split(strings.Trim(path, "/"), "/")
	params := map[string]string{}
	for i, t := range ts {
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "+}") {
			if i >= len(ps) || strings.Join(ps[i:], "") == "" {
				return nil, false
			}
			params[strings.TrimSuffix(strings.TrimPrefix(t, "{"), "+}")] = strings.Join(ps[i:], "/")
			return params, true
		}
		if i >= len(ps) {
			return nil, false
		}
		if strings.HasPrefix(t, "{") {
			if ps[i] == "" {
				return nil, false
			}
			params[strings.Trim(t, "{}")] = ps[i]
			continue
		}
		if t != ps[i] {
			return nil, false
		}
	}
	return params, len(ts) == len(ps)
}

func gatewayError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, `{"message":"`+msg+`"}`)
}

// ServeHTTP routes, authorizes and invokes.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var rt *Route
	var params map[string]string
	for i := range g.routes {
		c := &g.routes[i]
		if c.Method != "ANY" && c.Method != r.Method {
			continue
		}
		if p, ok := match(c.Path, r.URL.Path); ok {
			rt, params = c, p
			break
		}
	}
	if rt == nil {
		gatewayError(w, http.StatusNotFound, "Not Found")
		return
	}
	var claims map[string]string
	if !rt.Public {
		auth := r.Header.Get("Authorization")
		token, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || token == "" {
			gatewayError(w, http.StatusUnauthorized, "Unauthorized")
			return
		}
		c, err := g.verifier.Verify(strings.TrimSpace(token))
		if err != nil {
			gatewayError(w, http.StatusUnauthorized, "Unauthorized")
			return
		}
		claims = c
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, g.MaxBody+1))
	if err != nil {
		gatewayError(w, http.StatusBadRequest, "Bad Request")
		return
	}
	if int64(len(body)) > g.MaxBody {
		gatewayError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	}
	ev := Event(r, rt.Method+" "+rt.Path, params, body, claims)
	resp, err := rt.Function(r.Context(), ev)
	if err != nil {
		gatewayError(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	WriteResponse(w, resp)
}

// Event builds the payload-format-2.0 event API Gateway sends for r.
func Event(r *http.Request, routeKey string, params map[string]string, body []byte, claims map[string]string) events.APIGatewayV2HTTPRequest {
	headers := map[string]string{}
	var cookies []string
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		if lk == "cookie" {
			for _, v := range vs {
				for _, c := range strings.Split(v, ";") {
					cookies = append(cookies, strings.TrimSpace(c))
				}
			}
			continue
		}
		headers[lk] = strings.Join(vs, ",")
	}
	if r.Host != "" {
		headers["host"] = r.Host
	}
	var query map[string]string
	if q := r.URL.Query(); len(q) > 0 {
		query = make(map[string]string, len(q))
		for k, vs := range q {
			query[k] = strings.Join(vs, ",")
		}
	}
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	now := time.Now()
	idb := make([]byte, 8)
	_, _ = rand.Read(idb)
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: routeKey, RawPath: r.URL.EscapedPath(), RawQueryString: r.URL.RawQuery,
		Cookies: cookies, Headers: headers, QueryStringParameters: query, PathParameters: params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: routeKey, AccountID: "000000000000", Stage: "$default", RequestID: hex.EncodeToString(idb),
			APIID: "local", DomainName: r.Host, DomainPrefix: "local", Time: now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch: now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: r.Method, Path: r.URL.Path, Protocol: r.Proto, SourceIP: ip, UserAgent: r.UserAgent(),
			},
		},
	}
	if claims != nil {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims, Scopes: nil},
		}
	}
	if len(body) > 0 {
		if utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev
}

// WriteResponse writes a function's response as API Gateway does.
func WriteResponse(w http.ResponseWriter, resp events.APIGatewayV2HTTPResponse) {
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	status := resp.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		if b, err := base64.StdEncoding.DecodeString(resp.Body); err == nil {
			body = b
		}
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
