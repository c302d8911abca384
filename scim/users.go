package scim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"github.com/scim2/filter-parser/v2"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/provision"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// usersHandler is the /Users resource: SCIM attributes in and out here,
// every write through internal/provision (and internal/directory), in one
// transaction per request.
type usersHandler struct {
	client *ent.Client
	cfg    Config
}

var _ scim.ResourceHandler = (*usersHandler)(nil)

// asSCIM keeps a SCIM error and maps any other (Error).
func asSCIM(ctx context.Context, err error) error {
	var se scimerrors.ScimError
	if errors.As(err, &se) {
		return se
	}
	return Error(ctx, err)
}

func orgCtx(ctx context.Context) (context.Context, pulid.ID) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return ctx, ""
	}
	return viewer.ForSystem(ctx, v.OrgID), v.OrgID
}

// users is the organization's staff users a provider sees: every one not
// removed (suspended ones included: Okta treats a 404 as an error).
func (h *usersHandler) users(ctx context.Context, c *ent.Client) (*ent.UserQuery, context.Context) {
	sys, org := orgCtx(ctx)
	return c.User.Query().Where(user.OrganizationID(org), user.KindEQ(user.KindStaff), user.StatusNEQ(user.StatusDeleted)), sys
}

func (h *usersHandler) load(ctx context.Context, c *ent.Client, id string) (*ent.User, error) {
	q, sys := h.users(ctx, c)
	u, err := q.Where(user.ID(pulid.ID(id))).Only(sys)
	if ent.IsNotFound(err) {
		return nil, scimerrors.ScimErrorResourceNotFound(id)
	}
	return u, err
}

// inTx runs fn in one transaction, committed only when it succeeds.
func (h *usersHandler) inTx(r *http.Request, fn func(ctx context.Context, c *ent.Client) error) error {
	ctx := r.Context()
	tx, err := h.client.Tx(ctx)
	if err != nil {
		return asSCIM(ctx, err)
	}
	if err := fn(ent.NewTxContext(ctx, tx), tx.Client()); err != nil {
		_ = tx.Rollback()
		return asSCIM(ctx, err)
	}
	if err := tx.Commit(); err != nil {
		return asSCIM(ctx, err)
	}
	return nil
}

func (h *usersHandler) Create(r *http.Request, attrs scim.ResourceAttributes) (scim.Resource, error) {
	in, err := fromAttributes(attrs)
	if err != nil {
		return scim.Resource{}, asSCIM(r.Context(), err)
	}
	var u *ent.User
	err = h.inTx(r, func(ctx context.Context, c *ent.Client) (err error) {
		u, err = provision.Create(ctx, c, in)
		return err
	})
	if err != nil {
		return scim.Resource{}, err
	}
	return toResource(u, r), nil
}

func (h *usersHandler) Get(r *http.Request, id string) (scim.Resource, error) {
	u, err := h.load(r.Context(), h.client, id)
	if err != nil {
		return scim.Resource{}, asSCIM(r.Context(), err)
	}
	if err := audit.RecordProvisioningReads(r.Context(), h.client, "user", []pulid.ID{u.ID}); err != nil {
		return scim.Resource{}, asSCIM(r.Context(), err)
	}
	return toResource(u, r), nil
}

func (h *usersHandler) GetAll(r *http.Request, params scim.ListRequestParams) (scim.Page, error) {
	ctx := r.Context()
	q, sys := h.users(ctx, h.client)
	if params.FilterValidator != nil {
		_, org := orgCtx(ctx)
		p, err := userFilter(translator{named: func(name string) ([]pulid.ID, error) {
			return provision.UsersNamed(ctx, h.client, org, name)
		}}, params.FilterValidator.GetFilter())
		if err != nil {
			return scim.Page{}, asSCIM(ctx, err)
		}
		q.Where(p)
	}
	total, err := q.Clone().Count(sys)
	if err != nil {
		return scim.Page{}, asSCIM(ctx, err)
	}
	page := scim.Page{TotalResults: total, Resources: []scim.Resource{}}
	if params.Count <= 0 || params.StartIndex > total {
		return page, nil
	}
	us, err := q.Order(ent.Asc(user.FieldID)).Offset(params.StartIndex - 1).Limit(params.Count).All(sys)
	if err != nil {
		return scim.Page{}, asSCIM(ctx, err)
	}
	read := make([]pulid.ID, len(us))
	for i, u := range us {
		read[i] = u.ID
	}
	if err := audit.RecordProvisioningReads(ctx, h.client, "user", read); err != nil {
		return scim.Page{}, asSCIM(ctx, err)
	}
	for _, u := range us {
		page.Resources = append(page.Resources, toResource(u, r))
	}
	return page, nil
}

