package localstack

import (
	"context"
	"sort"
	"strings"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// Calls counts the AWS operations the stack's functions make, by "Service.Operation",
// through an SDK middleware: the numbers are what DynamoDB would bill and see.
type Calls struct {
	mu    sync.Mutex
	n     map[string]int
	fault func(function, operation string) error
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

// Reset forgets every count.
func (c *Calls) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n = map[string]int{}
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
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("AccessHiveCallCounter",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			name := function + " " + awsmiddleware.GetServiceID(ctx) + "." + awsmiddleware.GetOperationName(ctx)
			c.mu.Lock()
			if c.n == nil {
				c.n = map[string]int{}
			}
			c.n[name]++
			fault := c.fault
			c.mu.Unlock()
			if fault != nil {
				if err := fault(function, strings.TrimPrefix(name, function+" ")); err != nil {
					return middleware.InitializeOutput{}, middleware.Metadata{}, err
				}
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}
