// Package samtemplate reads template.yaml, the single source of truth for
// AccessHive's resources, so the local stack and the tests build exactly what the
// deployment declares: tables, functions with their environment, and event sources.
// Intrinsic functions are resolved against local physical names.
package samtemplate

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/awslabs/goformation/v7/intrinsics"
)

// Resolver says what intrinsic references mean locally.
type Resolver struct {
	// Prefix makes physical names unique (per test or per local stack).
	Prefix string
	// Parameters override the template's parameter defaults.
	Parameters map[string]string
	// Region and Account fill pseudo parameters and ARNs.
	Region, Account string
}

// PhysicalName is the local name of a resource: Prefix + logical id.
func (r Resolver) PhysicalName(logicalID string) string { return r.Prefix + logicalID }

// Template is the parsed template.
type Template struct {
	raw        rawTemplate
	resolver   Resolver
	conditions conditions
}

type rawTemplate struct {
	Globals struct {
		Function struct {
			Environment struct {
				Variables map[string]string `json:"Variables"`
			} `json:"Environment"`
			Timeout int    `json:"Timeout"`
			Tracing string `json:"Tracing"`
		} `json:"Function"`
	} `json:"Globals"`
	Resources map[string]struct {
		Type       string          `json:"Type"`
		Condition  string          `json:"Condition"`
		Properties json.RawMessage `json:"Properties"`
		Metadata   map[string]any  `json:"Metadata"`
	} `json:"Resources"`
}

// goformationMu serializes goformation's YAML processing: each ProcessYAML call
// re-registers its tag resolvers in a package-level map, so concurrent loads race
// ("concurrent map iteration and map write"). Tests load the template in parallel.
var goformationMu sync.Mutex

// Load reads and resolves the template at path. It is safe for concurrent use.
func Load(path string, r Resolver) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	return Parse(data, r)
}

// Parse resolves a template's text (tests parse edited copies). It is safe for
// concurrent use.
func Parse(data []byte, r Resolver) (*Template, error) {
	goformationMu.Lock()
	defer goformationMu.Unlock()
	if r.Region == "" {
		r.Region = "us-east-1"
	}
	if r.Account == "" {
		r.Account = "000000000000"
	}
	var logical struct {
		Resources map[string]struct {
			Type string `json:"Type"`
		} `json:"Resources"`
		Parameters map[string]struct {
			Default any `json:"Default"`
		} `json:"Parameters"`
		Conditions map[string]any `json:"Conditions"`
	}
	// First pass: learn the logical ids and parameter defaults without resolving.
	plain, err := intrinsics.ProcessYAML(data, &intrinsics.ProcessorOptions{NoProcess: true})
	if err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	if err := json.Unmarshal(plain, &logical); err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	params := map[string]string{}
	for name, p := range logical.Parameters {
		if p.Default != nil {
			params[name] = fmt.Sprint(p.Default)
		}
	}
	for k, v := range r.Parameters {
		params[k] = v
	}
	types := map[string]string{}
	for id, res := range logical.Resources {
		types[id] = res.Type
	}
	res := &resolving{r: r, params: params, resources: types}
	conds, err := evaluateConditions(logical.Conditions, params)
	if err != nil {
		return nil, err
	}
	opts := &intrinsics.ProcessorOptions{IntrinsicHandlerOverrides: map[string]intrinsics.IntrinsicHandler{
		"Ref": res.ref, "Fn::Sub": res.sub, "Fn::GetAtt": res.getAtt, "Fn::If": conds.fnIf,
	}}
	resolved, err := intrinsics.ProcessYAML(data, opts)
	if err != nil {
		return nil, fmt.Errorf("resolve template: %w", err)
	}
	t := &Template{resolver: r, conditions: conds}
	if err := json.Unmarshal(resolved, &t.raw); err != nil {
		return nil, fmt.Errorf("parse resolved template: %w", err)
	}
	return t, nil
}

// resolving resolves Ref, Fn::Sub and Fn::GetAtt to local values.
type resolving struct {
	r         Resolver
	params    map[string]string
	resources map[string]string // logical id -> resource type
}

