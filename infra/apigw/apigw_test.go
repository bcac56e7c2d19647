package apigw

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

type fakeVerifier struct{}

func (fakeVerifier) Verify(tok string) (map[string]string, error) {
	if tok == "good" {
		return map[string]string{"sub": "u1"}, nil
	}
	return nil, errors.New("bad")
}

func TestMatch(t *testing.T) {
	tests := []struct {
		tpl, path string
		want      bool
		params    map[string]string
	}{
		{"/v1/health", "/v1/health", true, nil},
		{"/v1/health", "/v1/healthz", false, nil},
		{"/v1/{proxy+}", "/v1/members/m1", true, map[string]string{"proxy": "members/m1"}},
		{"/v1/{proxy+}", "/v1", false, nil},
		{"/v1/{proxy+}", "/v1/", false, nil},
		{"/v1/items/{id}", "/v1/items/7", true, map[string]string{"id": "7"}},
		{"/v1/items/{id}", "/v1/items/7/x", false, nil},
		{"/v1/items/{id}", "/v1/items/", false, nil},
	}
	for _, tt := range tests {
		got, ok := match(tt.tpl, tt.path)
		if ok != tt.want {
			t.Errorf("match(%q, %q) = %v, want %v", tt.tpl, tt.path, ok, tt.want)
			continue
		}
		for k, v := range tt.params {
			if got[k] != v {
				t.Errorf("match(%q, %q)[%s] = %q, want %q", tt.tpl, tt.path, k, got[k], v)
			}
		}
	}
}

func TestGateway(t *testing.T) {
	var last events.APIGatewayV2HTTPRequest
	fn := func(name string) Function {
		return func(_ context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
			last = ev
			return events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: map[string]string{"X-Fn": name}, Body: ev.Body}, nil
		}
	}
	g := New([]Route{
		{Method: "ANY", Path: "/v1/{proxy+}", Function: fn("proxy")},
		{Method: "GET", Path: "/v1/health", Public: true, Function: fn("health")},
	}, fakeVerifier{})
	srv := httptest.NewServer(g)
	defer srv.Close()

	do := func(method, path, token, body string) *http.Response {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	t.Run("PublicRouteNoToken", func(t *testing.T) {
		resp := do("GET", "/v1/health", "", "")
		if resp.StatusCode != 200 || resp.Header.Get("X-Fn") != "health" {
			t.Fatalf("status %d fn %q", resp.StatusCode, resp.Header.Get("X-Fn"))
		}
		if last.RequestContext.Authorizer != nil {
			t.Fatal("public route got authorizer claims")
		}
	})
	t.Run("ErrNoToken", func(t *testing.T) {
		if resp := do("GET", "/v1/me", "", ""); resp.StatusCode != 401 {
			t.Fatalf("status %d, want 401", resp.StatusCode)
		}
	})
	t.Run("ErrBadToken", func(t *testing.T) {
		if resp := do("GET", "/v1/me", "bad", ""); resp.StatusCode != 401 {
			t.Fatalf("status %d, want 401", resp.StatusCode)
		}
	})
	t.Run("ErrNoRoute", func(t *testing.T) {
		if resp := do("GET", "/v2/x", "good", ""); resp.StatusCode != 404 {
			t.Fatalf("status %d, want 404", resp.StatusCode)
		}
	})
	t.Run("EventShape", func(t *testing.T) {
		resp := do("POST", "/v1/members?limit=5&a=1&a=2", "good", `{"x":1}`)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(body) != `{"x":1}` {
			t.Fatalf("status %d body %q", resp.StatusCode, body)
		}
		if last.Version != "2.0" || last.RouteKey != "ANY /v1/{proxy+}" || last.RawPath != "/v1/members" {
			t.Errorf("event = %+v", last)
		}
		if last.QueryStringParameters["a"] != "1,2" || last.RawQueryString != "limit=5&a=1&a=2" {
			t.Errorf("query = %v raw %q", last.QueryStringParameters, last.RawQueryString)
		}
		if last.RequestContext.HTTP.Method != "POST" || last.RequestContext.Authorizer.JWT.Claims["sub"] != "u1" {
			t.Errorf("context = %+v", last.RequestContext)
		}
		if last.PathParameters["proxy"] != "members" {
			t.Errorf("path params = %v", last.PathParameters)
		}
	})
}

