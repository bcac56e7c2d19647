// Package accesshive holds AccessHive's domain: the entities an agency manages, the
// roles that govern who may do what, validation rules and the one error vocabulary
// every layer speaks. It imports neither net/http nor any AWS package.
package accesshive

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an error by what the caller can do about it. Exactly one place
// (the HTTP layer's problem mapping) turns a Kind into a status code.
type Kind int

// The kinds of error AccessHive reports.
const (
	KindInternal         Kind = iota // a fault of ours; shown to callers as "internal error" only
	KindBadRequest                   // the request could not be read (malformed JSON, unknown field, bad cursor)
	KindInvalid                      // the request was read but a value is not acceptable
	KindUnauthenticated              // no or unusable credentials
	KindForbidden                    // the principal may not do this
	KindNotFound                     // no such resource in the caller's agency
	KindConflict                     // the resource's current state does not allow this
	KindPrecondition                 // If-Match did not match the current version
	KindTooLarge                     // the request body is over the limit
	KindUnsupportedMedia             // the body is not JSON
	KindMethodNotAllowed             // the route exists but not for this method
	KindUnavailable                  // a dependency is throttling or down; retry later
)

// Stable machine codes. Clients match on these; they never change meaning.
const (
	CodeInternal               = "internal"
	CodeMalformedJSON          = "malformed_json"
	CodeUnknownField           = "unknown_field"
	CodeInvalidCursor          = "invalid_cursor"
	CodeValidation             = "validation_failed"
	CodeUnauthenticated        = "unauthenticated"
	CodeNotAMember             = "not_a_member"
	CodeMemberDisabled         = "member_disabled"
	CodeBreakGlassDisabled     = "break_glass_disabled"
	CodeReviewNotOpen          = "review_not_open"
	CodeForbidden              = "forbidden"
	CodeNotFound               = "not_found"
	CodeRouteNotFound          = "route_not_found"
	CodeMethodNotAllowed       = "method_not_allowed"
	CodeConflict               = "conflict"
	CodeVersionConflict        = "version_conflict"
	CodePreconditionFailed     = "precondition_failed"
	CodeInvalidIfMatch         = "invalid_if_match"
	CodePayloadTooLarge        = "payload_too_large"
	CodeUnsupportedMedia       = "unsupported_media_type"
	CodeIdempotencyKeyReused   = "idempotency_key_reused"
	CodeInvalidIdempotency     = "invalid_idempotency_key"
	CodeEmailTaken             = "email_taken"
	CodeLastOwner              = "last_owner"
	CodeOwnerOnly              = "owner_only"
	CodeSelfChange             = "self_change"
	CodeDefaultPolicy          = "default_policy_required"
	CodePlatformIdentity       = "platform_identity_exists"
	CodeAgencyExists           = "agency_exists"
	CodeUnavailable            = "service_unavailable"
	CodeClientNameTaken        = "client_name_taken"
	CodePlatformNotOperational = "platform_not_operational"
	CodeNoIdentityAccess       = "no_identity_access"
	CodeClientArchived         = "client_archived"
	CodeRequestPending         = "request_pending"
	CodeRequestNotPending      = "request_not_pending"
	CodeSelfApproval           = "self_approval"
	CodeIdentityProvisioning   = "identity_provisioning"
	CodeIdentityNotActive      = "identity_not_active"
	CodeNoCredential           = "no_credential"
	CodeNotManaged             = "credential_not_managed"
	CodeNotStandard            = "credential_generated"
	CodeConfirmName            = "confirm_name_mismatch"
	CodeOffboarding            = "offboarding_in_progress"
	CodePolicyViolation        = "policy_violation"
	CodeAlreadyApproved        = "already_approved"
	CodeApproverNotAllowed     = "approver_not_allowed"
	CodeAccessNotActive        = "access_not_active"
	CodeRotationInProgress     = "rotation_in_progress"
	CodeLimitReached           = "limit_reached"
)

// FieldError names one invalid input field and why it was refused.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error is AccessHive's error. Op names the operation that failed
// ("service.CreateMember"), so a wrapped chain reads like a trace.
type Error struct {
	Kind    Kind
	Code    string
	Message string       // safe to show to the caller
	Fields  []FieldError // for KindInvalid
	Current any          // for conflicts: the resource's current state, shown to the caller
	Op      string
	Err     error // the underlying cause, never shown to callers
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.Code)
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// E builds an Error of the given kind and code with a caller-facing message.
func E(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// NotFound reports that the named resource does not exist in the caller's agency.
func NotFound(what string) *Error {
	return &Error{Kind: KindNotFound, Code: CodeNotFound, Message: what + " not found"}
}

// Forbidden reports that the principal's role does not allow the action.
func Forbidden(format string, args ...any) *Error {
	return E(KindForbidden, CodeForbidden, format, args...)
}

// Conflict reports that the current state of a resource does not allow the change.
func Conflict(code, format string, args ...any) *Error {
	return E(KindConflict, code, format, args...)
}

// Internal wraps an unexpected failure of op. Its details are logged, never shown.
func Internal(op string, err error) *Error {
	return &Error{Kind: KindInternal, Code: CodeInternal, Op: op, Err: err}
}

// ErrorOf returns the first *Error in err's chain, or nil.
func ErrorOf(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// KindOf returns the kind of err: KindInternal for errors that are not *Error.
func KindOf(err error) Kind {
	if e := ErrorOf(err); e != nil {
		return e.Kind
	}
	return KindInternal
}

// CodeOf returns the machine code of err: CodeInternal for errors that are not *Error.
func CodeOf(err error) string {
	if e := ErrorOf(err); e != nil {
		return e.Code
	}
	return CodeInternal
}

// Validation collects field errors; Err returns nil when there are none.
type Validation struct {
	fields []FieldError
}

// Add records that field is invalid with the given code and message.
func (v *Validation) Add(field, code, format string, args ...any) {
	v.fields = append(v.fields, FieldError{Field: field, Code: code, Message: fmt.Sprintf(format, args...)})
}

// Check records a field error when ok is false.
func (v *Validation) Check(ok bool, field, code, format string, args ...any) {
	if !ok {
		v.Add(field, code, format, args...)
	}
}

// Err returns a KindInvalid error listing every recorded field error, or nil.
func (v *Validation) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &Error{Kind: KindInvalid, Code: CodeValidation, Message: "one or more fields are invalid", Fields: v.fields}
}

type requestIDKey struct{}

// WithRequestID returns ctx carrying the id of the API request being served, so
// the items it writes can name it (and the audit trail can show it).
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the API request id ctx carries, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
