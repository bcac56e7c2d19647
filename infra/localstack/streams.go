package localstack

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/accesshive/accesshive/infra/samtemplate"
)

// StreamSource is a DynamoDB event of a template function.
type StreamSource struct {
	Function   string
	Table      string // physical table name
	BatchSize  int
	MaxRetries int
	Filters    []map[string]any
	streamARN  string
	iterators  map[string]string // shard id -> next iterator
	doneShards map[string]bool
}

// StreamFailure is a record the function gave up on (the failure destination).
type StreamFailure struct {
	Function string
	EventID  string
	Reason   string
}

type streamState struct {
	mu       sync.Mutex
	sources  []*StreamSource
	failures []StreamFailure
}

// streamSources reads the template's DynamoDB event sources.
func (s *Stack) streamSources() ([]*StreamSource, error) {
	evs, err := samtemplate.Events[struct {
		Stream               string `json:"Stream"`
		BatchSize            int    `json:"BatchSize"`
		MaximumRetryAttempts int    `json:"MaximumRetryAttempts"`
		FilterCriteria       struct {
			Filters []struct {
				Pattern string `json:"Pattern"`
			} `json:"Filters"`
		} `json:"FilterCriteria"`
	}](s.Template, "DynamoDB")
	if err != nil {
		return nil, err
	}
	var out []*StreamSource
	for _, ev := range evs {
		p := ev.Properties
		src := &StreamSource{Function: ev.Function, BatchSize: max(p.BatchSize, 1), MaxRetries: p.MaximumRetryAttempts,
			iterators: map[string]string{}, doneShards: map[string]bool{}}
		for _, phys := range s.Tables {
			if strings.Contains(p.Stream, "table/"+phys+"/stream") {
				src.Table = phys
			}
		}
		if src.Table == "" {
			return nil, fmt.Errorf("%s.%s: stream %q is not a template table's", ev.Function, ev.Name, p.Stream)
		}
		for _, f := range p.FilterCriteria.Filters {
			var pat map[string]any
			if err := json.Unmarshal([]byte(f.Pattern), &pat); err != nil {
				return nil, fmt.Errorf("%s.%s: filter %s: %w", ev.Function, ev.Name, f.Pattern, err)
			}
			src.Filters = append(src.Filters, pat)
		}
		out = append(out, src)
	}
	return out, nil
}

// StreamFailures lists the records functions gave up on.
func (s *Stack) StreamFailures() []StreamFailure {
	s.streams.mu.Lock()
	defer s.streams.mu.Unlock()
	return append([]StreamFailure(nil), s.streams.failures...)
}

// StartStreams polls the table streams and invokes their functions until ctx ends.
func (s *Stack) StartStreams(ctx context.Context, every time.Duration) {
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if _, err := s.PumpStreams(ctx); err != nil && ctx.Err() == nil {
					s.log.Error("stream poll", "error", err.Error())
				}
			}
		}
	}()
}

// DrainStreams pumps until no new records arrive (tests call it to settle).
func (s *Stack) DrainStreams(ctx context.Context) error {
	for {
		n, err := s.PumpStreams(ctx)
		if err != nil || n == 0 {
			return err
		}
	}
}

// PumpStreams reads what is new on every stream once and delivers it; it returns
// how many records it read.
func (s *Stack) PumpStreams(ctx context.Context) (int, error) {
	s.streams.mu.Lock()
	defer s.streams.mu.Unlock()
	if s.streams.sources == nil {
		srcs, err := s.streamSources()
		if err != nil {
			return 0, err
		}
		s.streams.sources = srcs
	}
	client := dynamodbstreams.NewFromConfig(s.AWS)
	total := 0
	for _, src := range s.streams.sources {
		if src.streamARN == "" {
			out, err := s.DB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &src.Table})
			if err != nil {
				return total, err
			}
			src.streamARN = aws.ToString(out.Table.LatestStreamArn)
		}
		desc, err := client.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: &src.streamARN})
		if err != nil {
			return total, fmt.Errorf("describe stream: %w", err)
		}
		for _, sh := range desc.StreamDescription.Shards {
			id := aws.ToString(sh.ShardId)
			if src.doneShards[id] {
				continue
			}
			it, ok := src.iterators[id]
			if !ok {
				gi, err := client.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: &src.streamARN, ShardId: &id,
					ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon})
				if err != nil {
					return total, fmt.Errorf("shard iterator: %w", err)
				}
				it = aws.ToString(gi.ShardIterator)
			}
			for {
				recs, err := client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: &it, Limit: aws.Int32(1000)})
				if err != nil {
					return total, fmt.Errorf("get records: %w", err)
				}
				if recs.NextShardIterator == nil {
					src.doneShards[id] = true
				} else {
					it = aws.ToString(recs.NextShardIterator)
				}
				src.iterators[id] = it
				if len(recs.Records) == 0 {
					break
				}
				total += len(recs.Records)
				if err := s.deliver(ctx, src, recs.Records); err != nil {
					return total, err
				}
				if recs.NextShardIterator == nil {
					break
				}
			}
		}
	}
	return total, nil
}

