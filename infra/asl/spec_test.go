package asl

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// These tests hold the executor to the Amazon States Language specification's own
// examples of Retry and Catch (states-language.net, "Errors", "Retrying after
// error", "Fallback states") and to the error-name rules the Step Functions
// Developer Guide documents.

// erring is an invoker that fails with the given error names in turn, then succeeds.
type erring struct {
	errs  []string
	calls int
	input []byte
}

func (e *erring) Invoke(_ context.Context, _ string, in []byte) ([]byte, error) {
	e.calls++
	e.input = in
	if len(e.errs) > 0 {
		name := e.errs[0]
		e.errs = e.errs[1:]
		return nil, &TaskError{Name: name, Cause: "cause of " + name}
	}
	return []byte(`{"done": true}`), nil
}

func always(name string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = name
	}
	return out
}

// specRetry is the specification's retry example: States.Timeout retried twice
// starting at 3 s with backoff 1.5; States.Permissions never retried; anything else
// up to five times with the defaults (1 s, doubling).
const specRetry = `{"StartAt": "X", "States": {"X": {"Type": "Task", "Resource": "r", "End": true,
  "Retry": [
    {"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 3, "MaxAttempts": 2, "BackoffRate": 1.5},
    {"ErrorEquals": ["States.Permissions"], "MaxAttempts": 0},
    {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5}
  ]}}}`

func runSpec(t *testing.T, def string, inv Invoker, input string) (Result, []time.Duration) {
	t.Helper()
	m, err := Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	var delays []time.Duration
	r := &Runner{Invoker: inv, Sleep: func(_ context.Context, d time.Duration) error { delays = append(delays, d); return nil }}
	return r.Run(context.Background(), m, []byte(input), map[string]any{}), delays
}

func TestSpecRetryExample(t *testing.T) {
	tests := []struct {
		name       string
		errs       []string
		wantCalls  int
		wantDelays []time.Duration
		wantStatus string
		wantError  string
	}{
		{"TimeoutTwiceThenFails", always("States.Timeout", 10), 3, []time.Duration{3 * time.Second, 4500 * time.Millisecond}, "FAILED", "States.Timeout"},
		{"TimeoutOnceThenSucceeds", always("States.Timeout", 1), 2, []time.Duration{3 * time.Second}, "SUCCEEDED", ""},
		{"PermissionsNeverRetried", []string{"States.Permissions"}, 1, nil, "FAILED", "States.Permissions"},
		{"AnythingElseFiveTimes", always("CustomError", 10), 6,
			[]time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second}, "FAILED", "CustomError"},
		{"TaskFailedMatchesAll", always("States.TaskFailed", 2), 3, []time.Duration{time.Second, 2 * time.Second}, "SUCCEEDED", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := &erring{errs: tt.errs}
			res, delays := runSpec(t, specRetry, inv, `{}`)
			if inv.calls != tt.wantCalls || res.Status != tt.wantStatus || res.Error != tt.wantError {
				t.Fatalf("calls %d status %s error %q; want %d %s %q", inv.calls, res.Status, res.Error, tt.wantCalls, tt.wantStatus, tt.wantError)
			}
			if len(delays) != len(tt.wantDelays) {
				t.Fatalf("delays %v, want %v", delays, tt.wantDelays)
			}
			for i := range delays {
				if delays[i] != tt.wantDelays[i] {
					t.Fatalf("delays %v, want %v", delays, tt.wantDelays)
				}
			}
		})
	}
}

// TestRetriersCountSeparately: each retrier has its own attempt count, so errors
// that alternate are each retried up to their retrier's MaxAttempts.
func TestRetriersCountSeparately(t *testing.T) {
	def := `{"StartAt": "X", "States": {"X": {"Type": "Task", "Resource": "r", "End": true, "Retry": [
	  {"ErrorEquals": ["A"], "MaxAttempts": 2, "IntervalSeconds": 1, "BackoffRate": 1},
	  {"ErrorEquals": ["B"], "MaxAttempts": 2, "IntervalSeconds": 1, "BackoffRate": 1}]}}}`
	inv := &erring{errs: []string{"A", "B", "A", "B", "A"}}
	res, _ := runSpec(t, def, inv, `{}`)
	if res.Status != "FAILED" || res.Error != "A" || inv.calls != 5 {
		t.Fatalf("status %s error %s calls %d: the third A exceeds A's two retries", res.Status, res.Error, inv.calls)
	}
}

// TestErrorNameMatching: the wildcards as the Developer Guide defines them.
func TestErrorNameMatching(t *testing.T) {
	for _, tt := range []struct {
		list []string
		name string
		want bool
	}{
		{[]string{"States.ALL"}, "Lambda.ServiceException", true},
		{[]string{"States.ALL"}, "States.Timeout", true},
		{[]string{"States.ALL"}, "States.Runtime", false},
		{[]string{"States.ALL"}, "States.DataLimitExceeded", false},
		{[]string{"States.TaskFailed"}, "TransientError", true},
		{[]string{"States.TaskFailed"}, "States.Permissions", true},
		{[]string{"States.TaskFailed"}, "States.Timeout", false},
		{[]string{"States.Runtime"}, "States.Runtime", true},
		{[]string{"TransientError", "Lambda.TooManyRequestsException"}, "Lambda.TooManyRequestsException", true},
		{[]string{"TransientError"}, "PermanentError", false},
	} {
		if got := matches(tt.list, tt.name); got != tt.want {
			t.Errorf("matches(%v, %s) = %v", tt.list, tt.name, got)
		}
	}
}

