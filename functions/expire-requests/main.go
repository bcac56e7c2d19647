// Command expire-requests is the Lambda function EventBridge Scheduler invokes
// every minute to expire pending access requests past their window and end
// time-bound access.
package main

import (
	"github.com/accesshive/accesshive/functions/expire-requests/handler"
	"github.com/accesshive/accesshive/shared/lambdaenv"
)

func main() { lambdaenv.Run(handler.Build) }
