package localstack

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// Calls counts the AWS operations the stack's functions make, by "Service.Operation",
// through an SDK middleware: the numbers are what DynamoDB would bill and see.
type Calls struct {
	mu    sync.Mutex
	n     map[string]int
	m     map[string]*FunctionMetrics
	fault func(function, operation string) error
	after func(function, operation string) error
}

// FunctionMetrics is what one function's calls cost: DynamoDB items read and
// written, time spent waiting on the wire (the engine's latency, which a handler's
// own overhead excludes) and, for functions behind the gateway, time in the handler.
type FunctionMetrics struct {
	ItemsRead    int
	ItemsWritten int
	// PrincipalLookups counts the Queries that resolve a caller's principal (the
	// subject index): the API's cache refreshes them every few seconds, and
	// per-route counts are "after the principal".
	PrincipalLookups int
	Transport        time.Duration
	Handler          time.Duration
	Invocations      int
	Durations        []time.Duration // each invocation's
}

// Metrics returns one function's metrics since the last Reset.
func (c *Calls) Metrics(function string) FunctionMetrics {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m := c.m[function]; m != nil {
		out := *m
		out.Durations = append([]time.Duration(nil), m.Durations...)
		return out
	}
	return FunctionMetrics{}
}

func (c *Calls) metric(function string, f func(*FunctionMetrics)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*FunctionMetrics{}
	}
	m := c.m[function]
	if m == nil {
		m = &FunctionMetrics{}
		c.m[function] = m
	}
	f(m)
}

// InjectFault makes calls fail before they are sent: fault names the function and
// operation ("DynamoDB.TransactWriteItems") and returns the error to answer with,
// or nil to let the call through. nil removes the fault. Tests use it to check what
// callers see when AWS throttles or times out.
func (c *Calls) InjectFault(fault func(function, operation string) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fault = fault
}

// InjectFaultAfter lets calls reach AWS and then answers with the error fault
// returns instead of the response: a write that landed but whose answer timed out,
// the ambiguous case a caller must be able to retry. nil removes the fault.
func (c *Calls) InjectFaultAfter(fault func(function, operation string) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.after = fault
}

// Reset forgets every count.
func (c *Calls) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n = map[string]int{}
	c.m = map[string]*FunctionMetrics{}
}

// Snapshot returns the counts so far, and their total.
func (c *Calls) Snapshot() (map[string]int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.n))
	total := 0
	for k, v := range c.n {
		out[k] = v
		total += v
	}
	return out, total
}

// Names lists the operations one function made, sorted, one entry per call
// ("DynamoDB.Query"); function "" lists every function's calls.
func (c *Calls) Names(function ...string) []string {
	snap, _ := c.Snapshot()
	var out []string
	for k, v := range snap {
		fn, op, _ := strings.Cut(k, " ")
		if len(function) > 0 && fn != function[0] {
			continue
		}
		for range v {
			out = append(out, op)
		}
	}
	sort.Strings(out)
	return out
}

// middleware counts one function's calls as "<function> <Service>.<Operation>".
func (c *Calls) middleware(function string) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error { return c.add(function, stack) }
}

func (c *Calls) add(function string, stack *middleware.Stack) error {
	// Closest to the wire: the time between sending the request and reading the
	// response, without the SDK's own serialization and decoding.
	if err := stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("AccessHiveWireTimer",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			start := time.Now()
			out, md, err := next.HandleDeserialize(ctx, in)
			d := time.Since(start)
			c.metric(function, func(m *FunctionMetrics) { m.Transport += d })
			return out, md, err
		}), middleware.After); err != nil {
		return err
	}
	if err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("AccessHiveItemCounter",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleInitialize(ctx, in)
			if err == nil {
				r, w := itemsOf(in.Parameters, out.Result)
				principal := isPrincipalLookup(in.Parameters)
				c.metric(function, func(m *FunctionMetrics) {
					m.ItemsRead += r
					m.ItemsWritten += w
					if principal {
						m.PrincipalLookups++
					}
				})
			}
			return out, md, err
		}), middleware.Before); err != nil {
		return err
	}
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("AccessHiveCallCounter",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			name := function + " " + awsmiddleware.GetServiceID(ctx) + "." + awsmiddleware.GetOperationName(ctx)
			c.mu.Lock()
			if c.n == nil {
				c.n = map[string]int{}
			}
			c.n[name]++
			fault, after := c.fault, c.after
			c.mu.Unlock()
			op := strings.TrimPrefix(name, function+" ")
			if fault != nil {
				if err := fault(function, op); err != nil {
					return middleware.InitializeOutput{}, middleware.Metadata{}, err
				}
			}
			out, md, err := next.HandleInitialize(ctx, in)
			if err == nil && after != nil {
				if ferr := after(function, op); ferr != nil {
					return middleware.InitializeOutput{}, md, ferr
				}
			}
			return out, md, err
		}), middleware.After)
}

// isPrincipalLookup reports a Query of the subject index for a sign-in subject
// (shared/dynamo's MemberBySubject).
func isPrincipalLookup(in any) bool {
	q, ok := in.(*dynamodb.QueryInput)
	if !ok || q.IndexName == nil || *q.IndexName != "GSI1" {
		return false
	}
	pk, ok := q.ExpressionAttributeValues[":pk"].(*ddbtypes.AttributeValueMemberS)
	return ok && strings.HasPrefix(pk.Value, "SUBJECT#")
}

// itemsOf counts the DynamoDB items an operation read (returned) and wrote
// (put, updated or deleted; condition checks are neither).
func itemsOf(in, out any) (read, written int) {
	switch o := out.(type) {
	case *dynamodb.GetItemOutput:
		if o.Item != nil {
			read = 1
		}
	case *dynamodb.QueryOutput:
		read = len(o.Items)
	case *dynamodb.ScanOutput:
		read = len(o.Items)
	case *dynamodb.BatchGetItemOutput:
		for _, items := range o.Responses {
			read += len(items)
		}
	}
	switch i := in.(type) {
	case *dynamodb.PutItemInput, *dynamodb.UpdateItemInput, *dynamodb.DeleteItemInput:
		written = 1
	case *dynamodb.TransactWriteItemsInput:
		for _, t := range i.TransactItems {
			if t.Put != nil || t.Update != nil || t.Delete != nil {
				written++
			}
		}
	case *dynamodb.BatchWriteItemInput:
		for _, reqs := range i.RequestItems {
			written += len(reqs)
		}
	}
	return read, written
}