func (x *resolving) refValue(name string) (string, bool) {
	switch name {
	case "AWS::Region":
		return x.r.Region, true
	case "AWS::AccountId":
		return x.r.Account, true
	case "AWS::StackName":
		return strings.TrimSuffix(x.r.Prefix, "-"), true
	case "AWS::URLSuffix":
		return "amazonaws.com", true
	case "AWS::Partition":
		return "aws", true
	}
	if v, ok := x.params[name]; ok {
		return v, true
	}
	if typ, ok := x.resources[name]; ok {
		switch typ {
		case "AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine":
			return x.r.StateMachineARN(name), true
		case "AWS::SQS::Queue":
			return x.r.QueueURL(name), true
		case "AWS::SecretsManager::Secret":
			// A secret's Ref is its ARN; locally the partial ARN (no random suffix),
			// which Secrets Manager accepts as an id too.
			return x.r.SecretARN(name), true
		}
		return x.r.PhysicalName(name), true
	}
	return "", false
}

// StateMachineARN is the local ARN of a state machine (what Ref returns).
func (r Resolver) StateMachineARN(logicalID string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", r.Region, r.Account, r.PhysicalName(logicalID))
}

// SecretARN is the local (partial) ARN of a template secret.
func (r Resolver) SecretARN(logicalID string) string {
	return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s", r.Region, r.Account, r.PhysicalName(logicalID))
}

