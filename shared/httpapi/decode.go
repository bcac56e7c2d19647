package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// MaxBodyBytes is the largest request body the API reads.
const MaxBodyBytes = 64 << 10

// readBody reads a JSON request body within the size limit.
func readBody(r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, ah.E(ah.KindUnsupportedMedia, ah.CodeUnsupportedMedia, "send the body as application/json")
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, ah.E(ah.KindBadRequest, ah.CodeMalformedJSON, "the request body could not be read")
	}
	if len(body) > MaxBodyBytes {
		return nil, ah.E(ah.KindTooLarge, ah.CodePayloadTooLarge, "the request body is over %d bytes", MaxBodyBytes)
	}
	return body, nil
}

// decodeJSON decodes one JSON object into v, refusing unknown fields, trailing
// data, an empty body, anything but an object (null included) and bytes that are
// not UTF-8; then every string in it goes through the text rules and every id
// through the id rules (checkBody).
func decodeJSON(body []byte, v any) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return ah.E(ah.KindBadRequest, ah.CodeMalformedJSON, "the request body is empty; send a JSON object")
	}
	if trimmed[0] != '{' {
		return ah.E(ah.KindBadRequest, ah.CodeMalformedJSON, "the request body must be a JSON object")
	}
	if !utf8.Valid(body) {
		return ah.E(ah.KindBadRequest, ah.CodeMalformedJSON, "the request body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return ah.E(ah.KindBadRequest, ah.CodeMalformedJSON, "the request body has data after the JSON object")
	}
	return checkBody(v)
}

func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return ah.E(ah.KindBadRequest, ah.CodeMalformedJSON, "the request body is not valid JSON (at byte %d)", syntax.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return ah.E(ah.KindBadRequest, ah.CodeMalformedJSON, "the request body must be a JSON object")
		}
		var v ah.Validation
		v.Add(field, ah.FieldInvalid, "%s must be a %s", field, jsonKind(typ.Type.Kind().String()))
		return v.Err()
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return &ah.Error{Kind: ah.KindBadRequest, Code: ah.CodeUnknownField, Message: fmt.Sprintf("unknown field %q", name),
			Fields: []ah.FieldError{{Field: name, Code: ah.CodeUnknownField, Message: "this field is not accepted here"}}}
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return ah.E(ah.KindBadRequest, ah.CodeMalformedJSON, "the request body is truncated JSON")
	}
	return ah.E(ah.KindBadRequest, ah.CodeMalformedJSON, "the request body is not valid JSON")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "int", "int64", "int32", "float64":
		return "number"
	case "slice":
		return "array"
	}
	return "object"
}

// parseIfMatch reads an If-Match header holding one ETag ("3" or W/"3") or *.
func parseIfMatch(r *http.Request) (*int, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return nil, nil
	}
	h = strings.TrimPrefix(h, "W/")
	s, err := strconv.Unquote(h)
	if err == nil {
		var n int
		if n, err = strconv.Atoi(s); err == nil && n > 0 {
			return &n, nil
		}
	}
	return nil, ah.E(ah.KindBadRequest, ah.CodeInvalidIfMatch, "If-Match must be an ETag this API returned, like \"3\"")
}

func etag(version int) string { return strconv.Quote(strconv.Itoa(version)) }
