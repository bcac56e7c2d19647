package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// ProblemTypeBase prefixes every problem type URI; the code completes it.
const ProblemTypeBase = "https://accesshive.dev/problems/"

// Problem is an RFC 9457 problem details body with AccessHive's stable code.
type Problem struct {
	Type      string          `json:"type"`
	Title     string          `json:"title"`
	Status    int             `json:"status"`
	Detail    string          `json:"detail,omitempty"`
	Code      string          `json:"code"`
	Instance  string          `json:"instance,omitempty"`
	RequestID string          `json:"requestId,omitempty"`
	Errors    []ah.FieldError `json:"errors,omitempty"`
	Current   any             `json:"current,omitempty"`
}

// statusOf is the one place that maps an error kind to an HTTP status.
func statusOf(k ah.Kind) int {
	switch k {
	case ah.KindBadRequest:
		return http.StatusBadRequest
	case ah.KindInvalid:
		return http.StatusUnprocessableEntity
	case ah.KindUnauthenticated:
		return http.StatusUnauthorized
	case ah.KindForbidden:
		return http.StatusForbidden
	case ah.KindNotFound:
		return http.StatusNotFound
	case ah.KindConflict:
		return http.StatusConflict
	case ah.KindPrecondition:
		return http.StatusPreconditionFailed
	case ah.KindTooLarge:
		return http.StatusRequestEntityTooLarge
	case ah.KindUnsupportedMedia:
		return http.StatusUnsupportedMediaType
	case ah.KindMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case ah.KindUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// problemFor builds the problem body for err. Internal errors are logged with their
// cause and shown only as "internal error".
func problemFor(r *http.Request, log *slog.Logger, err error) Problem {
	e := ah.ErrorOf(err)
	if e == nil || e.Kind == ah.KindInternal {
		log.ErrorContext(r.Context(), "internal error", "error", err.Error(), "requestId", requestID(r))
		e = &ah.Error{Kind: ah.KindInternal, Code: ah.CodeInternal, Message: "internal error"}
	} else if e.Kind == ah.KindUnavailable {
		log.WarnContext(r.Context(), "dependency unavailable", "error", err.Error(), "requestId", requestID(r))
	}
	status := statusOf(e.Kind)
	return Problem{
		Type: ProblemTypeBase + e.Code, Title: http.StatusText(status), Status: status, Detail: e.Message,
		Code: e.Code, Instance: r.URL.Path, RequestID: requestID(r), Errors: e.Fields, Current: e.Current,
	}
}

func writeProblem(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	p := problemFor(r, log, err)
	if p.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
