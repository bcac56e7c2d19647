package httpapi_test

import (
	"os"
	"testing"

	"github.com/accesshive/accesshive/infra/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }
