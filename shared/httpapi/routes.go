package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// call is one request as a handler sees it.
type call struct {
	r     *http.Request
	p     ah.Principal
	route *route
}

// reply is what a handler answers.
type reply struct {
	status   int
	body     any
	version  int // sets ETag when > 0
	replayed bool
}

type route struct {
	name    string
	method  string
	path    string
	roles   []ah.Role // nil: public, no authentication
	summary string    // "list members": completes "your role cannot ..."
	handle  func(*call) (reply, error)
}

func (rt *route) allows(r ah.Role) bool {
	for _, a := range rt.roles {
		if a == r {
			return true
		}
	}
	return false
}

// RouteInfo describes a route for documentation and tests.
type RouteInfo struct {
	Name    string
	Method  string
	Path    string
	Public  bool
	Roles   []ah.Role
	Summary string
}

// Routes lists every route with the roles allowed on it.
func (s *Server) Routes() []RouteInfo {
	out := make([]RouteInfo, len(s.routes))
	for i, rt := range s.routes {
		out[i] = RouteInfo{Name: rt.name, Method: rt.method, Path: rt.path, Public: rt.roles == nil, Roles: rt.roles, Summary: rt.summary}
	}
	return out
}

// Role sets used by the route table.
var (
	anyone []ah.Role // public
	// signedIn is every role, the auditor's included; everyone is every role that
	// works on clients or requests (the auditor reads the trail and nothing else).
	signedIn      = ah.AllRoles
	everyone      = []ah.Role{ah.RoleOwner, ah.RoleAdmin, ah.RoleClientManager, ah.RoleMember, ah.RoleClientUser}
	readers       = []ah.Role{ah.RoleOwner, ah.RoleAdmin, ah.RoleClientManager, ah.RoleMember, ah.RoleAuditor}
	auditReaders  = []ah.Role{ah.RoleOwner, ah.RoleAdmin, ah.RoleAuditor}
	ownerOnly     = []ah.Role{ah.RoleOwner}
	admins        = []ah.Role{ah.RoleOwner, ah.RoleAdmin}
	adminsManager = []ah.Role{ah.RoleOwner, ah.RoleAdmin, ah.RoleClientManager}
	staff         = ah.AgencyRoles // visibility of a client is then decided by its team
	clientUsers   = []ah.Role{ah.RoleClientUser}
)

