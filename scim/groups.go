package scim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
	filter "github.com/scim2/filter-parser/v2"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/predicate"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/scimgroupmapping"
	"github.com/clinicgate/clinicgate/ent/scimgroupmember"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/provision"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// GroupResourceType is the SCIM Group resource (core Group schema) of the
// organization of the request's SCIM viewer: groups pushed by the identity
// provider, with their members. What a group grants is set by
// administrators (mapScimGroup over GraphQL); see internal/provision.
//
// Beyond the library: filters are translated to SQL (displayName,
// externalId, id, members.value, meta.created, meta.lastModified, with
// and/or/not), PATCH member value filters (members[value eq "…"]) are
// applied here, If-Match is checked (412 on a stale version), and
// excludedAttributes=members leaves the members out.
func GroupResourceType(client *ent.Client) scim.ResourceType {
	return scim.ResourceType{
		ID:          optional.NewString("Group"),
		Name:        "Group",
		Description: optional.NewString("Groups of the organization. An administrator maps a group to a business unit or a role; its members then hold it."),
		Endpoint:    "/Groups",
		Schema:      schema.CoreGroupSchema(),
		Handler:     groupHandler{client: client},
	}
}

type groupHandler struct{ client *ent.Client }

// inTx runs fn in one transaction, mapping its error to the SCIM schema.
func (h groupHandler) inTx(r *http.Request, fn func(ctx context.Context, c *ent.Client) error) error {
	ctx := r.Context()
	tx, err := h.client.Tx(ctx)
	if err != nil {
		return Error(ctx, err)
	}
	if err := fn(ctx, tx.Client()); err != nil {
		_ = tx.Rollback()
		var se scimerrors.ScimError
		if errors.As(err, &se) {
			return se
		}
		return Error(ctx, err)
	}
	if err := tx.Commit(); err != nil {
		return Error(ctx, err)
	}
	return nil
}

func groupID(id string) pulid.ID { return pulid.ID(id) }

// wantsMembers reports whether the response lists the members (not when
// the client excludes them, as Okta and Entra do when listing groups).
func wantsMembers(r *http.Request) bool {
	q := r.URL.Query()
	for _, a := range strings.Split(q.Get("excludedAttributes"), ",") {
		if strings.EqualFold(strings.TrimSpace(a), "members") {
			return false
		}
	}
	if attrs := q.Get("attributes"); attrs != "" {
		for _, a := range strings.Split(attrs, ",") {
			a = strings.ToLower(strings.TrimSpace(a))
			if a == "members" || strings.HasPrefix(a, "members.") {
				return true
			}
		}
		return false
	}
	return true
}

// version is the group's ETag.
func groupVersion(g *ent.SCIMGroupMapping) string { return fmt.Sprintf(`W/"%d"`, g.Version) }

func resource(g *ent.SCIMGroupMapping, members []pulid.ID, withMembers bool) scim.Resource {
	attrs := scim.ResourceAttributes{"displayName": g.DisplayName}
	if withMembers {
		ms := make([]interface{}, 0, len(members))
		for _, m := range members {
			ms = append(ms, map[string]interface{}{"value": string(m), "type": "User"})
		}
		attrs["members"] = ms
	}
	var ext optional.String
	if g.ExternalID != nil {
		ext = optional.NewString(*g.ExternalID)
	}
	created, modified := g.CreatedAt, g.UpdatedAt
	return scim.Resource{
		ID: string(g.ID), ExternalID: ext, Attributes: attrs,
		Meta: scim.Meta{Created: &created, LastModified: &modified, Version: groupVersion(g)},
	}
}

func (h groupHandler) load(ctx context.Context, c *ent.Client, r *http.Request, g *ent.SCIMGroupMapping) (scim.Resource, error) {
	want := wantsMembers(r)
	var ms []pulid.ID
	if want {
		var err error
		if ms, err = provision.Members(ctx, c, g.ID); err != nil {
			return scim.Resource{}, err
		}
	}
	return projectGroup(resource(g, ms, want), r), nil
}