func (h *usersHandler) Replace(r *http.Request, id string, attrs scim.ResourceAttributes) (scim.Resource, error) {
	in, err := fromAttributes(attrs)
	if err != nil {
		return scim.Resource{}, asSCIM(r.Context(), err)
	}
	var u *ent.User
	err = h.inTx(r, func(ctx context.Context, c *ent.Client) error {
		cur, err := h.load(ctx, c, id)
		if err != nil {
			return err
		}
		if err := checkVersion(r, cur); err != nil {
			return err
		}
		u, err = provision.Update(ctx, c, cur.ID, in)
		return err
	})
	if err != nil {
		return scim.Resource{}, err
	}
	return toResource(u, r), nil
}

func (h *usersHandler) Delete(r *http.Request, id string) error {
	return h.inTx(r, func(ctx context.Context, c *ent.Client) error {
		cur, err := h.load(ctx, c, id)
		if err != nil {
			return err
		}
		if err := checkVersion(r, cur); err != nil {
			return err
		}
		return provision.Remove(ctx, c, cur.ID)
	})
}

func (h *usersHandler) Patch(r *http.Request, id string, ops []scim.PatchOperation) (scim.Resource, error) {
	var u *ent.User
	err := h.inTx(r, func(ctx context.Context, c *ent.Client) error {
		cur, err := h.load(ctx, c, id)
		if err != nil {
			return err
		}
		if err := checkVersion(r, cur); err != nil {
			return err
		}
		state := attributesOf(cur)
		for _, op := range ops {
			if err := applyPatch(state, op); err != nil {
				return err
			}
		}
		in, err := fromAttributes(state)
		if err != nil {
			return err
		}
		u, err = provision.Update(ctx, c, cur.ID, in)
		return err
	})
	if err != nil {
		return scim.Resource{}, err
	}
	return toResource(u, r), nil
}

// version is the user's weak ETag: a digest of what the provider sees and
// of updated_at (to the microsecond both dialects keep).
func version(u *ent.User) string {
	body, _ := json.Marshal(attributesOf(u))
	sum := sha256.New()
	sum.Write(body)
	fmt.Fprintf(sum, "|%s|%s", deref(u.ExternalID), u.UpdatedAt.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano))
	return `W/"` + hex.EncodeToString(sum.Sum(nil)[:12]) + `"`
}

// checkVersion answers 412 when If-Match names no current version (the
// library sets ETag but never checks If-Match).
func checkVersion(r *http.Request, u *ent.User) error {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" {
		return nil
	}
	cur := strings.TrimPrefix(version(u), "W/")
	for _, tag := range strings.Split(h, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || tag == cur {
			return nil
		}
	}
	return scimerrors.ScimError{Status: http.StatusPreconditionFailed, Detail: "The user changed since the version in If-Match; read it again."}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// attributesOf is the user's SCIM attributes (without id, externalId,
// schemas and meta, which the library adds).
func attributesOf(u *ent.User) scim.ResourceAttributes {
	a := scim.ResourceAttributes{
		"userName": provision.UserNameOf(u),
		"name": map[string]any{
			"givenName": u.GivenName, "familyName": u.FamilyName,
			"formatted": strings.TrimSpace(u.GivenName + " " + u.FamilyName),
		},
		"active": u.Status != user.StatusSuspended,
		"emails": []any{map[string]any{"value": u.Email, "type": "work", "primary": true}},
	}
	if u.ExternalID != nil {
		a["externalId"] = *u.ExternalID
	}
	if u.DisplayName != "" {
		a["displayName"] = u.DisplayName
	}
	if u.Title != "" {
		a["title"] = u.Title
	}
	if u.Phone != "" {
		a["phoneNumbers"] = []any{map[string]any{"value": u.Phone, "type": "work"}}
	}
	ent := map[string]any{}
	for k, v := range map[string]string{
		"employeeNumber": u.EmployeeNumber, "department": u.Department, "costCenter": u.CostCenter,
		"organization": u.OrganizationName, "division": u.Division,
	} {
		if v != "" {
			ent[k] = v
		}
	}
	if u.ManagerRef != "" {
		ent["manager"] = map[string]any{"value": u.ManagerRef}
	}
	if len(ent) > 0 {
		a[EnterpriseURN] = ent
	}
	a[ExtensionURN] = map[string]any{"signInMethod": u.SignInMethod.String(), "requireMfa": u.RequireMfa}
	return a
}

