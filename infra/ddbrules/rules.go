// Package ddbrules refuses what DynamoDB refuses. The local engine (moto) accepts
// requests that DynamoDB answers with a ValidationException, so a test could pass
// locally and the same code fail on AWS. Check applies DynamoDB's documented rules
// to a request as it travels on the wire (the JSON 1.0 body), before the engine
// sees it:
//
//   - expression attribute names and values: every one supplied is used, every one
//     used is supplied, neither map is empty, and neither comes without expressions
//     (in single calls, in each transaction item and in batch calls);
//   - reserved words used as attribute names without a #placeholder;
//   - key values: partition keys up to 2,048 bytes, sort keys up to 1,024, of the
//     type the table declares, never an empty string, and no attribute of the key
//     changed by an update; index key attributes of their declared type and not
//     empty;
//   - items up to 400 KB; transactions up to 100 items and 4 MB, never touching one
//     item twice; BatchGetItem up to 100 keys and BatchWriteItem up to 25 requests,
//     without duplicate keys;
//   - attribute values: sets not empty and without duplicates, numbers of at most 38
//     digits;
//   - table and index names of 3 to 255 characters from [a-zA-Z0-9_.-].
//
// Messages follow DynamoDB's wording so callers see what they would see on AWS.
package ddbrules

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Limits DynamoDB documents (Service, account, and table quotas in Amazon DynamoDB).
const (
	MaxPartitionKeyBytes = 2048
	MaxSortKeyBytes      = 1024
	MaxItemBytes         = 400 * 1024
	MaxTransactItems     = 100
	MaxTransactBytes     = 4 << 20
	MaxBatchGetKeys      = 100
	MaxBatchWrites       = 25
	maxNumberDigits      = 38
)

// Error is a refusal, with the type and message DynamoDB answers.
type Error struct {
	Type    string // ValidationException
	Message string
}

func (e *Error) Error() string { return e.Type + ": " + e.Message }

func invalid(format string, args ...any) *Error {
	return &Error{Type: "ValidationException", Message: fmt.Sprintf(format, args...)}
}

// Schema is what the rules need to know of a table: its key and index key
// attributes and their declared types.
type Schema struct {
	Hash, Range string
	Types       map[string]string // attribute name -> S, N or B
	Indexes     []Index
}

// Index is a secondary index's key.
type Index struct {
	Name, Hash, Range string
}

// Schemas finds a table's schema by name; nil with no error when the table does not
// exist (the engine then answers ResourceNotFoundException itself).
type Schemas func(table string) (*Schema, error)

// AttributeValue is a DynamoDB value on the wire.
type AttributeValue struct {
	S    *string                   `json:"S,omitempty"`
	N    *string                   `json:"N,omitempty"`
	B    *[]byte                   `json:"B,omitempty"`
	BOOL *bool                     `json:"BOOL,omitempty"`
	NULL *bool                     `json:"NULL,omitempty"`
	M    map[string]AttributeValue `json:"M,omitempty"`
	L    []AttributeValue          `json:"L,omitempty"`
	SS   []string                  `json:"SS,omitempty"`
	NS   []string                  `json:"NS,omitempty"`
	BS   [][]byte                  `json:"BS,omitempty"`
}

type item = map[string]AttributeValue

// typ is the value's type descriptor (S, N, B, ...).
func (v AttributeValue) typ() string {
	switch {
	case v.S != nil:
		return "S"
	case v.N != nil:
		return "N"
	case v.B != nil:
		return "B"
	case v.BOOL != nil:
		return "BOOL"
	case v.NULL != nil:
		return "NULL"
	case v.M != nil:
		return "M"
	case v.L != nil:
		return "L"
	case v.SS != nil:
		return "SS"
	case v.NS != nil:
		return "NS"
	case v.BS != nil:
		return "BS"
	}
	return ""
}

// size is the value's size as DynamoDB counts it toward the item limit.
func (v AttributeValue) size() int {
	switch {
	case v.S != nil:
		return len(*v.S)
	case v.N != nil:
		return numberSize(*v.N)
	case v.B != nil:
		return len(*v.B)
	case v.BOOL != nil, v.NULL != nil:
		return 1
	case v.M != nil:
		n := 3
		for k, e := range v.M {
			n += len(k) + e.size() + 1
		}
		return n
	case v.L != nil:
		n := 3
		for _, e := range v.L {
			n += e.size() + 1
		}
		return n
	case v.SS != nil:
		n := 0
		for _, s := range v.SS {
			n += len(s)
		}
		return n
	case v.NS != nil:
		n := 0
		for _, s := range v.NS {
			n += numberSize(s)
		}
		return n
	case v.BS != nil:
		n := 0
		for _, b := range v.BS {
			n += len(b)
		}
		return n
	}
	return 0
}

