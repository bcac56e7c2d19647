package samtemplate

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/accesshive/accesshive/infra/iam"
)

// managedPolicies are the AWS managed policies SAM attaches or a template may name,
// with the statements AWS documents for them. A template naming any other managed
// policy is refused locally (add it here with its documented statements).
var managedPolicies = map[string][]iam.Statement{
	"AWSLambdaBasicExecutionRole": {{Effect: "Allow",
		Action: []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}, Resource: []string{"*"}}},
	"AWSXrayWriteOnlyAccess": {{Effect: "Allow",
		Action: []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
			"xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries"}, Resource: []string{"*"}}},
	"AWSLambdaDynamoDBExecutionRole": {{Effect: "Allow",
		Action: []string{"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams",
			"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}, Resource: []string{"*"}}},
}

// Roles returns the role of every function and state machine: the policies the
// template gives it and those SAM adds (the basic execution role, X-Ray write
// access with tracing, stream read for a DynamoDB event, send to an event source's
// on-failure queue), keyed by logical id. Statements are resolved to local ARNs.
// A SAM policy template is refused: write its statements, which also keeps least
// privilege readable in the template.
func (t *Template) Roles() (map[string]*iam.Principal, error) {
	out := map[string]*iam.Principal{}
	ids := make([]string, 0, len(t.raw.Resources))
	for id := range t.raw.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		res := t.raw.Resources[id]
		if !t.Holds(id) {
			continue
		}
		var props struct {
			Policies json.RawMessage `json:"Policies"`
			Role     string          `json:"Role"`
			Tracing  json.RawMessage `json:"Tracing"`
			Events   map[string]struct {
				Type       string `json:"Type"`
				Properties struct {
					DestinationConfig struct {
						OnFailure struct {
							Type        string `json:"Type"`
							Destination string `json:"Destination"`
						} `json:"OnFailure"`
					} `json:"DestinationConfig"`
				} `json:"Properties"`
			} `json:"Events"`
		}
		switch res.Type {
		case "AWS::Serverless::Function", "AWS::Serverless::StateMachine":
		default:
			continue
		}
		if err := json.Unmarshal(res.Properties, &props); err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		phys := t.resolver.PhysicalName(id)
		p := &iam.Principal{Name: id, ARN: fmt.Sprintf("arn:aws:sts::%s:assumed-role/%sRole/%s", t.resolver.Account, phys, phys)}
		if props.Role != "" {
			role, err := t.roleResource(props.Role)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", id, err)
			}
			p.Policies = role
			out[id] = p
			continue
		}
		pols, err := policies(id, props.Policies, t.managedPolicyResources())
		if err != nil {
			return nil, err
		}
		if res.Type == "AWS::Serverless::Function" {
			p.Policies = append(p.Policies, managed("AWSLambdaBasicExecutionRole"))
			if t.tracingActive(props.Tracing, true) {
				p.Policies = append(p.Policies, managed("AWSXrayWriteOnlyAccess"))
			}
			names := make([]string, 0, len(props.Events))
			for n := range props.Events {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				ev := props.Events[n]
				if ev.Type == "DynamoDB" {
					p.Policies = append(p.Policies, managed("AWSLambdaDynamoDBExecutionRole"))
				}
				if of := ev.Properties.DestinationConfig.OnFailure; of.Type == "SQS" && of.Destination != "" {
					p.Policies = append(p.Policies, iam.Policy{Name: id + n + "SQSPolicy", Statements: []iam.Statement{
						{Effect: "Allow", Action: []string{"sqs:SendMessage"}, Resource: []string{of.Destination}}}})
				}
			}
		} else if t.tracingActive(props.Tracing, false) {
			p.Policies = append(p.Policies, managed("AWSXrayWriteOnlyAccess"))
		}
		p.Policies = append(p.Policies, pols...)
		out[id] = p
	}
	return out, nil
}

// managedPaths are the managed policies' paths in their ARNs.
var managedPaths = map[string]string{
	"AWSLambdaBasicExecutionRole":    "service-role/",
	"AWSLambdaDynamoDBExecutionRole": "service-role/",
}

func managed(name string) iam.Policy {
	return iam.Policy{Name: "arn:aws:iam::aws:policy/" + managedPaths[name] + name, Statements: managedPolicies[name]}
}

// tracingActive: a function's Tracing is "Active" (its own or the Globals'); a
// state machine's is {"Enabled": true}.
func (t *Template) tracingActive(raw json.RawMessage, function bool) bool {
	if function {
		var s string
		if len(raw) == 0 {
			return t.raw.Globals.Function.Tracing == "Active"
		}
		_ = json.Unmarshal(raw, &s)
		return s == "Active"
	}
	var v struct {
		Enabled bool `json:"Enabled"`
	}
	_ = json.Unmarshal(raw, &v)
	return v.Enabled
}

// managedPolicyResources are the template's own AWS::IAM::ManagedPolicy resources
// (those its conditions keep), by the name a Ref to one resolves to.
func (t *Template) managedPolicyResources() map[string][]iam.Statement {
	out := map[string][]iam.Statement{}
	for id, res := range t.raw.Resources {
		if res.Type != "AWS::IAM::ManagedPolicy" || !t.Holds(id) {
			continue
		}
		var props struct {
			PolicyDocument struct {
				Statement json.RawMessage `json:"Statement"`
			} `json:"PolicyDocument"`
		}
		if json.Unmarshal(res.Properties, &props) != nil {
			continue
		}
		if st, err := statements(props.PolicyDocument.Statement); err == nil {
			out[t.resolver.PhysicalName(id)] = st
		}
	}
	return out
}

