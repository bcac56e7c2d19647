package handler_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/accesshive/accesshive/functions/api/handler"
	"github.com/accesshive/accesshive/infra/authn"
	"github.com/accesshive/accesshive/infra/localstack"
	"github.com/accesshive/accesshive/infra/testenv"
	"github.com/accesshive/accesshive/shared/lambdaenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// TestSamLocalVerifiesTokens: under sam local (AWS_SAM_LOCAL, no JWT authorizer),
// the API checks bearer tokens itself against the issuer's key set, and only
// then: a good token reaches the route with its claims, a missing, forged or
// unknown-key token answers 401 as API Gateway does, health stays public. Outside
// sam local an event without claims is never authorized by the function.
func TestSamLocalVerifiesTokens(t *testing.T) {
	e := testenv.New(t)
	iss := testenv.Issuer(t)
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(iss.JWKS()) }))
	defer jwks.Close()
	fns, err := e.Stack.Template.Functions()
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for k, v := range fns["ApiFunction"].Env {
		env[k] = v
	}
	env["AWS_SAM_LOCAL"], env["SAM_LOCAL_JWT_ISSUER"], env["SAM_LOCAL_JWT_AUDIENCE"], env["SAM_LOCAL_JWKS_URL"] = "true", iss.URL, iss.Audience, jwks.URL
	build := func(env map[string]string) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		h, err := handler.Build(context.Background(), lambdaenv.Function{Env: func(k string) string { return env[k] },
			AWS: localstack.ConfigAs(e.Stack.AWSURL, "ApiFunction"), Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now, Out: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		return h.(func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error))
	}
	h := build(env)
	call := func(t *testing.T, h func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error), path, token string, gateway401 bool) int {
		method := "GET"
		if m, p, ok := strings.Cut(path, " "); ok {
			method, path = m, p
		}
		ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: "ANY /v1/{proxy+}", RawPath: path, Headers: map[string]string{}}
		ev.RequestContext.HTTP.Method, ev.RequestContext.HTTP.Path = method, path
		if token != "" {
			ev.Headers["authorization"] = "Bearer " + token
		}
		resp, err := h(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode == 401 && gateway401 {
			var body map[string]string
			if json.Unmarshal([]byte(resp.Body), &body) != nil || body["message"] != "Unauthorized" {
				t.Fatalf("401 body %q, want API Gateway's", resp.Body)
			}
		}
		return resp.StatusCode
	}
	owner := e.Seed.Users["owner"].Token
	other, _ := authn.NewIssuer(iss.URL, iss.Audience)
	forged, _ := other.Mint(authn.TokenOpts{Subject: "x", KeyID: iss.KeyID()})
	unknownKey, _ := iss.Mint(authn.TokenOpts{Subject: "x", KeyID: "somebody-else"})
	for _, tt := range []struct {
		name, path, token string
		want              int
	}{
		{"GoodToken", "/v1/me", owner, 200},
		{"NoToken", "/v1/me", "", 401},
		{"Forged", "/v1/me", forged, 401},
		{"UnknownKey", "/v1/me", unknownKey, 401},
		{"Garbage", "/v1/me", "not.a.jwt", 401},
		{"HealthIsPublic", "/v1/health", "", 200},
		{"PreflightIsPublic", "OPTIONS /v1/clients", "", 204},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := call(t, h, tt.path, tt.token, true); got != tt.want {
				t.Fatalf("%d, want %d", got, tt.want)
			}
		})
	}
	t.Run("OnlyUnderSamLocal", func(t *testing.T) {
		delete(env, "AWS_SAM_LOCAL")
		if got := call(t, build(env), "/v1/me", owner, false); got != 401 {
			t.Fatalf("outside sam local a token without the gateway's claims got %d", got)
		}
	})
}
