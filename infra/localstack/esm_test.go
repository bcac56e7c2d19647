package localstack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// scripted is a stream function whose answer to each batch a test decides; it
// records the sequence numbers of every batch it was invoked with.
type scripted struct {
	calls  [][]string
	answer func(seqs []string) (string, error)
}

func (f *scripted) invoke(_ context.Context, payload []byte) ([]byte, error) {
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	var seqs []string
	for _, r := range ev.Records {
		seqs = append(seqs, r.Change.SequenceNumber)
	}
	f.calls = append(f.calls, seqs)
	out, err := f.answer(seqs)
	return []byte(out), err
}

func records(n int, created time.Time) []events.DynamoDBEventRecord {
	out := make([]events.DynamoDBEventRecord, n)
	for i := range out {
		out[i] = events.DynamoDBEventRecord{EventID: fmt.Sprintf("ev-%d", i+1), Change: events.DynamoDBStreamRecord{
			SequenceNumber:              seq(i + 1),
			ApproximateCreationDateTime: events.SecondsEpochTime{Time: created}}}
	}
	return out
}

func seq(i int) string { return fmt.Sprintf("1000000000000%08d", i) }

func failing(seqs ...string) string {
	var items []string
	for _, s := range seqs {
		items = append(items, fmt.Sprintf(`{"itemIdentifier":%q}`, s))
	}
	return `{"batchItemFailures":[` + strings.Join(items, ",") + `]}`
}

func run(t *testing.T, e esm, f *scripted, recs []events.DynamoDBEventRecord) []StreamFailure {
	t.Helper()
	var given []StreamFailure
	e.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	e.invoke = f.invoke
	e.discard = func(_ context.Context, sf StreamFailure) { given = append(given, sf) }
	e.shard = "shardId-1"
	e.deliver(context.Background(), recs)
	return given
}

func calls(f *scripted) string {
	var parts []string
	for _, c := range f.calls {
		var short []string
		for _, s := range c {
			short = append(short, strings.TrimLeft(strings.TrimPrefix(s, "1000000000000"), "0"))
		}
		parts = append(parts, "["+strings.Join(short, " ")+"]")
	}
	return strings.Join(parts, " ")
}

// TestPartialFailureRetriesFromLowestSequenceNumber: Lambda checkpoints before the
// lowest reported sequence number and sends everything from it again.
func TestPartialFailureRetriesFromLowestSequenceNumber(t *testing.T) {
	first := true
	f := &scripted{answer: func(seqs []string) (string, error) {
		if first {
			first = false
			return failing(seq(4), seq(3)), nil
		}
		return `{"batchItemFailures":[]}`, nil
	}}
	given := run(t, esm{batchSize: 5, maxRetries: 10, reportFailures: true}, f, records(5, time.Now()))
	if got := calls(f); got != "[1 2 3 4 5] [3 4 5]" {
		t.Fatalf("invocations %s, want the batch, then from the lowest failure", got)
	}
	if len(given) != 0 {
		t.Fatalf("given up: %+v", given)
	}
}

// TestUnknownIdentifierFailsTheWholeBatch: an itemIdentifier that is not a sequence
// number of the batch (an EventID, say) is a failure of every record.
func TestUnknownIdentifierFailsTheWholeBatch(t *testing.T) {
	n := 0
	f := &scripted{answer: func(seqs []string) (string, error) {
		n++
		if n == 1 {
			return `{"batchItemFailures":[{"itemIdentifier":"ev-3"}]}`, nil
		}
		return `{}`, nil
	}}
	run(t, esm{batchSize: 5, maxRetries: 10, reportFailures: true}, f, records(5, time.Now()))
	if got := calls(f); got != "[1 2 3 4 5] [1 2 3 4 5]" {
		t.Fatalf("invocations %s, want the whole batch again", got)
	}
	f = &scripted{answer: func([]string) (string, error) { return `{"batchItemFailures":[{"itemIdentifier":null}]}`, nil }}
	given := run(t, esm{batchSize: 2, maxRetries: 1, reportFailures: true}, f, records(2, time.Now()))
	if got := calls(f); got != "[1 2] [1 2]" || len(given) != 1 || given[0].Info.BatchSize != 2 {
		t.Fatalf("null identifier: invocations %s, given up %+v", got, given)
	}
}

