// Command replay gives the stream functions what they gave up on, once the cause is
// fixed: it takes each message of a failure queue (AuditFailures, NotifyFailures:
// where in the table's stream the batch was), invokes the function with it, and
// deletes the message when the function processed the batch. A message whose
// replay fails stays in the queue. The stream keeps records for 24 hours; after
// that, docs/operations.md says how to rebuild from point-in-time recovery.
//
//	go run ./infra/ops/replay -queue <queue url> -function <function name>
//
// Credentials and region come from the usual AWS configuration (profile,
// environment); -endpoint points both clients elsewhere (the local stack).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

func main() {
	queue := flag.String("queue", "", "failure queue URL (stack output AuditFailuresQueueUrl or NotifyFailuresQueueUrl)")
	function := flag.String("function", "", "function name (stack output AuditStreamFunctionName or NotifyFunctionName)")
	endpoint := flag.String("endpoint", "", "AWS endpoint for both clients (local stack); empty for AWS")
	flag.Parse()
	if *queue == "" || *function == "" {
		fmt.Fprintln(os.Stderr, "replay: -queue and -function are required")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "replay:", err)
		os.Exit(1)
	}
	if *endpoint != "" {
		cfg.BaseEndpoint = endpoint
	}
	res, err := Run(ctx, sqs.NewFromConfig(cfg), lambda.NewFromConfig(cfg), *queue, *function)
	fmt.Printf("replayed %d, failed %d\n", res.Replayed, res.Failed)
	if err != nil {
		fmt.Fprintln(os.Stderr, "replay:", err)
		os.Exit(1)
	}
}

// Queue is the part of the SQS client a replay uses.
type Queue interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

// Invoker is the part of the Lambda client a replay uses.
type Invoker interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// Result counts what a run did.
type Result struct{ Replayed, Failed int }

// Run replays every message the queue hands out until it hands out none. A
// message whose invocation fails is left (it becomes visible again after the
// queue's visibility timeout) and the run reports the failures.
func Run(ctx context.Context, q Queue, fn Invoker, queueURL, function string) (Result, error) {
	var res Result
	var failures []error
	for {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &queueURL, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			VisibilityTimeout: 300})
		if err != nil {
			return res, fmt.Errorf("receive from %s: %w", queueURL, err)
		}
		if len(out.Messages) == 0 {
			return res, errors.Join(failures...)
		}
		for _, m := range out.Messages {
			inv, err := fn.Invoke(ctx, &lambda.InvokeInput{FunctionName: &function, Payload: []byte(aws.ToString(m.Body))})
			switch {
			case err != nil:
				err = fmt.Errorf("invoke %s: %w", function, err)
			case inv.FunctionError != nil:
				err = fmt.Errorf("%s failed (%s): %s", function, aws.ToString(inv.FunctionError), inv.Payload)
			}
			if err != nil {
				res.Failed++
				failures = append(failures, err)
				continue
			}
			if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &queueURL, ReceiptHandle: m.ReceiptHandle}); err != nil {
				return res, fmt.Errorf("delete a replayed message: %w", err)
			}
			res.Replayed++
		}
	}
}
