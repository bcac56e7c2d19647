package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/accesshive/accesshive/infra/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// TestReplayAuditFailures: the audit table refuses every write for a while, so the
// audit function gives a change up and its range lands in AuditFailures (metadata,
// not records). Once the cause is gone, the replay reads the range from the
// stream again through the function: the change's entry is in the trail, the
// queue is empty, and a second run finds nothing to do.
func TestReplayAuditFailures(t *testing.T) {
	e := testenv.New(t)
	ctx := context.Background()
	down := func(fn, op string) error {
		if fn == "AuditStreamFunction" && op == "DynamoDB.PutItem" {
			return &smithy.GenericAPIError{Code: "InternalServerError", Message: "the audit table is down"}
		}
		return nil
	}
	e.Stack.Calls.InjectFault(down)
	cid := e.As("manager").Post("/v1/clients", map[string]any{"name": "Lost In Transit", "industry": "retail", "region": "us",
		"timezone": "America/New_York"}).Map(t)["id"].(string)
	if err := e.Stack.DrainStreams(ctx); err != nil {
		t.Fatal(err)
	}
	e.Stack.Calls.InjectFault(nil)
	if len(e.Stack.StreamFailures()) == 0 {
		t.Fatal("nothing was given up on")
	}
	activity := func() int {
		var list struct{ Items []map[string]any }
		e.As("owner").Get("/v1/clients/"+cid+"/activity").JSON(t, &list)
		return len(list.Items)
	}
	if n := activity(); n != 0 {
		t.Fatalf("the client has %d entries before the replay", n)
	}
	q := sqs.NewFromConfig(e.Stack.AWS)
	prefix := strings.TrimSuffix(e.Stack.Tables["Table"], "Table")
	url, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(prefix + "AuditFailures")})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(ctx, q, lambda.NewFromConfig(e.Stack.AWS), aws.ToString(url.QueueUrl), prefix+"AuditStreamFunction")
	if err != nil || res.Replayed == 0 || res.Failed != 0 {
		t.Fatalf("replay = %+v, %v", res, err)
	}
	if n := activity(); n == 0 {
		t.Fatal("the replay wrote no entry for the client")
	}
	again, err := Run(ctx, q, lambda.NewFromConfig(e.Stack.AWS), aws.ToString(url.QueueUrl), prefix+"AuditStreamFunction")
	if err != nil || again.Replayed != 0 {
		t.Fatalf("a second run = %+v, %v (the queue should be empty)", again, err)
	}
}
