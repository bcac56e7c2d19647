package localstack

import (
	"io"
	"net/http"

	apihandler "github.com/accesshive/accesshive/functions/api/handler"
	audithandler "github.com/accesshive/accesshive/functions/audit-stream/handler"
	bootstraphandler "github.com/accesshive/accesshive/functions/bootstrap/handler"
	eventshandler "github.com/accesshive/accesshive/functions/events/handler"
	expiryhandler "github.com/accesshive/accesshive/functions/expire-requests/handler"
	notifyhandler "github.com/accesshive/accesshive/functions/notify/handler"
	offboardinghandler "github.com/accesshive/accesshive/functions/offboarding/handler"
	provisioninghandler "github.com/accesshive/accesshive/functions/provisioning/handler"
	webhookshandler "github.com/accesshive/accesshive/functions/webhooks/handler"
	workspacehandler "github.com/accesshive/accesshive/functions/workspace/handler"
	"github.com/accesshive/accesshive/shared/lambdaenv"
)

// builders has one entry per function in template.yaml, by logical id: the same
// Build each function's main runs in Lambda.
var builders = map[string]lambdaenv.Builder{
	"ApiFunction":                    apihandler.Build,
	"BootstrapFunction":              bootstraphandler.Build,
	"AuditStreamFunction":            audithandler.Build,
	"NotifyFunction":                 notifyhandler.Build,
	"EventsFunction":                 eventshandler.Build,
	"WebhooksFunction":               webhookshandler.Build,
	"ExpireRequestsFunction":         expiryhandler.Build,
	"OffboardClientFunction":         offboardinghandler.Build,
	"WorkspaceFunction":              workspacehandler.Build,
	"RotateCredentialFunction":       workspacehandler.Build,
	"PrepareIdentityFunction":        provisioninghandler.Build,
	"StoreCredentialFunction":        provisioninghandler.Build,
	"ActivateIdentityFunction":       provisioninghandler.Build,
	"MarkProvisioningFailedFunction": provisioninghandler.Build,
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
