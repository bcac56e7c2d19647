package awsfront

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/accesshive/accesshive/infra/iam"
	"github.com/accesshive/accesshive/infra/motoserver"
)

var (
	engineOnce sync.Once
	engine     *motoserver.Server
	engineErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	engine.Stop()
	os.Exit(code)
}

const table = "front-test"

// env is an engine (the one make run uses) behind a front that knows one
// restricted principal, "Reader".
type env struct {
	admin, reader aws.Config
	db            *dynamodb.Client
}

func setup(t *testing.T) env {
	t.Helper()
	engineOnce.Do(func() { engine, engineErr = motoserver.Start(context.Background()) })
	if engineErr != nil {
		t.Fatal(engineErr)
	}
	tableARN := "arn:aws:dynamodb:us-east-1:000000000000:table/" + table
	reader := &iam.Principal{Name: "Reader", ARN: "arn:aws:sts::000000000000:assumed-role/ReaderRole/reader", Policies: []iam.Policy{{
		Name: "p", Statements: []iam.Statement{
			{Effect: "Allow", Action: []string{"dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"}, Resource: []string{tableARN}},
			{Effect: "Allow", Action: []string{"secretsmanager:GetSecretValue"}, Resource: []string{"arn:aws:secretsmanager:us-east-1:000000000000:secret:app/*"}},
		}}}}
	f, err := New(Options{Engine: engine.URL, Region: "us-east-1", Account: "000000000000", Principals: map[string]*iam.Principal{"Reader": reader}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg := func(key string) aws.Config {
		return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider(key, "x", "")}
	}
	e := env{admin: cfg("admin"), reader: cfg("Reader")}
	e.db = dynamodb.NewFromConfig(e.admin)
	_, err = e.db.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName: aws.String(table), BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("PK"), AttributeType: "S"}, {AttributeName: aws.String("SK"), AttributeType: "S"},
			{AttributeName: aws.String("GSI1PK"), AttributeType: "S"}, {AttributeName: aws.String("GSI1SK"), AttributeType: "S"}},
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("PK"), KeyType: "HASH"}, {AttributeName: aws.String("SK"), KeyType: "RANGE"}},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{IndexName: aws.String("GSI1"), Projection: &types.Projection{ProjectionType: "ALL"},
			KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("GSI1PK"), KeyType: "HASH"}, {AttributeName: aws.String("GSI1SK"), KeyType: "RANGE"}}}},
	})
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		t.Fatal(err)
	}
	return e
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func k(sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"PK": s("P"), "SK": s(sk)}
}