// routeTable is every route of the API. The role matrix in docs/role-matrix.md is
// generated from it and checked by tests.
func (s *Server) routeTable() []route {
	svc := s.svc
	return []route{
		{"health", "GET", "/v1/health", anyone, "check liveness", func(*call) (reply, error) {
			return reply{status: http.StatusOK, body: map[string]string{"status": "ok"}}, nil
		}},
		{"me.get", "GET", "/v1/me", signedIn, "see who you are", func(c *call) (reply, error) {
			me, err := svc.Me(c.r.Context(), c.p)
			if err != nil {
				return reply{}, err
			}
			// What the caller's role may call, from this table: the console shows
			// only those actions (a client's team rules still answer per client).
			return reply{status: http.StatusOK, body: meView{Me: me, Actions: s.actionsOf(c.p.Role)}}, nil
		}},
		{"settings.get", "GET", "/v1/settings", admins, "read agency settings", func(c *call) (reply, error) {
			v, err := svc.GetSettings(c.r.Context(), c.p)
			return reply{status: http.StatusOK, body: v, version: v.Version}, err
		}},
		{"settings.update", "PATCH", "/v1/settings", ownerOnly, "change agency settings", func(c *call) (reply, error) {
			var patch ah.SettingsPatch
			ifMatch, err := decodePatch(c, &patch)
			if err != nil {
				return reply{}, err
			}
			v, err := svc.UpdateSettings(c.r.Context(), c.p, patch, ifMatch)
			return reply{status: http.StatusOK, body: v, version: v.Version}, err
		}},

		{"members.list", "GET", "/v1/members", admins, "list members", list(s, svc.ListMembers)},
		{"members.create", "POST", "/v1/members", admins, "invite members", create(svc.CreateMember)},
		{"members.get", "GET", "/v1/members/{memberId}", admins, "read members", get("memberId", svc.GetMember)},
		{"members.update", "PATCH", "/v1/members/{memberId}", admins, "change members", patch("memberId", svc.UpdateMember)},

		{"platforms.list", "GET", "/v1/platforms", adminsManager, "list platforms", list(s, svc.ListPlatforms)},
		{"platforms.create", "POST", "/v1/platforms", admins, "connect platforms", create(svc.CreatePlatform)},
		{"platforms.get", "GET", "/v1/platforms/{platformId}", adminsManager, "read platforms", get("platformId", svc.GetPlatform)},
		{"platforms.update", "PATCH", "/v1/platforms/{platformId}", admins, "change platforms", patch("platformId", svc.UpdatePlatform)},

		{"securityPolicies.list", "GET", "/v1/security-policies", adminsManager, "list security policies", list(s, svc.ListSecurityPolicies)},
		{"securityPolicies.create", "POST", "/v1/security-policies", admins, "create security policies", create(svc.CreateSecurityPolicy)},
		{"securityPolicies.get", "GET", "/v1/security-policies/{policyId}", adminsManager, "read security policies", get("policyId", svc.GetSecurityPolicy)},
		{"securityPolicies.update", "PATCH", "/v1/security-policies/{policyId}", admins, "change security policies", patch("policyId", svc.UpdateSecurityPolicy)},

		{"governancePolicies.list", "GET", "/v1/governance-policies", adminsManager, "list governance policies", list(s, svc.ListGovernancePolicies)},
		{"governancePolicies.create", "POST", "/v1/governance-policies", admins, "create governance policies", create(svc.CreateGovernancePolicy)},
		{"governancePolicies.get", "GET", "/v1/governance-policies/{policyId}", adminsManager, "read governance policies", get("policyId", svc.GetGovernancePolicy)},
		{"governancePolicies.update", "PATCH", "/v1/governance-policies/{policyId}", admins, "change governance policies", patch("policyId", svc.UpdateGovernancePolicy)},

		{"roleTemplates.list", "GET", "/v1/role-templates", everyone, "list role templates", list(s, svc.ListRoleTemplates)},
		{"roleTemplates.create", "POST", "/v1/role-templates", admins, "create role templates", create(svc.CreateRoleTemplate)},
		{"roleTemplates.get", "GET", "/v1/role-templates/{templateId}", everyone, "read role templates", get("templateId", svc.GetRoleTemplate)},
		{"roleTemplates.update", "PATCH", "/v1/role-templates/{templateId}", admins, "change role templates", patch("templateId", svc.UpdateRoleTemplate)},

		{"identities.list", "GET", "/v1/identities", adminsManager, "list agency identities", list(s, svc.ListIdentities)},
		{"identities.create", "POST", "/v1/identities", admins, "create agency identities", create(svc.CreateIdentity)},
		{"identities.get", "GET", "/v1/identities/{identityId}", adminsManager, "read agency identities", get("identityId", svc.GetIdentity)},
		{"identities.update", "PATCH", "/v1/identities/{identityId}", admins, "change agency identities", patch("identityId", svc.UpdateIdentity)},
		{"identities.credentials.replace", "PUT", "/v1/identities/{identityId}/credentials", admins, "replace agency identity credentials", withBody(http.StatusOK, func(c *call, in ah.CredentialInput) (ah.Identity, error) {
			return svc.ReplaceAgencyCredential(c.r.Context(), c.p, c.r.PathValue("identityId"), in)
		})},
		{"identities.credentials.reveal", "POST", "/v1/identities/{identityId}/credentials/reveal", admins, "reveal agency identity credentials", noBody(http.StatusOK, func(c *call) (ah.Credential, error) {
			return svc.RevealAgencyCredential(c.r.Context(), c.p, c.r.PathValue("identityId"))
		})},
		{"identities.credentials.rotate", "POST", "/v1/identities/{identityId}/credentials/rotate", admins, "rotate agency identity credentials", noBody(http.StatusOK, func(c *call) (ah.Identity, error) {
			return svc.RotateAgencyCredential(c.r.Context(), c.p, c.r.PathValue("identityId"))
		})},

		{"clients.list", "GET", "/v1/clients", staff, "list clients", listCall(s, func(c *call, page ah.Page) ([]ah.ClientView, ah.Keys, error) {
			lifecycle, err := lifecycleParam(c)
			if err != nil {
				return nil, nil, err
			}
			return svc.ListClients(c.r.Context(), c.p, lifecycle, page)
		})},
		{"clients.create", "POST", "/v1/clients", adminsManager, "create clients", create(svc.CreateClient)},
		{"clients.get", "GET", "/v1/clients/{clientId}", staff, "read clients", get("clientId", svc.GetClient)},
		{"clients.update", "PATCH", "/v1/clients/{clientId}", adminsManager, "change clients", patch("clientId", svc.UpdateClient)},
		{"clients.contacts.put", "PUT", "/v1/clients/{clientId}/contacts/{contactId}", adminsManager, "change client contacts", put("clientId", "contactId", svc.PutContact)},
		{"clients.contacts.delete", "DELETE", "/v1/clients/{clientId}/contacts/{contactId}", adminsManager, "change client contacts", del("clientId", "contactId", svc.DeleteContact)},
		{"clients.team.put", "PUT", "/v1/clients/{clientId}/team/{memberId}", adminsManager, "change client teams", put("clientId", "memberId", svc.PutTeamMember)},
		{"clients.team.delete", "DELETE", "/v1/clients/{clientId}/team/{memberId}", adminsManager, "change client teams", del("clientId", "memberId", svc.DeleteTeamMember)},
		{"clients.users.create", "POST", "/v1/clients/{clientId}/users", adminsManager, "invite client users", createIn("clientId", svc.CreateClientUser)},
		{"clients.platforms.list", "GET", "/v1/clients/{clientId}/platforms", everyone, "list client platforms", func(c *call) (reply, error) {
			items, err := svc.ListClientPlatforms(c.r.Context(), c.p, c.r.PathValue("clientId"))
			return reply{status: http.StatusOK, body: listBody[ah.ClientPlatform]{Items: items}}, err
		}},
		{"clients.platforms.put", "PUT", "/v1/clients/{clientId}/platforms/{platformId}", adminsManager, "add platforms to clients", func(c *call) (reply, error) {
			if err := emptyOrObject(c); err != nil {
				return reply{}, err
			}
			v, created, err := svc.AddClientPlatform(c.r.Context(), c.p, c.r.PathValue("clientId"), c.r.PathValue("platformId"))
			return reply{status: map[bool]int{true: http.StatusCreated, false: http.StatusOK}[created], body: v}, err
		}},
		{"clients.identities.list", "GET", "/v1/clients/{clientId}/identities", staff, "list client identities", listIn(s, "clientId", svc.ListClientIdentities)},
		{"clients.identities.get", "GET", "/v1/clients/{clientId}/identities/{identityId}", staff, "read client identities", getIn("clientId", "identityId", svc.GetClientIdentity)},
		{"clients.agencyIdentities.list", "GET", "/v1/clients/{clientId}/agency-identities", staff, "list linked agency identities", func(c *call) (reply, error) {
			items, err := svc.ListLinkedIdentities(c.r.Context(), c.p, c.r.PathValue("clientId"))
			return reply{status: http.StatusOK, body: listBody[ah.LinkedIdentity]{Items: items}}, err
		}},
		{"clients.agencyIdentities.link", "PUT", "/v1/clients/{clientId}/agency-identities/{identityId}", staff, "link agency identities", func(c *call) (reply, error) {
			if err := emptyOrObject(c); err != nil {
				return reply{}, err
			}
			v, created, err := svc.LinkIdentity(c.r.Context(), c.p, c.r.PathValue("clientId"), c.r.PathValue("identityId"))
			return reply{status: map[bool]int{true: http.StatusCreated, false: http.StatusOK}[created], body: v}, err
		}},
		{"clients.agencyIdentities.unlink", "DELETE", "/v1/clients/{clientId}/agency-identities/{identityId}", staff, "unlink agency identities", del("clientId", "identityId", svc.UnlinkIdentity)},
		{"clients.identities.retry", "POST", "/v1/clients/{clientId}/identities/{identityId}/retry-provisioning", admins, "retry provisioning", noBody(http.StatusAccepted, func(c *call) (ah.ClientIdentity, error) {
			return svc.RetryProvisioning(c.r.Context(), c.p, c.r.PathValue("clientId"), c.r.PathValue("identityId"))
		})},
		{"clients.credentials.reveal", "POST", "/v1/clients/{clientId}/identities/{identityId}/credentials/reveal", admins, "reveal credentials", noBody(http.StatusOK, func(c *call) (ah.Credential, error) {
			return svc.RevealCredential(c.r.Context(), c.p, c.r.PathValue("clientId"), c.r.PathValue("identityId"))
		})},
		{"clients.credentials.rotate", "POST", "/v1/clients/{clientId}/identities/{identityId}/credentials/rotate", admins, "rotate credentials", noBody(http.StatusOK, func(c *call) (ah.ClientIdentity, error) {
			return svc.RotateCredential(c.r.Context(), c.p, c.r.PathValue("clientId"), c.r.PathValue("identityId"))
		})},
		{"clients.credentials.replace", "PUT", "/v1/clients/{clientId}/identities/{identityId}/credentials", admins, "replace credentials", withBody(http.StatusOK, func(c *call, in ah.CredentialInput) (ah.ClientIdentity, error) {
			return svc.ReplaceCredential(c.r.Context(), c.p, c.r.PathValue("clientId"), c.r.PathValue("identityId"), in)
		})},
		{"clients.requests.create", "POST", "/v1/clients/{clientId}/access-requests", clientUsers, "submit access requests", createIn("clientId", svc.SubmitRequest)},
		{"clients.requests.list", "GET", "/v1/clients/{clientId}/access-requests", everyone, "list access requests", listCall(s, func(c *call, page ah.Page) ([]ah.AccessRequest, ah.Keys, error) {
			return svc.ListRequests(c.r.Context(), c.p, c.r.PathValue("clientId"), c.r.URL.Query().Get("status"), page)
		})},
		{"clients.requests.get", "GET", "/v1/clients/{clientId}/access-requests/{requestId}", everyone, "read access requests", getIn("clientId", "requestId", svc.GetRequest)},
		{"clients.requests.approve", "POST", "/v1/clients/{clientId}/access-requests/{requestId}/approve", staff, "approve access requests", review(svc.ApproveRequest)},
		{"clients.requests.reject", "POST", "/v1/clients/{clientId}/access-requests/{requestId}/reject", staff, "reject access requests", review(svc.RejectRequest)},
		{"clients.requests.decide", "POST", "/v1/clients/{clientId}/access-request-decisions", staff, "approve or reject access requests", func(c *call) (reply, error) {
			body, err := readBody(c.r)
			if err != nil {
				return reply{}, err
			}
			var in ah.BulkDecisionInput
			if err := decodeJSON(body, &in); err != nil {
				return reply{}, err
			}
			results, err := svc.DecideRequests(c.r.Context(), c.p, c.r.PathValue("clientId"), in)
			if err != nil {
				return reply{}, err
			}
			out := bulkResults{Results: make([]bulkResult, len(results))}
			for i, res := range results {
				item := bulkResult{RequestID: res.RequestID, Action: res.Action, Status: http.StatusOK, Request: res.Request}
				if res.Err != nil {
					p := problemFor(c.r, s.log, res.Err)
					item.Status, item.Problem = p.Status, &p
				}
				out.Results[i] = item
			}
			return reply{status: http.StatusOK, body: out}, nil
		}},
		{"clients.breakGlass", "POST", "/v1/clients/{clientId}/break-glass", adminsManager, "take break-glass access", withBody(http.StatusCreated, func(c *call, in ah.BreakGlassInput) (ah.AccessRequest, error) {
			return svc.BreakGlass(c.r.Context(), c.p, c.r.PathValue("clientId"), in)
		})},
		{"clients.requests.closeReview", "POST", "/v1/clients/{clientId}/access-requests/{requestId}/close-review", admins, "close break-glass reviews", withBody(http.StatusOK, func(c *call, in ah.CloseReviewInput) (ah.AccessRequest, error) {
			return svc.ClosePostReview(c.r.Context(), c.p, c.r.PathValue("clientId"), c.r.PathValue("requestId"), in)
		})},
		{"clients.requests.revoke", "POST", "/v1/clients/{clientId}/access-requests/{requestId}/revoke", admins, "revoke access", review(svc.RevokeAccess)},
		{"clients.requests.cancel", "POST", "/v1/clients/{clientId}/access-requests/{requestId}/cancel", clientUsers, "cancel access requests", noBody(http.StatusOK, func(c *call) (ah.AccessRequest, error) {
			return svc.CancelRequest(c.r.Context(), c.p, c.r.PathValue("clientId"), c.r.PathValue("requestId"))
		})},
		{"clients.requests.credentials.reveal", "POST", "/v1/clients/{clientId}/access-requests/{requestId}/credentials/reveal", clientUsers, "reveal the credential of your own access", noBody(http.StatusOK, func(c *call) (ah.Credential, error) {
			return svc.RevealMyCredential(c.r.Context(), c.p, c.r.PathValue("clientId"), c.r.PathValue("requestId"))
		})},
		{"clients.reviews.list", "GET", "/v1/clients/{clientId}/reviews", readers, "list access reviews", listIn(s, "clientId", svc.ListReviews)},
		{"clients.reviews.get", "GET", "/v1/clients/{clientId}/reviews/{reviewId}", readers, "read access reviews", getIn("clientId", "reviewId", svc.GetReview)},
		{"clients.reviews.decide", "POST", "/v1/clients/{clientId}/reviews/{reviewId}/items/{itemId}/decision", staff, "decide access review items", withBody(http.StatusOK, func(c *call, in ah.ReviewDecisionInput) (ah.ReviewCampaign, error) {
			return svc.DecideReviewItem(c.r.Context(), c.p, c.r.PathValue("clientId"), c.r.PathValue("reviewId"), c.r.PathValue("itemId"), in)
		})},
		{"clients.governance.get", "GET", "/v1/clients/{clientId}/governance", staff, "read client governance", get("clientId", svc.GetGovernance)},
		{"clients.governance.put", "PUT", "/v1/clients/{clientId}/governance", admins, "change client governance", patch("clientId", svc.PutGovernance)},
		{"clients.effectiveAccess.get", "GET", "/v1/clients/{clientId}/effective-access", readers, "read effective access", get("clientId", svc.GetEffectiveAccess)},
		{"clients.offboarding.get", "GET", "/v1/clients/{clientId}/offboarding", adminsManager, "preview offboarding", get("clientId", svc.OffboardingPreview)},
		{"clients.offboarding.confirm", "POST", "/v1/clients/{clientId}/offboarding", adminsManager, "offboard clients", withBody(http.StatusAccepted, func(c *call, in ah.ConfirmOffboardingInput) (ah.ClientView, error) {
			return svc.ConfirmOffboarding(c.r.Context(), c.p, c.r.PathValue("clientId"), in)
		})},
		{"slack.get", "GET", "/v1/integrations/slack", admins, "read the Slack connection", func(c *call) (reply, error) {
			v, err := svc.GetSlack(c.r.Context(), c.p)
			return reply{status: http.StatusOK, body: v}, err
		}},
		{"slack.connect", "PUT", "/v1/integrations/slack", admins, "connect Slack", withBody(http.StatusOK, func(c *call, in ah.SlackInput) (ah.SlackConfig, error) {
			return svc.ConnectSlack(c.r.Context(), c.p, in)
		})},
		{"slack.disconnect", "DELETE", "/v1/integrations/slack", admins, "disconnect Slack", func(c *call) (reply, error) {
			return reply{status: http.StatusNoContent}, svc.DisconnectSlack(c.r.Context(), c.p)
		}},
		{"clients.slackChannel.get", "GET", "/v1/clients/{clientId}/slack-channel", adminsManager, "read client Slack channels", get("clientId", svc.GetClientSlackChannel)},
		{"clients.slackChannel.put", "PUT", "/v1/clients/{clientId}/slack-channel", adminsManager, "set client Slack channels", withBody(http.StatusOK, func(c *call, in ah.ClientSlackChannelInput) (ah.ClientSlackChannel, error) {
			return svc.SetClientSlackChannel(c.r.Context(), c.p, c.r.PathValue("clientId"), in)
		})},

		{"scim.get", "GET", "/v1/scim", ownerOnly, "read the SCIM connection", func(c *call) (reply, error) {
			v, err := svc.GetSCIMConfig(c.r.Context(), c.p)
			return reply{status: http.StatusOK, body: v}, err
		}},
		{"scim.update", "PUT", "/v1/scim", ownerOnly, "map SCIM groups to roles", withBody(http.StatusOK, func(c *call, in ah.SCIMConfigInput) (ah.SCIMConfig, error) {
			return svc.UpdateSCIMConfig(c.r.Context(), c.p, in, nil)
		})},
		{"scim.token", "POST", "/v1/scim/token", ownerOnly, "issue SCIM tokens", noBody(http.StatusOK, func(c *call) (ah.SCIMToken, error) {
			return svc.IssueSCIMToken(c.r.Context(), c.p)
		})},
		{"scim.disable", "DELETE", "/v1/scim", ownerOnly, "disconnect SCIM", func(c *call) (reply, error) {
			return reply{status: http.StatusNoContent}, svc.DisableSCIM(c.r.Context(), c.p)
		}},

		{"webhooks.list", "GET", "/v1/webhooks", admins, "list webhook endpoints", list(s, svc.ListWebhooks)},
		{"webhooks.create", "POST", "/v1/webhooks", admins, "register webhook endpoints", create(svc.CreateWebhook)},
		{"webhooks.get", "GET", "/v1/webhooks/{webhookId}", admins, "read webhook endpoints", get("webhookId", svc.GetWebhook)},
		{"webhooks.update", "PATCH", "/v1/webhooks/{webhookId}", admins, "change webhook endpoints", patch("webhookId", svc.UpdateWebhook)},
		{"webhooks.delete", "DELETE", "/v1/webhooks/{webhookId}", admins, "delete webhook endpoints", func(c *call) (reply, error) {
			return reply{status: http.StatusNoContent}, svc.DeleteWebhook(c.r.Context(), c.p, c.r.PathValue("webhookId"))
		}},
		{"webhooks.rotateSecret", "POST", "/v1/webhooks/{webhookId}/rotate-secret", admins, "rotate webhook secrets", noBody(http.StatusOK, func(c *call) (ah.NewWebhookEndpoint, error) {
			return svc.RotateWebhookSecret(c.r.Context(), c.p, c.r.PathValue("webhookId"))
		})},
		{"webhooks.deliveries.list", "GET", "/v1/webhooks/{webhookId}/deliveries", admins, "read webhook delivery logs", listIn(s, "webhookId", svc.ListWebhookDeliveries)},

		{"notifications.list", "GET", "/v1/notifications", signedIn, "read notifications", list(s, svc.ListNotifications)},
		{"notifications.unreadCount", "GET", "/v1/notifications/unread-count", signedIn, "count unread notifications", func(c *call) (reply, error) {
			v, err := svc.UnreadCount(c.r.Context(), c.p)
			return reply{status: http.StatusOK, body: v}, err
		}},
		{"notifications.read", "POST", "/v1/notifications/{notificationId}/read", signedIn, "mark notifications read", noBody(http.StatusOK, func(c *call) (ah.Notification, error) {
			return svc.MarkNotificationRead(c.r.Context(), c.p, c.r.PathValue("notificationId"))
		})},
		{"notifications.readAll", "POST", "/v1/notifications/read-all", signedIn, "mark notifications read", noBody(http.StatusOK, func(c *call) (ah.MarkedRead, error) {
			return svc.MarkAllNotificationsRead(c.r.Context(), c.p)
		})},
		{"clients.activity.list", "GET", "/v1/clients/{clientId}/activity", readers, "read client activity", listCall(s, func(c *call, page ah.Page) ([]ah.AuditEntry, ah.Keys, error) {
			f, err := auditFilter(c)
			if err != nil {
				return nil, nil, err
			}
			return svc.ListActivity(c.r.Context(), c.p, c.r.PathValue("clientId"), f, page)
		})},
		{"audit.search", "GET", "/v1/audit", auditReaders, "search the audit trail", listCall(s, func(c *call, page ah.Page) ([]ah.AuditEntry, ah.Keys, error) {
			f, err := auditFilter(c)
			if err != nil {
				return nil, nil, err
			}
			f.ClientID = c.r.URL.Query().Get("clientId")
			return svc.SearchAudit(c.r.Context(), c.p, f, page)
		})},
	}
}

