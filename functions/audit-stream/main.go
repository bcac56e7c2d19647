// Command audit-stream is the Lambda function the table's stream feeds: it writes
// the audit trail.
package main

import (
	"github.com/accesshive/accesshive/functions/audit-stream/handler"
	"github.com/accesshive/accesshive/shared/lambdaenv"
)

func main() { lambdaenv.Run(handler.Build) }
