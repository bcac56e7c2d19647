package motoserver

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestIdleConnectionDoesNotBlock: the engine serves one request at a time, so a
// connection a client opens and leaves idle (Go's transport does this when a dial
// races a freed connection) must not hold the only thread. Without a read timeout
// every other request waited for the client's 90 s idle timeout.
func TestIdleConnectionDoesNotBlock(t *testing.T) {
	s, err := Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	idle, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	time.Sleep(100 * time.Millisecond) // let the server accept it
	client := &http.Client{Timeout: 5 * time.Second}
	req, _ := http.NewRequest("POST", s.URL+"/", strings.NewReader(`{}`))
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.ListTables")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("a request behind an idle connection did not finish: %v", err)
	}
	resp.Body.Close()
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("a request behind an idle connection took %v", d)
	}
}