func (s *Server) write(w http.ResponseWriter, rep reply) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	if rep.version > 0 {
		h.Set("ETag", etag(rep.version))
	}
	if rep.replayed {
		h.Set("Idempotent-Replayed", "true")
	}
	if rep.status == http.StatusNoContent {
		h.Del("Content-Type")
		w.WriteHeader(rep.status)
		return
	}
	w.WriteHeader(rep.status)
	_ = json.NewEncoder(w).Encode(rep.body)
}

// RouteTable lists the API's routes without a running service (docs and tests).
func RouteTable() []RouteInfo { return New(Options{}).Routes() }

// lifecycleParam reads ?status=active|archived (default active) of the client list.
func lifecycleParam(c *call) (ah.ClientLifecycle, error) {
	switch st := c.r.URL.Query().Get("status"); st {
	case "", "active":
		return ah.ClientActive, nil
	case "archived":
		return ah.ClientArchived, nil
	}
	var v ah.Validation
	v.Add("status", ah.FieldUnknown, "status must be active or archived")
	return "", v.Err()
}

// emptyOrObject accepts no body or an empty JSON object (PUT without content).
func emptyOrObject(c *call) error {
	body, err := readBody(c.r)
	if err != nil || len(body) == 0 {
		return err
	}
	var none struct{}
	return decodeJSON(body, &none)
}

