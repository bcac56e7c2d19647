// Package streambatch reads again the stream batches Lambda gave up on.
package streambatch

// Stream batches Lambda gave up on. An event source mapping's on-failure
// destination receives where the batch was (the stream, shard and sequence range:
// DDBStreamBatchInfo), not its records; those stay in the stream for 24 hours.
// ReadStreamBatch reads them again, so a function can replay what it gave up on
// once the cause is fixed (docs/operations.md).

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// StreamBatch is a batch's place in its stream (DDBStreamBatchInfo).
type StreamBatch struct {
	ShardID             string `json:"shardId"`
	StartSequenceNumber string `json:"startSequenceNumber"`
	EndSequenceNumber   string `json:"endSequenceNumber"`
	StreamARN           string `json:"streamArn"`
	BatchSize           int    `json:"batchSize"`
}

// FailureMessage is the invocation record an event source mapping sends to its
// on-failure destination (the body of a failure queue's message).
type FailureMessage struct {
	Version            string       `json:"version"`
	Timestamp          string       `json:"timestamp"`
	DDBStreamBatchInfo *StreamBatch `json:"DDBStreamBatchInfo"`
}

// ParseFailureMessage reads a failure message; ok is false for anything else.
func ParseFailureMessage(raw []byte) (FailureMessage, bool) {
	var m FailureMessage
	if json.Unmarshal(raw, &m) != nil || m.DDBStreamBatchInfo == nil || m.DDBStreamBatchInfo.StartSequenceNumber == "" {
		return m, false
	}
	return m, true
}

// StreamsAPI is the part of the DynamoDB Streams client a replay uses.
type StreamsAPI interface {
	GetShardIterator(ctx context.Context, in *dynamodbstreams.GetShardIteratorInput, opts ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *dynamodbstreams.GetRecordsInput, opts ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error)
}

// seqLess compares stream sequence numbers (decimal numbers of any length).
func seqLess(a, b string) bool {
	x, okx := new(big.Int).SetString(a, 10)
	y, oky := new(big.Int).SetString(b, 10)
	if !okx || !oky {
		return a < b
	}
	return x.Cmp(y) < 0
}

// ReadStreamBatch reads a batch's records from its stream, in order, from its first
// sequence number through its last. Records older than the stream's 24 hours are
// gone (an error naming the trimmed range): rebuild from point-in-time recovery then.
func ReadStreamBatch(ctx context.Context, client StreamsAPI, b StreamBatch) ([]events.DynamoDBEventRecord, error) {
	it, err := client.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: &b.StreamARN, ShardId: &b.ShardID,
		ShardIteratorType: stypes.ShardIteratorTypeAtSequenceNumber, SequenceNumber: &b.StartSequenceNumber})
	if err != nil {
		return nil, fmt.Errorf("read stream %s shard %s from %s: %w", b.StreamARN, b.ShardID, b.StartSequenceNumber, err)
	}
	var out []events.DynamoDBEventRecord
	iter := it.ShardIterator
	for empty := 0; iter != nil && empty < 3; {
		page, err := client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(1000)})
		if err != nil {
			return nil, fmt.Errorf("read stream records: %w", err)
		}
		if len(page.Records) == 0 {
			empty++
		}
		for _, r := range page.Records {
			seq := ""
			if r.Dynamodb != nil {
				seq = aws.ToString(r.Dynamodb.SequenceNumber)
			}
			if seqLess(b.EndSequenceNumber, seq) {
				return out, nil
			}
			ev, err := EventRecord(r, b.StreamARN)
			if err != nil {
				return nil, err
			}
			out = append(out, ev)
			if seq == b.EndSequenceNumber {
				return out, nil
			}
		}
		iter = page.NextShardIterator
	}
	return out, nil
}

// EventRecord converts an SDK stream record to the form Lambda delivers it in.
func EventRecord(r stypes.Record, arn string) (events.DynamoDBEventRecord, error) {
	ev := events.DynamoDBEventRecord{EventID: aws.ToString(r.EventID), EventName: string(r.EventName),
		EventSource: "aws:dynamodb", EventVersion: aws.ToString(r.EventVersion), AWSRegion: aws.ToString(r.AwsRegion), EventSourceArn: arn}
	if d := r.Dynamodb; d != nil {
		ev.Change.SequenceNumber = aws.ToString(d.SequenceNumber)
		ev.Change.StreamViewType = string(d.StreamViewType)
		if d.ApproximateCreationDateTime != nil {
			ev.Change.ApproximateCreationDateTime = events.SecondsEpochTime{Time: *d.ApproximateCreationDateTime}
		}
		for dst, src := range map[*map[string]events.DynamoDBAttributeValue]map[string]stypes.AttributeValue{
			&ev.Change.Keys: d.Keys, &ev.Change.NewImage: d.NewImage, &ev.Change.OldImage: d.OldImage} {
			if src == nil {
				continue
			}
			data, err := json.Marshal(ddbJSONMap(src))
			if err != nil {
				return ev, err
			}
			if err := json.Unmarshal(data, dst); err != nil {
				return ev, err
			}
		}
	}
	return ev, nil
}

func ddbJSONMap(m map[string]stypes.AttributeValue) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = ddbJSON(v)
	}
	return out
}

func ddbJSON(v stypes.AttributeValue) map[string]any {
	switch x := v.(type) {
	case *stypes.AttributeValueMemberS:
		return map[string]any{"S": x.Value}
	case *stypes.AttributeValueMemberN:
		return map[string]any{"N": x.Value}
	case *stypes.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": x.Value}
	case *stypes.AttributeValueMemberNULL:
		return map[string]any{"NULL": true}
	case *stypes.AttributeValueMemberM:
		return map[string]any{"M": ddbJSONMap(x.Value)}
	case *stypes.AttributeValueMemberL:
		l := make([]any, len(x.Value))
		for i, e := range x.Value {
			l[i] = ddbJSON(e)
		}
		return map[string]any{"L": l}
	case *stypes.AttributeValueMemberSS:
		return map[string]any{"SS": x.Value}
	case *stypes.AttributeValueMemberNS:
		return map[string]any{"NS": x.Value}
	case *stypes.AttributeValueMemberB:
		return map[string]any{"B": x.Value}
	}
	return map[string]any{"NULL": true}
}

// Replayed is what a replay did.
type Replayed struct {
	Records int `json:"records"`
}

// Handle processes a batch, reporting failed records by sequence number.
type Handle func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error)

// Invoke is a stream function's entry: a batch from the table's stream, or (an
// operator replaying what the function gave up on) a message of its failure
// queue, whose batch it reads again from the stream and handles. A replay that
// cannot handle every record fails, and the message stays for the next try.
func Invoke(ctx context.Context, raw json.RawMessage, streams StreamsAPI, handle Handle) (any, error) {
	if m, ok := ParseFailureMessage(raw); ok {
		recs, err := ReadStreamBatch(ctx, streams, *m.DDBStreamBatchInfo)
		if err != nil {
			return nil, err
		}
		resp, err := handle(ctx, events.DynamoDBEvent{Records: recs})
		if err == nil && len(resp.BatchItemFailures) > 0 {
			err = fmt.Errorf("the replay stopped at sequence number %s; invoke it again", resp.BatchItemFailures[0].ItemIdentifier)
		}
		return Replayed{Records: len(recs)}, err
	}
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("not a stream batch or a failure message: %w", err)
	}
	return handle(ctx, ev)
}
