package lambdaenv

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestXRaySubsegments: with the daemon address set (Lambda sets it under active
// tracing), each AWS call of a sampled invocation sends one subsegment to the
// daemon: under the invocation's segment, named for the service, with the
// operation, table, request id and status; an unsampled invocation sends none.
func TestXRaySubsegments(t *testing.T) {
	daemon, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer daemon.Close()
	engine := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-amzn-RequestId", "REQ123")
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write([]byte(`{}`))
	}))
	defer engine.Close()
	env := map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s",
		"AWS_ENDPOINT_URL": engine.URL, "AWS_XRAY_DAEMON_ADDRESS": daemon.LocalAddr().String()}
	cfg, err := awsConfigFrom(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	db := dynamodb.NewFromConfig(cfg)
	get := func(header string) {
		//lint:ignore SA1029 the key aws-lambda-go puts the trace header under
		ctx := context.WithValue(context.Background(), "x-amzn-trace-id", header)
		key := map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "a"}}
		if _, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("accesshive-Table"), Key: key}); err != nil {
			t.Fatal(err)
		}
	}
	get("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0")
	get("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
	buf := make([]byte, 64<<10)
	_ = daemon.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, _, err := daemon.ReadFrom(buf)
	if err != nil {
		t.Fatalf("no subsegment reached the daemon: %v", err)
	}
	header, doc, ok := bytes.Cut(buf[:n], []byte("\n"))
	if !ok || string(header) != `{"format":"json","version":1}` {
		t.Fatalf("packet = %q", buf[:n])
	}
	var s subsegment
	if err := json.Unmarshal(doc, &s); err != nil {
		t.Fatal(err)
	}
	if s.Type != "subsegment" || s.TraceID != "1-5759e988-bd862e3fe1be46a994272793" || s.ParentID != "53995c3f42cd8ad8" || s.Name != "DynamoDB" ||
		s.Namespace != "aws" || s.AWS.Operation != "GetItem" || s.AWS.TableName != "accesshive-Table" || s.AWS.RequestID != "REQ123" ||
		s.AWS.Region != "eu-west-1" || s.HTTP == nil || s.HTTP.Response.Status != 200 || s.EndTime < s.StartTime || len(s.ID) != 16 {
		t.Fatalf("subsegment = %s", doc)
	}
	_ = daemon.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, _, err := daemon.ReadFrom(buf); err == nil {
		t.Fatal("the unsampled call sent a subsegment too")
	}
}
