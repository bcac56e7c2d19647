package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Finding is one rule a resource breaks.
type Finding struct {
	Rule, Resource, Message string
}

func (f Finding) String() string { return f.Rule + ": " + f.Resource + ": " + f.Message }

// Rule is one thing the deployed stack must be, checked on the transformed
// template (what CloudFormation deploys).
type Rule struct {
	Name, Why string
	Check     func(t *Template) []Finding
}

// Rules are the cloud-readiness rules; docs/operations.md lists them with why.
var Rules = []Rule{
	{"no-physical-names", "two stacks (staging, prod) deploy side by side in one account", noPhysicalNames},
	{"function-logs", "every function logs to its own group with a retention, in JSON, traced", functionLogs},
	{"state-machine-logs", "every state machine logs (ERROR at least) to a group with a retention, and is traced", stateMachineLogs},
	{"api-access-logs", "the HTTP API writes JSON access logs with request id, route, status, latency and principal", apiAccessLogs},
	{"no-reserved-concurrency", "reserved concurrency fails on accounts with a low concurrency quota", noReservedConcurrency},
	{"no-wildcard-resources", `no Allow on Resource "*" except for actions that take no resource (listed)`, noWildcardResources},
	{"managed-policies", "only the AWS managed policies listed, never AWSLambdaDynamoDBExecutionRole (every stream)", managedPolicies},
	{"audit-immutable", "every role that reaches DynamoDB is explicitly denied changing the audit trail; only the audit function appends", auditImmutable},
	{"no-secrets-in-env", "secrets are read at run time, never resolved into environment variables", noSecretsInEnv},
	{"ses-scoped", "email only as the configured sender", sesScoped},
	{"stream-read-scoped", "stream reads only of this stack's table's stream", streamReadScoped},
	{"cmk-use", "with a customer-managed key configured, every role may use it", cmkUse},
	{"timeouts-compose", "nothing the API waits for can outlive the API's answer", timeoutsCompose},
	{"schedules", "schedules retry and keep what failed", schedules},
	{"cors", "CORS for the console's origin only, and preflight never meets the authorizer", cors},
	{"sign-in", "without an external issuer the stack has its own user pool, and says where to sign in", signIn},
	{"alarms", "alarms watch every function, stream consumer, state machine and failure queue, on metrics AWS publishes, and notify", alarms},
	{"stream-consumers", "stream consumers keep order, report partial failures, give up into a queue", streamConsumers},
}

