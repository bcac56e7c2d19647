package asl

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

const machineJSON = `{
  "StartAt": "Prepare",
  "States": {
    "Prepare": {"Type": "Task", "Resource": "prepare", "ResultPath": "$.prepared", "Next": "Managed?",
      "Retry": [{"ErrorEquals": ["Transient"], "IntervalSeconds": 1, "BackoffRate": 2, "MaxAttempts": 3, "MaxDelaySeconds": 3}],
      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "MarkFailed"}]},
    "Managed?": {"Type": "Choice", "Choices": [{"Variable": "$.managed", "BooleanEquals": true, "Next": "CreateUser"}], "Default": "Done"},
    "CreateUser": {"Type": "Task", "Resource": "create", "Parameters": {"id.$": "$.id", "exec.$": "$$.Execution.Name", "fixed": 1},
      "ResultSelector": {"user.$": "$.user"}, "ResultPath": "$.created", "OutputPath": "$", "Next": "Done",
      "Catch": [{"ErrorEquals": ["Forbidden"], "ResultPath": "$.error", "Next": "MarkFailed"}]},
    "MarkFailed": {"Type": "Task", "Resource": "markFailed", "ResultPath": null, "Next": "Failed"},
    "Failed": {"Type": "Fail", "Error": "ProvisioningFailed", "Cause": "a step failed"},
    "Done": {"Type": "Succeed"}
  }
}`

type script struct {
	mu    sync.Mutex
	fails map[string][]string // resource -> error names to return, in order
	calls []string
	input map[string]any
}

func (s *script) Invoke(_ context.Context, resource string, in []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, resource)
	if q := s.fails[resource]; len(q) > 0 {
		s.fails[resource] = q[1:]
		return nil, &TaskError{Name: q[0], Cause: "scripted"}
	}
	if resource == "create" {
		_ = json.Unmarshal(in, &s.input)
		return []byte(`{"user": "u-1", "noise": true}`), nil
	}
	return []byte(`{"ok": true}`), nil
}

func run(t *testing.T, s *script, input string) (Result, []time.Duration) {
	t.Helper()
	m, err := Parse([]byte(machineJSON))
	if err != nil {
		t.Fatal(err)
	}
	var delays []time.Duration
	r := &Runner{Invoker: s, Sleep: func(_ context.Context, d time.Duration) error { delays = append(delays, d); return nil }}
	return r.Run(context.Background(), m, []byte(input), map[string]any{"Execution": map[string]any{"Name": "exec-1"}}), delays
}

func TestRun(t *testing.T) {
	t.Run("ManagedPath", func(t *testing.T) {
		s := &script{fails: map[string][]string{}}
		res, _ := run(t, s, `{"id": "i1", "managed": true}`)
		if res.Status != "SUCCEEDED" {
			t.Fatalf("status %s %s %s", res.Status, res.Error, res.Cause)
		}
		var out map[string]any
		_ = json.Unmarshal(res.Output, &out)
		if out["created"].(map[string]any)["user"] != "u-1" || out["created"].(map[string]any)["noise"] != nil {
			t.Errorf("ResultSelector/ResultPath: %v", out)
		}
		if out["prepared"].(map[string]any)["ok"] != true || out["id"] != "i1" {
			t.Errorf("ResultPath kept input: %v", out)
		}
		if s.input["id"] != "i1" || s.input["exec"] != "exec-1" || s.input["fixed"] != float64(1) {
			t.Errorf("Parameters rendered %v", s.input)
		}
	})
	t.Run("ChoiceDefault", func(t *testing.T) {
		s := &script{fails: map[string][]string{}}
		res, _ := run(t, s, `{"id": "i1", "managed": false}`)
		if res.Status != "SUCCEEDED" || strings.Join(s.calls, ",") != "prepare" {
			t.Fatalf("status %s calls %v", res.Status, s.calls)
		}
	})
	t.Run("RetryWithBackoffThenSuccess", func(t *testing.T) {
		s := &script{fails: map[string][]string{"prepare": {"Transient", "Transient"}}}
		res, delays := run(t, s, `{"id": "i1", "managed": false}`)
		if res.Status != "SUCCEEDED" {
			t.Fatalf("status %s", res.Status)
		}
		if len(delays) != 2 || delays[0] != time.Second || delays[1] != 2*time.Second {
			t.Fatalf("delays %v, want [1s 2s]", delays)
		}
	})
	t.Run("RetryCappedThenCaught", func(t *testing.T) {
		s := &script{fails: map[string][]string{"prepare": {"Transient", "Transient", "Transient", "Transient"}}}
		res, delays := run(t, s, `{"id": "i1"}`)
		if len(delays) != 3 || delays[2] != 3*time.Second {
			t.Fatalf("delays %v, want 3 with the last capped at 3s", delays)
		}
		if res.Status != "FAILED" || res.Error != "ProvisioningFailed" {
			t.Fatalf("status %s error %s", res.Status, res.Error)
		}
		if got := strings.Join(s.calls, ","); got != "prepare,prepare,prepare,prepare,markFailed" {
			t.Fatalf("calls %s", got)
		}
	})
	t.Run("NonRetryableCaught", func(t *testing.T) {
		s := &script{fails: map[string][]string{"create": {"Forbidden"}}}
		res, delays := run(t, s, `{"id": "i1", "managed": true}`)
		if len(delays) != 0 || res.Error != "ProvisioningFailed" {
			t.Fatalf("delays %v status %s %s", delays, res.Status, res.Error)
		}
	})
	t.Run("UncaughtFailsExecution", func(t *testing.T) {
		s := &script{fails: map[string][]string{"create": {"Boom"}}}
		res, _ := run(t, s, `{"id": "i1", "managed": true}`)
		if res.Status != "FAILED" || res.Error != "Boom" {
			t.Fatalf("status %s error %s", res.Status, res.Error)
		}
	})
}