// policies reads a SAM Policies property: inline policy documents, managed policy
// names or ARNs, and the template's own managed policies (local). An entry a
// condition removed (Fn::If to AWS::NoValue) is skipped.
func policies(id string, raw json.RawMessage, local map[string][]iam.Statement) ([]iam.Policy, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var items []json.RawMessage
	if raw[0] == '[' {
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, fmt.Errorf("%s Policies: %w", id, err)
		}
	} else {
		items = []json.RawMessage{raw}
	}
	var out []iam.Policy
	for i, it := range items {
		var name string
		if string(it) == "null" {
			continue
		}
		if json.Unmarshal(it, &name) == nil {
			if st, ok := local[name]; ok {
				out = append(out, iam.Policy{Name: name, Statements: st})
				continue
			}
			short := name[strings.LastIndex(name, "/")+1:]
			if _, ok := managedPolicies[short]; !ok {
				return nil, fmt.Errorf("%s Policies[%d]: managed policy %s is not known to the local stack (infra/samtemplate/roles.go)", id, i, name)
			}
			out = append(out, managed(short))
			continue
		}
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(it, &doc); err != nil {
			return nil, fmt.Errorf("%s Policies[%d]: %w", id, i, err)
		}
		st, ok := doc["Statement"]
		if !ok {
			for k := range doc {
				return nil, fmt.Errorf("%s Policies[%d]: SAM policy template %s is not expanded locally; write its statements", id, i, k)
			}
		}
		stmts, err := statements(st)
		if err != nil {
			return nil, fmt.Errorf("%s Policies[%d]: %w", id, i, err)
		}
		out = append(out, iam.Policy{Name: fmt.Sprintf("%sRolePolicy%d", id, i), Statements: stmts})
	}
	return out, nil
}

// strs reads a string or a list of strings.
type strs []string

func (s *strs) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*s = strs{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings, got %s", b)
	}
	*s = many
	return nil
}

func statements(raw json.RawMessage) ([]iam.Statement, error) {
	var list []json.RawMessage
	if len(raw) > 0 && raw[0] == '{' {
		list = []json.RawMessage{raw}
	} else if err := json.Unmarshal(raw, &list); err != nil {
		return nil, err
	}
	out := make([]iam.Statement, 0, len(list))
	for _, r := range list {
		var st struct {
			Sid         string                     `json:"Sid"`
			Effect      string                     `json:"Effect"`
			Action      strs                       `json:"Action"`
			NotAction   strs                       `json:"NotAction"`
			Resource    strs                       `json:"Resource"`
			NotResource strs                       `json:"NotResource"`
			Condition   map[string]map[string]strs `json:"Condition"`
		}
		if err := json.Unmarshal(r, &st); err != nil {
			return nil, err
		}
		if st.Effect != "Allow" && st.Effect != "Deny" {
			return nil, fmt.Errorf("statement %q: Effect %q", st.Sid, st.Effect)
		}
		if len(st.Resource) == 0 && len(st.NotResource) == 0 {
			return nil, fmt.Errorf("statement %q has no Resource (an unresolved reference?)", st.Sid)
		}
		cond := map[string]map[string][]string{}
		for op, keys := range st.Condition {
			cond[op] = map[string][]string{}
			for k, v := range keys {
				cond[op][k] = v
			}
		}
		out = append(out, iam.Statement{Sid: st.Sid, Effect: st.Effect, Action: st.Action, NotAction: st.NotAction,
			Resource: st.Resource, NotResource: st.NotResource, Condition: cond})
	}
	return out, nil
}

// roleResource returns the policies of the AWS::IAM::Role a Role property names
// (its ARN, as GetAtt Arn resolves locally).
func (t *Template) roleResource(arn string) ([]iam.Policy, error) {
	for id, res := range t.raw.Resources {
		if res.Type != "AWS::IAM::Role" || t.resolver.RoleARN(id) != arn {
			continue
		}
		var props struct {
			Policies []struct {
				PolicyName     string `json:"PolicyName"`
				PolicyDocument struct {
					Statement json.RawMessage `json:"Statement"`
				} `json:"PolicyDocument"`
			} `json:"Policies"`
			ManagedPolicyArns []string `json:"ManagedPolicyArns"`
		}
		if err := json.Unmarshal(res.Properties, &props); err != nil {
			return nil, fmt.Errorf("role %s: %w", id, err)
		}
		var out []iam.Policy
		for _, a := range props.ManagedPolicyArns {
			short := a[strings.LastIndex(a, "/")+1:]
			if _, ok := managedPolicies[short]; !ok {
				return nil, fmt.Errorf("role %s: managed policy %s is not known to the local stack", id, a)
			}
			out = append(out, managed(short))
		}
		for _, p := range props.Policies {
			st, err := statements(p.PolicyDocument.Statement)
			if err != nil {
				return nil, fmt.Errorf("role %s policy %s: %w", id, p.PolicyName, err)
			}
			out = append(out, iam.Policy{Name: p.PolicyName, Statements: st})
		}
		return out, nil
	}
	return nil, fmt.Errorf("role %s is not a role of the template", arn)
}
