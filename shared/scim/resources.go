package scim

import (
	"net/http"
	"slices"
	"strings"

	"github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	filter "github.com/scim2/filter-parser/v2"

	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/service"
)

// userHandler: SCIM Users are agency staff members.
type userHandler struct{ svc *service.Service }

func (h *userHandler) resource(r *http.Request, m ah.Member) (scim.Resource, error) {
	attrs := scim.ResourceAttributes{
		"userName":    m.Email,
		"displayName": m.Name,
		"name":        map[string]any{"formatted": m.Name},
		"active":      m.Status != ah.MemberDisabled,
		"emails":      []any{map[string]any{"value": m.Email, "primary": true, "type": "work"}},
	}
	if len(m.SCIMGroups) > 0 {
		groups, err := h.svc.SCIMListGroups(r.Context(), agencyOf(r))
		if err != nil {
			return scim.Resource{}, toSCIM(err)
		}
		var gs []any
		for _, g := range groups {
			if slices.Contains(m.SCIMGroups, g.ID) {
				gs = append(gs, map[string]any{"value": g.ID, "display": g.DisplayName})
			}
		}
		attrs["groups"] = gs
	}
	return scim.Resource{ID: m.ID, ExternalID: externalID(m.ExternalID), Attributes: attrs, Meta: meta(m.Meta)}, nil
}

// input reads a User's attributes (as the library validated them).
func userInput(attrs scim.ResourceAttributes) ah.SCIMUserInput {
	in := ah.SCIMUserInput{Active: true}
	for k, v := range attrs {
		setUserAttr(&in, strings.ToLower(k), "", v)
	}
	return in
}

// setUserAttr applies one attribute (and sub-attribute) value to a user.
func setUserAttr(in *ah.SCIMUserInput, attr, sub string, v any) {
	if a, s, ok := strings.Cut(attr, "."); ok { // "name.givenName" as a key of a path-less value
		attr, sub = a, s
	}
	switch attr {
	case "username":
		in.UserName = str(v)
	case "displayname":
		in.DisplayName = str(v)
	case "externalid":
		in.ExternalID = str(v)
	case "active":
		if b, ok := boolOf(v); ok {
			in.Active = b
		}
	case "name":
		if sub != "" {
			setName(in, strings.ToLower(sub), str(v))
			return
		}
		if m, ok := v.(map[string]any); ok {
			for k, x := range m {
				setName(in, strings.ToLower(k), str(x))
			}
		}
	}
	// emails, groups, roles, locale, password...: not kept (userName is the email).
}

func setName(in *ah.SCIMUserInput, sub, v string) {
	switch sub {
	case "givenname":
		in.GivenName = v
	case "familyname":
		in.FamilyName = v
	case "formatted":
		in.Formatted = v
	}
}

func (h *userHandler) Create(r *http.Request, attrs scim.ResourceAttributes) (scim.Resource, error) {
	m, err := h.svc.SCIMCreateUser(r.Context(), agencyOf(r), userInput(attrs))
	if err != nil {
		return scim.Resource{}, toSCIM(err)
	}
	return h.resource(r, m)
}

func (h *userHandler) Get(r *http.Request, id string) (scim.Resource, error) {
	m, err := h.svc.SCIMGetUser(r.Context(), agencyOf(r), id)
	if err != nil {
		return scim.Resource{}, toSCIM(err)
	}
	return h.resource(r, m)
}

func (h *userHandler) GetAll(r *http.Request, p scim.ListRequestParams) (scim.Page, error) {
	agencyID := agencyOf(r)
	var members []ah.Member
	// userName eq "x" (how Okta and Entra ID look a user up): one read.
	if email, ok := userNameEq(p); ok {
		m, err := h.svc.SCIMGetUserByEmail(r.Context(), agencyID, email)
		switch {
		case ah.KindOf(err) == ah.KindNotFound:
		case err != nil:
			return scim.Page{}, toSCIM(err)
		default:
			members = []ah.Member{m}
		}
	} else {
		var err error
		if members, err = h.svc.SCIMListUsers(r.Context(), agencyID); err != nil {
			return scim.Page{}, toSCIM(err)
		}
	}
	var all []scim.Resource
	for _, m := range members {
		res, err := h.resource(r, m)
		if err != nil {
			return scim.Page{}, err
		}
		if p.FilterValidator != nil {
			doc := map[string]any{"id": res.ID}
			for k, v := range res.Attributes {
				doc[k] = v
			}
			if res.ExternalID.Present() {
				doc["externalId"] = res.ExternalID.Value()
			}
			if p.FilterValidator.PassesFilter(doc) != nil {
				continue
			}
		}
		all = append(all, res)
	}
	return page(all, p), nil
}

