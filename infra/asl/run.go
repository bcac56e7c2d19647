package asl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Invoker runs a Task's resource (a Lambda function ARN) with a JSON input.
// Errors should be *TaskError with the function's error type as Name; any other
// error counts as States.TaskFailed.
type Invoker interface {
	Invoke(ctx context.Context, resource string, input []byte) ([]byte, error)
}

// InvokerFunc adapts a function to Invoker.
type InvokerFunc func(ctx context.Context, resource string, input []byte) ([]byte, error)

// Invoke calls f.
func (f InvokerFunc) Invoke(ctx context.Context, resource string, input []byte) ([]byte, error) {
	return f(ctx, resource, input)
}

// Event is one step of an execution's history.
type Event struct {
	Type  string `json:"type"` // StateEntered, TaskFailed, TaskRetry, StateExited, ExecutionFailed, ...
	State string `json:"state,omitempty"`
	Error string `json:"error,omitempty"`
	Delay string `json:"delay,omitempty"`
}

// Runner executes machines.
type Runner struct {
	Invoker Invoker
	// Sleep waits between retries; default time.Sleep honouring ctx. Tests record.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a number in [0,1) for FULL jitter; default math/rand.
	Jitter func() float64
	// MaxTransitions stops runaway loops (default 1000).
	MaxTransitions int
}

// Result is how an execution ended.
type Result struct {
	Status  string // SUCCEEDED, FAILED, ABORTED
	Output  json.RawMessage
	Error   string
	Cause   string
	History []Event
}

