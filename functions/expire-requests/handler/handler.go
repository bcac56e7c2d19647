// Package handler builds the expire-requests function: EventBridge Scheduler
// invokes it every minute; it expires the pending requests whose window has
// passed, ends time-bound access past its end and marks the end notices due (the
// notifications function tells the people concerned).
package handler

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/dynamo"
	"github.com/accesshive/accesshive/shared/lambdaenv"
	"github.com/accesshive/accesshive/shared/metrics"
	"github.com/accesshive/accesshive/shared/service"
	"github.com/accesshive/accesshive/shared/stepfn"
)

// Build builds the handler from the environment (TABLE_NAME,
// PROVISIONING_STATE_MACHINE_ARN); the scheduler's
// payload is not used.
func Build(_ context.Context, f lambdaenv.Function) (any, error) {
	vars, err := f.Env.Required("TABLE_NAME", "PROVISIONING_STATE_MACHINE_ARN")
	if err != nil {
		return nil, fmt.Errorf("expire-requests function: %w", err)
	}
	svc := service.New(service.Options{Clock: service.ClockFunc(f.Now), Store: dynamo.NewStore(dynamodb.NewFromConfig(f.AWS), vars["TABLE_NAME"]), Logger: f.Log,
		Metrics: &metrics.EMF{W: f.Out, Stack: f.Env("METRICS_STACK")},
		// Access that ends at its end time deprovisions a managed identity's Workspace user.
		Workflows: &stepfn.Workflows{Client: sfn.NewFromConfig(f.AWS), Machines: map[string]string{
			ah.WorkflowDeprovisioning: vars["PROVISIONING_STATE_MACHINE_ARN"]}}})
	return func(ctx context.Context, _ json.RawMessage) (service.SweepResult, error) {
		res, err := svc.ExpireRequests(ctx, f.Now().UTC())
		f.Log.InfoContext(ctx, "expiry sweep", "read", res.Read, "expired", res.Expired, "raced", res.Raced,
			"accessEnded", res.AccessEnded, "noticesDue", res.NoticesSent)
		return res, err
	}, nil
}
