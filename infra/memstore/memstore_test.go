package memstore_test

import (
	"testing"

	"github.com/accesshive/accesshive/infra/memstore"
	"github.com/accesshive/accesshive/infra/storecontract"
	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// TestContract: the in-memory store behaves as the DynamoDB adapter does
// (shared/dynamo runs the same cases against the local engine).
func TestContract(t *testing.T) {
	storecontract.Run(t, func(*testing.T) ah.Store { return memstore.New() })
}