// Secrets returns the template's secrets (logical ids) that generate their value.
func (t *Template) Secrets() []string {
	var out []string
	for id, res := range t.raw.Resources {
		if res.Type == "AWS::SecretsManager::Secret" && t.Holds(id) {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// EventBusARN is the local ARN of an event bus (named by its physical name).
func (r Resolver) EventBusARN(logicalID string) string {
	return fmt.Sprintf("arn:aws:events:%s:%s:event-bus/%s", r.Region, r.Account, r.PhysicalName(logicalID))
}

// EventBuses returns the template's event buses by name. A bus's Name must be
// what Ref gives locally (the stack's name, "-" and its logical id), so the
// functions' EVENT_BUS_NAME (a Ref) and the bus agree as they do on AWS.
func (t *Template) EventBuses() ([]string, error) {
	var out []string
	for id, res := range t.raw.Resources {
		if res.Type != "AWS::Events::EventBus" || !t.Holds(id) {
			continue
		}
		var props struct {
			Name string `json:"Name"`
		}
		if err := json.Unmarshal(res.Properties, &props); err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		if want := t.resolver.PhysicalName(id); props.Name != want {
			return nil, fmt.Errorf("%s: Name %q: name it !Sub \"${AWS::StackName}-%s\" (locally %q) so it is what Ref gives", id, props.Name, id, want)
		}
		out = append(out, props.Name)
	}
	sort.Strings(out)
	return out, nil
}

// RoleARN is the local ARN of an IAM role.
func (r Resolver) RoleARN(logicalID string) string {
	return fmt.Sprintf("arn:aws:iam::%s:role/%s", r.Account, r.PhysicalName(logicalID))
}

// QueueURL is the URL of a queue (what Ref returns).
func (r Resolver) QueueURL(logicalID string) string {
	return fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", r.Region, r.Account, r.PhysicalName(logicalID))
}

// QueueARN is the local ARN of a queue.
func (r Resolver) QueueARN(logicalID string) string {
	return fmt.Sprintf("arn:aws:sqs:%s:%s:%s", r.Region, r.Account, r.PhysicalName(logicalID))
}

// FunctionARN is the local ARN of a function (what GetAtt Arn returns).
func (r Resolver) FunctionARN(logicalID string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", r.Region, r.Account, r.PhysicalName(logicalID))
}

func (x *resolving) ref(_ string, input any, _ any) any {
	name, ok := input.(string)
	if !ok {
		return nil
	}
	if v, ok := x.refValue(name); ok {
		return v
	}
	return nil
}

func (x *resolving) attValue(logicalID, attr string) string {
	phys := x.r.PhysicalName(logicalID)
	switch attr {
	case "Arn":
		switch x.resources[logicalID] {
		case "AWS::Serverless::Function", "AWS::Lambda::Function":
			return x.r.FunctionARN(logicalID)
		case "AWS::DynamoDB::Table":
			return fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", x.r.Region, x.r.Account, phys)
		case "AWS::SQS::Queue":
			return x.r.QueueARN(logicalID)
		case "AWS::IAM::Role":
			return x.r.RoleARN(logicalID)
		case "AWS::SNS::Topic":
			return fmt.Sprintf("arn:aws:sns:%s:%s:%s", x.r.Region, x.r.Account, phys)
		case "AWS::Events::EventBus":
			return x.r.EventBusARN(logicalID)
		}
		return fmt.Sprintf("arn:aws:local:%s:%s:%s/%s", x.r.Region, x.r.Account, logicalID, phys)
	case "QueueName", "Name":
		return phys
	case "StreamArn":
		// The stream's label is a creation time the engine picks; a table has one
		// stream at a time, so locally its ARN names any label.
		return fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s/stream/*", x.r.Region, x.r.Account, phys)
	}
	return phys + "." + attr
}

func (x *resolving) getAtt(_ string, input any, _ any) any {
	parts, ok := input.([]any)
	if !ok || len(parts) != 2 {
		if s, ok := input.(string); ok {
			if id, attr, found := strings.Cut(s, "."); found {
				return x.attValue(id, attr)
			}
		}
		return nil
	}
	id, _ := parts[0].(string)
	attr, _ := parts[1].(string)
	return x.attValue(id, attr)
}

var subVar = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

func (x *resolving) sub(_ string, input any, _ any) any {
	src, vars := "", map[string]string{}
	switch v := input.(type) {
	case string:
		src = v
	case []any:
		if len(v) != 2 {
			return nil
		}
		src, _ = v[0].(string)
		if m, ok := v[1].(map[string]any); ok {
			for k, val := range m {
				if s, ok := val.(string); ok {
					vars[k] = s
				}
			}
		}
	default:
		return nil
	}
	return subVar.ReplaceAllStringFunc(src, func(m string) string {
		name := m[2 : len(m)-1]
		if v, ok := vars[name]; ok {
			return v
		}
		if id, attr, found := strings.Cut(name, "."); found {
			return x.attValue(id, attr)
		}
		if v, ok := x.refValue(name); ok {
			return v
		}
		return m
	})
}

// Table is a table the template declares, ready to create locally.
type Table struct {
	LogicalID    string
	Create       *dynamodb.CreateTableInput
	TTLAttribute string
}

// tableProps is what the local stack creates of an AWS::DynamoDB::Table.
type tableProps struct {
	AttributeDefinitions []struct {
		AttributeName string `json:"AttributeName"`
		AttributeType string `json:"AttributeType"`
	} `json:"AttributeDefinitions"`
	KeySchema              []keyElement `json:"KeySchema"`
	GlobalSecondaryIndexes []struct {
		IndexName  string       `json:"IndexName"`
		KeySchema  []keyElement `json:"KeySchema"`
		Projection *struct {
			ProjectionType   string   `json:"ProjectionType"`
			NonKeyAttributes []string `json:"NonKeyAttributes"`
		} `json:"Projection"`
	} `json:"GlobalSecondaryIndexes"`
	StreamSpecification *struct {
		StreamViewType string `json:"StreamViewType"`
	} `json:"StreamSpecification"`
	TimeToLiveSpecification *struct {
		AttributeName string `json:"AttributeName"`
		Enabled       any    `json:"Enabled"`
	} `json:"TimeToLiveSpecification"`
}

type keyElement struct {
	AttributeName string `json:"AttributeName"`
	KeyType       string `json:"KeyType"`
}

// Tables returns every DynamoDB table, sorted by logical id.
func (t *Template) Tables() []Table {
	var out []Table
	for id, res := range t.raw.Resources {
		if res.Type != "AWS::DynamoDB::Table" || !t.Holds(id) {
			continue
		}
		var tb tableProps
		if err := json.Unmarshal(res.Properties, &tb); err != nil {
			continue // cfn-lint and the template tests hold the template to its schema
		}
		ttl := ""
		if s := tb.TimeToLiveSpecification; s != nil && fmt.Sprint(s.Enabled) == "true" {
			ttl = s.AttributeName
		}
		out = append(out, Table{LogicalID: id, Create: createInput(t.resolver.PhysicalName(id), tb), TTLAttribute: ttl})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LogicalID < out[j].LogicalID })
	return out
}

func keySchema(ks []keyElement) []ddbtypes.KeySchemaElement {
	out := make([]ddbtypes.KeySchemaElement, len(ks))
	for i, k := range ks {
		out[i] = ddbtypes.KeySchemaElement{AttributeName: aws.String(k.AttributeName), KeyType: ddbtypes.KeyType(k.KeyType)}
	}
	return out
}

func createInput(name string, tb tableProps) *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		KeySchema:   keySchema(tb.KeySchema),
		BillingMode: ddbtypes.BillingModePayPerRequest,
	}
	for _, a := range tb.AttributeDefinitions {
		in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{
			AttributeName: aws.String(a.AttributeName), AttributeType: ddbtypes.ScalarAttributeType(a.AttributeType)})
	}
	for _, g := range tb.GlobalSecondaryIndexes {
		p := &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionTypeAll}
		if g.Projection != nil && g.Projection.ProjectionType != "" {
			p = &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionType(g.Projection.ProjectionType), NonKeyAttributes: g.Projection.NonKeyAttributes}
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, ddbtypes.GlobalSecondaryIndex{
			IndexName: aws.String(g.IndexName), KeySchema: keySchema(g.KeySchema), Projection: p})
	}
	if s := tb.StreamSpecification; s != nil {
		in.StreamSpecification = &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddbtypes.StreamViewType(s.StreamViewType)}
	}
	return in
}

// Function is a Lambda function the template declares.
type Function struct {
	LogicalID string
	// Env is the function's environment: Globals merged with its own variables.
	Env    map[string]string
	Events map[string]Event
}

// Event is one event source of a function; Properties stay raw for each consumer.
type Event struct {
	Type       string          `json:"Type"`
	Properties json.RawMessage `json:"Properties"`
}

// Functions returns every serverless function by logical id.
func (t *Template) Functions() (map[string]Function, error) {
	out := map[string]Function{}
	for id, res := range t.raw.Resources {
		if res.Type != "AWS::Serverless::Function" {
			continue
		}
		var props struct {
			Environment struct {
				Variables map[string]string `json:"Variables"`
			} `json:"Environment"`
			Events map[string]Event `json:"Events"`
		}
		if err := json.Unmarshal(res.Properties, &props); err != nil {
			return nil, fmt.Errorf("function %s: %w", id, err)
		}
		env := map[string]string{}
		for k, v := range t.raw.Globals.Function.Environment.Variables {
			env[k] = v
		}
		for k, v := range props.Environment.Variables {
			env[k] = v
		}
		out[id] = Function{LogicalID: id, Env: env, Events: props.Events}
	}
	return out, nil
}

// EventSourceMapping is an AWS::Lambda::EventSourceMapping of the template: the
// function (by logical id) and the mapping's properties, raw.
type EventSourceMapping struct {
	LogicalID  string
	Function   string
	Properties json.RawMessage
}

// EventSourceMappings returns the template's event source mappings, sorted by
// logical id. FunctionName must name a template function (a Ref to it).
func (t *Template) EventSourceMappings() ([]EventSourceMapping, error) {
	var out []EventSourceMapping
	for id, res := range t.raw.Resources {
		if res.Type != "AWS::Lambda::EventSourceMapping" || !t.Holds(id) {
			continue
		}
		var props struct {
			FunctionName string `json:"FunctionName"`
		}
		if err := json.Unmarshal(res.Properties, &props); err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		fn := strings.TrimPrefix(props.FunctionName, t.resolver.Prefix)
		if r, ok := t.raw.Resources[fn]; !ok || r.Type != "AWS::Serverless::Function" {
			return nil, fmt.Errorf("%s: FunctionName %q is not a template function", id, props.FunctionName)
		}
		out = append(out, EventSourceMapping{LogicalID: id, Function: fn, Properties: res.Properties})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LogicalID < out[j].LogicalID })
	return out, nil
}

// HTTPRoute is an HttpApi event: a route the gateway sends to a function.
type HTTPRoute struct {
	Function string
	Method   string
	Path     string
	// Public routes skip the JWT authorizer (Auth.Authorizer: NONE).
	Public bool
}

// FunctionEvent is one event source of a template function with its properties
// decoded into P.
type FunctionEvent[P any] struct {
	Function   string
	Name       string
	Properties P
}

// Events returns every event of the given Type ("HttpApi", "ScheduleV2",
// "DynamoDB") across the template's functions, sorted by function and name.
func Events[P any](t *Template, eventType string) ([]FunctionEvent[P], error) {
	fns, err := t.Functions()
	if err != nil {
		return nil, err
	}
	var out []FunctionEvent[P]
	for id, fn := range fns {
		for name, ev := range fn.Events {
			if ev.Type != eventType {
				continue
			}
			var p P
			if err := json.Unmarshal(ev.Properties, &p); err != nil {
				return nil, fmt.Errorf("function %s event %s: %w", id, name, err)
			}
			out = append(out, FunctionEvent[P]{Function: id, Name: name, Properties: p})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Function+out[i].Name < out[j].Function+out[j].Name })
	return out, nil
}

// HTTPRoutes returns every HttpApi route in the template.
func (t *Template) HTTPRoutes() ([]HTTPRoute, error) {
	evs, err := Events[struct {
		Method string `json:"Method"`
		Path   string `json:"Path"`
		Auth   struct {
			Authorizer string `json:"Authorizer"`
		} `json:"Auth"`
	}](t, "HttpApi")
	if err != nil {
		return nil, err
	}
	out := make([]HTTPRoute, len(evs))
	for i, ev := range evs {
		p := ev.Properties
		out[i] = HTTPRoute{Function: ev.Function, Method: strings.ToUpper(p.Method), Path: p.Path, Public: p.Auth.Authorizer == "NONE"}
	}
	return out, nil
}

// HTTPCors is the CorsConfiguration of the template's HTTP API (nil for none).
type HTTPCors struct {
	AllowOrigins     []string `json:"AllowOrigins"`
	AllowMethods     []string `json:"AllowMethods"`
	AllowHeaders     []string `json:"AllowHeaders"`
	ExposeHeaders    []string `json:"ExposeHeaders"`
	MaxAge           int      `json:"MaxAge"`
	AllowCredentials bool     `json:"AllowCredentials"`
}

// HTTPCors returns the CORS configuration of the template's HTTP API.
func (t *Template) HTTPCors() (*HTTPCors, error) {
	for id, res := range t.raw.Resources {
		if res.Type != "AWS::Serverless::HttpApi" {
			continue
		}
		var p struct {
			CorsConfiguration *HTTPCors `json:"CorsConfiguration"`
		}
		if err := json.Unmarshal(res.Properties, &p); err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		return p.CorsConfiguration, nil
	}
	return nil, nil
}

// StateMachine is a state machine the template declares, with its definition read
// from DefinitionUri and its DefinitionSubstitutions applied.
type StateMachine struct {
	LogicalID  string
	ARN        string
	Definition []byte
}

// StateMachines returns every serverless state machine; dir is the directory
// DefinitionUri is relative to (the template's).
func (t *Template) StateMachines(dir string) ([]StateMachine, error) {
	var out []StateMachine
	for id, res := range t.raw.Resources {
		if res.Type != "AWS::Serverless::StateMachine" {
			continue
		}
		var props struct {
			DefinitionURI           string            `json:"DefinitionUri"`
			DefinitionSubstitutions map[string]string `json:"DefinitionSubstitutions"`
		}
		if err := json.Unmarshal(res.Properties, &props); err != nil {
			return nil, fmt.Errorf("state machine %s: %w", id, err)
		}
		def, err := os.ReadFile(filepath.Join(dir, props.DefinitionURI))
		if err != nil {
			return nil, fmt.Errorf("state machine %s: %w", id, err)
		}
		text := string(def)
		for k, v := range props.DefinitionSubstitutions {
			text = strings.ReplaceAll(text, "${"+k+"}", v)
		}
		if m := regexp.MustCompile(`\$\{[A-Za-z0-9]+\}`).FindString(text); m != "" {
			return nil, fmt.Errorf("state machine %s: %s has no DefinitionSubstitution", id, m)
		}
		out = append(out, StateMachine{LogicalID: id, ARN: t.resolver.StateMachineARN(id), Definition: []byte(text)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LogicalID < out[j].LogicalID })
	return out, nil
}

// Queues returns the physical names of the template's SQS queues.
func (t *Template) Queues() []string {
	var out []string
	for id, res := range t.raw.Resources {
		if res.Type == "AWS::SQS::Queue" && t.Holds(id) {
			out = append(out, t.resolver.PhysicalName(id))
		}
	}
	sort.Strings(out)
	return out
}