const groupCorePrefix = "urn:ietf:params:scim:schemas:core:2.0:group:"

// projectGroup applies the request's attributes / excludedAttributes to
// a group (members are left out earlier, unread, by wantsMembers); id,
// schemas and meta are always returned.
func projectGroup(res scim.Resource, r *http.Request) scim.Resource {
	q := r.URL.Query()
	list := func(s string) []string {
		var out []string
		for _, p := range strings.Split(s, ",") {
			p = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(p)), groupCorePrefix)
			if i := strings.Index(p, "."); i >= 0 {
				p = p[:i] // members.value: members
			}
			if p != "" {
				out = append(out, p)
			}
		}
		return out
	}
	if inc := list(q.Get("attributes")); len(inc) > 0 {
		if !wants(inc, "displayname") {
			delete(res.Attributes, "displayName")
		}
		if !wants(inc, "externalid") {
			res.ExternalID = optional.String{}
		}
	} else if exc := list(q.Get("excludedAttributes")); len(exc) > 0 {
		if wants(exc, "displayname") {
			delete(res.Attributes, "displayName")
		}
		if wants(exc, "externalid") {
			res.ExternalID = optional.String{}
		}
	}
	return res
}

// checkVersion answers 412 when If-Match names another version.
func checkGroupVersion(ctx context.Context, c *ent.Client, r *http.Request, id pulid.ID) error {
	want := r.Header.Get("If-Match")
	if want == "" || want == "*" {
		return nil
	}
	g, err := provision.GetGroup(ctx, c, id)
	if err != nil {
		return err
	}
	if strings.TrimPrefix(want, "W/") != strings.TrimPrefix(groupVersion(g), "W/") {
		return scimerrors.ScimError{Status: http.StatusPreconditionFailed, Detail: "the group has changed: its version is " + groupVersion(g)}
	}
	return nil
}

func (h groupHandler) Create(r *http.Request, attrs scim.ResourceAttributes) (scim.Resource, error) {
	in, err := groupInput(attrs)
	if err != nil {
		return scim.Resource{}, Error(r.Context(), err)
	}
	var out scim.Resource
	err = h.inTx(r, func(ctx context.Context, c *ent.Client) error {
		g, err := provision.CreateGroup(ctx, c, in)
		if err != nil {
			return err
		}
		out, err = h.load(ctx, c, r, g)
		return err
	})
	return out, err
}

func (h groupHandler) Get(r *http.Request, id string) (scim.Resource, error) {
	ctx := r.Context()
	g, err := provision.GetGroup(ctx, h.client, groupID(id))
	if err != nil {
		return scim.Resource{}, Error(ctx, err)
	}
	res, err := h.load(ctx, h.client, r, g)
	if err != nil {
		return scim.Resource{}, Error(ctx, err)
	}
	if err := audit.RecordProvisioningReads(ctx, h.client, "group", []pulid.ID{g.ID}); err != nil {
		return scim.Resource{}, Error(ctx, err)
	}
	return res, nil
}

func (h groupHandler) GetAll(r *http.Request, params scim.ListRequestParams) (scim.Page, error) {
	ctx := r.Context()
	var where []predicate.SCIMGroupMapping
	if params.FilterValidator != nil {
		p, err := groupFilter(params.FilterValidator.GetFilter())
		if err != nil {
			return scim.Page{}, err
		}
		where = append(where, p)
	}
	offset := max(params.StartIndex, 1) - 1
	gs, total, err := provision.ListGroups(ctx, h.client, where, offset, max(params.Count, 0))
	if err != nil {
		return scim.Page{}, Error(ctx, err)
	}
	page := scim.Page{TotalResults: total, Resources: make([]scim.Resource, 0, len(gs))}
	want := wantsMembers(r)
	members := map[pulid.ID][]pulid.ID{}
	if want && len(gs) > 0 {
		ids := make([]pulid.ID, len(gs))
		for i, g := range gs {
			ids[i] = g.ID
		}
		ms, err := h.client.SCIMGroupMember.Query().Where(scimgroupmember.GroupIDIn(ids...)).
			Order(ent.Asc(scimgroupmember.FieldUserID)).All(sysCtx(ctx))
		if err != nil {
			return scim.Page{}, Error(ctx, err)
		}
		for _, m := range ms {
			members[m.GroupID] = append(members[m.GroupID], m.UserID)
		}
	}
	read := make([]pulid.ID, len(gs))
	for i, g := range gs {
		read[i] = g.ID
	}
	if err := audit.RecordProvisioningReads(ctx, h.client, "group", read); err != nil {
		return scim.Page{}, Error(ctx, err)
	}
	for _, g := range gs {
		page.Resources = append(page.Resources, projectGroup(resource(g, members[g.ID], want), r))
	}
	return page, nil
}

