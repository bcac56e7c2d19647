// Command notify is the Lambda function the table's stream feeds with access
// request changes: it notifies the people they concern.
package main

import (
	"github.com/accesshive/accesshive/functions/notify/handler"
	"github.com/accesshive/accesshive/shared/lambdaenv"
)

func main() { lambdaenv.Run(handler.Build) }
