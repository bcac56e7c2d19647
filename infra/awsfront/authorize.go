package awsfront

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/accesshive/accesshive/infra/iam"
)

// requests lists the IAM questions one call asks, as AWS's service authorization
// reference documents them: a transaction asks for each item's own action (there
// is no dynamodb:TransactWriteItems action), a query of an index names the index's
// ARN, and so on. A call the front cannot place is refused rather than let through.
func (f *Front) requests(r *http.Request, c call, p *iam.Principal) ([]iam.Request, error) {
	base := map[string][]string{"aws:PrincipalArn": {p.ARN}, "aws:RequestedRegion": {c.region}}
	req := func(action, resource string, extra map[string][]string) iam.Request {
		ctx := make(map[string][]string, len(base)+len(extra))
		for k, v := range base {
			ctx[k] = v
		}
		for k, v := range extra {
			ctx[k] = v
		}
		return iam.Request{Action: action, Resource: resource, Context: ctx}
	}
	switch {
	case c.target == "DynamoDB_20120810":
		return f.dynamoRequests(c, req)
	case c.target == "DynamoDBStreams_20120810":
		var in struct {
			StreamArn     string `json:"StreamArn"`
			ShardIterator string `json:"ShardIterator"`
		}
		_ = json.Unmarshal(c.body, &in)
		resource := in.StreamArn
		if c.op == "GetRecords" {
			resource, _, _ = strings.Cut(in.ShardIterator, "|") // moto's iterators start with the stream ARN
		}
		resource = f.ownAccount(resource) // moto names streams in its own account
		if c.op == "ListStreams" {
			resource = "*"
		}
		return []iam.Request{req("dynamodb:"+c.op, resource, nil)}, nil
	case c.target == "secretsmanager":
		var in struct {
			SecretID string `json:"SecretId"`
			Name     string `json:"Name"`
		}
		_ = json.Unmarshal(c.body, &in)
		id := in.SecretID
		if c.op == "CreateSecret" {
			id = in.Name
		}
		return []iam.Request{req("secretsmanager:"+c.op, f.secretARN(c.region, id), nil)}, nil
	case c.target == "AmazonSQS":
		var in struct {
			QueueURL string `json:"QueueUrl"`
		}
		_ = json.Unmarshal(c.body, &in)
		name := in.QueueURL[strings.LastIndex(in.QueueURL, "/")+1:]
		return []iam.Request{req("sqs:"+c.op, fmt.Sprintf("arn:aws:sqs:%s:%s:%s", c.region, f.o.Account, name), nil)}, nil
	case c.target == "AWSEvents":
		// PutEvents asks events:PutEvents on each entry's bus (the default bus when none is named).
		var in struct {
			Entries []struct {
				EventBusName string `json:"EventBusName"`
			} `json:"Entries"`
		}
		_ = json.Unmarshal(c.body, &in)
		if c.op != "PutEvents" {
			return nil, fmt.Errorf("the front cannot place events:%s", c.op)
		}
		var out []iam.Request
		for _, e := range in.Entries {
			bus := e.EventBusName
			if bus == "" {
				bus = "default"
			}
			if !strings.HasPrefix(bus, "arn:") {
				bus = fmt.Sprintf("arn:aws:events:%s:%s:event-bus/%s", c.region, f.o.Account, bus)
			}
			out = append(out, req("events:PutEvents", bus, nil))
		}
		return out, nil
	case c.target == "AWSStepFunctions":
		var in struct {
			StateMachineArn string `json:"stateMachineArn"`
			ExecutionArn    string `json:"executionArn"`
		}
		_ = json.Unmarshal(c.body, &in)
		resource := in.StateMachineArn
		if resource == "" {
			resource = in.ExecutionArn
		}
		return []iam.Request{req("states:"+c.op, resource, nil)}, nil
	case c.service == "lambda" && c.op == "Invoke":
		name, _ := url.PathUnescape(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/2015-03-31/functions/"), "/invocations"))
		if !strings.HasPrefix(name, "arn:") {
			name = fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", c.region, f.o.Account, name)
		}
		return []iam.Request{req("lambda:InvokeFunction", name, nil)}, nil
	case c.service == "ses" && c.op == "SendEmail":
		var in struct {
			FromEmailAddress string `json:"FromEmailAddress"`
		}
		_ = json.Unmarshal(c.body, &in)
		from := in.FromEmailAddress
		if i := strings.LastIndex(from, "<"); i >= 0 {
			from = strings.TrimSuffix(from[i+1:], ">")
		}
		return []iam.Request{req("ses:SendEmail", fmt.Sprintf("arn:aws:ses:%s:%s:identity/%s", c.region, f.o.Account, from),
			map[string][]string{"ses:FromAddress": {from}})}, nil
	}
	return nil, fmt.Errorf("the local stack cannot authorize %s %s %s; add it to infra/awsfront/authorize.go", c.service, c.target, c.op)
}

// ownAccount puts the stack's account in an ARN the engine issued in its own.
func (f *Front) ownAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" {
		parts[4] = f.o.Account
		return strings.Join(parts, ":")
	}
	return arn
}