func (h groupHandler) Replace(r *http.Request, id string, attrs scim.ResourceAttributes) (scim.Resource, error) {
	in, err := groupInput(attrs)
	if err != nil {
		return scim.Resource{}, Error(r.Context(), err)
	}
	var out scim.Resource
	err = h.inTx(r, func(ctx context.Context, c *ent.Client) error {
		if err := checkGroupVersion(ctx, c, r, groupID(id)); err != nil {
			return err
		}
		g, err := provision.ReplaceGroup(ctx, c, groupID(id), in)
		if err != nil {
			return err
		}
		out, err = h.load(ctx, c, r, g)
		return err
	})
	return out, err
}

func (h groupHandler) Delete(r *http.Request, id string) error {
	return h.inTx(r, func(ctx context.Context, c *ent.Client) error {
		if err := checkGroupVersion(ctx, c, r, groupID(id)); err != nil {
			return err
		}
		return provision.DeleteGroup(ctx, c, groupID(id))
	})
}

// Patch applies Okta's and Entra's PATCH shapes: member add/remove/replace
// with path "members" and a list (or one object) of {"value": id};
// remove with path members[value eq "id"]; remove of "members" without a
// value (every member); replace/add without a path carrying an object
// (displayName, externalId, members, in any letter case; Okta also sends
// the id, which must be the group's own); displayName and externalId as
// paths. A change of members only is answered 204 No Content, unless the
// request names attributes to return.
func (h groupHandler) Patch(r *http.Request, id string, ops []scim.PatchOperation) (scim.Resource, error) {
	p, membersOnly, err := groupPatch(id, ops)
	if err != nil {
		// asSCIM: groupPatch's refusals are SCIM errors already (Error
		// alone answered them 500).
		return scim.Resource{}, asSCIM(r.Context(), err)
	}
	var out scim.Resource
	err = h.inTx(r, func(ctx context.Context, c *ent.Client) error {
		if err := checkGroupVersion(ctx, c, r, groupID(id)); err != nil {
			return err
		}
		g, err := provision.PatchGroup(ctx, c, groupID(id), p)
		if err != nil {
			return err
		}
		if membersOnly && !asksAttributes(r) {
			return nil
		}
		out, err = h.load(ctx, c, r, g)
		return err
	})
	return out, err
}

// asksAttributes reports whether the request names attributes to return
// (a PATCH answered with the resource rather than 204).
func asksAttributes(r *http.Request) bool {
	q := r.URL.Query()
	return q.Get("attributes") != "" || q.Get("excludedAttributes") != ""
}

// groupInput reads a POST or PUT body (validated by the library against
// the core Group schema).
func groupInput(attrs scim.ResourceAttributes) (provision.GroupInput, error) {
	var in provision.GroupInput
	for k, v := range attrs {
		switch strings.ToLower(k) {
		case "displayname":
			s, ok := v.(string)
			if !ok {
				return in, apperr.InvalidField("displayName", "displayName is a string")
			}
			in.DisplayName = s
		case "externalid":
			if s, ok := v.(string); ok {
				in.ExternalID = &s
			}
		case "members":
			ms, err := memberValues(v)
			if err != nil {
				return in, err
			}
			in.Members = ms
		}
	}
	return in, nil
}