// numberSize: about one byte per two significant digits, plus one.
func numberSize(n string) int {
	return (len(significant(n))+1)/2 + 1
}

func significant(n string) string {
	n = strings.TrimLeft(n, "+-")
	if i := strings.IndexAny(n, "eE"); i >= 0 {
		n = n[:i]
	}
	n = strings.Replace(n, ".", "", 1)
	return strings.Trim(n, "0")
}

var number = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`)

// validate checks a value is well formed: one type, sets not empty and without
// duplicates, numbers that DynamoDB can store.
func (v AttributeValue) validate() *Error {
	switch v.typ() {
	case "":
		return invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
	case "N":
		return validNumber(*v.N)
	case "M":
		for _, e := range v.M {
			if err := e.validate(); err != nil {
				return err
			}
		}
	case "L":
		for _, e := range v.L {
			if err := e.validate(); err != nil {
				return err
			}
		}
	case "SS":
		return validSet("string", v.SS, nil)
	case "NS":
		return validSet("number", v.NS, validNumber)
	case "BS":
		s := make([]string, len(v.BS))
		for i, b := range v.BS {
			s[i] = string(b)
		}
		return validSet("binary", s, nil)
	}
	return nil
}

func validNumber(n string) *Error {
	if !number.MatchString(n) {
		return invalid("A value provided cannot be converted into a number")
	}
	if len(significant(n)) > maxNumberDigits {
		return invalid("Attempting to store more than 38 significant digits in a Number")
	}
	return nil
}

func validSet(kind string, s []string, each func(string) *Error) *Error {
	if len(s) == 0 {
		return invalid("One or more parameter values were invalid: An %s set  may not be empty", kind)
	}
	seen := make(map[string]bool, len(s))
	for _, e := range s {
		if each != nil {
			if err := each(e); err != nil {
				return err
			}
		}
		if seen[e] {
			return invalid("One or more parameter values were invalid: Input collection %v contains duplicates.", s)
		}
		seen[e] = true
	}
	return nil
}

// itemSize is an item's size: each attribute's name and value.
func itemSize(it item) int {
	n := 0
	for k, v := range it {
		n += len(k) + v.size()
	}
	return n
}

// exprFields are the expression members every request unit may carry.
type exprFields struct {
	ConditionExpression       *string                    `json:"ConditionExpression"`
	UpdateExpression          *string                    `json:"UpdateExpression"`
	KeyConditionExpression    *string                    `json:"KeyConditionExpression"`
	FilterExpression          *string                    `json:"FilterExpression"`
	ProjectionExpression      *string                    `json:"ProjectionExpression"`
	ExpressionAttributeNames  *map[string]string         `json:"ExpressionAttributeNames"`
	ExpressionAttributeValues *map[string]AttributeValue `json:"ExpressionAttributeValues"`
}

// unit is one request unit: a single call, one transaction item, or one table of a
// batch call.
type unit struct {
	exprFields
	TableName *string `json:"TableName"`
	IndexName *string `json:"IndexName"`
	Key       item    `json:"Key"`
	Item      item    `json:"Item"`
}

type request struct {
	unit
	TransactItems []map[string]unit `json:"TransactItems"`
	RequestItems  json.RawMessage   `json:"RequestItems"`
	// CreateTable
	GlobalSecondaryIndexes []struct {
		IndexName string `json:"IndexName"`
	} `json:"GlobalSecondaryIndexes"`
	LocalSecondaryIndexes []struct {
		IndexName string `json:"IndexName"`
	} `json:"LocalSecondaryIndexes"`
}

// Check applies DynamoDB's rules to one call (op is the X-Amz-Target operation, such
// as "TransactWriteItems"; body its JSON). nil means DynamoDB would accept its shape.
func Check(op string, body []byte, schemas Schemas) *Error {
	var r request
	if len(body) > 0 {
		if err := json.Unmarshal(body, &r); err != nil {
			return &Error{Type: "SerializationException", Message: err.Error()}
		}
	}
	c := checker{schemas: schemas, cache: map[string]*Schema{}}
	switch op {
	case "GetItem", "DeleteItem":
		return c.single(r.unit, keyed)
	case "PutItem":
		return c.single(r.unit, putting)
	case "UpdateItem":
		return c.single(r.unit, updating)
	case "Query", "Scan":
		return c.single(r.unit, querying)
	case "TransactWriteItems":
		return c.transactWrite(r.TransactItems)
	case "TransactGetItems":
		return c.transactGet(r.TransactItems)
	case "BatchGetItem":
		return c.batchGet(r.RequestItems)
	case "BatchWriteItem":
		return c.batchWrite(r.RequestItems)
	case "CreateTable":
		if err := c.tableName(r.TableName); err != nil {
			return err
		}
		for _, ix := range r.GlobalSecondaryIndexes {
			if err := checkName("indexName", ix.IndexName); err != nil {
				return err
			}
		}
		for _, ix := range r.LocalSecondaryIndexes {
			if err := checkName("indexName", ix.IndexName); err != nil {
				return err
			}
		}
		return nil
	}
	if r.TableName != nil {
		return c.tableName(r.TableName)
	}
	return nil
}

type checker struct {
	schemas Schemas
	cache   map[string]*Schema
}

func (c *checker) schema(table string) (*Schema, *Error) {
	if s, ok := c.cache[table]; ok {
		return s, nil
	}
	if c.schemas == nil {
		return nil, nil
	}
	s, err := c.schemas(table)
	if err != nil {
		return nil, &Error{Type: "InternalServerError", Message: err.Error()}
	}
	c.cache[table] = s
	return s, nil
}

var tableNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)

func checkName(member, name string) *Error {
	switch {
	case len(name) < 3:
		return invalid("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length greater than or equal to 3", name, member)
	case len(name) > 255:
		return invalid("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length less than or equal to 255", name, member)
	case !tableNamePattern.MatchString(name):
		return invalid("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+", name, member)
	}
	return nil
}

// tableName checks a TableName member, which may also be the table's ARN.
func (c *checker) tableName(name *string) *Error {
	if name == nil {
		return invalid("1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null")
	}
	n := *name
	if strings.HasPrefix(n, "arn:") {
		if i := strings.Index(n, ":table/"); i >= 0 {
			n = n[i+len(":table/"):]
		}
	}
	return checkName("tableName", n)
}

func tableOf(name *string) string {
	n := *name
	if strings.HasPrefix(n, "arn:") {
		if i := strings.Index(n, ":table/"); i >= 0 {
			n = n[i+len(":table/"):]
		}
	}
	return n
}

type shape int

const (
	keyed    shape = iota // Key only (GetItem, DeleteItem, ConditionCheck)
	putting               // Item
	updating              // Key and an UpdateExpression
	querying              // Query and Scan
)

// single checks one request unit against its table's schema.
func (c *checker) single(u unit, s shape) *Error {
	if err := c.tableName(u.TableName); err != nil {
		return err
	}
	if u.IndexName != nil {
		if err := checkName("indexName", *u.IndexName); err != nil {
			return err
		}
	}
	if err := checkExpressions(u.exprFields); err != nil {
		return err
	}
	if u.ExpressionAttributeValues != nil {
		for _, v := range *u.ExpressionAttributeValues {
			if err := v.validate(); err != nil {
				return err
			}
		}
	}
	sch, err := c.schema(tableOf(u.TableName))
	if err != nil || sch == nil {
		return err
	}
	switch s {
	case keyed:
		return checkKey(sch, u.Key)
	case putting:
		return checkItem(sch, u.Item)
	case updating:
		if err := checkKey(sch, u.Key); err != nil {
			return err
		}
		return checkUpdate(sch, u.exprFields)
	case querying:
		return checkQuery(sch, u)
	}
	return nil
}

// checkExpressions: placeholders supplied and used match, no reserved word is spelled out.
func checkExpressions(f exprFields) *Error {
	if f.ExpressionAttributeNames != nil && len(*f.ExpressionAttributeNames) == 0 {
		return invalid("ExpressionAttributeNames must not be empty")
	}
	if f.ExpressionAttributeValues != nil && len(*f.ExpressionAttributeValues) == 0 {
		return invalid("ExpressionAttributeValues must not be empty")
	}
	exprs := []struct {
		kind string
		text *string
	}{{kindKey, f.KeyConditionExpression}, {kindCondition, f.ConditionExpression}, {kindUpdate, f.UpdateExpression},
		{kindFilter, f.FilterExpression}, {kindProjection, f.ProjectionExpression}}
	usedNames, usedValues := map[string]bool{}, map[string]bool{}
	hasExpr := false
	for _, x := range exprs {
		if x.text == nil {
			continue
		}
		hasExpr = true
		e, err := parseExpression(x.kind, *x.text)
		if err != nil {
			return err
		}
		if w := e.reservedWord(); w != "" {
			return invalid("Invalid %s: Attribute name is a reserved keyword; reserved keyword: %s", x.kind, w)
		}
		for _, n := range e.placeholders(tName) {
			if f.ExpressionAttributeNames == nil || (*f.ExpressionAttributeNames)[n] == "" {
				return invalid("Invalid %s: An expression attribute name used in the document path is not defined; attribute name: %s", x.kind, n)
			}
			usedNames[n] = true
		}
		for _, v := range e.placeholders(tValue) {
			if x.kind == kindProjection {
				return invalid("Invalid %s: Syntax error; token: %q", x.kind, v)
			}
			if f.ExpressionAttributeValues == nil {
				return invalid("Invalid %s: An expression attribute value used in expression is not defined; attribute value: %s", x.kind, v)
			}
			if _, ok := (*f.ExpressionAttributeValues)[v]; !ok {
				return invalid("Invalid %s: An expression attribute value used in expression is not defined; attribute value: %s", x.kind, v)
			}
			usedValues[v] = true
		}
	}
	if !hasExpr {
		if f.ExpressionAttributeNames != nil {
			return invalid("ExpressionAttributeNames can only be specified when using expressions")
		}
		if f.ExpressionAttributeValues != nil {
			return invalid("ExpressionAttributeValues can only be specified when using expressions")
		}
		return nil
	}
	if f.ExpressionAttributeNames != nil {
		if unused := missing(keysOf(*f.ExpressionAttributeNames), usedNames); len(unused) > 0 {
			return invalid("Value provided in ExpressionAttributeNames unused in expressions: keys: {%s}", strings.Join(unused, ", "))
		}
	}
	if f.ExpressionAttributeValues != nil {
		if unused := missing(keysOf(*f.ExpressionAttributeValues), usedValues); len(unused) > 0 {
			return invalid("Value provided in ExpressionAttributeValues unused in expressions: keys: {%s}", strings.Join(unused, ", "))
		}
	}
	return nil
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func missing(all []string, used map[string]bool) []string {
	var out []string
	for _, k := range all {
		if !used[k] {
			out = append(out, k)
		}
	}
	return out
}

// checkKeyValue checks one key attribute's value: declared type, not empty, size.
func checkKeyValue(sch *Schema, name string, v AttributeValue, hash bool, mismatch func(want, got string) *Error) *Error {
	want := sch.Types[name]
	if got := v.typ(); want != "" && got != want {
		return mismatch(want, got)
	}
	if v.S != nil && *v.S == "" || v.B != nil && len(*v.B) == 0 {
		return invalid("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty %s value. Key: %s",
			map[bool]string{true: "string", false: "binary"}[v.S != nil], name)
	}
	if hash && v.size() > MaxPartitionKeyBytes {
		return invalid("One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes")
	}
	if !hash && v.size() > MaxSortKeyBytes {
		return invalid("One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes")
	}
	return nil
}

// checkKey checks a Key member: exactly the table's key attributes, of their types.
func checkKey(sch *Schema, key item) *Error {
	want := 1
	if sch.Range != "" {
		want = 2
	}
	_, hasHash := key[sch.Hash]
	_, hasRange := key[sch.Range]
	if len(key) != want || !hasHash || sch.Range != "" && !hasRange {
		return invalid("The provided key element does not match the schema")
	}
	mismatch := func(string, string) *Error { return invalid("The provided key element does not match the schema") }
	if err := checkKeyValue(sch, sch.Hash, key[sch.Hash], true, mismatch); err != nil {
		return err
	}
	if sch.Range != "" {
		return checkKeyValue(sch, sch.Range, key[sch.Range], false, mismatch)
	}
	return nil
}

// checkItem checks an item to put: its key, its index keys, its values, its size.
func checkItem(sch *Schema, it item) *Error {
	for _, k := range []string{sch.Hash, sch.Range} {
		if k == "" {
			continue
		}
		v, ok := it[k]
		if !ok {
			return invalid("One or more parameter values were invalid: Missing the key %s in the item", k)
		}
		if err := checkKeyValue(sch, k, v, k == sch.Hash, func(want, got string) *Error {
			return invalid("One or more parameter values were invalid: Type mismatch for key %s expected: %s actual: %s", k, want, got)
		}); err != nil {
			return err
		}
	}
	for _, ix := range sch.Indexes {
		for _, k := range []string{ix.Hash, ix.Range} {
			if v, ok := it[k]; ok && k != "" {
				if err := checkIndexKey(sch, ix, k, v); err != nil {
					return err
				}
			}
		}
	}
	for _, v := range it {
		if err := v.validate(); err != nil {
			return err
		}
	}
	if itemSize(it) > MaxItemBytes {
		return invalid("Item size has exceeded the maximum allowed size")
	}
	return nil
}

// checkIndexKey checks a value given to an index key attribute.
func checkIndexKey(sch *Schema, ix Index, name string, v AttributeValue) *Error {
	if want, got := sch.Types[name], v.typ(); want != "" && got != want {
		return invalid("One or more parameter values were invalid: Type mismatch for Index Key %s Expected: %s Actual: %s IndexName: %s", name, want, got, ix.Name)
	}
	if v.S != nil && *v.S == "" || v.B != nil && len(*v.B) == 0 {
		return invalid("One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: %s, IndexKey: %s", ix.Name, name)
	}
	if name == ix.Hash && v.size() > MaxPartitionKeyBytes {
		return invalid("One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes")
	}
	if name == ix.Range && v.size() > MaxSortKeyBytes {
		return invalid("One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes")
	}
	return nil
}

// checkUpdate: no key attribute is changed, and index key attributes get values of
// their declared type that are not empty.
func checkUpdate(sch *Schema, f exprFields) *Error {
	if f.UpdateExpression == nil {
		return nil
	}
	e, err := parseExpression(kindUpdate, *f.UpdateExpression)
	if err != nil {
		return err
	}
	for _, a := range e.actions() {
		name := a.root.text
		if a.root.kind == tName && f.ExpressionAttributeNames != nil {
			name = (*f.ExpressionAttributeNames)[name]
		}
		if name == sch.Hash || name == sch.Range {
			return invalid("One or more parameter values were invalid: Cannot update attribute %s. This attribute is part of the key", name)
		}
		if a.value == "" || f.ExpressionAttributeValues == nil || a.clause == "REMOVE" {
			continue
		}
		v := (*f.ExpressionAttributeValues)[a.value]
		for _, ix := range sch.Indexes {
			if name == ix.Hash || name == ix.Range {
				if err := checkIndexKey(sch, ix, name, v); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// checkQuery checks the key values a Query compares with and the start key.
func checkQuery(sch *Schema, u unit) *Error {
	if u.KeyConditionExpression == nil || u.ExpressionAttributeValues == nil {
		return nil
	}
	hash, rng := sch.Hash, sch.Range
	if u.IndexName != nil {
		for _, ix := range sch.Indexes {
			if ix.Name == *u.IndexName {
				hash, rng = ix.Hash, ix.Range
			}
		}
	}
	e, err := parseExpression(kindKey, *u.KeyConditionExpression)
	if err != nil {
		return err
	}
	// Each placeholder compared with a key attribute: the attribute is the nearest
	// path before it.
	last := ""
	for _, t := range e.tokens {
		switch t.kind {
		case tIdent, tName:
			name := t.text
			if t.kind == tName && u.ExpressionAttributeNames != nil {
				name = (*u.ExpressionAttributeNames)[name]
			}
			if name == hash || name == rng {
				last = name
			}
		case tValue:
			v := (*u.ExpressionAttributeValues)[t.text]
			if last == hash && v.size() > MaxPartitionKeyBytes {
				return invalid("One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes")
			}
			if last == rng && rng != "" && v.size() > MaxSortKeyBytes {
				return invalid("One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes")
			}
		}
	}
	return nil
}

// identity names an item across tables, for duplicate detection.
func identity(table string, sch *Schema, key item) string {
	b, _ := json.Marshal([]any{table, key[sch.Hash], key[sch.Range]})
	return string(b)
}

func keyFromItem(sch *Schema, it item) item {
	k := item{sch.Hash: it[sch.Hash]}
	if sch.Range != "" {
		k[sch.Range] = it[sch.Range]
	}
	return k
}

func (c *checker) transactWrite(items []map[string]unit) *Error {
	if len(items) == 0 {
		return invalid("1 validation error detected: Value null at 'transactItems' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if len(items) > MaxTransactItems {
		return invalid("1 validation error detected: Value '[...]' at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to %d", MaxTransactItems)
	}
	seen := map[string]bool{}
	total := 0
	for _, ti := range items {
		if len(ti) != 1 {
			return invalid("TransactItems can only contain one of Check, Put, Update or Delete")
		}
		for kind, u := range ti {
			var s shape
			switch kind {
			case "ConditionCheck", "Delete":
				s = keyed
			case "Put":
				s = putting
			case "Update":
				s = updating
			default:
				return invalid("TransactItems can only contain one of Check, Put, Update or Delete")
			}
			if kind == "ConditionCheck" && u.ConditionExpression == nil {
				return invalid("1 validation error detected: Value null at 'transactItems.1.member.conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null")
			}
			if err := c.single(u, s); err != nil {
				return err
			}
			sch, err := c.schema(tableOf(u.TableName))
			if err != nil {
				return err
			}
			if sch == nil {
				continue
			}
			key := u.Key
			if kind == "Put" {
				key = keyFromItem(sch, u.Item)
				total += itemSize(u.Item)
			} else {
				total += itemSize(key)
			}
			id := identity(tableOf(u.TableName), sch, key)
			if seen[id] {
				return invalid("Transaction request cannot include multiple operations on one item")
			}
			seen[id] = true
		}
	}
	if total > MaxTransactBytes {
		return invalid("Transaction request cannot be larger than 4 MB")
	}
	return nil
}

func (c *checker) transactGet(items []map[string]unit) *Error {
	if len(items) > MaxTransactItems {
		return invalid("1 validation error detected: Value '[...]' at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to %d", MaxTransactItems)
	}
	for _, ti := range items {
		u, ok := ti["Get"]
		if !ok || len(ti) != 1 {
			return invalid("TransactItems can only contain Get")
		}
		if err := c.single(u, keyed); err != nil {
			return err
		}
	}
	return nil
}

func (c *checker) batchGet(raw json.RawMessage) *Error {
	var tables map[string]struct {
		Keys []item `json:"Keys"`
		exprFields
	}
	if err := json.Unmarshal(raw, &tables); err != nil {
		return &Error{Type: "SerializationException", Message: err.Error()}
	}
	n := 0
	for name, t := range tables {
		n += len(t.Keys)
		if err := checkName("tableName", name); err != nil {
			return err
		}
		if err := checkExpressions(t.exprFields); err != nil {
			return err
		}
		sch, err := c.schema(name)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, k := range t.Keys {
			if sch == nil {
				continue
			}
			if err := checkKey(sch, k); err != nil {
				return err
			}
			id := identity(name, sch, k)
			if seen[id] {
				return invalid("Provided list of item keys contains duplicates")
			}
			seen[id] = true
		}
	}
	if n > MaxBatchGetKeys {
		return invalid("Too many items requested for the BatchGetItem call")
	}
	return nil
}

func (c *checker) batchWrite(raw json.RawMessage) *Error {
	var tables map[string][]struct {
		PutRequest *struct {
			Item item `json:"Item"`
		} `json:"PutRequest"`
		DeleteRequest *struct {
			Key item `json:"Key"`
		} `json:"DeleteRequest"`
	}
	if err := json.Unmarshal(raw, &tables); err != nil {
		return &Error{Type: "SerializationException", Message: err.Error()}
	}
	n := 0
	for name, reqs := range tables {
		n += len(reqs)
		if err := checkName("tableName", name); err != nil {
			return err
		}
		sch, err := c.schema(name)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, r := range reqs {
			if (r.PutRequest == nil) == (r.DeleteRequest == nil) {
				return invalid("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
			}
			if sch == nil {
				continue
			}
			var key item
			if r.PutRequest != nil {
				if err := checkItem(sch, r.PutRequest.Item); err != nil {
					return err
				}
				key = keyFromItem(sch, r.PutRequest.Item)
			} else {
				if err := checkKey(sch, r.DeleteRequest.Key); err != nil {
					return err
				}
				key = r.DeleteRequest.Key
			}
			id := identity(name, sch, key)
			if seen[id] {
				return invalid("Provided list of item keys contains duplicates")
			}
			seen[id] = true
		}
	}
	if n > MaxBatchWrites || n == 0 {
		return invalid("1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to %d, Member must have length greater than or equal to 1]", MaxBatchWrites)
	}
	return nil
}
