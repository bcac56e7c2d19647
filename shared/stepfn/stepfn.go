// Package stepfn starts AccessHive's state machines through the Step Functions API.
package stepfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/accesshive/accesshive/shared/service"
)

// API is the part of the Step Functions client used here.
type API interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, opts ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
}

// Provisioning starts provisioning executions.
type Provisioning struct {
	Client     API
	MachineARN string
}

var _ service.Workflows = (*Provisioning)(nil)

// StartProvisioning starts the attempt's execution. Its name is derived from the
// identity and attempt, so a second start of the same attempt cannot provision
// twice; Step Functions refuses it and that refusal is success here.
func (p *Provisioning) StartProvisioning(ctx context.Context, in service.ProvisioningInput) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	name := in.ExecutionName()
	_, err = p.Client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: &p.MachineARN, Name: &name, Input: new(string(body))})
	var exists *types.ExecutionAlreadyExists
	if errors.As(err, &exists) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("start provisioning %s: %w", name, err)
	}
	return nil
}
