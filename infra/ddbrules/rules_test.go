package ddbrules

import (
	"fmt"
	"strings"
	"testing"
)

var testSchema = &Schema{
	Hash: "PK", Range: "SK",
	Types:   map[string]string{"PK": "S", "SK": "S", "GSI1PK": "S", "GSI1SK": "S", "N1": "N"},
	Indexes: []Index{{Name: "GSI1", Hash: "GSI1PK", Range: "GSI1SK"}},
}

func schemas(table string) (*Schema, error) {
	if table == "missing" {
		return nil, nil
	}
	return testSchema, nil
}

const key = `"Key":{"PK":{"S":"a"},"SK":{"S":"b"}}`

func TestCheck(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name string
		op   string
		body string
		want string // substring of the message; "" accepts
	}{
		// Expression attribute names and values.
		{"OK", "UpdateItem", `{"TableName":"t1x",` + key + `,"UpdateExpression":"SET #s = :s","ExpressionAttributeNames":{"#s":"status"},"ExpressionAttributeValues":{":s":{"S":"x"}}}`, ""},
		{"UnusedValue", "UpdateItem", `{"TableName":"t1x",` + key + `,"UpdateExpression":"SET a = :a","ExpressionAttributeValues":{":a":{"S":"x"},":one":{"N":"1"}}}`, "Value provided in ExpressionAttributeValues unused in expressions: keys: {:one}"},
		{"UnusedName", "PutItem", `{"TableName":"t1x","Item":{"PK":{"S":"a"},"SK":{"S":"b"}},"ConditionExpression":"attribute_not_exists(PK)","ExpressionAttributeNames":{"#st":"status"}}`, "Value provided in ExpressionAttributeNames unused in expressions: keys: {#st}"},
		{"UnusedNamesListed", "Query", `{"TableName":"t1x","KeyConditionExpression":"PK = :p","ExpressionAttributeNames":{"#b":"b","#a":"a"},"ExpressionAttributeValues":{":p":{"S":"a"}}}`, "keys: {#a, #b}"},
		{"UndefinedValue", "DeleteItem", `{"TableName":"t1x",` + key + `,"ConditionExpression":"version = :v"}`, "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :v"},
		{"UndefinedName", "Query", `{"TableName":"t1x","KeyConditionExpression":"#pk = :p","ExpressionAttributeValues":{":p":{"S":"a"}}}`, "Invalid KeyConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #pk"},
		{"EmptyValues", "PutItem", `{"TableName":"t1x","Item":{"PK":{"S":"a"},"SK":{"S":"b"}},"ConditionExpression":"attribute_not_exists(PK)","ExpressionAttributeValues":{}}`, "ExpressionAttributeValues must not be empty"},
		{"EmptyNames", "PutItem", `{"TableName":"t1x","Item":{"PK":{"S":"a"},"SK":{"S":"b"}},"ConditionExpression":"attribute_not_exists(PK)","ExpressionAttributeNames":{}}`, "ExpressionAttributeNames must not be empty"},
		{"ValuesWithoutExpression", "PutItem", `{"TableName":"t1x","Item":{"PK":{"S":"a"},"SK":{"S":"b"}},"ExpressionAttributeValues":{":a":{"S":"x"}}}`, "ExpressionAttributeValues can only be specified when using expressions"},
		{"UnusedValueInTransaction", "TransactWriteItems", `{"TransactItems":[{"Update":{"TableName":"t1x",` + key + `,"UpdateExpression":"SET a = :a","ExpressionAttributeValues":{":a":{"S":"x"},":one":{"N":"1"}}}}]}`, "unused in expressions: keys: {:one}"},
		{"UnusedNameInBatchGet", "BatchGetItem", `{"RequestItems":{"t1x":{"Keys":[{"PK":{"S":"a"},"SK":{"S":"b"}}],"ProjectionExpression":"a","ExpressionAttributeNames":{"#n":"n"}}}}`, "unused in expressions: keys: {#n}"},
		{"ProjectionUsesNames", "GetItem", `{"TableName":"t1x",` + key + `,"ProjectionExpression":"#n, a.b[1]","ExpressionAttributeNames":{"#n":"name"}}`, ""},
		// Reserved words.
		{"ReservedWord", "UpdateItem", `{"TableName":"t1x",` + key + `,"UpdateExpression":"SET status = :s","ExpressionAttributeValues":{":s":{"S":"x"}}}`, "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status"},
		{"ReservedWordInPath", "Query", `{"TableName":"t1x","KeyConditionExpression":"PK = :p","FilterExpression":"a.name = :p","ExpressionAttributeValues":{":p":{"S":"a"}}}`, "Invalid FilterExpression: Attribute name is a reserved keyword; reserved keyword: name"},
		{"ReservedWordInProjection", "GetItem", `{"TableName":"t1x",` + key + `,"ProjectionExpression":"PK, data"}`, "reserved keyword: data"},
		{"KeywordsAndFunctionsAreSyntax", "UpdateItem", `{"TableName":"t1x",` + key + `,"UpdateExpression":"SET a = if_not_exists(a, :z) + :one REMOVE b ADD c :one DELETE d :set","ConditionExpression":"attribute_exists(PK) AND NOT (v BETWEEN :z AND :one) OR size(a) IN (:z, :one)","ExpressionAttributeValues":{":z":{"N":"0"},":one":{"N":"1"},":set":{"SS":["x"]}}}`, ""},
		// Keys.
		{"PartitionKeyTooLong", "GetItem", `{"TableName":"t1x","Key":{"PK":{"S":"` + long(2049) + `"},"SK":{"S":"b"}}}`, "Size of hashkey has exceeded the maximum size limit of2048 bytes"},
		{"PartitionKeyAtLimit", "GetItem", `{"TableName":"t1x","Key":{"PK":{"S":"` + long(2048) + `"},"SK":{"S":"b"}}}`, ""},
		{"SortKeyTooLong", "PutItem", `{"TableName":"t1x","Item":{"PK":{"S":"a"},"SK":{"S":"` + long(1025) + `"}}}`, "Aggregated size of all range keys has exceeded the size limit of 1024 bytes"},
		{"SortKeyTooLongInQuery", "Query", `{"TableName":"t1x","KeyConditionExpression":"PK = :p AND begins_with(SK, :s)","ExpressionAttributeValues":{":p":{"S":"a"},":s":{"S":"` + long(1025) + `"}}}`, "range keys has exceeded"},
		{"IndexKeyTooLong", "PutItem", `{"TableName":"t1x","Item":{"PK":{"S":"a"},"SK":{"S":"b"},"GSI1PK":{"S":"` + long(2049) + `"}}}`, "Size of hashkey has exceeded"},
		{"KeyWrongType", "PutItem", `{"TableName":"t1x","Item":{"PK":{"N":"1"},"SK":{"S":"b"}}}`, "Type mismatch for key PK expected: S actual: N"},
		{"KeyWrongTypeInGet", "GetItem", `{"TableName":"t1x","Key":{"PK":{"N":"1"},"SK":{"S":"b"}}}`, "The provided key element does not match the schema"},
		{"KeyMissingAttribute", "DeleteItem", `{"TableName":"t1x","Key":{"PK":{"S":"a"}}}`, "The provided key element does not match the schema"},
		{"KeyExtraAttribute", "DeleteItem", `{"TableName":"t1x","Key":{"PK":{"S":"a"},"SK":{"S":"b"},"x":{"S":"c"}}}`, "The provided key element does not match the schema"},
		{"ItemMissingKey", "PutItem", `{"TableName":"t1x","Item":{"PK":{"S":"a"}}}`, "Missing the key SK in the item"},
		{"EmptyKey", "PutItem", `{"TableName":"t1x","Item":{"PK":{"S":""},"SK":{"S":"b"}}}`, "cannot contain an empty string value. Key: PK"},
		{"EmptyIndexKey", "PutItem", `{"TableName":"t1x","Item":{"PK":{"S":"a"},"SK":{"S":"b"},"GSI1SK":{"S":""}}}`, "IndexName: GSI1, IndexKey: GSI1SK"},
		{"IndexKeyWrongType", "PutItem", `{"TableName":"t1x","Item":{"PK":{"S":"a"},"SK":{"S":"b"},"GSI1PK":{"N":"1"}}}`, "Type mismatch for Index Key GSI1PK Expected: S Actual: N IndexName: GSI1"},
		{"EmptyIndexKeyByUpdate", "UpdateItem", `{"TableName":"t1x",` + key + `,"UpdateExpression":"SET #g = :e","ExpressionAttributeNames":{"#g":"GSI1PK"},"ExpressionAttributeValues":{":e":{"S":""}}}`, "IndexName: GSI1, IndexKey: GSI1PK"},
		{"UpdateKeyAttribute", "UpdateItem", `{"TableName":"t1x",` + key + `,"UpdateExpression":"SET SK = :e","ExpressionAttributeValues":{":e":{"S":"c"}}}`, "Cannot update attribute SK. This attribute is part of the key"},
		{"RemoveIndexKeyIsFine", "UpdateItem", `{"TableName":"t1x",` + key + `,"UpdateExpression":"REMOVE GSI1PK, GSI1SK"}`, ""},
		// Sizes and counts.
		{"ItemTooLarge", "PutItem", `{"TableName":"t1x","Item":{"PK":{"S":"a"},"SK":{"S":"b"},"big":{"S":"` + long(MaxItemBytes) + `"}}}`, "Item size has exceeded the maximum allowed size"},
		{"TransactionTooManyItems", "TransactWriteItems", transact(101), "Member must have length less than or equal to 100"},
		{"TransactionAtLimit", "TransactWriteItems", transact(100), ""},
		{"TransactionSameItemTwice", "TransactWriteItems", `{"TransactItems":[{"Put":{"TableName":"t1x","Item":{"PK":{"S":"a"},"SK":{"S":"b"}}}},{"ConditionCheck":{"TableName":"t1x",` + key + `,"ConditionExpression":"attribute_exists(PK)"}}]}`, "Transaction request cannot include multiple operations on one item"},
		{"TransactionTooLarge", "TransactWriteItems", transactBig(11, 390*1024), "Transaction request cannot be larger than 4 MB"},
		{"BatchGetTooManyKeys", "BatchGetItem", batchGet(101), "Too many items requested for the BatchGetItem call"},
		{"BatchGetAtLimit", "BatchGetItem", batchGet(100), ""},
		{"BatchWriteTooMany", "BatchWriteItem", batchWrite(26), "Member must have length less than or equal to 25"},
		{"BatchWriteAtLimit", "BatchWriteItem", batchWrite(25), ""},
		{"BatchWriteDuplicates", "BatchWriteItem", `{"RequestItems":{"t1x":[{"DeleteRequest":{` + key + `}},{"DeleteRequest":{` + key + `}}]}}`, "Provided list of item keys contains duplicates"},
		// Values.
		{"EmptySet", "PutItem", `{"TableName":"t1x","Item":{"PK":{"S":"a"},"SK":{"S":"b"},"s":{"SS":[]}}}`, "set  may not be empty"},
		{"SetDuplicates", "PutItem", `{"TableName":"t1x","Item":{"PK":{"S":"a"},"SK":{"S":"b"},"s":{"SS":["x","x"]}}}`, "contains duplicates"},
		{"NumberTooPrecise", "PutItem", `{"TableName":"t1x","Item":{"PK":{"S":"a"},"SK":{"S":"b"},"n":{"N":"123456789012345678901234567890123456789"}}}`, "38 significant digits"},
		{"NotANumber", "UpdateItem", `{"TableName":"t1x",` + key + `,"UpdateExpression":"SET n = :n","ExpressionAttributeValues":{":n":{"N":"1e"}}}`, "cannot be converted into a number"},
		// Names.
		{"TableNameTooShort", "GetItem", `{"TableName":"ab",` + key + `}`, "Member must have length greater than or equal to 3"},
		{"TableNameBadCharacter", "CreateTable", `{"TableName":"a/b/c"}`, "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"},
		{"TableNameTooLong", "DescribeTable", `{"TableName":"` + long(256) + `"}`, "Member must have length less than or equal to 255"},
		{"TableARN", "GetItem", `{"TableName":"arn:aws:dynamodb:us-east-1:000000000000:table/t1x",` + key + `}`, ""},
		{"IndexNameBad", "Query", `{"TableName":"t1x","IndexName":"G$","KeyConditionExpression":"GSI1PK = :p","ExpressionAttributeValues":{":p":{"S":"a"}}}`, "at 'indexName'"},
		{"UnknownTableLeftToEngine", "GetItem", `{"TableName":"missing","Key":{"x":{"N":"1"}}}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.op, []byte(tt.body), schemas)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && err == nil:
				t.Fatalf("accepted, want %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Message, tt.want):
				t.Fatalf("message %q, want it to contain %q", err.Message, tt.want)
			case err != nil && err.Type != "ValidationException":
				t.Fatalf("type %q", err.Type)
			}
		})
	}
}

func transact(n int) string {
	var items []string
	for i := range n {
		items = append(items, fmt.Sprintf(`{"Put":{"TableName":"t1x","Item":{"PK":{"S":"a"},"SK":{"S":"b%d"}}}}`, i))
	}
	return `{"TransactItems":[` + strings.Join(items, ",") + `]}`
}

func transactBig(n, size int) string {
	var items []string
	for i := range n {
		items = append(items, fmt.Sprintf(`{"Put":{"TableName":"t1x","Item":{"PK":{"S":"a"},"SK":{"S":"b%d"},"d":{"S":"%s"}}}}`, i, strings.Repeat("x", size)))
	}
	return `{"TransactItems":[` + strings.Join(items, ",") + `]}`
}

func batchGet(n int) string {
	var keys []string
	for i := range n {
		keys = append(keys, fmt.Sprintf(`{"PK":{"S":"a"},"SK":{"S":"b%d"}}`, i))
	}
	return `{"RequestItems":{"t1x":{"Keys":[` + strings.Join(keys, ",") + `]}}}`
}

func batchWrite(n int) string {
	var reqs []string
	for i := range n {
		reqs = append(reqs, fmt.Sprintf(`{"PutRequest":{"Item":{"PK":{"S":"a"},"SK":{"S":"b%d"}}}}`, i))
	}
	return `{"RequestItems":{"t1x":[` + strings.Join(reqs, ",") + `]}}`
}

// TestActions: an update's actions name the attribute each changes and the value it assigns.
func TestActions(t *testing.T) {
	e, err := parseExpression(kindUpdate, "SET #a = :a, b.c[2] = list_append(b, :l), d = :d REMOVE e ADD f :f DELETE g :g")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range e.actions() {
		got = append(got, a.clause+" "+a.root.text+" "+a.value)
	}
	want := "SET #a :a|SET b |SET d :d|REMOVE e |ADD f :f|DELETE g :g"
	if strings.Join(got, "|") != want {
		t.Fatalf("actions = %q, want %q", strings.Join(got, "|"), want)
	}
}

func FuzzCheck(f *testing.F) {
	f.Add("UpdateItem", `{"TableName":"t1x",`+key+`,"UpdateExpression":"SET a = :a","ExpressionAttributeValues":{":a":{"S":"x"}}}`)
	f.Add("TransactWriteItems", transact(2))
	f.Fuzz(func(t *testing.T, op, body string) {
		_ = Check(op, []byte(body), schemas) // must not panic
	})
}