// userNameEq recognises the filter `userName eq "<email>"`.
func userNameEq(p scim.ListRequestParams) (string, bool) {
	if p.FilterValidator == nil {
		return "", false
	}
	e, ok := p.FilterValidator.GetFilter().(*filter.AttributeExpression)
	if !ok || !strings.EqualFold(e.AttributePath.AttributeName, "userName") || e.AttributePath.SubAttribute != nil || e.Operator != filter.EQ {
		return "", false
	}
	s, ok := e.CompareValue.(string)
	return ah.NormalizeEmail(s), ok
}

func (h *userHandler) Replace(r *http.Request, id string, attrs scim.ResourceAttributes) (scim.Resource, error) {
	m, err := h.svc.SCIMReplaceUser(r.Context(), agencyOf(r), id, userInput(attrs))
	if err != nil {
		return scim.Resource{}, toSCIM(err)
	}
	return h.resource(r, m)
}

func (h *userHandler) Delete(r *http.Request, id string) error {
	if err := h.svc.SCIMDeleteUser(r.Context(), agencyOf(r), id); err != nil {
		return toSCIM(err)
	}
	return nil
}

// Patch applies the operations to the user as it is, then replaces it: add and
// replace set attributes (with or without a path; Okta sends {"active": false}
// without one, Entra ID "name.familyName" paths), remove clears externalId.
func (h *userHandler) Patch(r *http.Request, id string, ops []scim.PatchOperation) (scim.Resource, error) {
	m, err := h.svc.SCIMGetUser(r.Context(), agencyOf(r), id)
	if err != nil {
		return scim.Resource{}, toSCIM(err)
	}
	in := ah.SCIMUserInput{UserName: m.Email, DisplayName: m.Name, ExternalID: m.ExternalID, Active: m.Status != ah.MemberDisabled}
	for _, op := range ops {
		switch {
		case op.Op == scim.PatchOperationRemove && op.Path != nil && strings.EqualFold(op.Path.AttributePath.AttributeName, "externalId"):
			in.ExternalID = ""
		case op.Op == scim.PatchOperationRemove:
			// Nothing else AccessHive keeps can be removed: the name and email are required.
		case op.Path == nil:
			values, ok := op.Value.(map[string]any)
			if !ok {
				return scim.Resource{}, scimerrors.ScimErrorInvalidValue
			}
			for k, v := range values {
				setUserAttr(&in, strings.ToLower(k), "", v)
			}
		default:
			sub := ""
			if op.Path.AttributePath.SubAttribute != nil {
				sub = *op.Path.AttributePath.SubAttribute
			}
			setUserAttr(&in, strings.ToLower(op.Path.AttributePath.AttributeName), sub, op.Value)
		}
	}
	if in.DisplayName == m.Name && (in.GivenName != "" || in.FamilyName != "" || in.Formatted != "") {
		in.DisplayName = "" // a changed name wins over the name as it was
	}
	m, err = h.svc.SCIMReplaceUser(r.Context(), agencyOf(r), id, in)
	if err != nil {
		return scim.Resource{}, toSCIM(err)
	}
	return h.resource(r, m)
}

// groupHandler: SCIM Groups, whose display names map to agency roles.
type groupHandler struct{ svc *service.Service }

func groupResource(g ah.SCIMGroup) scim.Resource {
	members := make([]any, 0, len(g.Members))
	for _, id := range g.Members {
		members = append(members, map[string]any{"value": id})
	}
	return scim.Resource{ID: g.ID, ExternalID: externalID(g.ExternalID), Meta: meta(g.Meta),
		Attributes: scim.ResourceAttributes{"displayName": g.DisplayName, "members": members}}
}

func groupInput(attrs scim.ResourceAttributes) ah.SCIMGroupInput {
	var in ah.SCIMGroupInput
	for k, v := range attrs {
		switch strings.ToLower(k) {
		case "displayname":
			in.DisplayName = str(v)
		case "externalid":
			in.ExternalID = str(v)
		case "members":
			in.Members = memberIDs(v)
		}
	}
	return in
}

// memberIDs reads [{"value": "<id>"}, ...].
func memberIDs(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, x := range list {
		if m, ok := x.(map[string]any); ok {
			if id := str(m["value"]); id != "" {
				out = append(out, id)
			}
		}
	}
	return out
}

func (h *groupHandler) Create(r *http.Request, attrs scim.ResourceAttributes) (scim.Resource, error) {
	g, err := h.svc.SCIMCreateGroup(r.Context(), agencyOf(r), groupInput(attrs))
	if err != nil {
		return scim.Resource{}, toSCIM(err)
	}
	return groupResource(g), nil
}

