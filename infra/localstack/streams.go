package localstack

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/accesshive/accesshive/shared/streambatch"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// StreamSource is a DynamoDB event of a template function: Lambda's event source
// mapping, with the settings the template gives it.
type StreamSource struct {
	Function string
	Table    string // physical table name
	esm      esm
	Filters  []map[string]any
	// iterators and doneShards are where the poller is in each shard.
	iterators  map[string]string
	doneShards map[string]bool
}

// StreamFailure is a batch the event source mapping gave up on, as its on-failure
// destination hears of it: the shard and the sequence range, not the records.
type StreamFailure struct {
	Function  string
	Condition string // RetryAttemptsExhausted or RecordAgeExceeded
	Info      BatchInfo
}

type streamState struct {
	mu       sync.Mutex
	sources  []*StreamSource
	failures []StreamFailure
}

// streamSources reads the template's event source mappings of table streams.
func (s *Stack) streamSources() ([]*StreamSource, error) {
	type props struct {
		EventSourceArn             string   `json:"EventSourceArn"`
		BatchSize                  int      `json:"BatchSize"`
		MaximumRetryAttempts       *int     `json:"MaximumRetryAttempts"`
		MaximumRecordAgeInSeconds  *int     `json:"MaximumRecordAgeInSeconds"`
		BisectBatchOnFunctionError bool     `json:"BisectBatchOnFunctionError"`
		FunctionResponseTypes      []string `json:"FunctionResponseTypes"`
		DestinationConfig          struct {
			OnFailure struct {
				Destination string `json:"Destination"`
			} `json:"OnFailure"`
		} `json:"DestinationConfig"`
		FilterCriteria struct {
			Filters []struct {
				Pattern string `json:"Pattern"`
			} `json:"Filters"`
		} `json:"FilterCriteria"`
	}
	mappings, err := s.Template.EventSourceMappings()
	if err != nil {
		return nil, err
	}
	type event struct {
		Function, Name string
		Properties     props
	}
	var evs []event
	for _, m := range mappings {
		var p props
		if err := json.Unmarshal(m.Properties, &p); err != nil {
			return nil, fmt.Errorf("%s: %w", m.LogicalID, err)
		}
		if !strings.Contains(p.EventSourceArn, ":dynamodb:") {
			continue
		}
		evs = append(evs, event{Function: m.Function, Name: m.LogicalID, Properties: p})
	}
	var out []*StreamSource
	for _, ev := range evs {
		p := ev.Properties
		src := &StreamSource{Function: ev.Function, iterators: map[string]string{}, doneShards: map[string]bool{}}
		src.esm = esm{function: ev.Function, functionARN: s.resolver.FunctionARN(ev.Function), batchSize: 100, maxRetries: -1,
			bisect: p.BisectBatchOnFunctionError, destination: p.DestinationConfig.OnFailure.Destination, log: s.log}
		if p.BatchSize > 0 {
			src.esm.batchSize = p.BatchSize
		}
		if p.MaximumRetryAttempts != nil {
			src.esm.maxRetries = *p.MaximumRetryAttempts
		}
		if p.MaximumRecordAgeInSeconds != nil && *p.MaximumRecordAgeInSeconds > 0 {
			src.esm.maxAge = time.Duration(*p.MaximumRecordAgeInSeconds) * time.Second
		}
		for _, t := range p.FunctionResponseTypes {
			if t == "ReportBatchItemFailures" {
				src.esm.reportFailures = true
			}
		}
		for _, phys := range s.Tables {
			if strings.Contains(p.EventSourceArn, "table/"+phys+"/stream") {
				src.Table = phys
			}
		}
		if src.Table == "" {
			return nil, fmt.Errorf("%s.%s: stream %q is not a template table's", ev.Function, ev.Name, p.EventSourceArn)
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
	total := 0
	for _, src := range s.streams.sources {
		// Lambda's event source mapping reads the stream with the function's role.
		client := dynamodbstreams.NewFromConfig(ConfigAs(s.AWSURL, src.Function))
		if src.esm.streamARN == "" {
			out, err := s.DB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &src.Table})
			if err != nil {
				return total, err
			}
			src.esm.streamARN = aws.ToString(out.Table.LatestStreamArn)
		}
		desc, err := client.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: &src.esm.streamARN})
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
				gi, err := client.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: &src.esm.streamARN, ShardId: &id,
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
				if err := s.deliver(ctx, src, id, recs.Records); err != nil {
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

// deliver filters records with the source's FilterCriteria (a record no filter
// matches is skipped, as Lambda does) and hands the rest to the event source
// mapping, which invokes the function in batches.
func (s *Stack) deliver(ctx context.Context, src *StreamSource, shard string, recs []stypes.Record) error {
	var batch []events.DynamoDBEventRecord
	for _, r := range recs {
		ev, err := streambatch.EventRecord(r, src.esm.streamARN)
		if err != nil {
			return err
		}
		if matchesAny(src.Filters, ev) {
			batch = append(batch, ev)
		}
	}
	e := src.esm
	e.shard = shard
	e.invoke = func(ctx context.Context, payload []byte) ([]byte, error) { return s.Invoke(ctx, src.Function, payload) }
	e.discard = func(ctx context.Context, f StreamFailure) { s.discard(ctx, src, f) }
	e.deliver(ctx, batch)
	return nil
}

// discard sends a batch's metadata to the on-failure destination with the
// function's role, as Lambda does, and keeps it for tests.
func (s *Stack) discard(ctx context.Context, src *StreamSource, f StreamFailure) {
	s.streams.failures = append(s.streams.failures, f)
	s.log.Error("stream batch sent to the failure destination", "function", src.Function, "condition", f.Condition,
		"startSequenceNumber", f.Info.StartSequenceNumber, "endSequenceNumber", f.Info.EndSequenceNumber)
	if src.esm.destination == "" {
		return
	}
	body, err := json.Marshal(failureRecord(src.esm.functionARN, f))
	if err != nil {
		s.log.Error("failure destination", "error", err.Error())
		return
	}
	name := src.esm.destination[strings.LastIndex(src.esm.destination, ":")+1:]
	// Lambda knows the queue by its ARN; only the send is the function role's.
	url, err := sqs.NewFromConfig(s.AWS).GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: &name})
	if err == nil {
		_, err = sqs.NewFromConfig(ConfigAs(s.AWSURL, src.Function)).SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url.QueueUrl, MessageBody: aws.String(string(body))})
	}
	if err != nil {
		s.log.Error("failure destination", "function", src.Function, "queue", name, "error", err.Error())
	}
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
