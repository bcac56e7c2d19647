package motoserver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

var (
	engineOnce sync.Once
	engine     *Server
	engineErr  error
	tableSeq   atomic.Int64
)

func TestMain(m *testing.M) {
	code := m.Run()
	engine.Stop()
	os.Exit(code)
}

// shared returns the engine every test of this package uses.
func shared(t testing.TB) *Server {
	t.Helper()
	engineOnce.Do(func() { engine, engineErr = Start(context.Background()) })
	if engineErr != nil {
		t.Fatal(engineErr)
	}
	return engine
}

func cfg(url string) aws.Config {
	return aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint: aws.String(url)}
}

func s(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: v} }

// streamTable creates a PK/SK table with a NEW_AND_OLD_IMAGES stream.
func streamTable(t testing.TB, db *dynamodb.Client) string {
	t.Helper()
	name := fmt.Sprintf("engine-%s-%d", strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()), tableSeq.Add(1))
	_, err := db.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:   &name,
		BillingMode: ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{
			{AttributeName: aws.String("PK"), AttributeType: ddbtypes.ScalarAttributeTypeS},
			{AttributeName: aws.String("SK"), AttributeType: ddbtypes.ScalarAttributeTypeS},
		},
		KeySchema: []ddbtypes.KeySchemaElement{
			{AttributeName: aws.String("PK"), KeyType: ddbtypes.KeyTypeHash},
			{AttributeName: aws.String("SK"), KeyType: ddbtypes.KeyTypeRange},
		},
		StreamSpecification: &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddbtypes.StreamViewTypeNewAndOldImages},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &name}) })
	return name
}

// reader reads a table's stream from the start, keeping its iterator as a poller does.
type reader struct {
	t        testing.TB
	client   *dynamodbstreams.Client
	iterator *string
}

func newReader(t testing.TB, c aws.Config, db *dynamodb.Client, table string) *reader {
	t.Helper()
	ctx := context.Background()
	out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &table})
	if err != nil {
		t.Fatal(err)
	}
	client := dynamodbstreams.NewFromConfig(c)
	desc, err := client.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: out.Table.LatestStreamArn})
	if err != nil {
		t.Fatal(err)
	}
	it, err := client.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: out.Table.LatestStreamArn,
		ShardId: desc.StreamDescription.Shards[0].ShardId, ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	return &reader{t: t, client: client, iterator: it.ShardIterator}
}

// next returns the records written since the last call, as "EVENT SK".
func (r *reader) next() []string {
	r.t.Helper()
	out, err := r.client.GetRecords(context.Background(), &dynamodbstreams.GetRecordsInput{ShardIterator: r.iterator})
	if err != nil {
		r.t.Fatal(err)
	}
	r.iterator = out.NextShardIterator
	var got []string
	for _, rec := range out.Records {
		sk := rec.Dynamodb.Keys["SK"].(*stypes.AttributeValueMemberS).Value
		got = append(got, string(rec.EventName)+" "+sk)
	}
	return got
}

func put(table, sk string, cond string) ddbtypes.TransactWriteItem {
	p := &ddbtypes.Put{TableName: &table, Item: map[string]ddbtypes.AttributeValue{"PK": s("P"), "SK": s(sk), "v": s("1")}}
	if cond != "" {
		p.ConditionExpression = &cond
	}
	return ddbtypes.TransactWriteItem{Put: p}
}

// TestCancelledTransactionLeavesNothing: a transaction refused by one condition
// writes no item and no stream record, and the stream reader that was reading
// before it goes on reading what comes after (moto restored a whole-table copy,
// which kept the records and replaced the shard under the reader).
func TestCancelledTransactionLeavesNothing(t *testing.T) {
	c := cfg(shared(t).URL)
	db := dynamodb.NewFromConfig(c)
	ctx := context.Background()
	table := streamTable(t, db)
	r := newReader(t, c, db, table)

	if _, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []ddbtypes.TransactWriteItem{
		put(table, "A", ""), put(table, "GUARD", "attribute_not_exists(PK)")}}); err != nil {
		t.Fatal(err)
	}
	if got := r.next(); strings.Join(got, ",") != "INSERT A,INSERT GUARD" {
		t.Fatalf("records after the first transaction = %v", got)
	}
	// The same guard again: cancelled, and B must not exist.
	_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []ddbtypes.TransactWriteItem{
		put(table, "B", ""), put(table, "GUARD", "attribute_not_exists(PK)")}})
	var cancelled *ddbtypes.TransactionCanceledException
	if !errors.As(err, &cancelled) {
		t.Fatalf("err = %v, want TransactionCanceledException", err)
	}
	if got := aws.ToString(cancelled.CancellationReasons[1].Code); got != "ConditionalCheckFailed" {
		t.Fatalf("reason = %q", got)
	}
	item, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: map[string]ddbtypes.AttributeValue{"PK": s("P"), "SK": s("B")}})
	if err != nil || item.Item != nil {
		t.Fatalf("B after the cancelled transaction: %v %v", item.Item, err)
	}
	if got := r.next(); len(got) != 0 {
		t.Fatalf("the cancelled transaction left stream records %v", got)
	}
	if _, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []ddbtypes.TransactWriteItem{
		put(table, "C", ""), put(table, "GUARD2", "attribute_not_exists(PK)")}}); err != nil {
		t.Fatal(err)
	}
	if got := r.next(); strings.Join(got, ",") != "INSERT C,INSERT GUARD2" {
		t.Fatalf("records after the cancelled transaction = %v (the reader must keep reading)", got)
	}
}