func (h *groupHandler) Get(r *http.Request, id string) (scim.Resource, error) {
	g, err := h.svc.SCIMGetGroup(r.Context(), agencyOf(r), id)
	if err != nil {
		return scim.Resource{}, toSCIM(err)
	}
	return groupResource(g), nil
}

func (h *groupHandler) GetAll(r *http.Request, p scim.ListRequestParams) (scim.Page, error) {
	groups, err := h.svc.SCIMListGroups(r.Context(), agencyOf(r))
	if err != nil {
		return scim.Page{}, toSCIM(err)
	}
	var all []scim.Resource
	for _, g := range groups {
		res := groupResource(g)
		if p.FilterValidator != nil {
			doc := map[string]any{"id": g.ID, "displayName": g.DisplayName, "members": res.Attributes["members"]}
			if g.ExternalID != "" {
				doc["externalId"] = g.ExternalID
			}
			if p.FilterValidator.PassesFilter(doc) != nil {
				continue
			}
		}
		all = append(all, res)
	}
	return page(all, p), nil
}

func (h *groupHandler) Replace(r *http.Request, id string, attrs scim.ResourceAttributes) (scim.Resource, error) {
	g, err := h.svc.SCIMReplaceGroup(r.Context(), agencyOf(r), id, groupInput(attrs))
	if err != nil {
		return scim.Resource{}, toSCIM(err)
	}
	return groupResource(g), nil
}

func (h *groupHandler) Delete(r *http.Request, id string) error {
	if err := h.svc.SCIMDeleteGroup(r.Context(), agencyOf(r), id); err != nil {
		return toSCIM(err)
	}
	return nil
}

// Patch applies member adds and removes (Okta: remove with a members[value eq
// "<id>"] path; Entra ID: remove with a value list), member replacement and
// display name changes, then saves the group with its members' roles.
func (h *groupHandler) Patch(r *http.Request, id string, ops []scim.PatchOperation) (scim.Resource, error) {
	g, err := h.svc.SCIMGetGroup(r.Context(), agencyOf(r), id)
	if err != nil {
		return scim.Resource{}, toSCIM(err)
	}
	in := ah.SCIMGroupInput{DisplayName: g.DisplayName, ExternalID: g.ExternalID, Members: slices.Clone(g.Members)}
	remove := func(ids ...string) {
		in.Members = slices.DeleteFunc(in.Members, func(x string) bool { return slices.Contains(ids, x) })
	}
	for _, op := range ops {
		attr := ""
		if op.Path != nil {
			attr = strings.ToLower(op.Path.AttributePath.AttributeName)
		}
		switch {
		case op.Path == nil && (op.Op == scim.PatchOperationReplace || op.Op == scim.PatchOperationAdd):
			values, ok := op.Value.(map[string]any)
			if !ok {
				return scim.Resource{}, scimerrors.ScimErrorInvalidValue
			}
			for k, v := range values {
				switch strings.ToLower(k) {
				case "displayname":
					in.DisplayName = str(v)
				case "externalid":
					in.ExternalID = str(v)
				case "members":
					if op.Op == scim.PatchOperationReplace {
						in.Members = memberIDs(v)
					} else {
						in.Members = append(in.Members, memberIDs(v)...)
					}
				}
			}
		case attr == "displayname" && op.Op != scim.PatchOperationRemove:
			in.DisplayName = str(op.Value)
		case attr == "externalid":
			in.ExternalID = ""
			if op.Op != scim.PatchOperationRemove {
				in.ExternalID = str(op.Value)
			}
		case attr == "members" && op.Op == scim.PatchOperationAdd:
			in.Members = append(in.Members, memberIDs(op.Value)...)
		case attr == "members" && op.Op == scim.PatchOperationReplace:
			in.Members = memberIDs(op.Value)
		case attr == "members" && op.Op == scim.PatchOperationRemove:
			switch {
			case op.Path.ValueExpression != nil:
				e, ok := op.Path.ValueExpression.(*filter.AttributeExpression)
				if !ok || !strings.EqualFold(e.AttributePath.AttributeName, "value") || e.Operator != filter.EQ {
					return scim.Resource{}, scimerrors.ScimErrorInvalidFilter
				}
				remove(str(e.CompareValue))
			case op.Value != nil:
				remove(memberIDs(op.Value)...)
			default:
				in.Members = nil
			}
		default:
			return scim.Resource{}, scimerrors.ScimErrorInvalidPath
		}
	}
	g, err = h.svc.SCIMReplaceGroup(r.Context(), agencyOf(r), id, in)
	if err != nil {
		return scim.Resource{}, toSCIM(err)
	}
	return groupResource(g), nil
}
