// Package slackapp serves Slack's interaction callbacks (the Approve and Reject
// buttons of request cards) at /integrations/slack/{agencyId}/interactions.
// Every request is verified with the agency's Slack signing secret as Slack
// documents (v0 HMAC-SHA256 over "v0:timestamp:body", timestamps within five
// minutes; slack-go's SecretsVerifier) before anything is read from it: a bad or
// stale signature is 401 and does nothing.
package slackapp

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/slack-go/slack"

	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/service"
)

// Prefix is where the handler is mounted.
const Prefix = "/integrations/slack/"

// Action ids of the card's buttons (as shared/slackchat posts them).
const (
	actionApprove = "accesshive_approve"
	actionReject  = "accesshive_reject"
)

// agencyOf reads the agency id out of /integrations/slack/<agencyId>/interactions.
func agencyOf(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, Prefix)
	id, ok2 := strings.CutSuffix(rest, "/interactions")
	if !ok || !ok2 || len(id) != 30 || !strings.HasPrefix(id, "agy_") {
		return "", false
	}
	for _, c := range id[4:] {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return "", false
		}
	}
	return id, true
}

// Handler answers Slack's interaction callbacks.
type Handler struct {
	Service *service.Service
	// Secret reads an agency's Slack secrets (NotFound when it has none).
	Secret func(ctx context.Context, agencyID string) (ah.SlackSecret, error)
	Log    *slog.Logger
}

// maxBody bounds a callback's body (Slack's are a few KB).
const maxBody = 64 << 10

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	agencyID, ok := agencyOf(r.URL.Path)
	if !ok {
		problem(w, http.StatusNotFound, ah.CodeRouteNotFound, "no Slack endpoint here; the Request URL is /integrations/slack/<agencyId>/interactions")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		problem(w, http.StatusMethodNotAllowed, ah.CodeMethodNotAllowed, "Slack posts interactions")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		problem(w, http.StatusRequestEntityTooLarge, ah.CodePayloadTooLarge, "the callback is larger than Slack sends")
		return
	}
	secret, err := h.Secret(r.Context(), agencyID)
	if ah.KindOf(err) == ah.KindNotFound || err == nil && secret.SigningSecret == "" {
		problem(w, http.StatusNotFound, ah.CodeNotFound, "this agency has not connected Slack")
		return
	}
	if err != nil {
		h.Log.Error("slack: secrets unavailable", "agency", agencyID, "error", err.Error())
		problem(w, http.StatusServiceUnavailable, ah.CodeUnavailable, "try again in a moment")
		return
	}
	sv, err := slack.NewSecretsVerifier(r.Header, secret.SigningSecret)
	if err == nil {
		_, _ = sv.Write(body)
		err = sv.Ensure()
	}
	if err != nil {
		h.Log.Warn("slack: callback refused", "agency", agencyID, "reason", err.Error())
		problem(w, http.StatusUnauthorized, ah.CodeUnauthenticated, "the request is not signed by the agency's Slack app, or its timestamp is stale")
		return
	}
	form, err := url.ParseQuery(string(body))
	var cb slack.InteractionCallback
	if err == nil {
		err = json.Unmarshal([]byte(form.Get("payload")), &cb)
	}
	if err != nil {
		problem(w, http.StatusBadRequest, ah.CodeMalformedJSON, "the payload is not an interaction")
		return
	}
	d, ok := decision(cb)
	if !ok {
		w.WriteHeader(http.StatusOK) // not a button of ours: nothing to do
		return
	}
	d.AgencyID = agencyID
	if _, err := h.Service.DecideFromSlack(r.Context(), d); err != nil {
		h.Log.Info("slack: decision refused", "agency", agencyID, "request", d.RequestID, "error", err.Error())
	}
	// Slack wants 200 within 3 s; the outcome shows on the card (or, refused, to the user).
	w.WriteHeader(http.StatusOK)
}

// decision reads a click of Approve or Reject.
func decision(cb slack.InteractionCallback) (service.SlackDecision, bool) {
	if cb.Type != slack.InteractionTypeBlockActions {
		return service.SlackDecision{}, false
	}
	for _, a := range cb.ActionCallback.BlockActions {
		if a.ActionID != actionApprove && a.ActionID != actionReject {
			continue
		}
		clientID, requestID, ok := strings.Cut(a.Value, "/")
		if !ok {
			return service.SlackDecision{}, false
		}
		channel := cb.Channel.ID
		if channel == "" {
			channel = cb.Container.ChannelID
		}
		return service.SlackDecision{TeamID: cb.Team.ID, UserID: cb.User.ID, ChannelID: channel, Approve: a.ActionID == actionApprove,
			ClientID: clientID, RequestID: requestID}, true
	}
	return service.SlackDecision{}, false
}

func problem(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"type": "https://accesshive.dev/problems/" + code, "title": http.StatusText(status),
		"status": status, "detail": detail, "code": code})
}