func code(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

// TestDynamoDBRulesThroughTheFront: each rule refuses through the real SDK and the
// engine make run uses, with DynamoDB's error type, and writes nothing.
func TestDynamoDBRulesThroughTheFront(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	tbl := aws.String(table)
	long := func(n int) string { return strings.Repeat("x", n) }
	var puts []types.TransactWriteItem
	for i := range 101 {
		puts = append(puts, types.TransactWriteItem{Put: &types.Put{TableName: tbl, Item: k(fmt.Sprintf("many-%d", i))}})
	}
	var writes []types.WriteRequest
	for i := range 26 {
		writes = append(writes, types.WriteRequest{PutRequest: &types.PutRequest{Item: k(fmt.Sprintf("batch-%d", i))}})
	}
	var gets []map[string]types.AttributeValue
	for i := range 101 {
		gets = append(gets, k(fmt.Sprintf("get-%d", i)))
	}
	tests := []struct {
		name    string
		call    func() error
		want    string
		written string // the SK a wrongly accepted call would have written
	}{
		{"UnusedValueInTransaction", func() error {
			_, err := e.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{Update: &types.Update{
				TableName: tbl, Key: k("unused"), UpdateExpression: aws.String("SET a = :a"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":a": s("1"), ":one": &types.AttributeValueMemberN{Value: "1"}}}}}})
			return err
		}, "unused in expressions: keys: {:one}", "unused"},
		{"UndefinedName", func() error {
			_, err := e.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tbl, Key: k("undefined"), UpdateExpression: aws.String("SET #a = :a"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":a": s("1")}})
			return err
		}, "attribute name used in the document path is not defined; attribute name: #a", "undefined"},
		{"ReservedWord", func() error {
			_, err := e.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tbl, Key: k("reserved"), UpdateExpression: aws.String("SET status = :a"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":a": s("1")}})
			return err
		}, "reserved keyword: status", "reserved"},
		{"PartitionKeyTooLong", func() error {
			_, err := e.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: tbl, Item: map[string]types.AttributeValue{"PK": s(long(2049)), "SK": s("pk")}})
			return err
		}, "Size of hashkey has exceeded", ""},
		{"SortKeyTooLong", func() error {
			_, err := e.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: tbl, Key: k(long(1025))})
			return err
		}, "range keys has exceeded the size limit of 1024 bytes", ""},
		{"ItemTooLarge", func() error {
			_, err := e.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: tbl, Item: map[string]types.AttributeValue{"PK": s("P"), "SK": s("big"), "d": s(long(400 * 1024))}})
			return err
		}, "Item size has exceeded the maximum allowed size", "big"},
		{"TransactionTooManyItems", func() error {
			_, err := e.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: puts})
			return err
		}, "less than or equal to 100", "many-0"},
		{"TransactionSameItemTwice", func() error {
			_, err := e.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{Put: &types.Put{TableName: tbl, Item: k("twice")}},
				{ConditionCheck: &types.ConditionCheck{TableName: tbl, Key: k("twice"), ConditionExpression: aws.String("attribute_not_exists(PK)")}}}})
			return err
		}, "multiple operations on one item", "twice"},
		{"BatchWriteTooMany", func() error {
			_, err := e.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: writes}})
			return err
		}, "less than or equal to 25", "batch-0"},
		{"BatchGetTooMany", func() error {
			_, err := e.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{table: {Keys: gets}}})
			return err
		}, "Too many items requested", ""},
		{"KeyWrongType", func() error {
			_, err := e.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: tbl, Item: map[string]types.AttributeValue{"PK": s("P"), "SK": &types.AttributeValueMemberN{Value: "1"}}})
			return err
		}, "Type mismatch for key SK expected: S actual: N", ""},
		{"EmptyIndexKey", func() error {
			_, err := e.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: tbl, Item: map[string]types.AttributeValue{"PK": s("P"), "SK": s("emptygsi"), "GSI1PK": s("")}})
			return err
		}, "IndexName: GSI1, IndexKey: GSI1PK", "emptygsi"},
		{"TableName", func() error {
			_, err := e.db.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("a b"), BillingMode: types.BillingModePayPerRequest,
				AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("PK"), AttributeType: "S"}},
				KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("PK"), KeyType: "HASH"}}})
			return err
		}, "regular expression pattern", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if code(err) != "ValidationException" || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ValidationException %q", err, tt.want)
			}
			if tt.written != "" {
				out, err := e.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: tbl, Key: k(tt.written)})
				if err != nil || out.Item != nil {
					t.Fatalf("refused call wrote %v (err %v)", out.Item, err)
				}
			}
		})
	}
}

// TestIAMThroughTheFront: a principal's calls are held to its policies, per item of
// a transaction, per index of a query; the refusal is AccessDeniedException and
// writes nothing.
func TestIAMThroughTheFront(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	db := dynamodb.NewFromConfig(e.reader)
	tbl := aws.String(table)
	if _, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: tbl, Key: k("x")}); err != nil {
		t.Fatalf("allowed GetItem: %v", err)
	}
	denied := func(name string, err error, action string) {
		t.Helper()
		if code(err) != "AccessDeniedException" || !strings.Contains(err.Error(), "is not authorized to perform: "+action) {
			t.Errorf("%s: err = %v, want AccessDeniedException for %s", name, err, action)
		}
	}
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: tbl, Item: k("iam-put")})
	denied("PutItem", err, "dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table/"+table)
	_, err = db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{TableName: tbl, Key: k("iam-tx"), UpdateExpression: aws.String("SET a = :a"), ExpressionAttributeValues: map[string]types.AttributeValue{":a": s("1")}}},
		{Delete: &types.Delete{TableName: tbl, Key: k("iam-tx2")}}}})
	denied("TransactWriteItems", err, "dynamodb:DeleteItem")
	_, err = db.Query(ctx, &dynamodb.QueryInput{TableName: tbl, IndexName: aws.String("GSI1"), KeyConditionExpression: aws.String("GSI1PK = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("x")}})
	denied("Query on an index", err, "dynamodb:Query on resource: arn:aws:dynamodb:us-east-1:000000000000:table/"+table+"/index/GSI1")
	_, err = secretsmanager.NewFromConfig(e.reader).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("other/secret")})
	denied("GetSecretValue", err, "secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:000000000000:secret:other/secret-")
	out, err := e.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: tbl, Key: k("iam-tx")})
	if err != nil || out.Item != nil {
		t.Fatalf("a denied transaction wrote %v (err %v)", out.Item, err)
	}
}
