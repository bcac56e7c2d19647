// Package benchresult is the JSON that make bench's Go benchmarks write (into
// ACCESSHIVE_BENCH_DIR) and infra/benchreport turns into docs/benchmarks.md.
package benchresult

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Route is one API route measured through the local gateway against the engine.
type Route struct {
	Route        string  `json:"route"`
	Method       string  `json:"method"`
	Path         string  `json:"path"`
	As           string  `json:"as"`
	Status       int     `json:"status"`
	Samples      int     `json:"samples"`
	ReadCalls    float64 `json:"dynamoReadCalls"`
	WriteCalls   float64 `json:"dynamoWriteCalls"`
	Transactions float64 `json:"dynamoTransactions"`
	ItemsRead    float64 `json:"itemsRead"`
	ItemsWritten float64 `json:"itemsWritten"`
	OtherCalls   float64 `json:"otherAwsCalls"`
	P50Ms        float64 `json:"p50Ms"`
	P99Ms        float64 `json:"p99Ms"`
	OverheadP50  float64 `json:"overheadP50Ms"`
	OverheadP99  float64 `json:"overheadP99Ms"`
	Allocs       float64 `json:"allocsPerRequest"`
	AllocBytes   float64 `json:"allocBytesPerRequest"`
}

// Overhead is one GET route's in-process handler cost with the engine replayed.
type Overhead struct {
	Route    string  `json:"route"`
	Path     string  `json:"path"`
	Status   int     `json:"status"`
	Samples  int     `json:"samples"`
	P50Us    float64 `json:"p50Us"`
	P99Us    float64 `json:"p99Us"`
	AllocsOp float64 `json:"allocsPerOp"`
	BytesOp  float64 `json:"bytesPerOp"`
	Misses   int     `json:"replayMisses"`
}

// Scale is one read measured at one data size.
type Scale struct {
	Read       string  `json:"read"`
	Size       int     `json:"size"`
	Due        int     `json:"due,omitempty"`
	Queries    int     `json:"queries"`
	ItemsRead  int     `json:"itemsRead"`
	P50Ms      float64 `json:"p50Ms"`
	Samples    int     `json:"samples"`
	ResultSize int     `json:"resultSize"`
}

// Function is one non-API function's cost per invocation, driven by the work
// that invokes it in the local stack.
type Function struct {
	Function     string  `json:"function"`
	DrivenBy     string  `json:"drivenBy"`
	Invocations  int     `json:"invocations"`
	ReadCalls    float64 `json:"dynamoReadCallsPerInvocation"`
	WriteCalls   float64 `json:"dynamoWriteCallsPerInvocation"`
	ItemsRead    float64 `json:"itemsReadPerInvocation"`
	ItemsWritten float64 `json:"itemsWrittenPerInvocation"`
	OtherCalls   float64 `json:"otherAwsCallsPerInvocation"`
	P50Ms        float64 `json:"p50Ms"`
	P99Ms        float64 `json:"p99Ms"`
}

// Engine is one DynamoDB call's latency on the local engine at one table size.
type Engine struct {
	Call    string  `json:"call"`
	Items   int     `json:"tableItems"`
	Samples int     `json:"samples"`
	P50Ms   float64 `json:"p50Ms"`
	P99Ms   float64 `json:"p99Ms"`
}

// Write stores a benchmark's results as JSON in ACCESSHIVE_BENCH_DIR (set by make
// bench, which turns them into docs/benchmarks.md); unset, it writes nothing.
func Write(tb testing.TB, name string, v any) {
	dir := os.Getenv("ACCESSHIVE_BENCH_DIR")
	if dir == "" {
		return
	}
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		tb.Fatal(err)
	}
}