// memberValues reads a list of members (or one member) as user ids.
func memberValues(v interface{}) ([]pulid.ID, error) {
	var items []interface{}
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []interface{}:
		items = x
	case map[string]interface{}:
		items = []interface{}{x}
	default:
		return nil, apperr.InvalidField("members", "members is a list of {\"value\": id}")
	}
	out := make([]pulid.ID, 0, len(items))
	for _, it := range items {
		m, ok := it.(map[string]interface{})
		if !ok {
			return nil, apperr.InvalidField("members", "a member is an object {\"value\": id}")
		}
		var val interface{}
		for k, x := range m {
			if strings.EqualFold(k, "value") {
				val = x
			}
		}
		s, ok := val.(string)
		if !ok || s == "" {
			return nil, apperr.InvalidField("members", "a member needs a value (the user's id)")
		}
		out = append(out, pulid.ID(s))
	}
	return out, nil
}

// groupPatch turns PATCH operations (op names arrive lower-cased) into a
// provision.GroupPatch; membersOnly when no operation renames the group.
func groupPatch(id string, ops []scim.PatchOperation) (provision.GroupPatch, bool, error) {
	var p provision.GroupPatch
	membersOnly := true
	str := func(field string, v interface{}) (*string, error) {
		s, ok := v.(string)
		if !ok {
			return nil, apperr.InvalidField(field, "%s is a string", field)
		}
		return &s, nil
	}
	for _, op := range ops {
		kind := strings.ToLower(op.Op)
		if op.Path == nil {
			if kind == "remove" {
				return p, false, scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeNoTarget, Detail: "remove needs a path"}
			}
			m, ok := op.Value.(map[string]interface{})
			if !ok {
				return p, false, apperr.InvalidField("value", "a PATCH without a path carries an object")
			}
			for k, v := range m {
				var err error
				switch strings.ToLower(k) {
				case "id":
					if s, ok := v.(string); !ok || s != id {
						return p, false, scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeMutability, Detail: "id is immutable"}
					}
				case "displayname":
					p.DisplayName, err = str("displayName", v)
					membersOnly = false
				case "externalid":
					p.ExternalID, err = str("externalId", v)
					membersOnly = false
				case "members":
					var ms []pulid.ID
					if ms, err = memberValues(v); err == nil {
						mk := provision.AddMembers
						if kind == "replace" {
							mk = provision.ReplaceMembers
						}
						p.Members = append(p.Members, provision.MemberOp{Kind: mk, Users: ms})
					}
				case "schemas", "meta":
				default:
					return p, false, scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeNoTarget, Detail: "unknown attribute " + k}
				}
				if err != nil {
					return p, false, err
				}
			}
			continue
		}
		attr := strings.ToLower(op.Path.AttributePath.AttributeName)
		switch attr {
		case "displayname", "externalid":
			if kind == "remove" && attr == "displayname" {
				return p, false, scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeMutability, Detail: "displayName is required"}
			}
			var s *string
			if kind == "remove" {
				e := ""
				s = &e
			} else {
				var err error
				if s, err = str(op.Path.AttributePath.AttributeName, op.Value); err != nil {
					return p, false, err
				}
			}
			if attr == "displayname" {
				p.DisplayName = s
			} else {
				p.ExternalID = s
			}
			membersOnly = false
		case "members":
			if op.Path.ValueExpression != nil {
				// members[value eq "usr_…"]: remove (or replace) that member.
				uid, err := memberFilterValue(op.Path.ValueExpression)
				if err != nil {
					return p, false, err
				}
				switch kind {
				case "remove":
					p.Members = append(p.Members, provision.MemberOp{Kind: provision.RemoveMembers, Users: []pulid.ID{uid}})
				default:
					return p, false, scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeInvalidPath, Detail: "only remove takes a member filter"}
				}
				continue
			}
			ms, err := memberValues(op.Value)
			if err != nil {
				return p, false, err
			}
			switch kind {
			case "add":
				p.Members = append(p.Members, provision.MemberOp{Kind: provision.AddMembers, Users: ms})
			case "replace":
				p.Members = append(p.Members, provision.MemberOp{Kind: provision.ReplaceMembers, Users: ms})
			case "remove":
				if op.Value == nil {
					p.Members = append(p.Members, provision.MemberOp{Kind: provision.RemoveAllMembers})
				} else {
					p.Members = append(p.Members, provision.MemberOp{Kind: provision.RemoveMembers, Users: ms})
				}
			}
		default:
			return p, false, scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeNoTarget, Detail: "a group has no attribute " + op.Path.AttributePath.AttributeName + " to change"}
		}
	}
	return p, membersOnly, nil
}