// TestCancelledTransactionRestoresUpdatesAndDeletes: every kind of write in a
// cancelled transaction is undone, including an update that created its item.
func TestCancelledTransactionRestoresUpdatesAndDeletes(t *testing.T) {
	c := cfg(shared(t).URL)
	db := dynamodb.NewFromConfig(c)
	ctx := context.Background()
	table := streamTable(t, db)
	for _, sk := range []string{"KEEP", "CHANGE"} {
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: map[string]ddbtypes.AttributeValue{"PK": s("P"), "SK": s(sk), "v": s("1")}}); err != nil {
			t.Fatal(err)
		}
	}
	r := newReader(t, c, db, table)
	r.next()
	k := func(sk string) map[string]ddbtypes.AttributeValue {
		return map[string]ddbtypes.AttributeValue{"PK": s("P"), "SK": s(sk)}
	}
	_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []ddbtypes.TransactWriteItem{
		{Delete: &ddbtypes.Delete{TableName: &table, Key: k("KEEP")}},
		{Update: &ddbtypes.Update{TableName: &table, Key: k("CHANGE"), UpdateExpression: aws.String("SET v = :v"),
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":v": s("2")}}},
		{Update: &ddbtypes.Update{TableName: &table, Key: k("NEW"), UpdateExpression: aws.String("SET v = :v"),
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":v": s("2")}}},
		{ConditionCheck: &ddbtypes.ConditionCheck{TableName: &table, Key: k("MISSING"), ConditionExpression: aws.String("attribute_exists(PK)")}},
	}})
	var cancelled *ddbtypes.TransactionCanceledException
	if !errors.As(err, &cancelled) {
		t.Fatalf("err = %v, want TransactionCanceledException", err)
	}
	for sk, want := range map[string]string{"KEEP": "1", "CHANGE": "1", "NEW": ""} {
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: k(sk)})
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if out.Item != nil {
			got = out.Item["v"].(*ddbtypes.AttributeValueMemberS).Value
		}
		if got != want {
			t.Errorf("%s after the cancelled transaction: v=%q, want %q", sk, got, want)
		}
	}
	if got := r.next(); len(got) != 0 {
		t.Fatalf("stream records of a cancelled transaction: %v", got)
	}
}

// TestOneRecordPerChange: an UpdateItem that creates its item is one INSERT with the
// whole new image (moto wrote an INSERT of the bare key and then a MODIFY), and a
// write that changes nothing writes no record, as DynamoDB documents.
func TestOneRecordPerChange(t *testing.T) {
	c := cfg(shared(t).URL)
	db := dynamodb.NewFromConfig(c)
	ctx := context.Background()
	table := streamTable(t, db)
	r := newReader(t, c, db, table)
	key := map[string]ddbtypes.AttributeValue{"PK": s("P"), "SK": s("U")}
	update := func(v string) {
		t.Helper()
		if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table, Key: key, UpdateExpression: aws.String("SET v = :v"),
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":v": s(v)}}); err != nil {
			t.Fatal(err)
		}
	}
	update("1")
	out, err := r.client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: r.iterator})
	if err != nil {
		t.Fatal(err)
	}
	r.iterator = out.NextShardIterator
	if len(out.Records) != 1 || out.Records[0].EventName != stypes.OperationTypeInsert {
		t.Fatalf("records of an UpdateItem creating its item: %d", len(out.Records))
	}
	if v, ok := out.Records[0].Dynamodb.NewImage["v"].(*stypes.AttributeValueMemberS); !ok || v.Value != "1" {
		t.Fatalf("INSERT's new image = %v, want the updated item", out.Records[0].Dynamodb.NewImage)
	}
	update("1")
	if got := r.next(); len(got) != 0 {
		t.Fatalf("an update that changes nothing wrote %v", got)
	}
	update("2")
	if got := r.next(); strings.Join(got, ",") != "MODIFY U" {
		t.Fatalf("records = %v, want one MODIFY", got)
	}
}

// TestFailedUpdateLeavesItem: an UpdateItem that fails while it applies (ADD to a
// string) leaves the item as it was and writes no stream record.
func TestFailedUpdateLeavesItem(t *testing.T) {
	c := cfg(shared(t).URL)
	db := dynamodb.NewFromConfig(c)
	ctx := context.Background()
	table := streamTable(t, db)
	r := newReader(t, c, db, table)
	key := map[string]ddbtypes.AttributeValue{"PK": s("P"), "SK": s("F")}
	_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table, Key: key,
		UpdateExpression:          aws.String("SET a = :a, b = :b + :a"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":a": s("x"), ":b": &ddbtypes.AttributeValueMemberN{Value: "1"}}})
	if err == nil {
		t.Fatal("adding a string to a number succeeded")
	}
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: key})
	if err != nil || out.Item != nil {
		t.Fatalf("item after a failed update: %v %v", out.Item, err)
	}
	if got := r.next(); len(got) != 0 {
		t.Fatalf("a failed update wrote %v", got)
	}
}