// deliver filters records with the source's FilterCriteria and invokes the function
// in batches, retrying the records it reports failed (ReportBatchItemFailures)
// up to MaximumRetryAttempts, then recording them as failures.
func (s *Stack) deliver(ctx context.Context, src *StreamSource, recs []stypes.Record) error {
	var batch []events.DynamoDBEventRecord
	for _, r := range recs {
		ev, err := toEventRecord(r, src.streamARN)
		if err != nil {
			return err
		}
		if matchesAny(src.Filters, ev) {
			batch = append(batch, ev)
		}
	}
	for start := 0; start < len(batch); start += src.BatchSize {
		pending := batch[start:min(start+src.BatchSize, len(batch))]
		for attempt := 0; len(pending) > 0; attempt++ {
			payload, _ := json.Marshal(events.DynamoDBEvent{Records: pending})
			out, err := s.Invoke(ctx, src.Function, payload)
			var failed map[string]bool
			if err != nil {
				failed = map[string]bool{}
				for _, r := range pending {
					failed[r.EventID] = true
				}
			} else {
				var resp events.DynamoDBEventResponse
				_ = json.Unmarshal(out, &resp)
				failed = map[string]bool{}
				for _, f := range resp.BatchItemFailures {
					failed[f.ItemIdentifier] = true
				}
			}
			var retry []events.DynamoDBEventRecord
			for _, r := range pending {
				if failed[r.EventID] {
					retry = append(retry, r)
				}
			}
			if len(retry) > 0 && attempt >= src.MaxRetries {
				for _, r := range retry {
					reason := "reported as failed"
					if err != nil {
						reason = err.Error()
					}
					s.streams.failures = append(s.streams.failures, StreamFailure{Function: src.Function, EventID: r.EventID, Reason: reason})
					s.log.Error("stream record sent to the failure destination", "function", src.Function, "eventId", r.EventID)
				}
				break
			}
			pending = retry
		}
	}
	return nil
}

// toEventRecord converts an SDK stream record to the Lambda event form.
func toEventRecord(r stypes.Record, arn string) (events.DynamoDBEventRecord, error) {
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

// matchesAny applies Lambda's event filtering: a record passes when any filter
// matches (no filters: everything passes).
func matchesAny(filters []map[string]any, ev events.DynamoDBEventRecord) bool {
	if len(filters) == 0 {
		return true
	}
	data, _ := json.Marshal(map[string]any{"eventName": ev.EventName, "dynamodb": ev.Change})
	var doc map[string]any
	_ = json.Unmarshal(data, &doc)
	for _, f := range filters {
		if matchPattern(f, doc) {
			return true
		}
	}
	return false
}

// matchPattern is the subset of EventBridge patterns the template uses: nested
// objects, arrays of exact values, {"anything-but": [...]} and {"exists": bool}.
func matchPattern(pat map[string]any, doc map[string]any) bool {
	for k, want := range pat {
		got, present := doc[k]
		switch w := want.(type) {
		case map[string]any:
			sub, ok := got.(map[string]any)
			if !ok || !matchPattern(w, sub) {
				return false
			}
		case []any:
			if !matchValues(w, got, present) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func matchValues(options []any, got any, present bool) bool {
	for _, o := range options {
		switch x := o.(type) {
		case map[string]any:
			if but, ok := x["anything-but"].([]any); ok {
				if !present {
					continue
				}
				match := false
				for _, b := range but {
					if b == got {
						match = true
					}
				}
				if !match {
					return true
				}
			}
			if e, ok := x["exists"].(bool); ok && e == present {
				return true
			}
		default:
			if present && x == got {
				return true
			}
		}
	}
	return false
}