func TestJitter(t *testing.T) {
	one, four := 1.0, 4.0
	r := &Runner{Jitter: func() float64 { return 0.25 }}
	if d := r.delay(Retrier{IntervalSeconds: &four, BackoffRate: &one, JitterStrategy: "FULL"}, 3); d != time.Second {
		t.Fatalf("full jitter delay %v, want 1s", d)
	}
}

func TestValidate(t *testing.T) {
	for name, def := range map[string]string{
		"ErrStartAt":      `{"StartAt": "X", "States": {"A": {"Type": "Succeed"}}}`,
		"ErrUnknownNext":  `{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}`,
		"ErrNoNextOrEnd":  `{"StartAt": "A", "States": {"A": {"Type": "Pass"}}}`,
		"ErrTaskResource": `{"StartAt": "A", "States": {"A": {"Type": "Task", "End": true}}}`,
		"ErrType":         `{"StartAt": "A", "States": {"A": {"Type": "Map", "End": true}}}`,
		"ErrCatchTarget":  `{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "r", "End": true, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Z"}]}}}`,
		"ErrJSON":         `{`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(def)); err == nil {
				t.Fatal("invalid machine accepted")
			}
		})
	}
}

func TestService(t *testing.T) {
	m, _ := Parse([]byte(machineJSON))
	block := make(chan struct{})
	inv := InvokerFunc(func(ctx context.Context, resource string, _ []byte) ([]byte, error) {
		if resource == "prepare" {
			select {
			case <-block:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return []byte(`{}`), nil
	})
	svc := NewService(&Runner{Invoker: inv})
	arn := "arn:aws:states:us-east-1:0:stateMachine:prov"
	svc.AddMachine(arn, m)
	e, err := svc.Start(arn, "idn_1-1", []byte(`{"id": "i1", "managed": false}`))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("SameNameSameInputWhileRunning", func(t *testing.T) {
		again, err := svc.Start(arn, "idn_1-1", []byte(`{ "id": "i1", "managed": false }`))
		if err != nil || again.ARN != e.ARN {
			t.Fatalf("duplicate start: %v %v", again, err)
		}
	})
	t.Run("ErrSameNameOtherInput", func(t *testing.T) {
		if _, err := svc.Start(arn, "idn_1-1", []byte(`{"id": "i2"}`)); !errors.Is(err, ErrExecutionAlreadyExist) {
			t.Fatalf("err = %v", err)
		}
	})
	close(block)
	done, err := svc.Wait(context.Background(), e.ARN)
	if err != nil || done.Status != "SUCCEEDED" {
		t.Fatalf("wait: %+v %v", done, err)
	}
	t.Run("ErrSameNameAfterEnd", func(t *testing.T) {
		if _, err := svc.Start(arn, "idn_1-1", []byte(`{"id": "i1", "managed": false}`)); !errors.Is(err, ErrExecutionAlreadyExist) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("Stop", func(t *testing.T) {
		svc2 := NewService(&Runner{Invoker: InvokerFunc(func(ctx context.Context, _ string, _ []byte) ([]byte, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		})})
		svc2.AddMachine(arn, m)
		e, _ := svc2.Start(arn, "x", []byte(`{}`))
		got, err := svc2.Stop(e.ARN)
		if err != nil || got.Status != "ABORTED" {
			t.Fatalf("stop: %+v %v", got.Status, err)
		}
	})
	t.Run("ErrNoMachine", func(t *testing.T) {
		if _, err := svc.Start("arn:none", "x", []byte(`{}`)); !errors.Is(err, ErrMachineDoesNotExist) {
			t.Fatalf("err = %v", err)
		}
	})
}

func FuzzParseAndRun(f *testing.F) {
	f.Add([]byte(machineJSON), []byte(`{"id":"x","managed":true}`))
	f.Add([]byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"a":1},"ResultPath":"$.x.y","End":true}}}`), []byte(`{}`))
	f.Fuzz(func(t *testing.T, def, input []byte) {
		m, err := Parse(def)
		if err != nil {
			return
		}
		r := &Runner{Invoker: InvokerFunc(func(context.Context, string, []byte) ([]byte, error) { return []byte(`{}`), nil }),
			Sleep: func(context.Context, time.Duration) error { return nil }, MaxTransitions: 50}
		res := r.Run(context.Background(), m, input, map[string]any{})
		if res.Status != "SUCCEEDED" && res.Status != "FAILED" {
			t.Fatalf("status %q", res.Status)
		}
	})
}

func TestResultPath(t *testing.T) {
	run := func(rp string) map[string]any {
		def := `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"r",` + rp + `"End":true}}}`
		m, err := Parse([]byte(def))
		if err != nil {
			t.Fatal(err)
		}
		r := &Runner{Invoker: InvokerFunc(func(context.Context, string, []byte) ([]byte, error) { return []byte(`{"result":1}`), nil })}
		res := r.Run(context.Background(), m, []byte(`{"input":1}`), nil)
		var out map[string]any
		_ = json.Unmarshal(res.Output, &out)
		return out
	}
	if out := run(``); out["result"] != float64(1) || out["input"] != nil {
		t.Errorf("absent ResultPath = %v, want the result alone", out)
	}
	if out := run(`"ResultPath": null,`); out["input"] != float64(1) || out["result"] != nil {
		t.Errorf("null ResultPath = %v, want the input alone", out)
	}
	if out := run(`"ResultPath": "$.r",`); out["input"] != float64(1) || out["r"].(map[string]any)["result"] != float64(1) {
		t.Errorf("ResultPath $.r = %v", out)
	}
}
