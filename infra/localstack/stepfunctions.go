package localstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/accesshive/accesshive/infra/asl"
	"github.com/accesshive/accesshive/infra/iam"
	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/stepfn"
)

// lambdaErrorType names an error as the Lambda Go runtime does (its type's name),
// which is what a state machine's ErrorEquals matches.
func lambdaErrorType(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Name() == "" {
		return "errorString"
	}
	return t.Name()
}

// invokeARN runs the function a Task's Resource names, as Step Functions does:
// with the state machine's role, which must allow lambda:InvokeFunction on it.
func (s *Stack) invokeARN(ctx context.Context, arn string, input []byte) ([]byte, error) {
	if machine := asl.MachineARN(ctx); machine != "" {
		for id, role := range s.Roles {
			if s.resolver.StateMachineARN(id) != machine {
				continue
			}
			if err := role.Authorize(iam.Request{Action: "lambda:InvokeFunction", Resource: arn,
				Context: map[string][]string{"aws:PrincipalArn": {role.ARN}}}); err != nil {
				// What Step Functions reports when its role may not invoke the task.
				return nil, &asl.TaskError{Name: "Lambda.AWSLambdaException", Cause: err.Error() +
					" (Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException)"}
			}
		}
	}
	for id := range s.Functions {
		if s.resolver.FunctionARN(id) == arn {
			out, err := s.Invoke(ctx, id, input)
			if err != nil {
				return nil, &asl.TaskError{Name: lambdaErrorType(err), Cause: err.Error()}
			}
			return out, nil
		}
	}
	return nil, &asl.TaskError{Name: "Lambda.ResourceNotFoundException", Cause: "no function " + arn}
}

// StepFunctionsAPI serves the Step Functions calls the functions make
// (StartExecution, DescribeExecution, StopExecution) in the SDK's JSON 1.0 protocol.
func (s *Stack) StepFunctionsAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AWSStepFunctions.")
		var in struct {
			StateMachineArn string `json:"stateMachineArn"`
			Name            string `json:"name"`
			Input           string `json:"input"`
			ExecutionArn    string `json:"executionArn"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			sfnError(w, "ValidationException", err.Error())
			return
		}
		switch op {
		case "StartExecution":
			if in.Input == "" {
				in.Input = "{}"
			}
			e, err := s.StepFunctions.Start(in.StateMachineArn, in.Name, []byte(in.Input))
			if err != nil {
				sfnError(w, err.Error(), fmt.Sprintf("%s: %s", err, in.Name))
				return
			}
			sfnReply(w, map[string]any{"executionArn": e.ARN, "startDate": epoch(e.StartDate)})
		case "StartSyncExecution":
			if in.Input == "" {
				in.Input = "{}"
			}
			e, err := s.StepFunctions.Start(in.StateMachineArn, in.Name, []byte(in.Input))
			if err != nil {
				sfnError(w, err.Error(), fmt.Sprintf("%s: %s", err, in.Name))
				return
			}
			done, err := s.StepFunctions.Wait(r.Context(), e.ARN)
			if err != nil {
				sfnError(w, "ExecutionTimedOut", err.Error())
				return
			}
			out := map[string]any{"executionArn": done.ARN, "stateMachineArn": done.StateMachineARN, "name": done.Name,
				"startDate": epoch(done.StartDate), "stopDate": epoch(done.StopDate), "status": done.Status, "input": string(done.Input)}
			if len(done.Output) > 0 {
				out["output"] = string(done.Output)
			}
			if done.Error != "" {
				out["error"], out["cause"] = done.Error, done.Cause
			}
			sfnReply(w, out)
		case "DescribeExecution":
			e, err := s.StepFunctions.Describe(in.ExecutionArn)
			if err != nil {
				sfnError(w, err.Error(), in.ExecutionArn)
				return
			}
			sfnReply(w, describe(e))
		case "StopExecution":
			e, err := s.StepFunctions.Stop(in.ExecutionArn)
			if err != nil {
				sfnError(w, err.Error(), in.ExecutionArn)
				return
			}
			sfnReply(w, map[string]any{"stopDate": epoch(e.StopDate)})
		default:
			sfnError(w, "UnknownOperationException", "not served locally: "+op)
		}
	})
}

func describe(e asl.Execution) map[string]any {
	out := map[string]any{"executionArn": e.ARN, "stateMachineArn": e.StateMachineARN, "name": e.Name,
		"status": e.Status, "startDate": epoch(e.StartDate), "input": string(e.Input)}
	if !e.StopDate.IsZero() {
		out["stopDate"] = epoch(e.StopDate)
	}
	if len(e.Output) > 0 {
		out["output"] = string(e.Output)
	}
	if e.Error != "" {
		out["error"], out["cause"] = e.Error, e.Cause
	}
	return out
}

func epoch(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func sfnReply(w http.ResponseWriter, body any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_ = json.NewEncoder(w).Encode(body)
}

func sfnError(w http.ResponseWriter, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}

// WaitForExecutions waits until every execution of every machine has ended.
func (s *Stack) WaitForExecutions(ctx context.Context) error {
	for {
		running := 0
		for _, sm := range s.machines {
			for _, e := range s.StepFunctions.Executions(sm) {
				if e.Status == "RUNNING" {
					running++
				}
			}
		}
		if running == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.New("executions still running")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// StartProvisioningAgain starts an attempt through the same Step Functions API the
// api function uses (tests of duplicate starts).
func (s *Stack) StartProvisioningAgain(ctx context.Context, agencyID, clientID, identityID, requestID string, attempt int) error {
	w := &stepfn.Workflows{Client: sfn.NewFromConfig(s.AWS), Machines: map[string]string{ah.WorkflowProvisioning: s.MachineARN("ProvisioningStateMachine")}}
	return w.Start(ctx, ah.WorkflowProvisioning, ah.StepInput{AgencyID: agencyID, ClientID: clientID, IdentityID: identityID,
		RequestID: requestID, Attempt: attempt, Managed: true, ResumeFrom: ah.StepPrepare})
}

// MachineARN is the local ARN of a template state machine.
func (s *Stack) MachineARN(logicalID string) string { return s.resolver.StateMachineARN(logicalID) }
