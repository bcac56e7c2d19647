package main

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

var (
	baseOnce sync.Once
	baseJSON []byte
	baseErr  error
)

// transformed returns a fresh copy of template.yaml as CloudFormation sees it.
func transformed(t *testing.T) *Template {
	t.Helper()
	baseOnce.Do(func() {
		var tpl *Template
		if tpl, baseErr = Transform("../../template.yaml"); baseErr == nil {
			baseJSON, baseErr = json.Marshal(tpl)
		}
	})
	if baseErr != nil {
		t.Fatal(baseErr)
	}
	tpl, err := parse(baseJSON)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// TestTemplatePasses: the template as it is breaks no rule.
func TestTemplatePasses(t *testing.T) {
	for _, f := range Check(transformed(t)) {
		t.Error(f)
	}
}

// props is a resource's properties (the test fails on a missing resource).
func props(t *testing.T, tpl *Template, id string) map[string]any {
	t.Helper()
	r := tpl.Resources[id]
	if r == nil {
		t.Fatalf("no resource %s", id)
	}
	return r.Properties
}

// statement returns a role's inline statement by Sid, as a mutable map.
func statement(t *testing.T, tpl *Template, role, sid string) map[string]any {
	t.Helper()
	for _, p := range list(props(t, tpl, role)["Policies"]) {
		for _, s := range list(get(p, "PolicyDocument", "Statement")) {
			if str(get(s, "Sid")) == sid {
				return s.(map[string]any)
			}
		}
	}
	t.Fatalf("%s has no statement %s", role, sid)
	return nil
}

func removeStatement(t *testing.T, tpl *Template, role, sid string) {
	t.Helper()
	for _, p := range list(props(t, tpl, role)["Policies"]) {
		doc := get(p, "PolicyDocument").(map[string]any)
		sts := list(doc["Statement"])
		kept := slices.DeleteFunc(slices.Clone(sts), func(s any) bool { return str(get(s, "Sid")) == sid })
		if len(kept) != len(sts) {
			doc["Statement"] = kept
			return
		}
	}
	t.Fatalf("%s has no statement %s", role, sid)
}

func addStatement(t *testing.T, tpl *Template, role string, st map[string]any) {
	t.Helper()
	p := list(props(t, tpl, role)["Policies"])[0]
	doc := get(p, "PolicyDocument").(map[string]any)
	doc["Statement"] = append(list(doc["Statement"]), st)
}

func schedule(t *testing.T, tpl *Template) map[string]any {
	t.Helper()
	ids := tpl.ids("AWS::Scheduler::Schedule")
	if !slices.Contains(ids, "ExpireRequestsFunctionEveryMinute") {
		t.Fatalf("schedules %v", ids)
	}
	return props(t, tpl, "ExpireRequestsFunctionEveryMinute")
}

// setDefinition replaces a state machine's definition after edit.
func setDefinition(t *testing.T, tpl *Template, id string, edit func(def map[string]any)) {
	t.Helper()
	def, err := tpl.definition(id)
	if err != nil {
		t.Fatal(err)
	}
	edit(def)
	b, _ := json.Marshal(def)
	p := props(t, tpl, id)
	p["DefinitionString"] = strings.ReplaceAll(string(b), "ref:", "")
	delete(p, "DefinitionSubstitutions")
}

func metricExpression(t *testing.T, tpl *Template, alarm string) map[string]any {
	t.Helper()
	for _, m := range list(props(t, tpl, alarm)["Metrics"]) {
		if get(m, "Expression") != nil {
			return m.(map[string]any)
		}
	}
	t.Fatalf("%s has no expression", alarm)
	return nil
}

func getAttOf(id, attr string) map[string]any { return map[string]any{"Fn::GetAtt": []any{id, attr}} }

// TestEachRuleCatchesItsRegression breaks the template as a change could (and as
// the reviews found it broken) and expects the rule that guards that point to
// say so, naming the resource.
func TestEachRuleCatchesItsRegression(t *testing.T) {
	cases := []struct {
		name, rule, resource string
		mutate               func(t *testing.T, tpl *Template)
	}{
		// Two stacks side by side.
		{"FixedScheduleName", "no-physical-names", "ExpireRequestsFunctionEveryMinute", func(t *testing.T, tpl *Template) {
			schedule(t, tpl)["Name"] = "ExpireRequestsFunctionEveryMinute"
		}},
		{"FixedSecretName", "no-physical-names", "CursorSecret", func(t *testing.T, tpl *Template) {
			props(t, tpl, "CursorSecret")["Name"] = "accesshive/cursor"
		}},
		{"FixedTableName", "no-physical-names", "Table", func(t *testing.T, tpl *Template) {
			props(t, tpl, "Table")["TableName"] = "accesshive"
		}},
		{"FixedUserPoolDomain", "no-physical-names", "UserPoolDomain", func(t *testing.T, tpl *Template) {
			props(t, tpl, "UserPoolDomain")["Domain"] = "accesshive"
		}},
		// Logs and traces.
		{"FunctionWithoutLogGroup", "function-logs", "NotifyFunction", func(t *testing.T, tpl *Template) {
			delete(get(props(t, tpl, "NotifyFunction"), "LoggingConfig").(map[string]any), "LogGroup")
		}},
		{"LogGroupWithoutRetention", "function-logs", "ApiFunction", func(t *testing.T, tpl *Template) {
			delete(props(t, tpl, "ApiFunctionLogs"), "RetentionInDays")
		}},
		{"FunctionNotTraced", "function-logs", "WorkspaceFunction", func(t *testing.T, tpl *Template) {
			props(t, tpl, "WorkspaceFunction")["TracingConfig"] = map[string]any{"Mode": "PassThrough"}
		}},
		{"StateMachineLoggingOff", "state-machine-logs", "OffboardingStateMachine", func(t *testing.T, tpl *Template) {
			get(props(t, tpl, "OffboardingStateMachine"), "LoggingConfiguration").(map[string]any)["Level"] = "OFF"
		}},
		{"StateMachineNotTraced", "state-machine-logs", "ProvisioningStateMachine", func(t *testing.T, tpl *Template) {
			props(t, tpl, "ProvisioningStateMachine")["TracingConfiguration"] = map[string]any{"Enabled": false}
		}},
		{"AccessLogWithoutPrincipal", "api-access-logs", "HttpApiApiGatewayDefaultStage", func(t *testing.T, tpl *Template) {
			s := get(props(t, tpl, "HttpApiApiGatewayDefaultStage"), "AccessLogSettings").(map[string]any)
			s["Format"] = strings.ReplaceAll(str(s["Format"]), "$context.authorizer.claims.sub", "-")
		}},
		{"AccessLogNotJSON", "api-access-logs", "HttpApiApiGatewayDefaultStage", func(t *testing.T, tpl *Template) {
			get(props(t, tpl, "HttpApiApiGatewayDefaultStage"), "AccessLogSettings").(map[string]any)["Format"] = "$context.requestId $context.status"
		}},
		// Quotas.
		{"ReservedConcurrency", "no-reserved-concurrency", "ExpireRequestsFunction", func(t *testing.T, tpl *Template) {
			props(t, tpl, "ExpireRequestsFunction")["ReservedConcurrentExecutions"] = 1
		}},
		// IAM.
		{"TableOnEveryResource", "no-wildcard-resources", "ApiFunctionRole", func(t *testing.T, tpl *Template) {
			statement(t, tpl, "ApiFunctionRole", "TableReadWrite")["Resource"] = "*"
		}},
		{"EveryTableInTheAccount", "no-wildcard-resources", "ExpireRequestsFunctionRole", func(t *testing.T, tpl *Template) {
			statement(t, tpl, "ExpireRequestsFunctionRole", "Table")["Resource"] = "arn:aws:dynamodb:*:*:*"
		}},
		{"ServiceWideAction", "no-wildcard-resources", "NotifyFunctionRole", func(t *testing.T, tpl *Template) {
			statement(t, tpl, "NotifyFunctionRole", "Table")["Action"] = "dynamodb:*"
		}},
		{"SAMStreamPolicy", "managed-policies", "AuditStreamFunctionRole", func(t *testing.T, tpl *Template) {
			p := props(t, tpl, "AuditStreamFunctionRole")
			p["ManagedPolicyArns"] = append(list(p["ManagedPolicyArns"]), "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole")
		}},
		{"NoAuditDeny", "audit-immutable", "NotifyFunctionRole", func(t *testing.T, tpl *Template) {
			removeStatement(t, tpl, "NotifyFunctionRole", "DenyAuditChanges")
		}},
		{"AuditDenyMissesBatchWrite", "audit-immutable", "OffboardClientFunctionRole", func(t *testing.T, tpl *Template) {
			statement(t, tpl, "OffboardClientFunctionRole", "DenyAuditChanges")["Action"] = []any{"dynamodb:UpdateItem", "dynamodb:DeleteItem"}
		}},
		{"APIWritesAudit", "audit-immutable", "ApiFunctionRole", func(t *testing.T, tpl *Template) {
			addStatement(t, tpl, "ApiFunctionRole", map[string]any{"Sid": "WriteAudit", "Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": getAttOf("AuditTable", "Arn")})
		}},
		{"AuditFunctionUpdates", "audit-immutable", "AuditStreamFunctionRole", func(t *testing.T, tpl *Template) {
			statement(t, tpl, "AuditStreamFunctionRole", "AppendAudit")["Action"] = []any{"dynamodb:PutItem", "dynamodb:UpdateItem"}
		}},
		// Secrets.
		{"SecretInEnvironment", "no-secrets-in-env", "ApiFunction", func(t *testing.T, tpl *Template) {
			vars := get(props(t, tpl, "ApiFunction"), "Environment", "Variables").(map[string]any)
			vars["CURSOR_SECRET"] = map[string]any{"Fn::Sub": "{{resolve:secretsmanager:${CursorSecret}:SecretString}}"}
		}},
		{"SendAsAnyone", "ses-scoped", "NotifyFunctionRole", func(t *testing.T, tpl *Template) {
			statement(t, tpl, "NotifyFunctionRole", "SendEmail")["Resource"] = "*"
		}},
		{"SendWithoutFromCondition", "ses-scoped", "NotifyFunctionRole", func(t *testing.T, tpl *Template) {
			delete(statement(t, tpl, "NotifyFunctionRole", "SendEmail"), "Condition")
		}},
		{"EveryStream", "stream-read-scoped", "AuditStreamFunctionRole", func(t *testing.T, tpl *Template) {
			statement(t, tpl, "AuditStreamFunctionRole", "ReadStream")["Resource"] = map[string]any{"Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/*/stream/*"}
		}},
		{"RoleWithoutKey", "cmk-use", "WorkspaceFunctionRole", func(t *testing.T, tpl *Template) {
			p := props(t, tpl, "WorkspaceFunctionRole")
			p["ManagedPolicyArns"] = slices.DeleteFunc(list(p["ManagedPolicyArns"]), func(m any) bool { return ref(m) == "CmkUse" })
		}},
		// Timeouts.
		{"RotationOutlivesTheAPI", "timeouts-compose", "RotationStateMachine", func(t *testing.T, tpl *Template) {
			props(t, tpl, "RotateCredentialFunction")["Timeout"] = 30
		}},
		{"RotationMachineOutlivesTheAPI", "timeouts-compose", "RotationStateMachine", func(t *testing.T, tpl *Template) {
			setDefinition(t, tpl, "RotationStateMachine", func(def map[string]any) { def["TimeoutSeconds"] = 20 })
		}},
		{"RotationRetries", "timeouts-compose", "RotationStateMachine", func(t *testing.T, tpl *Template) {
			setDefinition(t, tpl, "RotationStateMachine", func(def map[string]any) {
				get(def, "States", "RotateCredential").(map[string]any)["Retry"] = []any{map[string]any{"ErrorEquals": []any{"States.ALL"}}}
			})
		}},
		{"APIPastTheGateway", "timeouts-compose", "ApiFunction", func(t *testing.T, tpl *Template) {
			props(t, tpl, "ApiFunction")["Timeout"] = 30
		}},
		{"APIInvokesSlowFunction", "timeouts-compose", "ApiFunction", func(t *testing.T, tpl *Template) {
			addStatement(t, tpl, "ApiFunctionRole", map[string]any{"Sid": "Invoke", "Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": getAttOf("WorkspaceFunction", "Arn")})
		}},
		{"ScheduleWithoutDLQ", "schedules", "ExpireRequestsFunctionEveryMinute", func(t *testing.T, tpl *Template) {
			delete(schedule(t, tpl)["Target"].(map[string]any), "DeadLetterConfig")
		}},
		{"ScheduleWithoutRetryPolicy", "schedules", "ExpireRequestsFunctionEveryMinute", func(t *testing.T, tpl *Template) {
			delete(schedule(t, tpl)["Target"].(map[string]any), "RetryPolicy")
		}},
		// CORS.
		{"PreflightMeetsTheAuthorizer", "cors", "HttpApi", func(t *testing.T, tpl *Template) {
			delete(get(props(t, tpl, "HttpApi"), "Body", "paths", "/v1/{proxy+}").(map[string]any), "options")
		}},
		{"AnyOrigin", "cors", "HttpApi", func(t *testing.T, tpl *Template) {
			get(props(t, tpl, "HttpApi"), "Body", "x-amazon-apigateway-cors").(map[string]any)["allowOrigins"] = []any{"*"}
		}},
		{"NoCORS", "cors", "HttpApi", func(t *testing.T, tpl *Template) {
			delete(get(props(t, tpl, "HttpApi"), "Body").(map[string]any), "x-amazon-apigateway-cors")
		}},
		// Sign-in.
		{"UserPoolAlways", "sign-in", "UserPool", func(t *testing.T, tpl *Template) { tpl.Resources["UserPool"].Condition = "" }},
		{"ImplicitFlow", "sign-in", "UserPoolClient", func(t *testing.T, tpl *Template) {
			props(t, tpl, "UserPoolClient")["AllowedOAuthFlows"] = []any{"implicit"}
		}},
		{"ClientSecret", "sign-in", "UserPoolClient", func(t *testing.T, tpl *Template) {
			props(t, tpl, "UserPoolClient")["GenerateSecret"] = true
		}},
		{"UnverifiedEmail", "sign-in", "UserPool", func(t *testing.T, tpl *Template) {
			delete(props(t, tpl, "UserPool"), "AutoVerifiedAttributes")
		}},
		{"NoSignInUrl", "sign-in", "Outputs", func(t *testing.T, tpl *Template) { delete(tpl.Outputs, "SignInUrl") }},
		// Alarms.
		{"ThrottleAlarmThatNeverFires", "alarms", "TableThrottleAlarm", func(t *testing.T, tpl *Template) {
			p := props(t, tpl, "TableThrottleAlarm")
			delete(p, "Metrics")
			p["Namespace"], p["MetricName"], p["Statistic"] = "AWS/DynamoDB", "ThrottledRequests", "Sum"
			p["Dimensions"] = []any{map[string]any{"Name": "TableName", "Value": map[string]any{"Ref": "Table"}}}
		}},
		{"SumWithoutFill", "alarms", "BackgroundErrorsAlarm", func(t *testing.T, tpl *Template) {
			metricExpression(t, tpl, "BackgroundErrorsAlarm")["Expression"] = "e0 + e1 + e2 + e3"
		}},
		{"UnwatchedFunctions", "alarms", "WorkspaceFunction", func(t *testing.T, tpl *Template) { delete(tpl.Resources, "WorkflowStepErrorsAlarm") }},
		{"UnwatchedStream", "alarms", "AuditStreamMapping", func(t *testing.T, tpl *Template) { delete(tpl.Resources, "AuditStreamAgeAlarm") }},
		{"UnwatchedQueues", "alarms", "ScheduleFailures", func(t *testing.T, tpl *Template) { delete(tpl.Resources, "FailureQueuesAlarm") }},
		{"UnwatchedExecutions", "alarms", "RotationStateMachine", func(t *testing.T, tpl *Template) { delete(tpl.Resources, "ExecutionsFailedAlarm") }},
		{"AlarmNotifiesNobody", "alarms", "Api5xxAlarm", func(t *testing.T, tpl *Template) { delete(props(t, tpl, "Api5xxAlarm"), "AlarmActions") }},
		{"ElevenMetrics", "alarms", "WorkflowStepErrorsAlarm", func(t *testing.T, tpl *Template) {
			p := props(t, tpl, "WorkflowStepErrorsAlarm")
			ms := list(p["Metrics"])
			for len(ms) < 12 {
				ms = append(ms, ms[0])
			}
			p["Metrics"] = ms
		}},
		{"AlarmEmailGoesNowhere", "alarms", "AlarmEmail", func(t *testing.T, tpl *Template) { delete(tpl.Resources, "AlarmSubscription") }},
		// Stream consumers.
		{"StreamOutOfOrder", "stream-consumers", "AuditStreamMapping", func(t *testing.T, tpl *Template) {
			props(t, tpl, "AuditStreamMapping")["ParallelizationFactor"] = 4
		}},
		{"PoisonBlocksTheShard", "stream-consumers", "NotifyMapping", func(t *testing.T, tpl *Template) {
			delete(props(t, tpl, "NotifyMapping"), "MaximumRetryAttempts")
		}},
		{"NoFailureDestination", "stream-consumers", "AuditStreamMapping", func(t *testing.T, tpl *Template) {
			delete(props(t, tpl, "AuditStreamMapping"), "DestinationConfig")
		}},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.rule] = true
		t.Run(c.name, func(t *testing.T) {
			tpl := transformed(t)
			c.mutate(t, tpl)
			var got []string
			for _, f := range Check(tpl) {
				if f.Rule == c.rule && f.Resource == c.resource {
					return
				}
				got = append(got, f.String())
			}
			t.Fatalf("no %s finding on %s; findings: %v", c.rule, c.resource, got)
		})
	}
	for _, r := range Rules {
		if !covered[r.Name] {
			t.Errorf("rule %s has no regression case", r.Name)
		}
	}
}

// TestSamconfigOverridesAreParameters: every parameter override in samconfig.toml
// names a template parameter (CloudFormation refuses unknown ones at deploy), and
// none reintroduces an issuer that does not exist.
func TestSamconfigOverridesAreParameters(t *testing.T) {
	tpl := transformed(t)
	data, err := os.ReadFile("../../samconfig.toml")
	if err != nil {
		t.Fatal(err)
	}
	overrides := regexp.MustCompile(`(?m)^\s*"([A-Za-z0-9]+)=([^"]*)",?\s*$`).FindAllStringSubmatch(string(data), -1)
	if len(overrides) == 0 {
		t.Fatal("no parameter overrides found")
	}
	for _, m := range overrides {
		if tpl.Parameters[m[1]] == nil {
			t.Errorf("samconfig.toml overrides %s, which template.yaml does not declare", m[1])
		}
		if m[1] == "JwtIssuer" && strings.Contains(m[2], "EXAMPLE") {
			t.Errorf("samconfig.toml points JwtIssuer at an example issuer (%s): a first deploy would give an API nobody can call", m[2])
		}
	}
}
