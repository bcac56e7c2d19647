package iam

import (
	"errors"
	"strings"
	"testing"
)

func principal(st ...Statement) *Principal {
	return &Principal{Name: "Fn", ARN: "arn:aws:sts::000000000000:assumed-role/FnRole/fn", Policies: []Policy{{Name: "p", Statements: st}}}
}

const table = "arn:aws:dynamodb:us-east-1:000000000000:table/t"

func TestAuthorize(t *testing.T) {
	allowTable := Statement{Effect: "Allow", Action: []string{"dynamodb:GetItem", "dynamodb:Query"}, Resource: []string{table, table + "/index/*"}}
	tests := []struct {
		name    string
		p       *Principal
		req     Request
		wantErr string // "" allowed
	}{
		{"Allowed", principal(allowTable), Request{Action: "dynamodb:GetItem", Resource: table}, ""},
		{"ActionCaseInsensitive", principal(allowTable), Request{Action: "DynamoDB:getitem", Resource: table}, ""},
		{"ImplicitDeny", principal(allowTable), Request{Action: "dynamodb:UpdateItem", Resource: table}, "because no identity-based policy allows the dynamodb:UpdateItem action"},
		{"OtherTable", principal(allowTable), Request{Action: "dynamodb:GetItem", Resource: table + "2"}, "not authorized"},
		{"IndexWildcard", principal(allowTable), Request{Action: "dynamodb:Query", Resource: table + "/index/GSI1"}, ""},
		{"IndexNeedsIndexResource", principal(Statement{Effect: "Allow", Action: []string{"dynamodb:Query"}, Resource: []string{table}}),
			Request{Action: "dynamodb:Query", Resource: table + "/index/GSI1"}, "not authorized"},
		{"ResourceCaseSensitive", principal(allowTable), Request{Action: "dynamodb:GetItem", Resource: strings.ToUpper(table)}, "not authorized"},
		{"ActionWildcard", principal(Statement{Effect: "Allow", Action: []string{"sqs:SendMessage*"}, Resource: []string{"*"}}),
			Request{Action: "sqs:SendMessageBatch", Resource: "arn:aws:sqs:us-east-1:0:q"}, ""},
		{"QuestionMark", principal(Statement{Effect: "Allow", Action: []string{"secretsmanager:GetSecretValue"}, Resource: []string{"arn:x:secret:a-??????"}}),
			Request{Action: "secretsmanager:GetSecretValue", Resource: "arn:x:secret:a-AbCdEf"}, ""},
		{"ExplicitDenyWins", principal(allowTable, Statement{Effect: "Deny", Action: []string{"dynamodb:*"}, Resource: []string{table}}),
			Request{Action: "dynamodb:GetItem", Resource: table}, "with an explicit deny in an identity-based policy"},
		{"NotAction", principal(Statement{Effect: "Allow", NotAction: []string{"dynamodb:DeleteItem"}, Resource: []string{table}}),
			Request{Action: "dynamodb:DeleteItem", Resource: table}, "not authorized"},
		{"NotResource", principal(Statement{Effect: "Deny", Action: []string{"*"}, NotResource: []string{table}}, allowTable),
			Request{Action: "dynamodb:GetItem", Resource: table}, ""},
		{"ConditionMet", principal(Statement{Effect: "Allow", Action: []string{"dynamodb:GetItem"}, Resource: []string{table},
			Condition: map[string]map[string][]string{"ForAllValues:StringLike": {"dynamodb:LeadingKeys": {"AGENCY#a1*"}}}}),
			Request{Action: "dynamodb:GetItem", Resource: table, Context: map[string][]string{"dynamodb:LeadingKeys": {"AGENCY#a1#CLIENT#c"}}}, ""},
		{"ConditionNotMet", principal(Statement{Effect: "Allow", Action: []string{"dynamodb:GetItem"}, Resource: []string{table},
			Condition: map[string]map[string][]string{"ForAllValues:StringLike": {"dynamodb:LeadingKeys": {"AGENCY#a1*"}}}}),
			Request{Action: "dynamodb:GetItem", Resource: table, Context: map[string][]string{"dynamodb:LeadingKeys": {"AGENCY#a2"}}}, "not authorized"},
		{"StringEqualsMissingKey", principal(Statement{Effect: "Allow", Action: []string{"ses:SendEmail"}, Resource: []string{"*"},
			Condition: map[string]map[string][]string{"StringEquals": {"ses:FromAddress": {"a@b.c"}}}}),
			Request{Action: "ses:SendEmail", Resource: "arn:id"}, "not authorized"},
		{"StringNotEqualsDeny", principal(allowTable, Statement{Effect: "Deny", Action: []string{"*"}, Resource: []string{"*"},
			Condition: map[string]map[string][]string{"StringNotEquals": {"aws:RequestedRegion": {"us-east-1"}}}}),
			Request{Action: "dynamodb:GetItem", Resource: table, Context: map[string][]string{"aws:RequestedRegion": {"us-east-1"}}}, ""},
		{"UnknownOperatorFailsLoudly", principal(Statement{Effect: "Allow", Action: []string{"dynamodb:GetItem"}, Resource: []string{table},
			Condition: map[string]map[string][]string{"IpAddress": {"aws:SourceIp": {"10.0.0.0/8"}}}}),
			Request{Action: "dynamodb:GetItem", Resource: table}, "does not evaluate the condition operator IpAddress"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Authorize(tt.req)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("denied: %v", err)
				}
				return
			}
			var d *DeniedError
			if !errors.As(err, &d) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want a DeniedError containing %q", err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "User: arn:aws:sts::000000000000:assumed-role/FnRole/fn is not authorized to perform: ") {
				t.Fatalf("message %q is not AWS's", err)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	for _, tt := range []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"a*b*c", "axxbyyc", true}, {"a*b*c", "axxbyy", false}, {"a?c", "abc", true},
		{"a?c", "ac", false}, {"arn:*:table/t/index/*", "arn:aws:dynamodb:r:1:table/t/index/G/x", true},
	} {
		if got := Match(tt.p, tt.s, false); got != tt.want {
			t.Errorf("Match(%q, %q) = %v", tt.p, tt.s, got)
		}
	}
}