// TestBisectIsolatesAFailingRecord: a function error splits the batch in two before
// each retry; a record that keeps failing is given up after MaximumRetryAttempts,
// and the records around it are delivered.
func TestBisectIsolatesAFailingRecord(t *testing.T) {
	f := &scripted{answer: func(seqs []string) (string, error) {
		for _, s := range seqs {
			if s == seq(3) {
				return "", fmt.Errorf("boom")
			}
		}
		return `{}`, nil
	}}
	given := run(t, esm{batchSize: 4, maxRetries: 3, bisect: true, reportFailures: true}, f, records(4, time.Now()))
	if got := calls(f); got != "[1 2 3 4] [1 2] [3 4] [3] [3] [4]" {
		t.Fatalf("invocations %s", got)
	}
	if len(given) != 1 || given[0].Condition != "RetryAttemptsExhausted" || given[0].Info.StartSequenceNumber != seq(3) ||
		given[0].Info.EndSequenceNumber != seq(3) || given[0].Info.BatchSize != 1 || given[0].Info.ShardID != "shardId-1" {
		t.Fatalf("given up %+v, want record 3 alone", given)
	}
}

// TestRetriesWithoutBisect: without bisecting, the whole batch is retried, then
// given up, and the next batch is delivered.
func TestRetriesWithoutBisect(t *testing.T) {
	f := &scripted{answer: func(seqs []string) (string, error) {
		if seqs[0] == seq(1) {
			return "", fmt.Errorf("boom")
		}
		return `{}`, nil
	}}
	given := run(t, esm{batchSize: 2, maxRetries: 2}, f, records(4, time.Now()))
	if got := calls(f); got != "[1 2] [1 2] [1 2] [3 4]" {
		t.Fatalf("invocations %s", got)
	}
	if len(given) != 1 || given[0].Info.StartSequenceNumber != seq(1) || given[0].Info.EndSequenceNumber != seq(2) || given[0].Info.invokeCount != 3 {
		t.Fatalf("given up %+v", given)
	}
}

// TestFailuresIgnoredWithoutReportBatchItemFailures: a response listing failures
// means nothing unless the mapping asks for it.
func TestFailuresIgnoredWithoutReportBatchItemFailures(t *testing.T) {
	f := &scripted{answer: func([]string) (string, error) { return failing(seq(1)), nil }}
	run(t, esm{batchSize: 3, maxRetries: 2}, f, records(3, time.Now()))
	if got := calls(f); got != "[1 2 3]" {
		t.Fatalf("invocations %s", got)
	}
}

// TestOldRecordsAreNotInvoked: records older than MaximumRecordAgeInSeconds go to the
// destination without an invocation.
func TestOldRecordsAreNotInvoked(t *testing.T) {
	now := time.Now()
	old := records(2, now.Add(-2*time.Hour))
	fresh := records(3, now)[2:]
	f := &scripted{answer: func([]string) (string, error) { return `{}`, nil }}
	given := run(t, esm{batchSize: 10, maxRetries: 2, maxAge: time.Hour, now: func() time.Time { return now }}, f, append(old, fresh...))
	if got := calls(f); got != "[3]" {
		t.Fatalf("invocations %s", got)
	}
	if len(given) != 1 || given[0].Condition != "RecordAgeExceeded" || given[0].Info.BatchSize != 2 {
		t.Fatalf("given up %+v", given)
	}
}

// TestFailureRecordCarriesMetadataOnly: what the destination receives has the
// shard and sequence range, and none of the records' contents.
func TestFailureRecordCarriesMetadataOnly(t *testing.T) {
	rec := failureRecord("arn:aws:lambda:us-east-1:000000000000:function:f", StreamFailure{Condition: "RetryAttemptsExhausted",
		Info: BatchInfo{ShardID: "s", StartSequenceNumber: "1", EndSequenceNumber: "2", BatchSize: 2, StreamARN: "arn:stream", invokeCount: 11}})
	data, _ := json.Marshal(rec)
	var got struct {
		RequestContext struct {
			Condition              string `json:"condition"`
			ApproximateInvokeCount int    `json:"approximateInvokeCount"`
		} `json:"requestContext"`
		Info map[string]any `json:"DDBStreamBatchInfo"`
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if got.RequestContext.Condition != "RetryAttemptsExhausted" || got.RequestContext.ApproximateInvokeCount != 11 ||
		got.Info["startSequenceNumber"] != "1" || got.Info["streamArn"] != "arn:stream" || len(got.Info) != 7 {
		t.Fatalf("record %s", data)
	}
}
