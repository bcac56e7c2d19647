// Package stepfn runs AccessHive's state machines through the Step Functions API.
package stepfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// API is the part of the Step Functions client used here.
type API interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, opts ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	StartSyncExecution(ctx context.Context, in *sfn.StartSyncExecutionInput, opts ...func(*sfn.Options)) (*sfn.StartSyncExecutionOutput, error)
	StopExecution(ctx context.Context, in *sfn.StopExecutionInput, opts ...func(*sfn.Options)) (*sfn.StopExecutionOutput, error)
}

// Workflows runs the state machines, by workflow name (ah.WorkflowProvisioning,
// ah.WorkflowOffboarding, ah.WorkflowRotation).
type Workflows struct {
	Client   API
	Machines map[string]string // workflow -> state machine ARN
}

var _ ah.Workflows = (*Workflows)(nil)

func (w *Workflows) machine(workflow string) (string, error) {
	arn := w.Machines[workflow]
	if arn == "" {
		return "", fmt.Errorf("no state machine configured for %s", workflow)
	}
	return arn, nil
}

// Start starts an attempt. Its name is derived from the resource and attempt, so a
// second start of the same attempt cannot run it twice: Step Functions refuses it,
// and that refusal is success here.
func (w *Workflows) Start(ctx context.Context, workflow string, in ah.StepInput) error {
	arn, err := w.machine(workflow)
	if err != nil {
		return err
	}
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	name := in.ExecutionName(workflow)
	_, err = w.Client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: &arn, Name: &name, Input: aws.String(string(body))})
	var exists *types.ExecutionAlreadyExists
	if errors.As(err, &exists) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	return nil
}

// Stop stops an attempt's execution; one already ended or never started is fine.
func (w *Workflows) Stop(ctx context.Context, workflow, resourceID string, attempt int) error {
	arn, err := w.machine(workflow)
	if err != nil {
		return err
	}
	exec := strings.Replace(arn, ":stateMachine:", ":execution:", 1) + ":" + ah.ExecutionName(workflow, resourceID, attempt)
	_, err = w.Client.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: &exec, Cause: aws.String("stopped by AccessHive")})
	var missing *types.ExecutionDoesNotExist
	if err != nil && !errors.As(err, &missing) {
		return fmt.Errorf("stop %s: %w", exec, err)
	}
	return nil
}

// Run runs an attempt of an Express state machine to its end (StartSyncExecution)
// and returns its failure, if any.
func (w *Workflows) Run(ctx context.Context, workflow string, in ah.StepInput) error {
	arn, err := w.machine(workflow)
	if err != nil {
		return err
	}
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	name := in.ExecutionName(workflow)
	out, err := w.Client.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: &arn, Name: &name, Input: aws.String(string(body))})
	if err != nil {
		return fmt.Errorf("run %s: %w", name, err)
	}
	if out.Status != types.SyncExecutionStatusSucceeded {
		return fmt.Errorf("%s %s: %s: %s", name, out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	return nil
}
