// Package handler builds the bootstrap function: the operator's one-time setup,
// which creates an agency with its first owner and default security policy through
// the same service code the API uses. The owner signs in with the identity
// provider; their verified email binds them at first sign-in (or ownerSubject binds
// them at once).
package handler

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/accesshive/accesshive/shared/dynamo"
	"github.com/accesshive/accesshive/shared/lambdaenv"
	"github.com/accesshive/accesshive/shared/service"
)

// Build builds the handler from the environment (TABLE_NAME).
func Build(_ context.Context, f lambdaenv.Function) (any, error) {
	vars, err := f.Env.Required("TABLE_NAME")
	if err != nil {
		return nil, fmt.Errorf("bootstrap function: %w", err)
	}
	svc := service.New(service.Options{Clock: service.ClockFunc(f.Now), Store: dynamo.NewStore(dynamodb.NewFromConfig(f.AWS), vars["TABLE_NAME"]), Logger: f.Log})
	return svc.CreateAgency, nil
}
