package dynamo

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

type (
	dynamodbUpdate = dynamodb.UpdateItemInput
	transactInput  = dynamodb.TransactWriteItemsInput
)

func isConditionFailed(err error) bool {
	var c *types.ConditionalCheckFailedException
	return errors.As(err, &c)
}

func isCancelled(err error) bool {
	var c *types.TransactionCanceledException
	return errors.As(err, &c)
}

// marshalList encodes a slice as a DynamoDB list (for list_append).
func marshalList(v any) (types.AttributeValue, error) {
	return attributevalue.MarshalWithOptions(v, jsonTags)
}

// cancellationReasons lists a cancelled transaction's reasons, item by item.
func cancellationReasons(err error) string {
	var c *types.TransactionCanceledException
	if !errors.As(err, &c) {
		return err.Error()
	}
	var out []string
	for i, r := range c.CancellationReasons {
		out = append(out, fmt.Sprintf("%d:%s", i, aws.ToString(r.Code)))
	}
	return strings.Join(out, " ")
}
