// Command api is the AccessHive HTTP API Lambda function.
package main

import (
	_ "time/tzdata" // timezone validation must not depend on the runtime image

	"github.com/accesshive/accesshive/functions/api/handler"
	"github.com/accesshive/accesshive/shared/lambdaenv"
)

func main() { lambdaenv.Run(handler.Build) }
