package motoserver

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/accesshive/accesshive/infra/benchresult"
)

// BenchmarkEngineAtTableSize measures one two-item TransactWriteItems and one
// GetItem on a stream-enabled table of 1,000, 10,000 and 50,000 items (make bench
// writes engine.json). DynamoDB's latency does not depend on the table's size;
// moto's transactions did (a whole-table copy each), which the launcher corrects.
func BenchmarkEngineAtTableSize(b *testing.B) {
	const samples = 40
	c := cfg(shared(b).URL)
	db := dynamodb.NewFromConfig(c)
	ctx := context.Background()
	var rows []benchresult.Engine
	for _, size := range []int{1000, 10000, 50000} {
		table := streamTable(b, db)
		fill(b, db, table, size)
		var tx, get []time.Duration
		for i := range samples {
			start := time.Now()
			if _, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []ddbtypes.TransactWriteItem{
				put(table, fmt.Sprintf("tx-%d", i), "attribute_not_exists(PK)"),
				{Update: &ddbtypes.Update{TableName: &table, Key: map[string]ddbtypes.AttributeValue{"PK": s("P"), "SK": s("item-1")},
					UpdateExpression: aws.String("SET n = :n"), ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":n": s(fmt.Sprint(i))}}},
			}}); err != nil {
				b.Fatal(err)
			}
			tx = append(tx, time.Since(start))
			start = time.Now()
			if _, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: map[string]ddbtypes.AttributeValue{"PK": s("P"), "SK": s(fmt.Sprintf("item-%d", i))}}); err != nil {
				b.Fatal(err)
			}
			get = append(get, time.Since(start))
		}
		rows = append(rows, row("TransactWriteItems (2 items)", size, tx), row("GetItem", size, get))
		b.Logf("%d items: transaction p50 %.1f ms, GetItem p50 %.1f ms", size, rows[len(rows)-2].P50Ms, rows[len(rows)-1].P50Ms)
	}
	benchresult.Write(b, "engine.json", rows)
}

func row(call string, size int, d []time.Duration) benchresult.Engine {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	ms := func(x time.Duration) float64 { return float64(x) / float64(time.Millisecond) }
	return benchresult.Engine{Call: call, Items: size, Samples: len(d), P50Ms: ms(d[len(d)/2]), P99Ms: ms(d[int(float64(len(d)-1)*0.99+0.5)])}
}

// fill writes size items of about 300 bytes with BatchWriteItem.
func fill(b *testing.B, db *dynamodb.Client, table string, size int) {
	b.Helper()
	pad := &ddbtypes.AttributeValueMemberS{Value: fmt.Sprintf("%0300d", 0)}
	for start := 0; start < size; start += 25 {
		var reqs []ddbtypes.WriteRequest
		for i := start; i < min(start+25, size); i++ {
			reqs = append(reqs, ddbtypes.WriteRequest{PutRequest: &ddbtypes.PutRequest{Item: map[string]ddbtypes.AttributeValue{
				"PK": s("P"), "SK": s(fmt.Sprintf("item-%d", i)), "pad": pad}}})
		}
		if _, err := db.BatchWriteItem(context.Background(), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]ddbtypes.WriteRequest{table: reqs}}); err != nil {
			b.Fatal(err)
		}
	}
}
