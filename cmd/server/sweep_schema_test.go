package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// The sweep reads the API's shape from the running server (introspection),
// so a new type, query or mutation is swept without anyone adding it.

// gqlType is an introspected type reference or definition.
type gqlType struct {
	Kind          string                  `json:"kind"`
	Name          string                  `json:"name"`
	OfType        *gqlType                `json:"ofType"`
	Fields        []gqlField              `json:"fields"`
	InputFields   []gqlInput              `json:"inputFields"`
	PossibleTypes []gqlType               `json:"possibleTypes"`
	EnumValues    []struct{ Name string } `json:"enumValues"`
}

type gqlField struct {
	Name string     `json:"name"`
	Args []gqlInput `json:"args"`
	Type gqlType    `json:"type"`
}

type gqlInput struct {
	Name string  `json:"name"`
	Type gqlType `json:"type"`
}

// named is the type without its NON_NULL and LIST wrappers.
func (t gqlType) named() gqlType {
	for t.OfType != nil && (t.Kind == "NON_NULL" || t.Kind == "LIST") {
		t = *t.OfType
	}
	return t
}

func (t gqlType) required() bool { return t.Kind == "NON_NULL" }

// gqlSchema is the introspected schema.
type gqlSchema struct {
	Query, Mutation string
	types           map[string]gqlType
}

func (s gqlSchema) root(name string) []gqlField { return s.types[name].Fields }

const introspection = `{ __schema {
  queryType { name } mutationType { name }
  types { kind name
    fields(includeDeprecated: true) { name args { name type { ...T } } type { ...T } }
    inputFields { name type { ...T } }
    possibleTypes { name }
    enumValues(includeDeprecated: true) { name } } } }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }`

func introspect(t *testing.T, base, token string) gqlSchema {
	t.Helper()
	r := gql(t, base, token, introspection, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("introspection: %s", r.raw)
	}
	var out struct {
		Schema struct {
			QueryType, MutationType struct{ Name string }
			Types                   []gqlType
		} `json:"__schema"`
	}
	if err := json.Unmarshal(r.Data, &out); err != nil {
		t.Fatalf("introspection: %v", err)
	}
	s := gqlSchema{Query: out.Schema.QueryType.Name, Mutation: out.Schema.MutationType.Name, types: map[string]gqlType{}}
	for _, ty := range out.Schema.Types {
		s.types[ty.Name] = ty
	}
	if len(s.root(s.Query)) == 0 || len(s.root(s.Mutation)) == 0 || len(s.types["Node"].PossibleTypes) == 0 {
		t.Fatalf("introspection found no queries, mutations or node types: %s", r.raw[:min(len(r.raw), 500)])
	}
	return s
}

// gqlResult is one GraphQL answer, kept raw too so that a leak anywhere in
// it (data, messages, extensions) is found by searching the text.
type gqlResult struct {
	status int
	raw    string
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func (r gqlResult) codes() []string {
	var out []string
	for _, e := range r.Errors {
		c, _ := e.Extensions["code"].(string)
		out = append(out, c)
	}
	return out
}

// shape is what a refusal says, with the ids it was given blanked, so that
// the answer about another organization's object can be compared with the
// answer about one that never existed.
func (r gqlResult) shape(ids ...string) string {
	var b strings.Builder
	for _, e := range r.Errors {
		m := e.Message
		for _, id := range ids {
			m = strings.ReplaceAll(m, id, "<id>")
		}
		b.WriteString(m)
		for _, k := range []string{"code", "field", "policy"} {
			if v, ok := e.Extensions[k]; ok {
				b.WriteString(" " + k + "=" + strings.ReplaceAll(mustJSON(v), "\"", ""))
			}
		}
		b.WriteString("; ")
	}
	return b.String() + " data=" + string(r.Data)
}

func gql(t *testing.T, base, token, query string, vars map[string]any) gqlResult {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(res.Body)
	out := gqlResult{status: res.StatusCode, raw: buf.String()}
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatalf("graphql answer is not JSON (%d): %q", res.StatusCode, buf.String())
	}
	if res.StatusCode >= 500 || strings.Contains(out.raw, `"INTERNAL"`) {
		t.Errorf("graphql answered %d / INTERNAL to %s %s: %s", res.StatusCode, query, mustJSON(vars), out.raw)
	}
	return out
}

// selection returns a selection set for a value of type ty: every id and
// __typename reachable within depth object hops, through fields whose
// arguments are all optional (connections are asked for a short page),
// and through plain lists too when lists is set. Only ids are needed: a
// row of another organization shows up as its id.
func (s gqlSchema) selection(ty gqlType, depth int, lists bool) string {
	return s.selectionAs(ty, depth, lists, "")
}