// toResource is the user as a SCIM resource; with r, the request's
// attributes / excludedAttributes apply (RFC 7644 §3.9: on GET and on the
// answers to POST, PUT and PATCH alike). id, schemas and meta are always
// returned (the library writes them).
func toResource(u *ent.User, r *http.Request) scim.Resource {
	res := scim.Resource{
		ID:         string(u.ID),
		Attributes: attributesOf(u),
		Meta:       scim.Meta{Created: &u.CreatedAt, LastModified: &u.UpdatedAt, Version: version(u)},
	}
	if u.ExternalID != nil {
		res.ExternalID = optional.NewString(*u.ExternalID)
	}
	if r != nil {
		q := r.URL.Query()
		if inc := splitList(q.Get("attributes")); len(inc) > 0 {
			res.Attributes = project(res.Attributes, inc, true)
			if !wants(inc, "externalid") {
				res.ExternalID = optional.String{}
			}
		} else if exc := splitList(q.Get("excludedAttributes")); len(exc) > 0 {
			res.Attributes = project(res.Attributes, exc, false)
			if wants(exc, "externalid") {
				res.ExternalID = optional.String{}
			}
		}
	}
	return res
}

const corePrefix = "urn:ietf:params:scim:schemas:core:2.0:user:"

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		p = strings.ToLower(strings.TrimSpace(p))
		p = strings.TrimPrefix(p, corePrefix)
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

func wants(list []string, path string) bool {
	for _, p := range list {
		if p == path {
			return true
		}
	}
	return false
}

// project keeps (include) or drops the listed attribute paths: top-level
// names, "name.givenName", an extension's URN or "URN:attribute".
func project(a scim.ResourceAttributes, list []string, include bool) scim.ResourceAttributes {
	out := scim.ResourceAttributes{}
	for k, v := range a {
		kl := strings.ToLower(k)
		if wants(list, kl) {
			if include {
				out[k] = v
			}
			continue
		}
		sep := "."
		if strings.HasPrefix(kl, "urn:") {
			sep = ":"
		}
		m, isMap := v.(map[string]any)
		if !isMap {
			if !include {
				out[k] = v
			}
			continue
		}
		sub := map[string]any{}
		for sk, sv := range m {
			if wants(list, kl+sep+strings.ToLower(sk)) == include {
				sub[sk] = sv
			}
		}
		if len(sub) > 0 {
			out[k] = sub
		}
	}
	return out
}

// fromAttributes reads a validated SCIM User (create, replace, or the
// patched state) into the domain's full state of the user.
func fromAttributes(a scim.ResourceAttributes) (provision.User, error) {
	var in provision.User
	in.UserName = str(get(a, "userName"))
	in.Email = workEmail(get(a, "emails"))
	if v := get(a, "externalId"); v != nil {
		s := str(v)
		in.ExternalID = &s
	}
	if name, ok := get(a, "name").(map[string]any); ok {
		in.GivenName, in.FamilyName = str(get(name, "givenName")), str(get(name, "familyName"))
	}
	in.DisplayName = str(get(a, "displayName"))
	in.Title = str(get(a, "title"))
	in.Phone = primaryValue(get(a, "phoneNumbers"))
	if v := get(a, "active"); v != nil {
		active, err := boolean("active", v, true)
		if err != nil {
			return in, err
		}
		in.Active = &active
	}
	if v := get(a, "password"); v != nil {
		s := str(v)
		in.Password = &s
	}
	if e, ok := get(a, EnterpriseURN).(map[string]any); ok {
		in.Enterprise = provision.Enterprise{
			EmployeeNumber: str(get(e, "employeeNumber")), Department: str(get(e, "department")),
			CostCenter: str(get(e, "costCenter")), Organization: str(get(e, "organization")),
			Division: str(get(e, "division")),
		}
		switch m := get(e, "manager").(type) {
		case map[string]any:
			in.Enterprise.Manager = str(get(m, "value"))
		case string:
			in.Enterprise.Manager = m
		}
	}
	if x, ok := get(a, ExtensionURN).(map[string]any); ok {
		if v := get(x, "signInMethod"); v != nil {
			m := user.SignInMethod(strings.ToUpper(str(v)))
			in.SignInMethod = &m
		}
		if v := get(x, "requireMfa"); v != nil {
			b, err := boolean("requireMfa", v, false)
			if err != nil {
				return in, err
			}
			in.RequireMFA = &b
		}
	}
	return in, nil
}

// get reads an attribute ignoring the case of its name.
func get(m map[string]any, name string) any {
	if v, ok := m[name]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

func str(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	}
	return fmt.Sprint(v)
}

