// Package stepfn starts AccessHive's state machines through the Step Functions API.
package stepfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/accesshive/accesshive/shared/service"
)

// API is the part of the Step Functions client used here.
type API interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, opts ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	StopExecution(ctx context.Context, in *sfn.StopExecutionInput, opts ...func(*sfn.Options)) (*sfn.StopExecutionOutput, error)
}

// Provisioning starts the state machines' executions.
type Provisioning struct {
	Client     API
	MachineARN string
	// OffboardingARN is the offboarding state machine.
	OffboardingARN string
}

// StartOffboarding starts the attempt's offboarding execution (a repeated start of
// the same attempt is refused by Step Functions and is success here).
func (p *Provisioning) StartOffboarding(ctx context.Context, in service.OffboardingInput) error {
	return p.start(ctx, p.OffboardingARN, in.ExecutionName(), in)
}

// StopProvisioning stops an identity's provisioning attempt; one already ended or
// never started is fine.
func (p *Provisioning) StopProvisioning(ctx context.Context, identityID string, attempt int) error {
	arn := strings.Replace(p.MachineARN, ":stateMachine:", ":execution:", 1) + ":" + identityID + "-" + strconv.Itoa(attempt)
	_, err := p.Client.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: &arn, Cause: new("client offboarded")})
	var missing *types.ExecutionDoesNotExist
	if err != nil && !errors.As(err, &missing) {
		return fmt.Errorf("stop provisioning %s: %w", identityID, err)
	}
	return nil
}

func (p *Provisioning) start(ctx context.Context, machine, name string, input any) error {
	body, err := json.Marshal(input)
	if err != nil {
		return err
	}
	_, err = p.Client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: &machine, Name: &name, Input: new(string(body))})
	var exists *types.ExecutionAlreadyExists
	if errors.As(err, &exists) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	return nil
}

var _ service.Workflows = (*Provisioning)(nil)

// StartProvisioning starts the attempt's execution. Its name is derived from the
// identity and attempt, so a second start of the same attempt cannot provision
// twice; Step Functions refuses it and that refusal is success here.
func (p *Provisioning) StartProvisioning(ctx context.Context, in service.ProvisioningInput) error {
	return p.start(ctx, p.MachineARN, in.ExecutionName(), in)
}