// selectionAs prefixes the fields it selects with alias, so that the
// fragments on an interface's types do not collide.
func (s gqlSchema) selectionAs(ty gqlType, depth int, lists bool, alias string) string {
	ty = s.types[ty.named().Name]
	switch ty.Kind {
	case "OBJECT", "INTERFACE", "UNION":
	default:
		return ""
	}
	parts := []string{"__typename"}
	if depth < 0 {
		return "{ __typename }"
	}
	if ty.Kind == "UNION" || ty.Kind == "INTERFACE" {
		for _, p := range ty.PossibleTypes {
			if sub := s.selectionAs(gqlType{Kind: "OBJECT", Name: p.Name}, depth, lists, strings.ToLower(p.Name)+"_"); sub != "" {
				parts = append(parts, "... on "+p.Name+" "+sub)
			}
		}
		return "{ " + strings.Join(parts, " ") + " }"
	}
	for _, f := range ty.Fields {
		args, ok := optionalArgs(f)
		if !ok {
			continue
		}
		named := f.Type.named()
		name := f.Name
		if alias != "" {
			name = alias + f.Name + ": " + f.Name
		}
		switch s.types[named.Name].Kind {
		case "SCALAR", "ENUM":
			if named.Name == "ID" && args == "" {
				parts = append(parts, name)
			}
		default:
			// edges and node are hops that do not multiply the cost.
			d := depth - 1
			if f.Name == "edges" || f.Name == "node" {
				d = depth
			} else if depth == 0 || !lists && isList(f.Type) {
				continue
			}
			if sub := s.selection(f.Type, d, lists); sub != "" {
				parts = append(parts, name+args+" "+sub)
			}
		}
	}
	return "{ " + strings.Join(parts, " ") + " }"
}

func isList(t gqlType) bool {
	for ; t.Kind == "NON_NULL" || t.Kind == "LIST"; t = *t.OfType {
		if t.Kind == "LIST" {
			return true
		}
	}
	return false
}

// selections are the selection sets tried, richest first, until one fits
// the server's complexity and depth limits.
var selections = []struct {
	depth int
	lists bool
}{{2, true}, {2, false}, {1, true}, {1, false}, {0, false}, {-1, false}}

// optionalArgs is the argument list to call f with: a short page where it
// takes one; ok is false when f has a required argument.
func optionalArgs(f gqlField) (string, bool) {
	var args []string
	for _, a := range f.Args {
		if a.Type.required() {
			return "", false
		}
		if a.Name == "first" {
			args = append(args, "first: 3")
		}
	}
	if len(args) == 0 {
		return "", true
	}
	return "(" + strings.Join(args, ", ") + ")", true
}

// idKind says what kind of object an ID argument or input field names
// (the fixture has one of each kind in each organization). Most are named
// after their kind (clientId, roleIds, defaultBusinessUnitId); a bare `id`
// is named by the input or field it sits in. ok is false for a new ID
// field nobody has classified: the sweep then fails until someone adds it.
func idKind(owner, name string) (string, bool) {
	if name == "id" || name == "ids" {
		k, ok := bareIDs[owner]
		return k, ok
	}
	hint := strings.TrimSuffix(strings.TrimSuffix(name, "s"), "Id")
	k, ok := namedIDs[hint]
	return k, ok
}

var namedIDs = map[string]string{
	"client": kClient, "otherClient": kClient,
	"user":                kUser,
	"staffProfile":        kStaffProfile,
	"businessUnit":        kBusinessUnit,
	"targetBusinessUnit":  kBusinessUnit,
	"primaryBusinessUnit": kBusinessUnit,
	"defaultBusinessUnit": kBusinessUnit,
	"role":                kRole, "defaultRole": kRole,
	"contact":      kContact,
	"portalAccess": kPortalAccess,
	"group":        kSCIMGroup,
	"factor":       kTOTP,
}

var bareIDs = map[string]string{
	// node and nodes take any type; the node sweep hands them every id of
	// the other organization, elsewhere a client's stands for all.
	"Query.node":                  kClient,
	"Query.nodes":                 kClient,
	"Mutation.endEmergencyAccess": kEmergencyAccess,
	"InvitationIdInput":           kInvitation,
	"RemoveAuthenticatorAppInput": kTOTP,
	"RenamePasskeyInput":          kPasskey,
	"RemovePasskeyInput":          kPasskey,
	"RotateScimTokenInput":        kSCIMToken,
	"RevokeScimTokenInput":        kSCIMToken,
	"RevokeSessionInput":          kSession,
	"UpdateSSOConnectionInput":    kSSOConnection,
	"DeleteSSOConnectionInput":    kSSOConnection,
	"TestSSOConnectionInput":      kSSOConnection,
}

// slot is one ID argument or input field of an operation, by its path
// ("input.roles.roleId").
type slot struct {
	path, kind string
}

// args builds the arguments of field f (of root type owner): every
// required argument and input field, with a plausible value, and the
// optional path focus (a slot) too. Every ID is resolved by ids(kind,
// path); problems are reported for what the sweep cannot fill.
type argBuilder struct {
	s        gqlSchema
	ids      func(kind, path string) string
	problems *[]string
}

func (b argBuilder) args(owner string, f gqlField, focus string) map[string]any {
	out := map[string]any{}
	for _, a := range f.Args {
		if a.Type.required() || strings.HasPrefix(focus+".", a.Name+".") {
			out[a.Name] = b.value(owner+"."+f.Name, a.Name, a.Type, a.Name, focus)
		}
	}
	return out
}

