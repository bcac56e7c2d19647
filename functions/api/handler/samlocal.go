package handler

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/aws/aws-lambda-go/events"
	"github.com/golang-jwt/jwt/v5"

	"github.com/accesshive/accesshive/shared/lambdaenv"
)

// Under sam local (SAM CLI sets AWS_SAM_LOCAL), `sam local start-api` runs no JWT
// authorizer: every request would arrive without claims and answer 401. Then, and
// only then, the function checks bearer tokens itself, as the authorizer does:
// the key named by the token's kid in the issuer's key set (SAM_LOCAL_JWKS_URL),
// RS256, the issuer (SAM_LOCAL_JWT_ISSUER), an audience (SAM_LOCAL_JWT_AUDIENCE),
// expiry. A request the gateway already authorized passes as it is; /v1/health and
// preflight (OPTIONS) are public, as in the template.

type apiHandler = func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

func samLocal(f lambdaenv.Function) bool { return f.Env("AWS_SAM_LOCAL") == "true" }

func samLocalAuth(ctx context.Context, f lambdaenv.Function, next apiHandler) (apiHandler, error) {
	vars, err := f.Env.Required("SAM_LOCAL_JWT_ISSUER", "SAM_LOCAL_JWT_AUDIENCE", "SAM_LOCAL_JWKS_URL")
	if err != nil {
		return nil, fmt.Errorf("api function under sam local (set them in testdata/sam/env.json): %w", err)
	}
	keys, err := keyfunc.NewDefaultCtx(ctx, []string{vars["SAM_LOCAL_JWKS_URL"]})
	if err != nil {
		return nil, fmt.Errorf("api function under sam local: key set %s: %w", vars["SAM_LOCAL_JWKS_URL"], err)
	}
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(vars["SAM_LOCAL_JWT_ISSUER"]),
		jwt.WithAudience(vars["SAM_LOCAL_JWT_AUDIENCE"]), jwt.WithExpirationRequired(), jwt.WithLeeway(30*time.Second))
	unauthorized := events.APIGatewayV2HTTPResponse{StatusCode: http.StatusUnauthorized,
		Headers: map[string]string{"Content-Type": "application/json"}, Body: `{"message":"Unauthorized"}`}
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		if a := ev.RequestContext.Authorizer; (a != nil && a.JWT != nil && len(a.JWT.Claims) > 0) || ev.RawPath == "/v1/health" ||
			ev.RequestContext.HTTP.Method == http.MethodOptions {
			return next(ctx, ev)
		}
		header := ev.Headers["authorization"]
		if header == "" {
			header = ev.Headers["Authorization"]
		}
		raw, ok := strings.CutPrefix(header, "Bearer ")
		if !ok {
			return unauthorized, nil
		}
		tok, err := parser.Parse(strings.TrimSpace(raw), keys.Keyfunc)
		if err != nil || !tok.Valid {
			f.Log.InfoContext(ctx, "sam local: token refused", "error", fmt.Sprint(err))
			return unauthorized, nil
		}
		claims := map[string]string{}
		for k, v := range tok.Claims.(jwt.MapClaims) {
			switch x := v.(type) {
			case string:
				claims[k] = x
			case float64:
				claims[k] = fmt.Sprint(int64(x))
			default:
				claims[k] = fmt.Sprint(x)
			}
		}
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims}}
		return next(ctx, ev)
	}, nil
}
