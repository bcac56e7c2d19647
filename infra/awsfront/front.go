// Package awsfront is the local stack's AWS: every AWS call a function makes
// arrives here, on one endpoint, and is held to what AWS would hold it to before it
// is served.
//
//  1. IAM. The call's access key names the function (or state machine) whose role
//     signed it; its action and resource ARNs (per item for transactions and batch
//     calls, with the condition keys below) are checked against that role's
//     policies from template.yaml. A call outside them is AccessDeniedException, as
//     in Lambda. Keys the front does not know (the stack's own setup, an operator's
//     CLI) act as an administrator.
//  2. DynamoDB's rules (package ddbrules): expression names and values, reserved
//     words, key and item limits, transaction and batch limits.
//  3. The call is served: Step Functions, Lambda and EventBridge by the stack's own handlers,
//     everything else (DynamoDB, DynamoDB Streams, Secrets Manager, SES, SQS) by the
//     engine (moto) behind it.
//
// Condition keys the front supplies: aws:PrincipalArn, aws:RequestedRegion,
// dynamodb:LeadingKeys (item calls), ses:FromAddress (SendEmail).
package awsfront

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/accesshive/accesshive/infra/ddbrules"
	"github.com/accesshive/accesshive/infra/iam"
)

// Options configure a front.
type Options struct {
	// Engine is the URL of the engine serving DynamoDB and the other AWS services.
	Engine string
	// Region and Account name resources in ARNs.
	Region, Account string
	// Principals are the roles by the access key id their calls are signed with.
	Principals map[string]*iam.Principal
	// StepFunctions, Lambda and Events (EventBridge) serve those services' calls
	// (after the checks).
	StepFunctions, Lambda, Events http.Handler
	Logger                        *slog.Logger
}

// Front is an http.Handler in front of the engine.
type Front struct {
	o       Options
	proxy   *httputil.ReverseProxy
	db      *dynamodb.Client
	mu      sync.Mutex
	schemas map[string]*ddbrules.Schema
}

// New returns a front for the engine at o.Engine.
func New(o Options) (*Front, error) {
	u, err := url.Parse(o.Engine)
	if err != nil {
		return nil, fmt.Errorf("engine URL: %w", err)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	f := &Front{o: o, proxy: httputil.NewSingleHostReverseProxy(u), schemas: map[string]*ddbrules.Schema{}}
	f.db = dynamodb.NewFromConfig(aws.Config{Region: o.Region, BaseEndpoint: aws.String(o.Engine),
		Credentials: credentials.NewStaticCredentialsProvider("awsfront", "awsfront", "")})
	return f, nil
}

// call is one request as the front understands it.
type call struct {
	accessKey, region, service string
	op                         string // X-Amz-Target operation, or a REST operation
	target                     string // the X-Amz-Target prefix, e.g. DynamoDB_20120810
	body                       []byte
	rest                       bool // a REST protocol (errors are 403 with a JSON message)
}

// maxBody bounds what the front reads of a request (DynamoDB's own limit is 16 MB).
const maxBody = 32 << 20

func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	c := parse(r, body)
	if c.region == "" {
		c.region = f.o.Region
	}
	if p := f.o.Principals[c.accessKey]; p != nil {
		reqs, err := f.requests(r, c, p)
		if err == nil {
			err = p.Authorize(reqs...)
		}
		if err != nil {
			f.o.Logger.Warn("AWS call refused", "principal", p.Name, "service", c.service, "operation", c.op, "error", err.Error())
			writeError(w, c, http.StatusForbidden, "AccessDeniedException", err.Error())
			return
		}
	}
	if c.target == "DynamoDB_20120810" {
		if verr := ddbrules.Check(c.op, body, f.schema); verr != nil {
			writeError(w, c, http.StatusBadRequest, verr.Type, verr.Message)
			return
		}
		if c.op == "DeleteTable" || c.op == "CreateTable" || c.op == "UpdateTable" {
			f.forget(body)
		}
	}
	switch c.service {
	case "states":
		if f.o.StepFunctions != nil {
			f.o.StepFunctions.ServeHTTP(w, r)
			return
		}
	case "lambda":
		if f.o.Lambda != nil {
			f.o.Lambda.ServeHTTP(w, r)
			return
		}
	case "events":
		if f.o.Events != nil {
			f.o.Events.ServeHTTP(w, r)
			return
		}
	}
	f.proxy.ServeHTTP(w, r)
}