func (r *Runner) sleep(ctx context.Context, d time.Duration) error {
	if r.Sleep != nil {
		return r.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Run executes m with input until it ends or ctx is cancelled (ABORTED).
// ctxObj is the context object ($$), e.g. {"Execution": {"Name": ...}}.
func (r *Runner) Run(ctx context.Context, m *Machine, input []byte, ctxObj map[string]any) Result {
	var res Result
	var doc any
	if err := json.Unmarshal(input, &doc); err != nil {
		return Result{Status: "FAILED", Error: "States.Runtime", Cause: "input is not JSON: " + err.Error()}
	}
	maxT := r.MaxTransitions
	if maxT == 0 {
		maxT = 1000
	}
	name := m.StartAt
	for i := 0; ; i++ {
		if i >= maxT {
			return fail(res, "States.Runtime", "too many state transitions")
		}
		if ctx.Err() != nil {
			res.Status = "ABORTED"
			return res
		}
		st := m.States[name]
		res.History = append(res.History, Event{Type: "StateEntered", State: name})
		next, out, errName, cause := r.step(ctx, st, name, doc, ctxObj, &res)
		if errName != "" {
			if ctx.Err() != nil {
				res.Status = "ABORTED"
				return res
			}
			return fail(res, errName, cause)
		}
		res.History = append(res.History, Event{Type: "StateExited", State: name})
		doc = out
		if next == "" {
			data, _ := json.Marshal(doc)
			res.Status, res.Output = "SUCCEEDED", data
			return res
		}
		name = next
	}
}

func fail(res Result, name, cause string) Result {
	res.Status, res.Error, res.Cause = "FAILED", name, cause
	res.History = append(res.History, Event{Type: "ExecutionFailed", Error: name})
	return res
}

// step runs one state; it returns the next state ("" to end), the output, or an
// error name and cause that fail the execution.
func (r *Runner) step(ctx context.Context, st *State, name string, doc any, ctxObj map[string]any, res *Result) (string, any, string, string) {
	switch st.Type {
	case "Succeed":
		out, err := applyOutputPath(st, doc, ctxObj)
		if err != nil {
			return "", nil, "States.Runtime", err.Error()
		}
		return "", out, "", ""
	case "Fail":
		return "", nil, st.Error, st.Cause
	case "Choice":
		for _, c := range st.Choices {
			ok, err := evalChoice(c, doc, ctxObj)
			if err != nil {
				return "", nil, "States.Runtime", fmt.Sprintf("state %s: %v", name, err)
			}
			if ok {
				return c.Next, doc, "", ""
			}
		}
		if st.Default == "" {
			return "", nil, "States.NoChoiceMatched", "no choice matched in state " + name
		}
		return st.Default, doc, "", ""
	}
	// Pass and Task.
	effective, err := applyInput(st, doc, ctxObj)
	if err != nil {
		return "", nil, "States.Runtime", fmt.Sprintf("state %s: %v", name, err)
	}
	var result any
	if st.Type == "Pass" {
		result = effective
		if len(st.Result) > 0 {
			_ = json.Unmarshal(st.Result, &result)
		}
	} else {
		var errName, cause string
		result, errName, cause = r.task(ctx, st, name, effective, res)
		if errName != "" {
			for _, c := range st.Catch {
				if matches(c.ErrorEquals, errName) {
					rp, discard, err := parseResultPath(c.ResultPath)
					if err != nil {
						return "", nil, "States.Runtime", err.Error()
					}
					out := doc
					if !discard {
						if out, err = set(doc, rp, map[string]any{"Error": errName, "Cause": cause}); err != nil {
							return "", nil, "States.Runtime", err.Error()
						}
					}
					res.History = append(res.History, Event{Type: "TaskCaught", State: name, Error: errName})
					return c.Next, out, "", ""
				}
			}
			return "", nil, errName, cause
		}
		if len(st.ResultSelector) > 0 {
			if result, err = render(st.ResultSelector, result, ctxObj); err != nil {
				return "", nil, "States.Runtime", err.Error()
			}
		}
	}
	out := result
	rp, discard, err := st.resultPath()
	switch {
	case err != nil:
		return "", nil, "States.Runtime", err.Error()
	case discard:
		out = doc
	case rp != "$":
		if out, err = set(doc, rp, result); err != nil {
			return "", nil, "States.Runtime", err.Error()
		}
	}
	if out, err = applyOutputPath(st, out, ctxObj); err != nil {
		return "", nil, "States.Runtime", err.Error()
	}
	if st.End {
		return "", out, "", ""
	}
	return st.Next, out, "", ""
}

func applyInput(st *State, doc any, ctxObj map[string]any) (any, error) {
	in := doc
	if st.InputPath != nil {
		var err error
		if in, err = get(doc, ctxObj, *st.InputPath); err != nil {
			return nil, err
		}
	}
	if len(st.Parameters) > 0 {
		return render(st.Parameters, in, ctxObj)
	}
	return in, nil
}

func applyOutputPath(st *State, doc any, ctxObj map[string]any) (any, error) {
	if st.OutputPath == nil {
		return doc, nil
	}
	return get(doc, ctxObj, *st.OutputPath)
}

// task invokes the resource, retrying as the state's Retry says.
func (r *Runner) task(ctx context.Context, st *State, name string, input any, res *Result) (any, string, string) {
	payload, _ := json.Marshal(input)
	attempts := map[int]int{} // retrier index -> retries used
	for {
		tctx, cancel := ctx, context.CancelFunc(func() {})
		if st.TimeoutSeconds > 0 {
			tctx, cancel = context.WithTimeout(ctx, time.Duration(st.TimeoutSeconds)*time.Second)
		}
		out, err := r.Invoker.Invoke(tctx, st.Resource, payload)
		timedOut := tctx.Err() != nil && ctx.Err() == nil
		cancel()
		if err == nil {
			var result any
			if len(out) > 0 {
				if jerr := json.Unmarshal(out, &result); jerr != nil {
					return nil, "States.Runtime", "task output is not JSON"
				}
			}
			return result, "", ""
		}
		errName, cause := "States.TaskFailed", err.Error()
		var te *TaskError
		switch {
		case timedOut:
			errName = "States.Timeout"
		case errors.As(err, &te):
			errName, cause = te.Name, te.Cause
		}
		res.History = append(res.History, Event{Type: "TaskFailed", State: name, Error: errName})
		if ctx.Err() != nil {
			return nil, "States.Aborted", "execution stopped"
		}
		retried := false
		for i, rt := range st.Retry {
			if !matches(rt.ErrorEquals, errName) {
				continue
			}
			maxAttempts := 3
			if rt.MaxAttempts != nil {
				maxAttempts = *rt.MaxAttempts
			}
			if attempts[i] >= maxAttempts {
				break // the first matching retrier decides; it is spent
			}
			d := r.delay(rt, attempts[i])
			attempts[i]++
			res.History = append(res.History, Event{Type: "TaskRetry", State: name, Error: errName, Delay: d.String()})
			if err := r.sleep(ctx, d); err != nil {
				return nil, "States.Aborted", "execution stopped"
			}
			retried = true
			break
		}
		if !retried {
			return nil, errName, cause
		}
	}
}

// delay is IntervalSeconds × BackoffRate^attempt, capped by MaxDelaySeconds, with
// FULL jitter drawing uniformly below it.
func (r *Runner) delay(rt Retrier, attempt int) time.Duration {
	interval, rate := 1.0, 2.0
	if rt.IntervalSeconds != nil {
		interval = *rt.IntervalSeconds
	}
	if rt.BackoffRate != nil {
		rate = *rt.BackoffRate
	}
	secs := interval * math.Pow(rate, float64(attempt))
	if rt.MaxDelaySeconds != nil && secs > *rt.MaxDelaySeconds {
		secs = *rt.MaxDelaySeconds
	}
	if rt.JitterStrategy == "FULL" {
		j := r.Jitter
		if j == nil {
			j = rand.Float64
		}
		secs *= j()
	}
	return time.Duration(secs * float64(time.Second))
}

func evalChoice(c Choice, doc any, ctxObj map[string]any) (bool, error) {
	switch {
	case len(c.And) > 0:
		for _, x := range c.And {
			if ok, err := evalChoice(x, doc, ctxObj); err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case len(c.Or) > 0:
		for _, x := range c.Or {
			if ok, err := evalChoice(x, doc, ctxObj); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case c.Not != nil:
		ok, err := evalChoice(*c.Not, doc, ctxObj)
		return !ok, err
	}
	v, err := get(doc, ctxObj, c.Variable)
	if c.IsPresent != nil {
		return (err == nil) == *c.IsPresent, nil
	}
	if err != nil {
		return false, err
	}
	switch {
	case c.StringEquals != nil:
		s, ok := v.(string)
		return ok && s == *c.StringEquals, nil
	case c.BooleanEquals != nil:
		b, ok := v.(bool)
		return ok && b == *c.BooleanEquals, nil
	case c.NumericEquals != nil:
		n, ok := v.(float64)
		return ok && n == *c.NumericEquals, nil
	}
	return false, fmt.Errorf("choice on %s has no supported comparison", c.Variable)
}
