// Package httpapi is AccessHive's HTTP API: a plain net/http handler (so the Lambda
// adapter can be swapped) with one route table that drives dispatch, role checks,
// the role matrix in docs and the matrix tests.
package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/cursor"
	"github.com/accesshive/accesshive/shared/service"
)

// Limits of list pages.
const (
	DefaultLimit = 50
	MaxLimit     = 100
)

// Server serves the AccessHive API.
type Server struct {
	svc    *service.Service
	cursor *cursor.Codec
	log    *slog.Logger
	mux    *http.ServeMux
	routes []route
}

// Options configure a Server.
type Options struct {
	Service *service.Service
	Cursor  *cursor.Codec
	Logger  *slog.Logger
	// Mount serves other protocols under path prefixes ("/scim/v2/"), with the
	// API's request logging and panic recovery; each authenticates its own calls.
	Mount map[string]http.Handler
}

// New returns the API handler.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s := &Server{svc: o.Service, cursor: o.Cursor, log: o.Logger, mux: http.NewServeMux()}
	s.routes = s.routeTable()
	methods := map[string][]string{}
	for i := range s.routes {
		rt := &s.routes[i]
		s.mux.Handle(rt.method+" "+rt.path, s.endpoint(rt))
		methods[rt.path] = append(methods[rt.path], rt.method)
	}
	for path, ms := range methods {
		sort.Strings(ms)
		allow := strings.Join(ms, ", ")
		s.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			writeProblem(w, r, s.log, ah.E(ah.KindMethodNotAllowed, ah.CodeMethodNotAllowed, "%s is not allowed here; allowed: %s", r.Method, allow))
		})
	}
	for prefix, h := range o.Mount {
		s.mux.Handle(prefix, h)
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, s.log, ah.E(ah.KindNotFound, ah.CodeRouteNotFound, "no route %s %s", r.Method, r.URL.Path))
	})
	return s
}

// ServeHTTP logs one line per request, turns panics into 500 problems and dispatches.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	info := &requestInfo{id: requestIDFromGateway(r)}
	r = r.WithContext(ah.WithRequestID(context.WithValue(r.Context(), infoKey{}, info), info.id))
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		if v := recover(); v != nil {
			s.log.ErrorContext(r.Context(), "panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()), "requestId", info.id)
			writeProblem(rec, r, s.log, ah.Internal("httpapi.ServeHTTP", fmt.Errorf("panic: %v", v)))
		}
		s.log.InfoContext(r.Context(), "request", "requestId", info.id, "method", r.Method, "route", info.route,
			"path", r.URL.Path, "status", rec.status, "durationMs", float64(time.Since(start).Microseconds())/1000,
			"agencyId", info.principal.AgencyID, "memberId", info.principal.MemberID, "role", string(info.principal.Role))
	}()
	rec.Header().Set("X-Request-Id", info.id)
	if r.Method == http.MethodOptions {
		// A CORS preflight, which the template routes here without the
		// authorizer: API Gateway adds the API's CORS headers to this answer.
		info.route = "OPTIONS /v1/{proxy+}"
		rec.WriteHeader(http.StatusNoContent)
		return
	}
	s.mux.ServeHTTP(rec, r)
}

type infoKey struct{}

// requestInfo is what the access log learns while the request runs.
type requestInfo struct {
	id        string
	route     string
	principal ah.Principal
}

func requestID(r *http.Request) string {
	if info, ok := r.Context().Value(infoKey{}).(*requestInfo); ok {
		return info.id
	}
	return ""
}

func requestIDFromGateway(r *http.Request) string {
	if rc, ok := core.GetAPIGatewayV2ContextFromContext(r.Context()); ok && rc.RequestID != "" {
		return rc.RequestID
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// claims reads the claims the API Gateway JWT authorizer verified. API Gateway
// passes every claim as a string, so the JSON boolean true arrives as "true", as
// does the string "true" some identity providers send; anything else (absent,
// false, "False", "yes") leaves the email unverified, and an unverified email
// never binds a sign-in to an invitation.
func claims(r *http.Request) (service.Claims, bool) {
	rc, ok := core.GetAPIGatewayV2ContextFromContext(r.Context())
	if !ok || rc.Authorizer == nil || rc.Authorizer.JWT == nil {
		return service.Claims{}, false
	}
	c := rc.Authorizer.JWT.Claims
	return service.Claims{Subject: c["sub"], Email: c["email"], EmailVerified: c["email_verified"] == "true"}, c["sub"] != ""
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// endpoint authenticates, checks the route's roles and runs its handler.
func (s *Server) endpoint(rt *route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, _ := r.Context().Value(infoKey{}).(*requestInfo)
		if info == nil {
			info = &requestInfo{}
		}
		info.route = rt.method + " " + rt.path
		c := &call{r: r, route: rt}
		if rt.roles != nil {
			cl, ok := claims(r)
			if !ok {
				writeProblem(w, r, s.log, ah.E(ah.KindUnauthenticated, ah.CodeUnauthenticated, "send a bearer token from your identity provider"))
				return
			}
			p, err := s.svc.ResolvePrincipal(r.Context(), cl)
			if err != nil {
				writeProblem(w, r, s.log, err)
				return
			}
			info.principal = p
			if !rt.allows(p.Role) {
				writeProblem(w, r, s.log, ah.Forbidden("your role (%s) cannot %s", p.Role, rt.summary))
				return
			}
			c.p = p
		}
		if err := checkPathIDs(rt, r.PathValue); err != nil {
			writeProblem(w, r, s.log, err)
			return
		}
		if err := checkQueryIDs(r.URL.Query()); err != nil {
			writeProblem(w, r, s.log, err)
			return
		}
		rep, err := rt.handle(c)
		if err != nil {
			writeProblem(w, r, s.log, err)
			return
		}
		s.write(w, rep)
	})
}
