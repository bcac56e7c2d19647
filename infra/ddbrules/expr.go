package ddbrules

import "strings"

// Expression kinds, as DynamoDB names them in its messages.
const (
	kindCondition  = "ConditionExpression"
	kindUpdate     = "UpdateExpression"
	kindKey        = "KeyConditionExpression"
	kindFilter     = "FilterExpression"
	kindProjection = "ProjectionExpression"
)

type tokenKind int

const (
	tIdent  tokenKind = iota // an attribute name, function name or keyword
	tName                    // #placeholder
	tValue                   // :placeholder
	tNumber                  // a list index
	tPunct                   // = <> < <= > >= ( ) , . [ ] + -
)

type token struct {
	kind tokenKind
	text string
}

// scan splits an expression into tokens.
func scan(expr string) ([]token, *Error) {
	var out []token
	i := 0
	isWord := func(c byte) bool {
		return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	for i < len(expr) {
		c := expr[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#' || c == ':':
			j := i + 1
			for j < len(expr) && isWord(expr[j]) {
				j++
			}
			if j == i+1 {
				return nil, invalid("Syntax error; token: %q, near: %q", string(c), near(expr, i))
			}
			kind := tName
			if c == ':' {
				kind = tValue
			}
			out = append(out, token{kind, expr[i:j]})
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(expr) && expr[j] >= '0' && expr[j] <= '9' {
				j++
			}
			out = append(out, token{tNumber, expr[i:j]})
			i = j
		case isWord(c):
			j := i
			for j < len(expr) && isWord(expr[j]) {
				j++
			}
			out = append(out, token{tIdent, expr[i:j]})
			i = j
		case c == '<' || c == '>':
			if i+1 < len(expr) && (expr[i+1] == '=' || c == '<' && expr[i+1] == '>') {
				out = append(out, token{tPunct, expr[i : i+2]})
				i += 2
			} else {
				out = append(out, token{tPunct, expr[i : i+1]})
				i++
			}
		case strings.IndexByte("=(),.[]+-", c) >= 0:
			out = append(out, token{tPunct, expr[i : i+1]})
			i++
		default:
			return nil, invalid("Invalid character encountered; character: %q, near: %q", string(c), near(expr, i))
		}
	}
	return out, nil
}

func near(expr string, i int) string {
	end := min(len(expr), i+10)
	return expr[i:end]
}

// keywords are the words of expression syntax; they are reserved words too, but
// used as syntax they name no attribute.
var keywords = map[string]bool{"AND": true, "OR": true, "NOT": true, "BETWEEN": true, "IN": true}

// updateClauses start the clauses of an UpdateExpression.
var updateClauses = map[string]bool{"SET": true, "REMOVE": true, "ADD": true, "DELETE": true}

// expression is what one expression uses: its placeholders and the attribute names
// it spells out.
type expression struct {
	kind   string
	tokens []token
}

func parseExpression(kind, text string) (expression, *Error) {
	toks, err := scan(text)
	if err != nil {
		return expression{}, invalid("Invalid %s: %s", kind, err.Message)
	}
	if len(toks) == 0 {
		return expression{}, invalid("Invalid %s: The expression can not be empty;", kind)
	}
	return expression{kind: kind, tokens: toks}, nil
}

// names and values list the placeholders the expression uses.
func (e expression) placeholders(kind tokenKind) []string {
	var out []string
	for _, t := range e.tokens {
		if t.kind == kind {
			out = append(out, t.text)
		}
	}
	return out
}

// reservedWord returns the first reserved word the expression uses as an attribute
// name (a word that is not a function, a keyword or an update clause).
func (e expression) reservedWord() string {
	for i, t := range e.tokens {
		if t.kind != tIdent {
			continue
		}
		if i+1 < len(e.tokens) && e.tokens[i+1].text == "(" {
			continue // a function
		}
		up := strings.ToUpper(t.text)
		if keywords[up] && e.kind != kindProjection {
			continue
		}
		if updateClauses[up] && e.kind == kindUpdate && atClauseStart(e.tokens, i) {
			continue
		}
		if reserved[up] {
			return t.text
		}
	}
	return ""
}

// atClauseStart reports whether token i can begin an update clause: the first
// token, or one that follows a complete action (not an operator or an open bracket).
func atClauseStart(toks []token, i int) bool {
	if i == 0 {
		return true
	}
	prev := toks[i-1]
	switch prev.kind {
	case tValue, tName, tIdent, tNumber:
		return true
	}
	return prev.text == ")" || prev.text == "]"
}

// updateAction is one action of an UpdateExpression: its clause, the attribute at
// the root of the path it changes, and the single value placeholder it assigns
// (empty when the operand is anything else).
type updateAction struct {
	clause string
	root   token
	value  string
}

// actions splits an UpdateExpression into its actions.
func (e expression) actions() []updateAction {
	var out []updateAction
	clause := ""
	depth := 0
	var cur []token
	flush := func() {
		if clause == "" || len(cur) == 0 {
			cur = nil
			return
		}
		a := updateAction{clause: clause, root: cur[0]}
		operand := cur[pathLen(cur):]
		if clause == "SET" && len(operand) > 0 && operand[0].text == "=" {
			operand = operand[1:]
		}
		if len(operand) == 1 && operand[0].kind == tValue {
			a.value = operand[0].text
		}
		out = append(out, a)
		cur = nil
	}
	for i, t := range e.tokens {
		if t.kind == tIdent && depth == 0 && updateClauses[strings.ToUpper(t.text)] && atClauseStart(e.tokens, i) {
			flush()
			clause = strings.ToUpper(t.text)
			continue
		}
		switch t.text {
		case "(", "[":
			depth++
		case ")", "]":
			depth--
		}
		if t.text == "," && depth == 0 {
			flush()
			continue
		}
		cur = append(cur, t)
	}
	flush()
	return out
}

// pathLen is the number of tokens of the document path that toks starts with:
// a name, then any number of ".name" and "[n]".
func pathLen(toks []token) int {
	isName := func(t token) bool { return t.kind == tIdent || t.kind == tName }
	if len(toks) == 0 || !isName(toks[0]) {
		return 0
	}
	n := 1
	for n < len(toks) {
		switch {
		case toks[n].text == "." && n+1 < len(toks) && isName(toks[n+1]):
			n += 2
		case toks[n].text == "[" && n+2 < len(toks) && toks[n+1].kind == tNumber && toks[n+2].text == "]":
			n += 3
		default:
			return n
		}
	}
	return n
}