// specCatch is the specification's fallback example: a named error caught into
// $.error-info, anything else caught with the default ResultPath.
const specCatch = `{"StartAt": "X", "States": {
  "X": {"Type": "Task", "Resource": "r", "End": true, "Catch": [
    {"ErrorEquals": ["java.lang.Exception"], "ResultPath": "$.error-info", "Next": "RecoveryState"},
    {"ErrorEquals": ["States.ALL"], "Next": "EndState"}]},
  "RecoveryState": {"Type": "Pass", "End": true},
  "EndState": {"Type": "Pass", "End": true}}}`

func TestSpecCatchExample(t *testing.T) {
	out := func(res Result) map[string]any {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal(res.Output, &m); err != nil {
			t.Fatalf("output %s: %v", res.Output, err)
		}
		return m
	}
	t.Run("ResultPathAddsTheErrorToTheInput", func(t *testing.T) {
		res, _ := runSpec(t, specCatch, &erring{errs: []string{"java.lang.Exception"}}, `{"foo": "bar"}`)
		m := out(res)
		info, _ := m["error-info"].(map[string]any)
		if res.Status != "SUCCEEDED" || m["foo"] != "bar" || info["Error"] != "java.lang.Exception" || info["Cause"] != "cause of java.lang.Exception" {
			t.Fatalf("status %s output %v", res.Status, m)
		}
		if !hasEvent(res, "TaskCaught") {
			t.Fatal("no TaskCaught in the history")
		}
	})
	t.Run("DefaultResultPathReplacesTheInput", func(t *testing.T) {
		res, _ := runSpec(t, specCatch, &erring{errs: []string{"Other"}}, `{"foo": "bar"}`)
		m := out(res)
		if m["foo"] != nil || m["Error"] != "Other" || m["Cause"] != "cause of Other" {
			t.Fatalf("output %v, want the error output alone", m)
		}
	})
	t.Run("RuntimeErrorsAreNotCaught", func(t *testing.T) {
		def := strings.Replace(specCatch, `"Resource": "r"`, `"Resource": "r", "InputPath": "$.missing"`, 1)
		res, _ := runSpec(t, def, &erring{}, `{"foo": "bar"}`)
		if res.Status != "FAILED" || res.Error != "States.Runtime" {
			t.Fatalf("status %s error %s, want an uncaught States.Runtime", res.Status, res.Error)
		}
	})
	t.Run("NullResultPathKeepsTheInput", func(t *testing.T) {
		def := strings.Replace(specCatch, `{"ErrorEquals": ["States.ALL"], "Next": "EndState"}`, `{"ErrorEquals": ["States.ALL"], "ResultPath": null, "Next": "EndState"}`, 1)
		res, _ := runSpec(t, def, &erring{errs: []string{"Other"}}, `{"foo": "bar"}`)
		if m := out(res); m["foo"] != "bar" || m["Error"] != nil {
			t.Fatalf("output %v, want the input unchanged", m)
		}
	})
	t.Run("RetryBeforeCatch", func(t *testing.T) {
		def := strings.Replace(specCatch, `"End": true, "Catch"`, `"End": true, "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2, "IntervalSeconds": 1}], "Catch"`, 1)
		inv := &erring{errs: always("java.lang.Exception", 5)}
		res, delays := runSpec(t, def, inv, `{}`)
		if inv.calls != 3 || len(delays) != 2 || !hasEvent(res, "TaskCaught") {
			t.Fatalf("calls %d delays %v: retries come first, then the catcher", inv.calls, delays)
		}
	})
}

// TestResultPathOfATask: a task's result replaces the input ($), goes under a path,
// or is discarded (null), as the specification's ResultPath examples show.
func TestResultPathOfATask(t *testing.T) {
	for _, tt := range []struct {
		resultPath string
		want       string
	}{
		{``, `{"done":true}`},
		{`, "ResultPath": "$"`, `{"done":true}`},
		{`, "ResultPath": "$.result"`, `{"master":{"detail":[1,2,3]},"result":{"done":true}}`},
		{`, "ResultPath": "$.master.detail"`, `{"master":{"detail":{"done":true}}}`},
		{`, "ResultPath": null`, `{"master":{"detail":[1,2,3]}}`},
	} {
		def := `{"StartAt": "X", "States": {"X": {"Type": "Task", "Resource": "r", "End": true` + tt.resultPath + `}}}`
		res, _ := runSpec(t, def, &erring{}, `{"master": {"detail": [1, 2, 3]}}`)
		var got, want any
		_ = json.Unmarshal(res.Output, &got)
		_ = json.Unmarshal([]byte(tt.want), &want)
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if string(g) != string(w) {
			t.Errorf("ResultPath%s: output %s, want %s", tt.resultPath, g, w)
		}
	}
}

func hasEvent(res Result, typ string) bool {
	for _, e := range res.History {
		if e.Type == typ {
			return true
		}
	}
	return false
}
