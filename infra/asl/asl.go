// Package asl runs Amazon States Language state machines locally: Task, Choice,
// Pass, Succeed and Fail states, InputPath/Parameters/ResultSelector/ResultPath/
// OutputPath, Retry (interval, backoff, max delay, full jitter) and Catch. Tasks
// call an Invoker with the state's resolved Resource, as Step Functions invokes a
// Lambda function ARN. It is what the local stack's Step Functions API executes.
package asl

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Machine is a parsed state machine definition.
type Machine struct {
	Comment string            `json:"Comment"`
	StartAt string            `json:"StartAt"`
	States  map[string]*State `json:"States"`
}

// State is one state of a machine.
type State struct {
	Type       string  `json:"Type"`
	Next       string  `json:"Next"`
	End        bool    `json:"End"`
	Resource   string  `json:"Resource"`
	InputPath  *string `json:"InputPath"`
	OutputPath *string `json:"OutputPath"`
	// ResultPath is kept raw: absent means "$" (the result replaces the input),
	// JSON null means the result is discarded and the input passes through.
	ResultPath     json.RawMessage `json:"ResultPath"`
	Parameters     json.RawMessage `json:"Parameters"`
	ResultSelector json.RawMessage `json:"ResultSelector"`
	Result         json.RawMessage `json:"Result"`
	Retry          []Retrier       `json:"Retry"`
	Catch          []Catcher       `json:"Catch"`
	Choices        []Choice        `json:"Choices"`
	Default        string          `json:"Default"`
	Error          string          `json:"Error"`
	Cause          string          `json:"Cause"`
	TimeoutSeconds int             `json:"TimeoutSeconds"`
	Comment        string          `json:"Comment"`
}

// Retrier retries a Task on matching errors.
type Retrier struct {
	ErrorEquals     []string `json:"ErrorEquals"`
	IntervalSeconds *float64 `json:"IntervalSeconds"`
	MaxAttempts     *int     `json:"MaxAttempts"`
	BackoffRate     *float64 `json:"BackoffRate"`
	MaxDelaySeconds *float64 `json:"MaxDelaySeconds"`
	JitterStrategy  string   `json:"JitterStrategy"`
}

// Catcher moves to Next on matching errors once retries are spent.
type Catcher struct {
	ErrorEquals []string        `json:"ErrorEquals"`
	ResultPath  json.RawMessage `json:"ResultPath"`
	Next        string          `json:"Next"`
}

// Choice is one rule of a Choice state (the comparisons this project uses, plus
// And/Or/Not).
type Choice struct {
	Variable      string   `json:"Variable"`
	StringEquals  *string  `json:"StringEquals"`
	BooleanEquals *bool    `json:"BooleanEquals"`
	NumericEquals *float64 `json:"NumericEquals"`
	IsPresent     *bool    `json:"IsPresent"`
	And           []Choice `json:"And"`
	Or            []Choice `json:"Or"`
	Not           *Choice  `json:"Not"`
	Next          string   `json:"Next"`
}

// Parse reads and validates a definition.
func Parse(def []byte) (*Machine, error) {
	var m Machine
	if err := json.Unmarshal(def, &m); err != nil {
		return nil, fmt.Errorf("asl: %w", err)
	}
	return &m, m.Validate()
}

// Validate checks the machine's structure: a start state, every transition to a
// known state, every state terminal or with a next, and known state types.
func (m *Machine) Validate() error {
	var errs []error
	if _, ok := m.States[m.StartAt]; !ok {
		errs = append(errs, fmt.Errorf("StartAt %q is not a state", m.StartAt))
	}
	known := func(from, to string) {
		if _, ok := m.States[to]; !ok {
			errs = append(errs, fmt.Errorf("state %s: transition to unknown state %q", from, to))
		}
	}
	for name, s := range m.States {
		switch s.Type {
		case "Task", "Pass":
			if s.Type == "Task" && s.Resource == "" {
				errs = append(errs, fmt.Errorf("state %s: Task without Resource", name))
			}
			if s.End == (s.Next != "") {
				errs = append(errs, fmt.Errorf("state %s: exactly one of Next and End", name))
			} else if s.Next != "" {
				known(name, s.Next)
			}
			for _, c := range s.Catch {
				known(name, c.Next)
			}
		case "Choice":
			if len(s.Choices) == 0 {
				errs = append(errs, fmt.Errorf("state %s: Choice without Choices", name))
			}
			for _, c := range s.Choices {
				known(name, c.Next)
			}
			if s.Default != "" {
				known(name, s.Default)
			}
		case "Succeed", "Fail":
		default:
			errs = append(errs, fmt.Errorf("state %s: unsupported type %q", name, s.Type))
		}
	}
	return errors.Join(errs...)
}

// TaskError is a Task's failure with its Step Functions error name and cause.
type TaskError struct {
	Name  string // e.g. "TransientError", "States.TaskFailed", "States.Timeout"
	Cause string
}

func (e *TaskError) Error() string { return e.Name + ": " + e.Cause }

// matches reports whether the error name is in an ErrorEquals list.
func matches(list []string, name string) bool {
	for _, e := range list {
		switch {
		case e == name:
			return true
		case uncatchable[name]:
			// States.Runtime and States.DataLimitExceeded end the execution: no
			// wildcard retries or catches them.
		case e == "States.ALL":
			return true
		case e == "States.TaskFailed" && name != "States.Timeout":
			// "matches any known error name except for States.Timeout"
			return true
		}
	}
	return false
}

// uncatchable errors are matched by their own name only, never by a wildcard.
var uncatchable = map[string]bool{"States.Runtime": true, "States.DataLimitExceeded": true}

// resultPath says where a state's result goes: discard for "ResultPath": null,
// otherwise the path ("$" when absent).
func (s *State) resultPath() (path string, discard bool, err error) {
	return parseResultPath(s.ResultPath)
}

func parseResultPath(rawPath json.RawMessage) (path string, discard bool, err error) {
	raw := strings.TrimSpace(string(rawPath))
	switch raw {
	case "":
		return "$", false, nil
	case "null":
		return "", true, nil
	}
	if err := json.Unmarshal(rawPath, &path); err != nil {
		return "", false, fmt.Errorf("ResultPath must be a path or null: %w", err)
	}
	return path, false, nil
}
