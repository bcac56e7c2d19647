// Command webhooks is the Lambda function that sends webhook deliveries: new
// ones from the table's stream, due retries on a schedule.
package main

import (
	"github.com/accesshive/accesshive/functions/webhooks/handler"
	"github.com/accesshive/accesshive/shared/lambdaenv"
)

func main() { lambdaenv.Run(handler.Build) }
