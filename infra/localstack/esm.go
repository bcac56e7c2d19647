package localstack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"math/big"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// esm is Lambda's event source mapping for a DynamoDB stream, as the Lambda
// Developer Guide documents it ("Configuring partial batch response with DynamoDB
// and Lambda", "Lambda parameters for Amazon DynamoDB event source mappings"):
//
//   - records go to the function in order, BatchSize at a time;
//   - a batch succeeds when the function returns no error and (with
//     ReportBatchItemFailures) an empty or null batchItemFailures list;
//   - with ReportBatchItemFailures, each itemIdentifier must be the SequenceNumber of
//     a record of the batch; Lambda retries from the lowest one reported (the records
//     before it are done, every record from it on is sent again). An empty, null or
//     unknown identifier makes the whole batch a failure;
//   - a function error (or a whole-batch failure) retries the batch; with
//     BisectBatchOnFunctionError it is split in two first, and each half is retried
//     on its own (the retry count carries into both halves);
//   - after MaximumRetryAttempts retries (-1: until the records expire; locally at
//     most 10,000), or for records older than MaximumRecordAgeInSeconds, the records
//     are skipped and the on-failure destination receives a description of the
//     batch: the shard and its sequence-number range, never the records themselves.
type esm struct {
	function, functionARN string
	streamARN, shard      string
	batchSize             int
	maxRetries            int
	maxAge                time.Duration
	bisect                bool
	reportFailures        bool
	destination           string
	log                   *slog.Logger
	now                   func() time.Time
	invoke                func(ctx context.Context, payload []byte) ([]byte, error)
	discard               func(ctx context.Context, f StreamFailure)
}

// localMaxRetries bounds "retry until the record expires" (-1) locally, where a
// record would otherwise block its shard for 24 hours.
const localMaxRetries = 10000

// deliver runs every record through the function, batch by batch.
func (e *esm) deliver(ctx context.Context, records []events.DynamoDBEventRecord) {
	size := max(e.batchSize, 1)
	for start := 0; start < len(records); start += size {
		e.run(ctx, records[start:min(start+size, len(records))], 0)
		if ctx.Err() != nil {
			return
		}
	}
}

// run invokes the function with batch until it succeeds, splitting or trimming it
// as Lambda does, or gives the rest up to the destination. attempts counts the
// retries already made of these records.
func (e *esm) run(ctx context.Context, batch []events.DynamoDBEventRecord, attempts int) {
	maxRetries := e.maxRetries
	if maxRetries < 0 {
		maxRetries = localMaxRetries
	}
	for len(batch) > 0 && ctx.Err() == nil {
		if e.maxAge > 0 {
			now := time.Now()
			if e.now != nil {
				now = e.now()
			}
			n := 0
			for n < len(batch) && now.Sub(batch[n].Change.ApproximateCreationDateTime.Time) > e.maxAge {
				n++
			}
			if n > 0 {
				e.giveUp(ctx, batch[:n], "RecordAgeExceeded", attempts)
				batch = batch[n:]
				continue
			}
		}
		failedFrom, whole := e.invokeBatch(ctx, batch)
		if !whole && failedFrom < 0 {
			return
		}
		attempts++
		if !whole {
			batch = batch[failedFrom:] // the records before the checkpoint are done
		}
		if attempts > maxRetries {
			e.giveUp(ctx, batch, "RetryAttemptsExhausted", attempts)
			return
		}
		if whole && e.bisect && len(batch) > 1 {
			half := len(batch) / 2
			e.run(ctx, batch[:half], attempts)
			e.run(ctx, batch[half:], attempts)
			return
		}
	}
}

// invokeBatch invokes the function once. It answers the index of the first record
// to retry (-1: none) or that the whole batch failed.
func (e *esm) invokeBatch(ctx context.Context, batch []events.DynamoDBEventRecord) (failedFrom int, whole bool) {
	payload, err := json.Marshal(events.DynamoDBEvent{Records: batch})
	if err != nil {
		return 0, true
	}
	out, err := e.invoke(ctx, payload)
	if err != nil {
		e.log.Warn("stream batch failed", "function", e.function, "records", len(batch), "error", err.Error())
		return 0, true
	}
	if !e.reportFailures {
		return -1, false
	}
	var resp struct {
		BatchItemFailures []struct {
			ItemIdentifier *string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	if len(out) > 0 && string(out) != "null" {
		if err := json.Unmarshal(out, &resp); err != nil {
			return 0, true
		}
	}
	failedFrom = -1
	for _, f := range resp.BatchItemFailures {
		idx := -1
		if f.ItemIdentifier != nil {
			for i, r := range batch {
				if r.Change.SequenceNumber == *f.ItemIdentifier {
					idx = i
				}
			}
		}
		if idx < 0 {
			id := "<null>"
			if f.ItemIdentifier != nil {
				id = *f.ItemIdentifier
			}
			e.log.Warn("batchItemFailures names no record of the batch by sequence number: the whole batch failed",
				"function", e.function, "itemIdentifier", id)
			return 0, true
		}
		if failedFrom < 0 || seqLess(batch[idx].Change.SequenceNumber, batch[failedFrom].Change.SequenceNumber) {
			failedFrom = idx
		}
	}
	return failedFrom, false
}

// seqLess compares sequence numbers as numbers (they are decimal strings of any
// length).
func seqLess(a, b string) bool {
	x, okA := new(big.Int).SetString(a, 10)
	y, okB := new(big.Int).SetString(b, 10)
	if !okA || !okB {
		return a < b
	}
	return x.Cmp(y) < 0
}

// giveUp hands a batch to the destination; invocations is how often it was invoked.
func (e *esm) giveUp(ctx context.Context, batch []events.DynamoDBEventRecord, condition string, invocations int) {
	first, last := batch[0], batch[len(batch)-1]
	e.discard(ctx, StreamFailure{Function: e.function, Condition: condition, Info: BatchInfo{
		ShardID: e.shard, StartSequenceNumber: first.Change.SequenceNumber, EndSequenceNumber: last.Change.SequenceNumber,
		ApproximateArrivalOfFirstRecord: first.Change.ApproximateCreationDateTime.UTC().Format(time.RFC3339),
		ApproximateArrivalOfLastRecord:  last.Change.ApproximateCreationDateTime.UTC().Format(time.RFC3339),
		BatchSize:                       len(batch), StreamARN: e.streamARN, invokeCount: invocations,
	}})
}

// BatchInfo describes a batch given up on (DDBStreamBatchInfo).
type BatchInfo struct {
	ShardID                         string `json:"shardId"`
	StartSequenceNumber             string `json:"startSequenceNumber"`
	EndSequenceNumber               string `json:"endSequenceNumber"`
	ApproximateArrivalOfFirstRecord string `json:"approximateArrivalOfFirstRecord"`
	ApproximateArrivalOfLastRecord  string `json:"approximateArrivalOfLastRecord"`
	BatchSize                       int    `json:"batchSize"`
	StreamARN                       string `json:"streamArn"`
	invokeCount                     int
}

// failureRecord is the invocation record Lambda sends to an on-failure destination
// for a stream batch.
func failureRecord(functionARN string, f StreamFailure) map[string]any {
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	return map[string]any{
		"requestContext": map[string]any{"requestId": hex.EncodeToString(id), "functionArn": functionARN,
			"condition": f.Condition, "approximateInvokeCount": f.Info.invokeCount},
		"responseContext":    map[string]any{"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
		"version":            "1.0",
		"timestamp":          time.Now().UTC().Format(time.RFC3339Nano),
		"DDBStreamBatchInfo": f.Info,
	}
}
