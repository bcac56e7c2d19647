// Command workspace is the Lambda function behind every workflow's Google
// Workspace step, and the only one that links the Admin SDK.
package main

import (
	"github.com/accesshive/accesshive/functions/workspace/handler"
	"github.com/accesshive/accesshive/shared/lambdaenv"
)

func main() { lambdaenv.Run(handler.Build) }
