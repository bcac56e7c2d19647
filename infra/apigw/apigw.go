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
	"fmt"
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
	// CORS is the API's CorsConfiguration; nil for none.
	CORS *CORS
}

// CORS is an HTTP API's CorsConfiguration, applied as API Gateway applies it
// (Developer Guide, "Configure CORS for HTTP APIs"):
//   - a preflight (OPTIONS with Origin and Access-Control-Request-Method) that no
//     route matches is answered by the gateway itself, with no authorizer;
//   - a preflight a route matches goes to that route like any request: an ANY
//     route with an authorizer refuses it (401) unless an OPTIONS route without
//     one is there first, the classic trap of a greedy ANY route;
//   - to every answer for an allowed origin the gateway adds the configured
//     headers, and the integration's own Access-Control-* headers are ignored.
type CORS struct {
	AllowOrigins, AllowMethods, AllowHeaders, ExposeHeaders []string
	MaxAge                                                  int
	AllowCredentials                                        bool
}

// allowedOrigin returns the Access-Control-Allow-Origin value for origin, or "".
func (c *CORS) allowedOrigin(origin string) string {
	if origin == "" {
		return ""
	}
	for _, o := range c.AllowOrigins {
		if o == "*" && !c.AllowCredentials {
			return "*"
		}
		if strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			return origin
		}
	}
	return ""
}

// apply sets the CORS headers of an answer to r on h.
func (c *CORS) apply(h http.Header, r *http.Request, preflight bool) {
	for k := range h {
		if strings.HasPrefix(http.CanonicalHeaderKey(k), "Access-Control-") {
			h.Del(k)
		}
	}
	allow := c.allowedOrigin(r.Header.Get("Origin"))
	if allow == "" {
		return
	}
	h.Set("Access-Control-Allow-Origin", allow)
	if allow != "*" {
		h.Add("Vary", "Origin")
	}
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if !preflight {
		if len(c.ExposeHeaders) > 0 {
			h.Set("Access-Control-Expose-Headers", strings.Join(c.ExposeHeaders, ","))
		}
		return
	}
	if len(c.AllowMethods) > 0 {
		h.Set("Access-Control-Allow-Methods", strings.Join(c.AllowMethods, ","))
	}
	if len(c.AllowHeaders) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(c.AllowHeaders, ","))
	}
	if c.MaxAge > 0 {
		h.Set("Access-Control-Max-Age", fmt.Sprint(c.MaxAge))
	}
}

// corsWriter adds the CORS headers to whatever answer goes out.
type corsWriter struct {
	http.ResponseWriter
	cors      *CORS
	r         *http.Request
	preflight bool
	wrote     bool
}

func (w *corsWriter) WriteHeader(status int) {
	if !w.wrote {
		w.wrote = true
		w.cors.apply(w.ResponseWriter.Header(), w.r, w.preflight)
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *corsWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
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
	preflight := r.Method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != ""
	if g.CORS != nil {
		w = &corsWriter{ResponseWriter: w, cors: g.CORS, r: r, preflight: preflight}
	}
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
	if rt == nil && preflight && g.CORS != nil {
		w.WriteHeader(http.StatusNoContent)
		return
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
