// Package scim is AccessHive's SCIM 2.0 service provider (RFC 7643/7644) for an
// agency's identity provider: /scim/v2/Users, /Groups, /ServiceProviderConfig,
// /Schemas and /ResourceTypes. The protocol (schemas, validation, filter and
// PATCH path parsing) is github.com/elimity-com/scim's, with
// github.com/scim2/filter-parser; what each call means for members is the
// service's (shared/service/scim.go). Every request carries the agency's bearer
// token; a resource of another agency does not exist for it (404).
package scim

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"

	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/service"
)

type agencyKey struct{}

func agencyOf(r *http.Request) string {
	a, _ := r.Context().Value(agencyKey{}).(string)
	return a
}

// Entra ID sends booleans as strings ("False"); the library accepts them only
// when asked to, process-wide.
func init() { schema.SetAllowStringValues(true) }

// Handler serves SCIM under "/scim/v2". The server (its schemas) is built on the
// first SCIM request, not at the API's cold start: most API instances serve none.
func Handler(svc *service.Service, log *slog.Logger) (http.Handler, error) {
	var (
		once  sync.Once
		inner http.Handler
		err   error
	)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { inner, err = newHandler(svc, log) })
		if err != nil {
			writeError(w, scimerrors.ScimError{Status: http.StatusInternalServerError, Detail: "the SCIM service is not available"})
			return
		}
		inner.ServeHTTP(w, r)
	}), nil
}

func newHandler(svc *service.Service, log *slog.Logger) (http.Handler, error) {
	users := &userHandler{svc: svc}
	groups := &groupHandler{svc: svc}
	srv, err := scim.NewServer(&scim.ServerArgs{
		ServiceProviderConfig: &scim.ServiceProviderConfig{
			DocumentationURI: optional.NewString("https://github.com/accesshive/accesshive#staff-from-your-identity-provider-scim"),
			AuthenticationSchemes: []scim.AuthenticationScheme{{Type: scim.AuthenticationTypeOauthBearerToken, Name: "Bearer token",
				Description: "The agency's SCIM token (Settings > Identity provider), sent as Authorization: Bearer <token>.", Primary: true}},
			MaxResults: 200, SupportFiltering: true, SupportPatch: true,
		},
		ResourceTypes: []scim.ResourceType{
			{ID: optional.NewString("User"), Name: "User", Endpoint: "/Users", Description: optional.NewString("Agency staff"),
				Schema: schema.CoreUserSchema(), Handler: users},
			{ID: optional.NewString("Group"), Name: "Group", Endpoint: "/Groups", Description: optional.NewString("Groups that map to agency roles"),
				Schema: schema.CoreGroupSchema(), Handler: groups},
		},
	}, scim.WithLogger(logger{log}))
	if err != nil {
		return nil, err
	}
	inner := http.StripPrefix("/scim", srv)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" {
			writeError(w, scimerrors.ScimError{Status: http.StatusUnauthorized, Detail: "send the agency's SCIM token as Authorization: Bearer <token>"})
			return
		}
		agencyID, err := svc.SCIMAgency(r.Context(), strings.TrimSpace(token))
		if err != nil {
			writeError(w, toSCIM(err))
			return
		}
		inner.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), agencyKey{}, agencyID)))
	}), nil
}

type logger struct{ l *slog.Logger }

func (l logger) Error(args ...any) { l.l.Error("scim", "detail", fmt.Sprint(args...)) }

func writeError(w http.ResponseWriter, e scimerrors.ScimError) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(e.Status)
	detail := strings.ReplaceAll(e.Detail, `"`, `'`)
	scimType := ""
	if e.ScimType != "" {
		scimType = fmt.Sprintf(`,"scimType":%q`, e.ScimType)
	}
	_, _ = fmt.Fprintf(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"%d","detail":%q%s}`, e.Status, detail, scimType)
}

// toSCIM maps a domain error to the SCIM error a provider understands.
func toSCIM(err error) scimerrors.ScimError {
	e := ah.ErrorOf(err)
	if e == nil {
		return scimerrors.ScimError{Status: http.StatusInternalServerError, Detail: "internal error"}
	}
	switch e.Kind {
	case ah.KindNotFound:
		return scimerrors.ScimError{Status: http.StatusNotFound, Detail: "Resource not found."}
	case ah.KindUnauthenticated:
		return scimerrors.ScimError{Status: http.StatusUnauthorized, Detail: e.Message}
	case ah.KindForbidden:
		return scimerrors.ScimError{Status: http.StatusForbidden, Detail: e.Message}
	case ah.KindInvalid, ah.KindBadRequest:
		msg := e.Message
		for _, f := range e.Fields {
			msg += "; " + f.Message
		}
		return scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeInvalidValue, Detail: msg}
	case ah.KindConflict, ah.KindPrecondition:
		if e.Code == ah.CodeEmailTaken {
			return scimerrors.ScimError{Status: http.StatusConflict, ScimType: scimerrors.ScimTypeUniqueness, Detail: e.Message}
		}
		return scimerrors.ScimError{Status: http.StatusConflict, Detail: e.Message}
	case ah.KindUnavailable:
		return scimerrors.ScimError{Status: http.StatusInternalServerError, Detail: "temporarily unavailable; retry"}
	}
	return scimerrors.ScimError{Status: http.StatusInternalServerError, Detail: "internal error"}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func boolOf(v any) (bool, bool) {
	switch b := v.(type) {
	case bool:
		return b, true
	case string:
		switch strings.ToLower(b) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

func meta(m ah.Meta) scim.Meta {
	created, updated := m.CreatedAt, m.UpdatedAt
	return scim.Meta{Created: &created, LastModified: &updated, Version: fmt.Sprintf(`W/"%d"`, m.Version)}
}

func externalID(id string) optional.String {
	if id == "" {
		return optional.String{}
	}
	return optional.NewString(id)
}

// page cuts a SCIM page (1-based startIndex, count) out of all results.
func page(all []scim.Resource, p scim.ListRequestParams) scim.Page {
	start := max(p.StartIndex, 1) - 1
	out := scim.Page{TotalResults: len(all), Resources: []scim.Resource{}}
	if start >= len(all) || p.Count <= 0 {
		return out
	}
	out.Resources = all[start:min(len(all), start+p.Count)]
	return out
}
