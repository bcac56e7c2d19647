// Package rotatecall is how the API asks RotateCredentialFunction to rotate a
// managed identity's password. It is apart from package rotation so the API does
// not link the Google client.
package rotatecall

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// Request names the identity whose password changes.
type Request struct {
	AgencyID   string `json:"agencyId"`
	ClientID   string `json:"clientId"`
	IdentityID string `json:"identityId"`
	Email      string `json:"email"`
}

// LambdaAPI is the part of the Lambda client the API uses to call the rotation.
type LambdaAPI interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// Remote rotates by invoking RotateCredentialFunction synchronously.
type Remote struct {
	Client   LambdaAPI
	Function string
}

// Rotate invokes the function for an identity; its error comes back as the
// function error.
func (r *Remote) Rotate(ctx context.Context, i ah.ClientIdentity) error {
	payload, _ := json.Marshal(Request{AgencyID: i.AgencyID, ClientID: i.ClientID, IdentityID: i.ID, Email: i.Email})
	out, err := r.Client.Invoke(ctx, &lambda.InvokeInput{FunctionName: &r.Function, Payload: payload})
	if err != nil {
		return fmt.Errorf("invoke rotation: %w", err)
	}
	if out.FunctionError != nil {
		var fe struct {
			ErrorMessage string `json:"errorMessage"`
		}
		_ = json.Unmarshal(out.Payload, &fe)
		return fmt.Errorf("rotation failed: %s", fe.ErrorMessage)
	}
	return nil
}
