// Command baseline is a hello-world Lambda function in Go: the Go runtime and the
// Lambda client library, nothing else. make bench starts it beside every
// function, so each function's init is judged against what any Go function
// costs to start on the same machine in the same run.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, struct{}) (string, error) { return "hello", nil })
}