func boolean(field string, v any, def bool) (bool, error) {
	switch v := v.(type) {
	case nil:
		return def, nil
	case bool:
		return v, nil
	case string:
		switch strings.ToLower(v) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, invalidValue("%s must be a boolean", field)
}

func invalidValue(format string, args ...any) error {
	e := scimerrors.ScimErrorInvalidValue
	e.Detail = fmt.Sprintf(format, args...)
	return e
}

// workEmail is the value of the work email of emails (type "work"),
// else of the primary one, else of the first; "" when there is none.
func workEmail(v any) string {
	list, _ := v.([]any)
	primary, first := "", ""
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		val := strings.TrimSpace(str(get(m, "value")))
		if val == "" {
			continue
		}
		if strings.EqualFold(str(get(m, "type")), "work") {
			return val
		}
		if p, _ := boolean("primary", get(m, "primary"), false); p && primary == "" {
			primary = val
		}
		if first == "" {
			first = val
		}
	}
	if primary != "" {
		return primary
	}
	return first
}

// primaryValue is the value of the primary element of a multi-valued
// attribute, or of its first.
func primaryValue(v any) string {
	list, _ := v.([]any)
	first := ""
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		if p, _ := boolean("primary", get(m, "primary"), false); p {
			return str(get(m, "value"))
		}
		if i == 0 {
			first = str(get(m, "value"))
		}
	}
	return first
}

// applyPatch applies one PATCH operation to the user's attribute state,
// as Okta and Entra send them: op names in any case, a path (with a value
// filter such as emails[type eq "work"].value) or none with an object
// whose keys may be paths ("name.givenName", "urn:…:User:department") in
// any case, enterprise manager as {"value": id} or a bare id.
func applyPatch(state scim.ResourceAttributes, op scim.PatchOperation) error {
	kind := strings.ToLower(op.Op)
	if kind != scim.PatchOperationAdd && kind != scim.PatchOperationReplace && kind != scim.PatchOperationRemove {
		return invalidValue("unknown PATCH operation %q", op.Op)
	}
	if op.Path == nil {
		if kind == scim.PatchOperationRemove {
			return scimerrors.ScimErrorNoTarget
		}
		m, ok := op.Value.(map[string]any)
		if !ok {
			return invalidValue("a PATCH without a path needs an object value")
		}
		for k, v := range m {
			if err := setKey(state, k, v); err != nil {
				return err
			}
		}
		return nil
	}
	p := op.Path
	uri := ""
	if p.AttributePath.URIPrefix != nil {
		uri = strings.TrimSuffix(*p.AttributePath.URIPrefix, ":")
	}
	attr := p.AttributePath.AttributeName
	sub := ""
	if p.AttributePath.SubAttribute != nil {
		sub = *p.AttributePath.SubAttribute
	}
	if p.SubAttribute != nil {
		sub = *p.SubAttribute
	}
	var value any
	if kind != scim.PatchOperationRemove {
		value = op.Value
	}
	if p.ValueExpression != nil {
		// emails[type eq "work"].value, phoneNumbers[type eq "mobile"].value
		return setFiltered(state, attr, p.ValueExpression, sub, value)
	}
	return setPath(state, uri, attr, sub, value)
}

// setKey sets a key of a path-less PATCH object.
func setKey(state scim.ResourceAttributes, key string, v any) error {
	lower := strings.ToLower(key)
	for _, urn := range []string{EnterpriseURN, ExtensionURN, strings.TrimSuffix(corePrefix, ":")} {
		ul := strings.ToLower(urn)
		if lower == ul {
			m, ok := v.(map[string]any)
			if !ok {
				return invalidValue("%s needs an object", key)
			}
			for k, sv := range m {
				if err := setKey(state, urn+":"+k, sv); err != nil {
					return err
				}
			}
			return nil
		}
		if strings.HasPrefix(lower, ul+":") {
			rest := key[len(ul)+1:]
			attr, sub, _ := strings.Cut(rest, ".")
			if urn == strings.TrimSuffix(corePrefix, ":") {
				urn = ""
			}
			return setPath(state, urn, attr, sub, v)
		}
	}
	attr, sub, _ := strings.Cut(key, ".")
	if strings.EqualFold(attr, "name") && sub == "" {
		if m, ok := v.(map[string]any); ok {
			for k, sv := range m {
				if err := setPath(state, "", "name", k, sv); err != nil {
					return err
				}
			}
			return nil
		}
	}
	return setPath(state, "", attr, sub, v)
}

