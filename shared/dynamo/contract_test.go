package dynamo_test

import (
	"testing"

	"github.com/accesshive/accesshive/infra/storecontract"
	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// TestContract: the DynamoDB adapter against the local engine, through the same
// cases as the in-memory store the service's tests use.
func TestContract(t *testing.T) {
	storecontract.Run(t, func(t *testing.T) ah.Store {
		s, _ := newStore(t)
		return s
	})
}