// review handles approve, reject and revoke: an optional {"reason"} body (or none).
func review[In any](fn func(context.Context, ah.Principal, string, string, In) (ah.AccessRequest, error)) func(*call) (reply, error) {
	return func(c *call) (reply, error) {
		body, err := readBody(c.r)
		if err != nil {
			return reply{}, err
		}
		var in In
		if len(body) > 0 {
			if err := decodeJSON(body, &in); err != nil {
				return reply{}, err
			}
		}
		r, err := fn(c.r.Context(), c.p, c.r.PathValue("clientId"), c.r.PathValue("requestId"), in)
		if err != nil {
			return reply{}, err
		}
		return reply{status: http.StatusOK, body: r, version: r.Version}, nil
	}
}

// auditFilter reads ?action=&actorId=&from=&to= (RFC 3339 times).
func auditFilter(c *call) (ah.AuditFilter, error) {
	q := c.r.URL.Query()
	f := ah.AuditFilter{Action: q.Get("action"), ActorID: q.Get("actorId")}
	var v ah.Validation
	for name, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if s := q.Get(name); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				v.Add(name, ah.FieldInvalid, "%s must be an RFC 3339 time like 2026-11-23T14:00:00Z", name)
			}
			*dst = t
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		v.Add("to", ah.FieldOutRange, "to must not be before from")
	}
	return f, v.Err()
}

// bulkResults is a bulk decision's answer: one item per decision, in order.
type bulkResults struct {
	Results []bulkResult `json:"results"`
}

type bulkResult struct {
	RequestID string            `json:"requestId"`
	Action    string            `json:"action"`
	Status    int               `json:"status"`
	Request   *ah.AccessRequest `json:"request,omitempty"`
	Problem   *Problem          `json:"problem,omitempty"`
}

// meView is GET /v1/me: the caller and the route names its role may call.
type meView struct {
	ah.Me
	Actions []string `json:"actions"`
}

// actionsOf lists the routes a role passes the gate of, by name.
func (s *Server) actionsOf(role ah.Role) []string {
	var out []string
	for _, rt := range s.routes {
		if rt.roles != nil && slices.Contains(rt.roles, role) {
			out = append(out, rt.name)
		}
	}
	return out
}
