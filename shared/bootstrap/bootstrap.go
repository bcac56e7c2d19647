// Package bootstrap is the operator's one-time setup: it creates an agency with its
// first owner and default security policy through the same service code the API
// uses. The owner signs in with the identity provider; their verified email binds
// them at first sign-in (or ownerSubject binds them at once).
package bootstrap

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/dynamo"
	"github.com/accesshive/accesshive/shared/lambdaenv"
	"github.com/accesshive/accesshive/shared/service"
)

// Handler is the bootstrap function's handler.
type Handler func(context.Context, ah.NewAgencyInput) (service.CreateAgencyResult, error)

// NewLambda builds the bootstrap function from its environment (TABLE_NAME).
func NewLambda(env lambdaenv.Env, cfg aws.Config) (Handler, error) {
	vars, err := env.Required("TABLE_NAME")
	if err != nil {
		return nil, fmt.Errorf("bootstrap function: %w", err)
	}
	svc := service.New(service.Options{Store: dynamo.NewStore(dynamodb.NewFromConfig(cfg), vars["TABLE_NAME"])})
	return svc.CreateAgency, nil
}