// parse reads the signer's credential scope and the operation.
func parse(r *http.Request, body []byte) call {
	c := call{body: body}
	auth := r.Header.Get("Authorization")
	if i := strings.Index(auth, "Credential="); i >= 0 {
		cred := auth[i+len("Credential="):]
		if j := strings.IndexAny(cred, ", "); j >= 0 {
			cred = cred[:j]
		}
		parts := strings.Split(cred, "/")
		if len(parts) >= 5 {
			c.accessKey, c.region, c.service = parts[0], parts[2], parts[3]
		}
	}
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		c.target, c.op, _ = strings.Cut(t, ".")
		return c
	}
	c.rest = true
	switch {
	case c.service == "lambda" && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/invocations"):
		c.op = "Invoke"
	case c.service == "ses" && r.Method == http.MethodPost && r.URL.Path == "/v2/email/outbound-emails":
		c.op = "SendEmail"
	default:
		c.op = r.Method + " " + r.URL.Path
	}
	return c
}

// writeError answers in the protocol's error shape: JSON protocols carry __type;
// REST protocols an X-Amzn-ErrorType header and a message.
func writeError(w http.ResponseWriter, c call, status int, typ, msg string) {
	w.Header().Set("X-Amzn-ErrorType", typ)
	if c.rest {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"message": msg, "Message": msg})
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	if status == http.StatusForbidden {
		status = http.StatusBadRequest // JSON protocols answer 400 with the type
	}
	w.WriteHeader(status)
	ns := "com.amazon.coral.validate#"
	if typ == "AccessDeniedException" {
		ns = "com.amazon.coral.service#"
	}
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": ns + typ, "message": msg})
}

// schema describes a table for the rules, cached until the table changes.
func (f *Front) schema(table string) (*ddbrules.Schema, error) {
	f.mu.Lock()
	s, ok := f.schemas[table]
	f.mu.Unlock()
	if ok {
		return s, nil
	}
	out, err := f.db.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: &table})
	if err != nil {
		if strings.Contains(err.Error(), "ResourceNotFoundException") {
			return nil, nil
		}
		return nil, fmt.Errorf("describe table %s: %w", table, err)
	}
	s = &ddbrules.Schema{Types: map[string]string{}}
	for _, a := range out.Table.AttributeDefinitions {
		s.Types[aws.ToString(a.AttributeName)] = string(a.AttributeType)
	}
	for _, k := range out.Table.KeySchema {
		if k.KeyType == "HASH" {
			s.Hash = aws.ToString(k.AttributeName)
		} else {
			s.Range = aws.ToString(k.AttributeName)
		}
	}
	for _, g := range out.Table.GlobalSecondaryIndexes {
		ix := ddbrules.Index{Name: aws.ToString(g.IndexName)}
		for _, k := range g.KeySchema {
			if k.KeyType == "HASH" {
				ix.Hash = aws.ToString(k.AttributeName)
			} else {
				ix.Range = aws.ToString(k.AttributeName)
			}
		}
		s.Indexes = append(s.Indexes, ix)
	}
	for _, l := range out.Table.LocalSecondaryIndexes {
		ix := ddbrules.Index{Name: aws.ToString(l.IndexName)}
		for _, k := range l.KeySchema {
			if k.KeyType == "HASH" {
				ix.Hash = aws.ToString(k.AttributeName)
			} else {
				ix.Range = aws.ToString(k.AttributeName)
			}
		}
		s.Indexes = append(s.Indexes, ix)
	}
	f.mu.Lock()
	f.schemas[table] = s
	f.mu.Unlock()
	return s, nil
}

// forget drops a table's cached schema (it is being created, changed or deleted).
func (f *Front) forget(body []byte) {
	var in struct {
		TableName string `json:"TableName"`
	}
	_ = json.Unmarshal(body, &in)
	f.mu.Lock()
	delete(f.schemas, tableName(in.TableName))
	f.mu.Unlock()
}

func tableName(n string) string {
	if i := strings.Index(n, ":table/"); strings.HasPrefix(n, "arn:") && i >= 0 {
		return n[i+len(":table/"):]
	}
	return n
}