// memberFilterValue reads the user id of a members[value eq "…"] filter.
func memberFilterValue(e filter.Expression) (pulid.ID, error) {
	a, ok := e.(*filter.AttributeExpression)
	if !ok || !strings.EqualFold(a.AttributePath.AttributeName, "value") || a.Operator != filter.EQ {
		return "", scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeInvalidFilter, Detail: `a member filter is members[value eq "id"]`}
	}
	s, ok := a.CompareValue.(string)
	if !ok {
		return "", scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeInvalidFilter, Detail: "a member's value is a string"}
	}
	return pulid.ID(s), nil
}

// groupFilter translates a SCIM filter on groups to a SQL predicate.
func groupFilter(e filter.Expression) (predicate.SCIMGroupMapping, error) {
	switch x := e.(type) {
	case *filter.LogicalExpression:
		l, err := groupFilter(x.Left)
		if err != nil {
			return nil, err
		}
		r, err := groupFilter(x.Right)
		if err != nil {
			return nil, err
		}
		if x.Operator == filter.OR {
			return scimgroupmapping.Or(l, r), nil
		}
		return scimgroupmapping.And(l, r), nil
	case *filter.NotExpression:
		p, err := groupFilter(x.Expression)
		if err != nil {
			return nil, err
		}
		return scimgroupmapping.Not(p), nil
	case *filter.ValuePath:
		if !strings.EqualFold(x.AttributePath.AttributeName, "members") {
			return nil, invalidFilter("only members takes a value filter")
		}
		uid, err := memberFilterValue(x.ValueFilter)
		if err != nil {
			return nil, err
		}
		return scimgroupmapping.HasMembersWith(scimgroupmember.UserID(uid)), nil
	case *filter.AttributeExpression:
		return attributeFilter(x)
	}
	return nil, invalidFilter("unsupported filter %v", e)
}