// secretARN is a secret's ARN: the id itself when it is one, else the name with
// the six-character suffix Secrets Manager appends (derived from the name here).
func (f *Front) secretARN(region, id string) string {
	if strings.HasPrefix(id, "arn:") {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", region, f.o.Account, id, hex.EncodeToString(sum[:])[:6])
}

func (f *Front) tableARN(region, name string) string {
	if strings.HasPrefix(name, "arn:") {
		return name
	}
	return fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", region, f.o.Account, name)
}

type dynamoUnit struct {
	TableName string                     `json:"TableName"`
	IndexName string                     `json:"IndexName"`
	Key       map[string]json.RawMessage `json:"Key"`
	Item      map[string]json.RawMessage `json:"Item"`
}

// dynamoRequests: one request per table and action the call touches.
func (f *Front) dynamoRequests(c call, req func(string, string, map[string][]string) iam.Request) ([]iam.Request, error) {
	var in struct {
		dynamoUnit
		TransactItems []map[string]dynamoUnit    `json:"TransactItems"`
		RequestItems  map[string]json.RawMessage `json:"RequestItems"`
	}
	if err := json.Unmarshal(c.body, &in); err != nil {
		return nil, fmt.Errorf("read DynamoDB %s: %w", c.op, err)
	}
	leading := func(u dynamoUnit) map[string][]string {
		attrs := u.Key
		if attrs == nil {
			attrs = u.Item
		}
		sch, err := f.schema(tableName(u.TableName))
		if err != nil || sch == nil || attrs[sch.Hash] == nil {
			return nil
		}
		var v struct {
			S, N, B string
		}
		_ = json.Unmarshal(attrs[sch.Hash], &v)
		return map[string][]string{"dynamodb:LeadingKeys": {v.S + v.N + v.B}}
	}
	switch c.op {
	case "TransactWriteItems", "TransactGetItems":
		actions := map[string]string{"Put": "dynamodb:PutItem", "Update": "dynamodb:UpdateItem", "Delete": "dynamodb:DeleteItem",
			"ConditionCheck": "dynamodb:ConditionCheckItem", "Get": "dynamodb:GetItem"}
		var out []iam.Request
		for _, ti := range in.TransactItems {
			for kind, u := range ti {
				out = append(out, req(actions[kind], f.tableARN(c.region, u.TableName), leading(u)))
			}
		}
		return out, nil
	case "BatchGetItem", "BatchWriteItem":
		tables := make([]string, 0, len(in.RequestItems))
		for t := range in.RequestItems {
			tables = append(tables, t)
		}
		sort.Strings(tables)
		var out []iam.Request
		for _, t := range tables {
			out = append(out, req("dynamodb:"+c.op, f.tableARN(c.region, t), nil))
		}
		return out, nil
	case "ListTables":
		return []iam.Request{req("dynamodb:ListTables", "*", nil)}, nil
	case "Query", "Scan":
		resource := f.tableARN(c.region, in.TableName)
		if in.IndexName != "" {
			resource += "/index/" + in.IndexName
		}
		return []iam.Request{req("dynamodb:"+c.op, resource, nil)}, nil
	case "GetItem", "PutItem", "UpdateItem", "DeleteItem":
		return []iam.Request{req("dynamodb:"+c.op, f.tableARN(c.region, in.TableName), leading(in.dynamoUnit))}, nil
	}
	if in.TableName == "" {
		return []iam.Request{req("dynamodb:"+c.op, "*", nil)}, nil
	}
	return []iam.Request{req("dynamodb:"+c.op, f.tableARN(c.region, in.TableName), nil)}, nil
}