// TestCORS: the gateway's CORS as API Gateway's: preflight answered by the
// gateway where no route matches, routed (and authorized) where one does, the
// configured headers on every answer to an allowed origin only.
func TestCORS(t *testing.T) {
	ok := func(_ context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{StatusCode: 204, Headers: map[string]string{"Access-Control-Allow-Origin": "*"}}, nil
	}
	cors := &CORS{AllowOrigins: []string{"https://console.example"}, AllowMethods: []string{"GET", "POST"},
		AllowHeaders: []string{"authorization", "content-type"}, ExposeHeaders: []string{"etag"}, MaxAge: 600}
	send := func(g *Gateway, method, path, origin string, preflight bool) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, nil)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if preflight {
			r.Header.Set("Access-Control-Request-Method", "POST")
		}
		w := httptest.NewRecorder()
		g.ServeHTTP(w, r)
		return w
	}
	greedy := New([]Route{{Method: "ANY", Path: "/v1/{proxy+}", Function: ok}, {Method: "GET", Path: "/v1/health", Public: true, Function: ok}}, fakeVerifier{})
	greedy.CORS = cors
	t.Run("PreflightCaughtByAnAuthorizedANYRoute", func(t *testing.T) {
		if w := send(greedy, "OPTIONS", "/v1/clients", "https://console.example", true); w.Code != 401 || w.Header().Get("Access-Control-Allow-Origin") != "https://console.example" {
			t.Fatalf("%d %v", w.Code, w.Header())
		}
	})
	t.Run("PreflightNoRouteMatches", func(t *testing.T) {
		w := send(greedy, "OPTIONS", "/v2/other", "https://console.example", true)
		if w.Code != 204 || w.Header().Get("Access-Control-Allow-Methods") != "GET,POST" || w.Header().Get("Access-Control-Max-Age") != "600" {
			t.Fatalf("%d %v", w.Code, w.Header())
		}
	})
	withOptions := New([]Route{{Method: "ANY", Path: "/v1/{proxy+}", Function: ok}, {Method: "OPTIONS", Path: "/v1/{proxy+}", Public: true, Function: ok}}, fakeVerifier{})
	withOptions.CORS = cors
	t.Run("PreflightToAPublicOPTIONSRoute", func(t *testing.T) {
		w := send(withOptions, "OPTIONS", "/v1/clients", "https://console.example", true)
		h := w.Header()
		if w.Code != 204 || h.Get("Access-Control-Allow-Origin") != "https://console.example" || h.Get("Access-Control-Allow-Headers") != "authorization,content-type" {
			t.Fatalf("%d %v", w.Code, h)
		}
	})
	t.Run("OtherOriginGetsNoHeaders", func(t *testing.T) {
		w := send(withOptions, "OPTIONS", "/v1/clients", "https://evil.example", true)
		if w.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("allowed %v", w.Header())
		}
	})
	t.Run("ActualRequestExposesHeaders", func(t *testing.T) {
		r := httptest.NewRequest("GET", "/v1/clients", nil)
		r.Header.Set("Origin", "https://console.example")
		r.Header.Set("Authorization", "Bearer good")
		w := httptest.NewRecorder()
		withOptions.ServeHTTP(w, r)
		h := w.Header()
		if h.Get("Access-Control-Allow-Origin") != "https://console.example" || h.Get("Access-Control-Expose-Headers") != "etag" || h.Get("Access-Control-Allow-Methods") != "" {
			t.Fatalf("%d %v", w.Code, h)
		}
	})
}