// Check runs every rule.
func Check(t *Template) []Finding {
	var out []Finding
	for _, r := range Rules {
		for _, f := range r.Check(t) {
			f.Rule = r.Name
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func finding(resource, format string, args ...any) Finding {
	return Finding{Resource: resource, Message: fmt.Sprintf(format, args...)}
}

// physicalNames are the name properties that must be unique in an account and
// region, by resource type.
var physicalNames = map[string]string{
	"AWS::DynamoDB::Table":             "TableName",
	"AWS::SQS::Queue":                  "QueueName",
	"AWS::SNS::Topic":                  "TopicName",
	"AWS::Lambda::Function":            "FunctionName",
	"AWS::StepFunctions::StateMachine": "StateMachineName",
	"AWS::IAM::Role":                   "RoleName",
	"AWS::IAM::ManagedPolicy":          "ManagedPolicyName",
	"AWS::Logs::LogGroup":              "LogGroupName",
	"AWS::Scheduler::Schedule":         "Name",
	"AWS::Scheduler::ScheduleGroup":    "Name",
	"AWS::CloudWatch::Alarm":           "AlarmName",
	"AWS::SecretsManager::Secret":      "Name",
	"AWS::Cognito::UserPool":           "UserPoolName",
	"AWS::Cognito::UserPoolDomain":     "Domain",
}

// stackUnique reports whether every branch of a name is unique per stack: it
// names the stack, or is a parameter the operator chooses per stack.
func (t *Template) stackUnique(v any) bool {
	for _, b := range branches(v) {
		if p := ref(b); p != "" && t.Parameters[p] != nil {
			continue
		}
		if !mentions(b, "AWS::StackName") && !mentions(b, "AWS::StackId") {
			return false
		}
	}
	return true
}

func noPhysicalNames(t *Template) []Finding {
	var out []Finding
	for id, r := range t.Resources {
		prop, ok := physicalNames[r.Type]
		if !ok {
			continue
		}
		if v, set := r.Properties[prop]; set && !t.stackUnique(v) {
			out = append(out, finding(id, "%s is fixed (%v): a second stack in the account collides; leave it to CloudFormation or derive it from the stack", prop, v))
		}
	}
	return out
}

// logGroupWithRetention reports whether v (a Ref or GetAtt) names a log group
// of the template that has a retention.
func (t *Template) logGroupWithRetention(v any) (string, bool) {
	id := ref(v)
	if id == "" {
		id, _ = getAtt(v)
	}
	r := t.Resources[id]
	if r == nil || r.Type != "AWS::Logs::LogGroup" {
		return id, false
	}
	_, has := r.Properties["RetentionInDays"]
	return id, has
}

func functionLogs(t *Template) []Finding {
	var out []Finding
	for _, id := range t.ids("AWS::Lambda::Function") {
		p := t.Resources[id].Properties
		if g, ok := t.logGroupWithRetention(get(p, "LoggingConfig", "LogGroup")); !ok {
			out = append(out, finding(id, "LoggingConfig.LogGroup %q is not a log group of the stack with RetentionInDays (Lambda would create one that keeps logs forever)", g))
		}
		if str(get(p, "LoggingConfig", "LogFormat")) != "JSON" {
			out = append(out, finding(id, "LoggingConfig.LogFormat is not JSON"))
		}
		if str(get(p, "TracingConfig", "Mode")) != "Active" {
			out = append(out, finding(id, "TracingConfig.Mode is not Active: its AWS calls are not traced"))
		}
	}
	return out
}

func stateMachineLogs(t *Template) []Finding {
	var out []Finding
	for _, id := range t.ids("AWS::StepFunctions::StateMachine") {
		p := t.Resources[id].Properties
		if lvl := str(get(p, "LoggingConfiguration", "Level")); lvl != "ERROR" && lvl != "ALL" {
			out = append(out, finding(id, "LoggingConfiguration.Level is %q, want ERROR or ALL", lvl))
		}
		dests := list(get(p, "LoggingConfiguration", "Destinations"))
		if len(dests) == 0 {
			out = append(out, finding(id, "no log destination"))
		}
		for _, d := range dests {
			if g, ok := t.logGroupWithRetention(get(d, "CloudWatchLogsLogGroup", "LogGroupArn")); !ok {
				out = append(out, finding(id, "logs to %q, not a log group of the stack with RetentionInDays", g))
			}
		}
		if get(p, "TracingConfiguration", "Enabled") != true {
			out = append(out, finding(id, "TracingConfiguration.Enabled is not true"))
		}
	}
	return out
}

// accessLogFields are the $context variables the access log must carry.
var accessLogFields = map[string][]string{
	"request id": {"$context.requestId"},
	"route":      {"$context.routeKey"},
	"status":     {"$context.status"},
	"latency":    {"$context.responseLatency", "$context.integrationLatency"},
	"principal":  {"$context.authorizer.claims.sub", "$context.authorizer.principalId"},
}

func apiAccessLogs(t *Template) []Finding {
	var out []Finding
	stages := t.ids("AWS::ApiGatewayV2::Stage")
	if len(t.ids("AWS::ApiGatewayV2::Api")) > 0 && len(stages) == 0 {
		out = append(out, finding("HttpApi", "no stage with access logs"))
	}
	for _, id := range stages {
		p := t.Resources[id].Properties
		if g, ok := t.logGroupWithRetention(get(p, "AccessLogSettings", "DestinationArn")); !ok {
			out = append(out, finding(id, "access logs go to %q, not a log group of the stack with RetentionInDays", g))
		}
		format := str(get(p, "AccessLogSettings", "Format"))
		var line map[string]any
		if err := json.Unmarshal([]byte(format), &line); err != nil {
			out = append(out, finding(id, "access log format is not JSON: %v", err))
			continue
		}
		names := make([]string, 0, len(accessLogFields))
		for n := range accessLogFields {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if !slices.ContainsFunc(accessLogFields[n], func(v string) bool { return strings.Contains(format, `"`+v+`"`) }) {
				out = append(out, finding(id, "access log has no %s (%s)", n, strings.Join(accessLogFields[n], " or ")))
			}
		}
	}
	return out
}

func noReservedConcurrency(t *Template) []Finding {
	var out []Finding
	for _, id := range t.ids("AWS::Lambda::Function") {
		if _, set := t.Resources[id].Properties["ReservedConcurrentExecutions"]; set {
			out = append(out, finding(id, "ReservedConcurrentExecutions is set: deploys fail where the account's unreserved concurrency would drop below 100; limit the event source instead (ParallelizationFactor, MaximumConcurrency)"))
		}
	}
	return out
}

// wildcardActions are the actions that take no resource, so only "*": each is
// an exception this check allows, and only these.
var wildcardActions = map[string]string{
	"dynamodb:ListStreams":               "Lambda lists a table's streams when polling; ListStreams has no resource type",
	"logs:CreateLogDelivery":             "Step Functions logging (vended log delivery takes no resource)",
	"logs:GetLogDelivery":                "Step Functions logging",
	"logs:UpdateLogDelivery":             "Step Functions logging",
	"logs:DeleteLogDelivery":             "Step Functions logging",
	"logs:ListLogDeliveries":             "Step Functions logging",
	"logs:PutResourcePolicy":             "Step Functions logging",
	"logs:DescribeResourcePolicies":      "Step Functions logging",
	"logs:DescribeLogGroups":             "Step Functions logging",
	"xray:PutTraceSegments":              "X-Ray takes no resource",
	"xray:PutTelemetryRecords":           "X-Ray takes no resource",
	"xray:GetSamplingRules":              "X-Ray takes no resource",
	"xray:GetSamplingTargets":            "X-Ray takes no resource",
	"xray:GetSamplingStatisticSummaries": "X-Ray takes no resource",
}

// broad matches ARNs that reach past the stack: any account, region or service-wide.
var broad = regexp.MustCompile(`^arn:[^:]*:[^:]+:(\*|[^:]*):(\*|[^:]*):\*$`)

func noWildcardResources(t *Template) []Finding {
	var out []Finding
	check := func(owner string, sts []Statement) {
		for _, st := range sts {
			if st.Effect != "Allow" {
				continue
			}
			for _, a := range st.Actions {
				if a == "*" || strings.HasSuffix(a, ":*") {
					out = append(out, finding(owner, "statement %s allows %s: every action of a service", st.Sid, a))
				}
			}
			wild := false
			for _, r := range st.Resources {
				if s, ok := r.(string); ok && (s == "*" || broad.MatchString(s)) {
					wild = true
				}
			}
			if !wild {
				continue
			}
			for _, a := range st.Actions {
				if _, ok := wildcardActions[a]; !ok {
					out = append(out, finding(owner, "statement %s allows %s on every resource; scope it to this stack's resources", st.Sid, a))
				}
			}
		}
	}
	for _, id := range t.ids("AWS::IAM::Role") {
		var inline []Statement
		for _, p := range list(t.Resources[id].Properties["Policies"]) {
			inline = append(inline, statements(get(p, "PolicyDocument"), str(get(p, "PolicyName")))...)
		}
		check(id, inline)
	}
	for _, id := range t.ids("AWS::IAM::ManagedPolicy") {
		check(id, statements(t.Resources[id].Properties["PolicyDocument"], id))
	}
	return out
}

// awsManaged are the AWS managed policies a role may attach.
var awsManaged = map[string]string{
	"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": "SAM attaches it to every function role it creates (logs:CreateLogStream/PutLogEvents)",
	"arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess":                   "Tracing: Active (X-Ray actions take no resource)",
}

func managedPolicies(t *Template) []Finding {
	var out []Finding
	for _, id := range t.ids("AWS::IAM::Role") {
		for _, m := range list(t.Resources[id].Properties["ManagedPolicyArns"]) {
			if rid := ref(m); rid != "" && t.Resources[rid] != nil && t.Resources[rid].Type == "AWS::IAM::ManagedPolicy" {
				continue
			}
			arn := str(m)
			if arn == "" {
				if s, ok := get(m, "Fn::Sub").(string); ok {
					arn = strings.ReplaceAll(s, "${AWS::Partition}", "aws")
				}
			}
			if _, ok := awsManaged[arn]; !ok {
				why := "not one of the AWS managed policies allowed"
				if strings.Contains(arn, "AWSLambdaDynamoDBExecutionRole") {
					why = "it reads every stream in the account: declare the event source mapping yourself with ReadStream on this table's stream"
				}
				out = append(out, finding(id, "attaches %v: %s", m, why))
			}
		}
	}
	return out
}

// auditTable is the logical id of the audit trail's table; auditWriter is the
// one function that may write it.
const (
	auditTable  = "AuditTable"
	auditWriter = "AuditStreamFunction"
)

var auditChanges = []string{"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete"}

var tableWrites = []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
	"dynamodb:PartiQLInsert", "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete", "dynamodb:DeleteTable", "dynamodb:UpdateTable",
	"dynamodb:UpdateTimeToLive", "dynamodb:RestoreTableFromBackup", "dynamodb:ImportTable"}

func auditImmutable(t *Template) []Finding {
	var out []Finding
	if t.Resources[auditTable] == nil {
		return []Finding{finding(auditTable, "the template has no audit table")}
	}
	writer := t.roleOf(auditWriter)
	for _, id := range t.ids("AWS::IAM::Role") {
		sts := t.roleStatements(id)
		reaches := false
		denied := map[string]bool{}
		for _, st := range sts {
			for _, a := range st.Actions {
				if strings.HasPrefix(strings.ToLower(a), "dynamodb:") && st.Effect == "Allow" {
					reaches = true
				}
			}
			if st.Effect == "Deny" && slices.ContainsFunc(st.Resources, func(r any) bool { return mentions(r, auditTable) }) {
				for _, a := range st.Actions {
					denied[a] = true
				}
			}
			if st.Effect == "Allow" && id != writer && hasAction(st, tableWrites...) &&
				slices.ContainsFunc(st.Resources, func(r any) bool { return mentions(r, auditTable) }) {
				out = append(out, finding(id, "statement %s lets it write the audit table; only %s appends", st.Sid, auditWriter))
			}
		}
		if !reaches {
			continue
		}
		for _, a := range auditChanges {
			if !denied[a] {
				out = append(out, finding(id, "reaches DynamoDB but is not explicitly denied %s on %s", a, auditTable))
			}
		}
	}
	if w := t.roleOf(auditWriter); w != "" {
		for _, st := range t.roleStatements(w) {
			if st.Effect == "Allow" && hasAction(st, tableWrites...) && slices.ContainsFunc(st.Resources, func(r any) bool { return mentions(r, auditTable) }) {
				for _, a := range st.Actions {
					if a != "dynamodb:PutItem" {
						out = append(out, finding(w, "statement %s allows %s on the audit table; appending is PutItem only", st.Sid, a))
					}
				}
			}
		}
	}
	return out
}

func noSecretsInEnv(t *Template) []Finding {
	var out []Finding
	for _, id := range t.ids("AWS::Lambda::Function") {
		vars, _ := get(t.Resources[id].Properties, "Environment", "Variables").(map[string]any)
		names := make([]string, 0, len(vars))
		for n := range vars {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			b, _ := json.Marshal(vars[n])
			if strings.Contains(string(b), "{{resolve:secretsmanager") || strings.Contains(string(b), "{{resolve:ssm-secure") {
				out = append(out, finding(id, "%s resolves a secret into the environment (visible to anyone who can read the function's configuration, and fixed until the next deploy): pass its ARN and read it at run time", n))
			}
		}
	}
	return out
}

func sesScoped(t *Template) []Finding {
	var out []Finding
	for _, id := range t.ids("AWS::IAM::Role") {
		for _, st := range t.roleStatements(id) {
			if st.Effect != "Allow" || !slices.ContainsFunc(st.Actions, func(a string) bool { return strings.HasPrefix(a, "ses:") }) {
				continue
			}
			for _, r := range st.Resources {
				if s, ok := r.(string); ok && s == "*" {
					out = append(out, finding(id, "statement %s sends email as any identity", st.Sid))
				}
			}
			if get(st.Condition, "StringEquals", "ses:FromAddress") == nil {
				out = append(out, finding(id, "statement %s has no ses:FromAddress condition", st.Sid))
			}
		}
	}
	return out
}

func streamReadScoped(t *Template) []Finding {
	var out []Finding
	for _, id := range t.ids("AWS::IAM::Role") {
		for _, st := range t.roleStatements(id) {
			if st.Effect != "Allow" || !hasAction(st, "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream") {
				continue
			}
			for _, r := range st.Resources {
				tid, attr := getAtt(r)
				if attr != "StreamArn" || t.Resources[tid] == nil {
					out = append(out, finding(id, "statement %s reads streams on %v; read only this stack's table's stream (GetAtt Table.StreamArn)", st.Sid, r))
				}
			}
		}
	}
	return out
}

func cmkUse(t *Template) []Finding {
	if t.Parameters["KmsKeyArn"] == nil {
		return nil
	}
	var out []Finding
	var policy string
	for _, id := range t.ids("AWS::IAM::ManagedPolicy") {
		for _, st := range statements(t.Resources[id].Properties["PolicyDocument"], id) {
			if st.Effect == "Allow" && hasAction(st, "kms:Decrypt") && slices.ContainsFunc(st.Resources, func(r any) bool { return ref(r) == "KmsKeyArn" }) {
				policy = id
			}
		}
	}
	if policy == "" {
		return []Finding{finding("KmsKeyArn", "no managed policy allows kms:Decrypt on the configured key")}
	}
	owners := append(t.ids("AWS::Lambda::Function"), t.ids("AWS::StepFunctions::StateMachine")...)
	for _, fn := range owners {
		role := t.roleOf(fn)
		if role == "" {
			continue
		}
		if !slices.ContainsFunc(list(t.Resources[role].Properties["ManagedPolicyArns"]), func(m any) bool { return ref(m) == policy }) {
			out = append(out, finding(role, "does not attach %s: with a customer-managed key, %s cannot decrypt", policy, fn))
		}
	}
	return out
}

// apiFunctions are the functions an HTTP API route invokes.
func (t *Template) apiFunctions() []string {
	var out []string
	for _, api := range t.ids("AWS::ApiGatewayV2::Api") {
		b, _ := json.Marshal(get(t.Resources[api].Properties, "Body", "paths"))
		for _, fn := range t.ids("AWS::Lambda::Function") {
			if strings.Contains(string(b), "${"+fn+".Arn}") && !slices.Contains(out, fn) {
				out = append(out, fn)
			}
		}
	}
	return out
}

// maxIntegrationTimeout is API Gateway's HTTP API integration timeout: 30 s.
const maxIntegrationTimeout = 30

func timeoutsCompose(t *Template) []Finding {
	var out []Finding
	timeout := func(fn string) float64 {
		v, ok := number(t.Resources[fn].Properties["Timeout"])
		if !ok {
			return 3 // Lambda's default
		}
		return v
	}
	for _, api := range t.apiFunctions() {
		apiT := timeout(api)
		if apiT >= maxIntegrationTimeout {
			out = append(out, finding(api, "Timeout %vs: API Gateway answers 503 at %ds, while the function runs on", apiT, maxIntegrationTimeout))
		}
		role := t.roleOf(api)
		if role == "" {
			continue
		}
		for _, st := range t.roleStatements(role) {
			if st.Effect != "Allow" {
				continue
			}
			for _, r := range st.Resources {
				id, _ := getAtt(r)
				if id == "" {
					id = ref(r)
				}
				res := t.Resources[id]
				if res == nil {
					continue
				}
				switch {
				case hasAction(st, "lambda:InvokeFunction") && res.Type == "AWS::Lambda::Function":
					if timeout(id) >= apiT {
						out = append(out, finding(api, "invokes %s (Timeout %vs) within its own %vs", id, timeout(id), apiT))
					}
				case hasAction(st, "states:StartSyncExecution") && res.Type == "AWS::StepFunctions::StateMachine":
					out = append(out, t.syncMachine(api, apiT, id, timeout)...)
				}
			}
		}
	}
	return out
}

// syncMachine checks a state machine the API runs synchronously: it ends before
// the API must answer, and no task's function outlives its task.
func (t *Template) syncMachine(api string, apiT float64, id string, timeout func(string) float64) []Finding {
	var out []Finding
	def, err := t.definition(id)
	if err != nil {
		return []Finding{finding(id, "%v", err)}
	}
	machineT, ok := number(def["TimeoutSeconds"])
	if !ok {
		return []Finding{finding(id, "%s runs it synchronously but it has no TimeoutSeconds (an Express machine runs up to 5 minutes)", api)}
	}
	if machineT >= apiT {
		out = append(out, finding(id, "TimeoutSeconds %v is not within %s's Timeout %vs, which waits for it", machineT, api, apiT))
	}
	states, _ := def["States"].(map[string]any)
	names := make([]string, 0, len(states))
	for n := range states {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := states[n]
		if str(get(s, "Type")) != "Task" {
			continue
		}
		taskT, ok := number(get(s, "TimeoutSeconds"))
		if !ok {
			out = append(out, finding(id, "task %s has no TimeoutSeconds (the default is the machine's)", n))
			continue
		}
		if taskT > machineT {
			out = append(out, finding(id, "task %s TimeoutSeconds %v exceeds the machine's %v", n, taskT, machineT))
		}
		if len(list(get(s, "Retry"))) > 0 {
			out = append(out, finding(id, "task %s retries inside a synchronous execution: the retries' time is not within the API's answer", n))
		}
		fn := strings.TrimPrefix(str(get(s, "Resource")), "ref:")
		if f := str(get(s, "Parameters", "FunctionName")); f != "" {
			fn = strings.TrimPrefix(f, "ref:")
		}
		if t.Resources[fn] != nil && t.Resources[fn].Type == "AWS::Lambda::Function" && timeout(fn) > taskT {
			out = append(out, finding(id, "task %s gives up at %vs while %s runs up to %vs: the rotation outlives the answer", n, taskT, fn, timeout(fn)))
		}
	}
	return out
}

func schedules(t *Template) []Finding {
	var out []Finding
	for _, id := range t.ids("AWS::Scheduler::Schedule") {
		tg := get(t.Resources[id].Properties, "Target")
		if get(tg, "DeadLetterConfig", "Arn") == nil {
			out = append(out, finding(id, "no dead-letter queue: an invocation that fails every retry is lost"))
		}
		if get(tg, "RetryPolicy") == nil {
			out = append(out, finding(id, "no RetryPolicy (the default retries for 24 hours: a sweep a day late)"))
		}
	}
	return out
}

func cors(t *Template) []Finding {
	var out []Finding
	for _, id := range t.ids("AWS::ApiGatewayV2::Api") {
		p := t.Resources[id].Properties
		c := get(p, "Body", "x-amazon-apigateway-cors")
		if c == nil {
			c = p["CorsConfiguration"]
		}
		if c == nil {
			out = append(out, finding(id, "no CORS configuration: the console (another origin) cannot call the API"))
			continue
		}
		origins := list(get(c, "allowOrigins"))
		if origins == nil {
			origins = list(get(c, "AllowOrigins"))
		}
		if len(origins) == 0 || slices.ContainsFunc(origins, func(o any) bool { return str(o) == "*" }) {
			out = append(out, finding(id, "CORS allows origins %v; allow the console's origin only", origins))
		}
		paths, _ := get(p, "Body", "paths").(map[string]any)
		for path, item := range paths {
			anyMethod := get(item, "x-amazon-apigateway-any-method")
			if anyMethod == nil || !authorized(anyMethod) {
				continue
			}
			if opt := get(item, "options"); opt == nil || authorized(opt) {
				out = append(out, finding(id, "ANY %s has an authorizer and no public OPTIONS %s: the browser's preflight (no token) is refused 401", path, path))
			}
		}
	}
	return out
}

// authorized reports whether an OpenAPI operation has an authorizer.
func authorized(op any) bool {
	for _, s := range list(get(op, "security")) {
		m, _ := s.(map[string]any)
		for k := range m {
			if k != "NONE" {
				return true
			}
		}
	}
	return false
}

func signIn(t *Template) []Finding {
	var out []Finding
	if t.Conditions["UseCognito"] == nil {
		return []Finding{finding("Conditions", "no UseCognito condition: without an external issuer the stack has no sign-in")}
	}
	for _, typ := range []string{"AWS::Cognito::UserPool", "AWS::Cognito::UserPoolClient", "AWS::Cognito::UserPoolDomain"} {
		ids := t.ids(typ)
		if len(ids) != 1 {
			out = append(out, finding(typ, "want one, have %d", len(ids)))
			continue
		}
		if t.Resources[ids[0]].Condition != "UseCognito" {
			out = append(out, finding(ids[0], "is not conditioned on UseCognito"))
		}
	}
	for _, id := range t.ids("AWS::Cognito::UserPool") {
		if !slices.ContainsFunc(list(t.Resources[id].Properties["AutoVerifiedAttributes"]), func(v any) bool { return str(v) == "email" }) {
			out = append(out, finding(id, "email is not verified (an unverified email never binds an invitation)"))
		}
	}
	for _, id := range t.ids("AWS::Cognito::UserPoolClient") {
		p := t.Resources[id].Properties
		flows := list(p["AllowedOAuthFlows"])
		if len(flows) != 1 || str(flows[0]) != "code" || p["AllowedOAuthFlowsUserPoolClient"] != true {
			out = append(out, finding(id, "OAuth flows %v: want the authorization code flow only", flows))
		}
		if p["GenerateSecret"] == true {
			out = append(out, finding(id, "has a client secret: a browser console is a public client (PKCE)"))
		}
	}
	for _, id := range t.ids("AWS::ApiGatewayV2::Api") {
		iss := get(t.Resources[id].Properties, "Body", "components", "securitySchemes")
		b, _ := json.Marshal(iss)
		if !strings.Contains(string(b), `"UseCognito"`) || !strings.Contains(string(b), "cognito-idp") {
			out = append(out, finding(id, "the JWT authorizer's issuer is not the stack's user pool when no external issuer is given"))
		}
	}
	for _, o := range []string{"ApiUrl", "Issuer", "SignInUrl"} {
		if t.Outputs[o] == nil {
			out = append(out, finding("Outputs", "no %s output", o))
		}
	}
	return out
}

// publishedDimensions are the dimension sets AWS publishes each metric with
// (CloudWatch metrics docs of Lambda, DynamoDB, Step Functions, SQS, API
// Gateway): an alarm on any other set watches a metric that never exists.
var publishedDimensions = map[string][]string{
	"AWS/Lambda Errors":                          {"FunctionName", "FunctionName,Resource"},
	"AWS/Lambda Throttles":                       {"FunctionName", "FunctionName,Resource"},
	"AWS/Lambda IteratorAge":                     {"FunctionName", "FunctionName,Resource"},
	"AWS/DynamoDB ReadThrottleEvents":            {"TableName", "GlobalSecondaryIndexName,TableName"},
	"AWS/DynamoDB WriteThrottleEvents":           {"TableName", "GlobalSecondaryIndexName,TableName"},
	"AWS/DynamoDB ThrottledRequests":             {"Operation,TableName"},
	"AWS/DynamoDB SystemErrors":                  {"Operation,TableName"},
	"AWS/States ExecutionsFailed":                {"StateMachineArn"},
	"AWS/States ExecutionsTimedOut":              {"StateMachineArn"},
	"AWS/SQS ApproximateNumberOfMessagesVisible": {"QueueName"},
	"AWS/ApiGateway 5xx":                         {"ApiId", "ApiId,Stage", "ApiId,Method,Resource,Stage"},
	"AccessHive ProvisioningFailures":            {"Stack"},
}

// maxAlarmMetrics is CloudWatch's limit of metrics in one alarm.
const maxAlarmMetrics = 10

type alarmMetric struct {
	id, namespace, name string
	dims                map[string]any
}

func alarmMetrics(p map[string]any) []alarmMetric {
	dims := func(v any) map[string]any {
		out := map[string]any{}
		for _, d := range list(v) {
			out[str(get(d, "Name"))] = get(d, "Value")
		}
		return out
	}
	if ns := str(p["Namespace"]); ns != "" {
		return []alarmMetric{{id: "", namespace: ns, name: str(p["MetricName"]), dims: dims(p["Dimensions"])}}
	}
	var out []alarmMetric
	for _, m := range list(p["Metrics"]) {
		if ms := get(m, "MetricStat", "Metric"); ms != nil {
			out = append(out, alarmMetric{id: str(get(m, "Id")), namespace: str(get(ms, "Namespace")), name: str(get(ms, "MetricName")), dims: dims(get(ms, "Dimensions"))})
		}
	}
	return out
}

func alarms(t *Template) []Finding {
	var out []Finding
	watched := map[string]bool{} // "<metric> <logical id>"
	for _, id := range t.ids("AWS::CloudWatch::Alarm") {
		p := t.Resources[id].Properties
		acts := list(p["AlarmActions"])
		if !slices.ContainsFunc(acts, func(a any) bool { r := t.Resources[ref(a)]; return r != nil && r.Type == "AWS::SNS::Topic" }) {
			out = append(out, finding(id, "notifies no topic of the stack"))
		}
		ms := alarmMetrics(p)
		if len(ms) > maxAlarmMetrics {
			out = append(out, finding(id, "%d metrics: CloudWatch allows %d in one alarm", len(ms), maxAlarmMetrics))
		}
		for _, m := range ms {
			key := m.namespace + " " + m.name
			names := make([]string, 0, len(m.dims))
			for n := range m.dims {
				names = append(names, n)
			}
			sort.Strings(names)
			sets, known := publishedDimensions[key]
			if !known {
				out = append(out, finding(id, "%s is not a metric this check knows AWS publishes; add it with its dimension sets", key))
			} else if !slices.Contains(sets, strings.Join(names, ",")) {
				out = append(out, finding(id, "%s with dimensions %v: AWS publishes it only with %v, so this alarm never fires", key, names, sets))
			}
			for _, v := range m.dims {
				if rid := ref(v); rid != "" {
					watched[m.name+" "+rid] = true
				}
				if rid, _ := getAtt(v); rid != "" {
					watched[m.name+" "+rid] = true
				}
			}
		}
		// In metric math, a sum with a missing term is missing: AWS publishes no
		// datapoint for a function not invoked or a table not throttled.
		if len(ms) > 1 {
			for _, m := range list(p["Metrics"]) {
				expr := str(get(m, "Expression"))
				if expr == "" {
					continue
				}
				for _, mm := range ms {
					if regexp.MustCompile(`\b`+regexp.QuoteMeta(mm.id)+`\b`).MatchString(expr) && !strings.Contains(expr, "FILL("+mm.id+",") {
						out = append(out, finding(id, "expression %q uses %s without FILL: while it has no datapoint the sum is missing and the alarm cannot fire", expr, mm.id))
					}
				}
			}
		}
	}
	for _, fn := range t.ids("AWS::Lambda::Function") {
		if !watched["Errors "+fn] {
			out = append(out, finding(fn, "no alarm watches its Errors"))
		}
	}
	for _, id := range t.ids("AWS::Lambda::EventSourceMapping") {
		fn := ref(t.Resources[id].Properties["FunctionName"])
		if !watched["IteratorAge "+fn] {
			out = append(out, finding(id, "no alarm watches %s's IteratorAge (falling behind the stream)", fn))
		}
		if q, _ := getAtt(get(t.Resources[id].Properties, "DestinationConfig", "OnFailure", "Destination")); q != "" && !watched["ApproximateNumberOfMessagesVisible "+q] {
			out = append(out, finding(q, "no alarm watches this failure queue"))
		}
	}
	for _, id := range t.ids("AWS::Scheduler::Schedule") {
		if q, _ := getAtt(get(t.Resources[id].Properties, "Target", "DeadLetterConfig", "Arn")); q != "" && !watched["ApproximateNumberOfMessagesVisible "+q] {
			out = append(out, finding(q, "no alarm watches this dead-letter queue"))
		}
	}
	for _, sm := range t.ids("AWS::StepFunctions::StateMachine") {
		if !watched["ExecutionsFailed "+sm] {
			out = append(out, finding(sm, "no alarm watches its ExecutionsFailed"))
		}
	}
	if t.Parameters["AlarmEmail"] != nil {
		subscribed := false
		for _, id := range t.ids("AWS::SNS::Subscription") {
			if ref(t.Resources[id].Properties["Endpoint"]) == "AlarmEmail" {
				subscribed = true
			}
		}
		if !subscribed {
			out = append(out, finding("AlarmEmail", "the parameter is subscribed to no topic"))
		}
	}
	return out
}

func streamConsumers(t *Template) []Finding {
	var out []Finding
	for _, id := range t.ids("AWS::Lambda::EventSourceMapping") {
		p := t.Resources[id].Properties
		if _, attr := getAtt(p["EventSourceArn"]); attr != "StreamArn" {
			continue
		}
		if v, _ := number(p["ParallelizationFactor"]); v != 1 {
			out = append(out, finding(id, "ParallelizationFactor %v: more than one batch per shard at a time delivers a change's records out of order", p["ParallelizationFactor"]))
		}
		if p["BisectBatchOnFunctionError"] != true {
			out = append(out, finding(id, "BisectBatchOnFunctionError is off: one bad record holds back its whole batch"))
		}
		if !slices.ContainsFunc(list(p["FunctionResponseTypes"]), func(v any) bool { return str(v) == "ReportBatchItemFailures" }) {
			out = append(out, finding(id, "no ReportBatchItemFailures: a retry re-delivers what succeeded"))
		}
		if v, ok := number(p["MaximumRetryAttempts"]); !ok || v < 0 {
			out = append(out, finding(id, "MaximumRetryAttempts unset (-1: a poison record blocks its shard until it expires)"))
		}
		if get(p, "DestinationConfig", "OnFailure", "Destination") == nil {
			out = append(out, finding(id, "no on-failure destination: what is given up on leaves no trace"))
		}
	}
	return out
}
