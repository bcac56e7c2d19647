// Command events is the Lambda function the table's stream feeds with every
// audited change: it publishes each as an EventBridge event and writes the
// webhook deliveries the change calls for.
package main

import (
	"github.com/accesshive/accesshive/functions/events/handler"
	"github.com/accesshive/accesshive/shared/lambdaenv"
)

func main() { lambdaenv.Run(handler.Build) }
