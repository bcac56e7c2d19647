package dynamo

import (
	"errors"

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
