package localstack

import (
	"context"
	"io"
	"log/slog"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/accesshive/accesshive/shared/audit"
	"github.com/accesshive/accesshive/shared/bootstrap"
	"github.com/accesshive/accesshive/shared/expiry"
	"github.com/accesshive/accesshive/shared/httpapi"
	"github.com/accesshive/accesshive/shared/lambdaenv"
	"github.com/accesshive/accesshive/shared/offboarding"
	"github.com/accesshive/accesshive/shared/provisioning"
	"github.com/accesshive/accesshive/shared/rotation"
)

// builder constructs a function's handler from its environment, as its main does;
// s gives local-only dependencies such as the stack's clock.
type builder func(ctx context.Context, s *Stack, env lambdaenv.Env, cfg aws.Config, log *slog.Logger) (any, error)

// builders has one entry per function in template.yaml, by logical id.
var builders = map[string]builder{
	"ApiFunction": func(_ context.Context, _ *Stack, env lambdaenv.Env, cfg aws.Config, log *slog.Logger) (any, error) {
		h, _, err := httpapi.NewLambda(env, cfg, log)
		return h, err
	},
	"BootstrapFunction": func(_ context.Context, _ *Stack, env lambdaenv.Env, cfg aws.Config, _ *slog.Logger) (any, error) {
		return bootstrap.NewLambda(env, cfg)
	},
	"AuditStreamFunction": func(_ context.Context, _ *Stack, env lambdaenv.Env, cfg aws.Config, _ *slog.Logger) (any, error) {
		w, err := audit.NewLambda(env, cfg)
		if err != nil {
			return nil, err
		}
		return w.Handle, nil
	},
	"RotateCredentialFunction": func(_ context.Context, _ *Stack, env lambdaenv.Env, cfg aws.Config, log *slog.Logger) (any, error) {
		return rotation.NewLambda(env, cfg, log)
	},
	"OffboardClientFunction": func(_ context.Context, _ *Stack, env lambdaenv.Env, cfg aws.Config, log *slog.Logger) (any, error) {
		return offboarding.NewLambda(env, cfg, log)
	},
	"ExpireRequestsFunction": func(_ context.Context, s *Stack, env lambdaenv.Env, cfg aws.Config, log *slog.Logger) (any, error) {
		return expiry.NewLambda(env, cfg, log, s.Now)
	},
	"PrepareIdentityFunction":        provisioningStep,
	"CreateWorkspaceUserFunction":    provisioningStep,
	"StoreCredentialFunction":        provisioningStep,
	"ActivateIdentityFunction":       provisioningStep,
	"NotifyRequesterFunction":        provisioningStep,
	"MarkProvisioningFailedFunction": provisioningStep,
}

func provisioningStep(ctx context.Context, _ *Stack, env lambdaenv.Env, cfg aws.Config, _ *slog.Logger) (any, error) {
	return provisioning.NewLambda(ctx, env, cfg)
}

func readAll(r *http.Request) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r.Body, 6<<20))
}

// Builders lists the logical ids that have a local builder.
func Builders() []string {
	out := make([]string, 0, len(builders))
	for id := range builders {
		out = append(out, id)
	}
	return out
}