func (b argBuilder) value(owner, name string, ty gqlType, path, focus string) any {
	switch ty.Kind {
	case "NON_NULL":
		return b.value(owner, name, *ty.OfType, path, focus)
	case "LIST":
		return []any{b.value(owner, name, *ty.OfType, path, focus)}
	}
	def := b.s.types[ty.Name]
	switch def.Kind {
	case "ENUM":
		return def.EnumValues[0].Name
	case "INPUT_OBJECT":
		obj := map[string]any{}
		for _, f := range def.InputFields {
			p := path + "." + f.Name
			if f.Type.required() || strings.HasPrefix(focus+".", p+".") {
				obj[f.Name] = b.value(def.Name, f.Name, f.Type, p, focus)
			}
		}
		for field, v := range validInputs[def.Name] {
			if _, ok := obj[field]; ok {
				continue
			}
			if kind, ok := v.(idOf); ok {
				if !slices.ContainsFunc(kind.unless, func(k string) bool { _, set := obj[k]; return set }) {
					obj[field] = b.ids(kind.kind, path+"."+field)
				}
				continue
			}
			obj[field] = v
		}
		return obj
	}
	switch ty.Name {
	case "ID":
		kind, ok := idKind(owner, name)
		if !ok {
			*b.problems = append(*b.problems, "unclassified ID field "+owner+"."+name+": add it to namedIDs or bareIDs")
			return "unclassified"
		}
		return b.ids(kind, path)
	case "String":
		return stringValue(name)
	case "Int":
		return 100
	case "Boolean":
		return false
	case "Time":
		return time.Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339)
	}
	*b.problems = append(*b.problems, "no dummy value for scalar "+ty.Name+" ("+owner+"."+name+")")
	return nil
}

// validInputs are the optional input fields an input needs to pass
// validation, which no type-appropriate dummy gives: without them the
// refusal would come from validation and prove nothing about the decision.
var validInputs = map[string]map[string]any{
	// A provider needs a schedule access level A to D.
	"CreateEmployeeUserInput": {"scheduleAccess": "EDIT_OWN"},
	"SetEmployeeAccessInput":  {"scheduleAccess": "EDIT_OWN"},
	// A group maps to exactly one of a unit and a role.
	"MapScimGroupInput": {"roleId": idOf{kind: kRole, unless: []string{"businessUnitId"}}},
}

// idOf is an id of kind, left out when one of unless is set.
type idOf struct {
	kind   string
	unless []string
}

// stringValue is a valid value for a string input named name, so that a
// refusal comes from the decision, not from validation.
func stringValue(name string) string {
	switch name {
	case "email":
		return "sweep.new@sweep.test"
	case "addresses":
		return "sweep.bulk@sweep.test"
	case "privilege", "privileges":
		return "reports.view"
	case "issuer":
		return "https://sso.sweep.invalid"
	case "code":
		return "000000"
	case "credential":
		return "{}"
	}
	return "Sweep " + name
}

// slots lists the ID slots of field f, following optional input fields
// too (an optional roleId is swept like a required one).
func (b argBuilder) slots(owner string, f gqlField) []slot {
	var out []slot
	seen := map[string]bool{}
	var walk func(owner, name string, ty gqlType, path string)
	walk = func(owner, name string, ty gqlType, path string) {
		ty = ty.named()
		def := b.s.types[ty.Name]
		if def.Kind == "INPUT_OBJECT" {
			if seen[def.Name] { // recursive inputs (where filters) are not arguments of mutations
				return
			}
			seen[def.Name] = true
			for _, in := range def.InputFields {
				walk(def.Name, in.Name, in.Type, path+"."+in.Name)
			}
			delete(seen, def.Name)
			return
		}
		if ty.Name == "ID" {
			k, ok := idKind(owner, name)
			if !ok {
				*b.problems = append(*b.problems, "unclassified ID field "+owner+"."+name+": add it to namedIDs or bareIDs")
			}
			out = append(out, slot{path: path, kind: k})
		}
	}
	for _, a := range f.Args {
		// Filters are swept apart (an idIn of the other organization's
		// ids): their ids are conditions, not objects to act on.
		if a.Name == "where" {
			continue
		}
		walk(owner+"."+f.Name, a.Name, a.Type, a.Name)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}

// document is the operation calling f with variables for its arguments,
// selecting what selections[level] says.
func (s gqlSchema) document(op string, f gqlField, level int) string {
	var decl, pass []string
	for _, a := range f.Args {
		decl = append(decl, "$"+a.Name+": "+typeString(a.Type))
		pass = append(pass, a.Name+": $"+a.Name)
	}
	d, p := "", ""
	if len(decl) > 0 {
		d, p = "("+strings.Join(decl, ", ")+")", "("+strings.Join(pass, ", ")+")"
	}
	return op + " sweep" + d + " { " + f.Name + p + " " + s.selection(f.Type, selections[level].depth, selections[level].lists) + " }"
}

func typeString(t gqlType) string {
	switch t.Kind {
	case "NON_NULL":
		return typeString(*t.OfType) + "!"
	case "LIST":
		return "[" + typeString(*t.OfType) + "]"
	}
	return t.Name
}