// setPath sets (value nil: removes) uri:attr.sub in the state.
func setPath(state scim.ResourceAttributes, uri, attr, sub string, value any) error {
	if strings.EqualFold(attr, "id") || strings.EqualFold(attr, "meta") || strings.EqualFold(attr, "schemas") {
		e := scimerrors.ScimErrorMutability
		e.Detail = fmt.Sprintf("%s is read-only", attr)
		return e
	}
	target := map[string]any(state)
	if uri != "" && !strings.EqualFold(uri, strings.TrimSuffix(corePrefix, ":")) {
		canon := ""
		for _, u := range []string{EnterpriseURN, ExtensionURN} {
			if strings.EqualFold(u, uri) {
				canon = u
			}
		}
		if canon == "" {
			return scimerrors.ScimErrorInvalidPath
		}
		m, _ := state[canon].(map[string]any)
		if m == nil {
			m = map[string]any{}
			state[canon] = m
		}
		target = m
	}
	key := canonicalKey(target, attr)
	if sub == "" {
		if value == nil {
			delete(target, key)
			return nil
		}
		if strings.EqualFold(attr, "manager") {
			if s, ok := value.(string); ok {
				value = map[string]any{"value": s}
			}
		}
		if m, ok := value.(map[string]any); ok {
			if cur, ok := target[key].(map[string]any); ok {
				// add/replace of a complex attribute merges its sub-attributes.
				for k, v := range m {
					cur[canonicalKey(cur, k)] = v
				}
				return nil
			}
		}
		target[key] = value
		return nil
	}
	m, _ := target[key].(map[string]any)
	if m == nil {
		if value == nil {
			return nil
		}
		m = map[string]any{}
		target[key] = m
	}
	sk := canonicalKey(m, sub)
	if value == nil {
		delete(m, sk)
	} else {
		m[sk] = value
	}
	return nil
}

// canonicalKey is the existing key of m equal to name ignoring case, or
// name.
func canonicalKey(m map[string]any, name string) string {
	if _, ok := m[name]; ok {
		return name
	}
	for k := range m {
		if strings.EqualFold(k, name) {
			return k
		}
	}
	for _, k := range []string{"userName", "displayName", "externalId", "givenName", "familyName", "phoneNumbers", "emails",
		"employeeNumber", "costCenter", "signInMethod", "requireMfa"} {
		if strings.EqualFold(k, name) {
			return k
		}
	}
	return name
}

// setFiltered sets sub of the elements of the multi-valued attr that match
// a value filter on type or primary (eq only); a missing element is added
// (with that type) by add and replace.
func setFiltered(state scim.ResourceAttributes, attr string, expr filter.Expression, sub string, value any) error {
	key := canonicalKey(state, attr)
	e, ok := expr.(*filter.AttributeExpression)
	if !ok || e.Operator != filter.EQ {
		return invalidValue("value filters support one eq comparison")
	}
	field := e.AttributePath.AttributeName
	list, _ := state[key].([]any)
	matched := false
	for _, el := range list {
		m, ok := el.(map[string]any)
		if !ok || !strings.EqualFold(str(get(m, field)), str(e.CompareValue)) {
			continue
		}
		matched = true
		if sub == "" {
			if value == nil {
				for k := range m {
					delete(m, k) // dropped from the list below
				}
			} else if vm, ok := value.(map[string]any); ok {
				for k, v := range vm {
					m[k] = v
				}
			}
			continue
		}
		if value == nil {
			delete(m, sub)
		} else {
			m[sub] = value
		}
	}
	if !matched && value == nil {
		e := scimerrors.ScimErrorNoTarget
		e.Detail = fmt.Sprintf("no %s matches the filter", attr)
		return e
	}
	if !matched && value != nil {
		m := map[string]any{field: e.CompareValue}
		if sub == "" {
			if vm, ok := value.(map[string]any); ok {
				for k, v := range vm {
					m[k] = v
				}
			}
		} else {
			m[sub] = value
		}
		list = append([]any{m}, list...)
	}
	list = slices.DeleteFunc(list, func(el any) bool { m, ok := el.(map[string]any); return ok && len(m) == 0 })
	// Our users have one phone: the matched (or new) element becomes it.
	if strings.EqualFold(attr, "phoneNumbers") {
		for _, el := range list {
			if m, ok := el.(map[string]any); ok && strings.EqualFold(str(get(m, field)), str(e.CompareValue)) {
				m["primary"] = true
				if get(m, "value") == nil || str(get(m, "value")) == "" {
					list = nil
				} else {
					list = []any{m}
				}
				break
			}
		}
	}
	state[key] = list
	return nil
}

var _ = apperr.Invalid
