package asl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Errors of the execution service, named as Step Functions names them.
var (
	ErrMachineDoesNotExist   = errors.New("StateMachineDoesNotExist")
	ErrExecutionAlreadyExist = errors.New("ExecutionAlreadyExists")
	ErrExecutionDoesNotExist = errors.New("ExecutionDoesNotExist")
)

// Execution is one run of a machine.
type Execution struct {
	ARN             string
	StateMachineARN string
	Name            string
	Status          string // RUNNING, SUCCEEDED, FAILED, ABORTED
	Input           json.RawMessage
	Output          json.RawMessage
	Error, Cause    string
	StartDate       time.Time
	StopDate        time.Time
	History         []Event
	cancel          context.CancelFunc
	done            chan struct{}
}

// Service holds machines and runs their executions in the background.
type Service struct {
	Runner *Runner
	// Log, when set, hears of every execution that ends in failure, as the
	// execution history would show it.
	Log      *slog.Logger
	mu       sync.Mutex
	machines map[string]*Machine
	execs    map[string]*Execution
}

// NewService returns an empty service.
func NewService(r *Runner) *Service {
	return &Service{Runner: r, machines: map[string]*Machine{}, execs: map[string]*Execution{}}
}

// AddMachine registers a machine under its ARN.
func (s *Service) AddMachine(arn string, m *Machine) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.machines[arn] = m
}

type machineKey struct{}

// MachineARN is the ARN of the state machine whose execution invokes a task (the
// context an Invoker receives carries it), so an invoker can act with that
// machine's role.
func MachineARN(ctx context.Context) string {
	arn, _ := ctx.Value(machineKey{}).(string)
	return arn
}

// ExecutionARN derives an execution's ARN from its machine's ARN and name.
func ExecutionARN(machineARN, name string) string {
	return strings.Replace(machineARN, ":stateMachine:", ":execution:", 1) + ":" + name
}

// Start begins an execution. As in Step Functions, a name is unique per machine: the
// same name with the same input while running answers the running execution; any
// other reuse is ErrExecutionAlreadyExist.
func (s *Service) Start(machineARN, name string, input []byte) (*Execution, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.machines[machineARN]
	if !ok {
		return nil, ErrMachineDoesNotExist
	}
	arn := ExecutionARN(machineARN, name)
	if prev, ok := s.execs[arn]; ok {
		if prev.Status == "RUNNING" && bytes.Equal(compact(prev.Input), compact(input)) {
			return prev, nil
		}
		return nil, ErrExecutionAlreadyExist
	}
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), machineKey{}, machineARN))
	e := &Execution{ARN: arn, StateMachineARN: machineARN, Name: name, Status: "RUNNING", Input: input,
		StartDate: time.Now().UTC(), cancel: cancel, done: make(chan struct{})}
	s.execs[arn] = e
	go func() {
		defer close(e.done)
		res := s.Runner.Run(ctx, m, input, map[string]any{
			"Execution":    map[string]any{"Id": arn, "Name": name, "StartTime": e.StartDate.Format(time.RFC3339Nano)},
			"StateMachine": map[string]any{"Id": machineARN},
		})
		s.mu.Lock()
		defer s.mu.Unlock()
		e.Status, e.Output, e.Error, e.Cause, e.History = res.Status, res.Output, res.Error, res.Cause, res.History
		e.StopDate = time.Now().UTC()
		if s.Log != nil && e.Status == "FAILED" {
			s.Log.Error("execution failed", "executionArn", e.ARN, "error", e.Error, "cause", e.Cause)
		}
	}()
	return e, nil
}

func compact(b []byte) []byte {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return b
	}
	return buf.Bytes()
}

// Describe returns a copy of an execution's current state.
func (s *Service) Describe(arn string) (Execution, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.execs[arn]
	if !ok {
		return Execution{}, ErrExecutionDoesNotExist
	}
	return *e, nil
}

// Stop aborts a running execution.
func (s *Service) Stop(arn string) (Execution, error) {
	s.mu.Lock()
	e, ok := s.execs[arn]
	s.mu.Unlock()
	if !ok {
		return Execution{}, ErrExecutionDoesNotExist
	}
	e.cancel()
	<-e.done
	return s.Describe(arn)
}

// Wait blocks until the execution ends or ctx is done.
func (s *Service) Wait(ctx context.Context, arn string) (Execution, error) {
	s.mu.Lock()
	e, ok := s.execs[arn]
	s.mu.Unlock()
	if !ok {
		return Execution{}, ErrExecutionDoesNotExist
	}
	select {
	case <-e.done:
	case <-ctx.Done():
		return Execution{}, ctx.Err()
	}
	return s.Describe(arn)
}

// Executions lists every execution of a machine.
func (s *Service) Executions(machineARN string) []Execution {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Execution
	for _, e := range s.execs {
		if e.StateMachineARN == machineARN {
			out = append(out, *e)
		}
	}
	return out
}
