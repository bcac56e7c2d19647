// Command bootstrap is the Lambda function an operator invokes once to create the
// first agency and its owner.
package main

import (
	"github.com/accesshive/accesshive/functions/bootstrap/handler"
	"github.com/accesshive/accesshive/shared/lambdaenv"
)

func main() { lambdaenv.Run(handler.Build) }
