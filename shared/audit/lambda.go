package audit

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/accesshive/accesshive/shared/lambdaenv"
)

// NewLambda builds the audit-stream function from its environment (AUDIT_TABLE_NAME).
func NewLambda(env lambdaenv.Env, cfg aws.Config) (*Writer, error) {
	vars, err := env.Required("AUDIT_TABLE_NAME")
	if err != nil {
		return nil, fmt.Errorf("audit-stream function: %w", err)
	}
	return &Writer{DB: dynamodb.NewFromConfig(cfg), Table: vars["AUDIT_TABLE_NAME"]}, nil
}
