// Command provisioning is the Lambda function behind the provisioning steps that
// need no Google code; the state's input names the step.
package main

import (
	"github.com/accesshive/accesshive/functions/provisioning/handler"
	"github.com/accesshive/accesshive/shared/lambdaenv"
)

func main() { lambdaenv.Run(handler.Build) }