func attributeFilter(x *filter.AttributeExpression) (predicate.SCIMGroupMapping, error) {
	name := strings.ToLower(x.AttributePath.AttributeName)
	sub := ""
	if x.AttributePath.SubAttribute != nil {
		sub = strings.ToLower(*x.AttributePath.SubAttribute)
	}
	op := x.Operator
	val, isString := x.CompareValue.(string)
	needString := func() error {
		if op != filter.PR && !isString {
			return invalidFilter("%s compares with a string", x.AttributePath)
		}
		return nil
	}
	switch {
	case name == "displayname" && sub == "":
		if err := needString(); err != nil {
			return nil, err
		}
		switch op {
		case filter.EQ, filter.NE, filter.CO, filter.SW, filter.EW:
			// displayName is caseExact false: folded alike on both
			// dialects (textMatch); ent's HasPrefix and HasSuffix were
			// case-sensitive on PostgreSQL only.
			return textPredicate(scimgroupmapping.FieldDisplayName, op, val, true), nil
		case filter.PR:
			return scimgroupmapping.DisplayNameNEQ(""), nil
		}
	case name == "externalid" && sub == "":
		if err := needString(); err != nil {
			return nil, err
		}
		switch op {
		case filter.EQ:
			return scimgroupmapping.ExternalID(val), nil
		case filter.NE:
			return scimgroupmapping.Or(scimgroupmapping.ExternalIDIsNil(), scimgroupmapping.ExternalIDNEQ(val)), nil
		case filter.CO, filter.SW, filter.EW:
			// caseExact: ent's Contains is LIKE, which ignores ASCII case
			// on SQLite.
			return textPredicate(scimgroupmapping.FieldExternalID, op, val, false), nil
		case filter.PR:
			return scimgroupmapping.ExternalIDNotNil(), nil
		}
	case name == "id" && sub == "":
		if err := needString(); err != nil {
			return nil, err
		}
		switch op {
		case filter.EQ:
			return scimgroupmapping.ID(pulid.ID(val)), nil
		case filter.NE:
			return scimgroupmapping.IDNEQ(pulid.ID(val)), nil
		case filter.PR:
			return scimgroupmapping.IDNEQ(""), nil
		}
	case name == "members" && (sub == "value" || sub == ""):
		if op == filter.PR {
			return scimgroupmapping.HasMembers(), nil
		}
		if err := needString(); err != nil {
			return nil, err
		}
		switch op {
		case filter.EQ:
			return scimgroupmapping.HasMembersWith(scimgroupmember.UserID(pulid.ID(val))), nil
		case filter.NE:
			return scimgroupmapping.Not(scimgroupmapping.HasMembersWith(scimgroupmember.UserID(pulid.ID(val)))), nil
		}
	case name == "meta" && (sub == "lastmodified" || sub == "created"):
		if op == filter.PR {
			return scimgroupmapping.IDNEQ(""), nil
		}
		t, err := time.Parse(time.RFC3339Nano, val)
		if !isString || err != nil {
			return nil, invalidFilter("%s compares with an RFC 3339 date-time", x.AttributePath)
		}
		field := scimgroupmapping.FieldUpdatedAt
		if sub == "created" {
			field = scimgroupmapping.FieldCreatedAt
		}
		return timeFilter(field, op, t)
	}
	return nil, invalidFilter("cannot filter groups on %s %s", x.AttributePath, op)
}

// textPredicate is textMatch on a column of SCIM group mappings.
func textPredicate(field string, op filter.CompareOperator, val string, fold bool) predicate.SCIMGroupMapping {
	return func(s *sql.Selector) { s.Where(textMatch(s, s.C(field), op, val, fold)) }
}

func timeFilter(field string, op filter.CompareOperator, t time.Time) (predicate.SCIMGroupMapping, error) {
	created := field == scimgroupmapping.FieldCreatedAt
	pick := func(c, u func(time.Time) predicate.SCIMGroupMapping) (predicate.SCIMGroupMapping, error) {
		if created {
			return c(t), nil
		}
		return u(t), nil
	}
	switch op {
	case filter.EQ:
		return pick(scimgroupmapping.CreatedAtEQ, scimgroupmapping.UpdatedAtEQ)
	case filter.NE:
		return pick(scimgroupmapping.CreatedAtNEQ, scimgroupmapping.UpdatedAtNEQ)
	case filter.GT:
		return pick(scimgroupmapping.CreatedAtGT, scimgroupmapping.UpdatedAtGT)
	case filter.GE:
		return pick(scimgroupmapping.CreatedAtGTE, scimgroupmapping.UpdatedAtGTE)
	case filter.LT:
		return pick(scimgroupmapping.CreatedAtLT, scimgroupmapping.UpdatedAtLT)
	case filter.LE:
		return pick(scimgroupmapping.CreatedAtLTE, scimgroupmapping.UpdatedAtLTE)
	}
	return nil, invalidFilter("cannot compare a date-time with %s", op)
}

// sysCtx reads as the server within the viewer's organization (after the
// domain checked the viewer).
func sysCtx(ctx context.Context) context.Context {
	if v := viewer.FromContext(ctx); v != nil {
		return viewer.ForSystem(ctx, v.OrgID)
	}
	return ctx
}
