package scim

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/scim2/filter-parser/v2"

	"github.com/clinicgate/clinicgate/ent/predicate"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
)

// The SCIM filter of GET /Users becomes SQL here (the library only parses
// and validates it against the schema): every attribute we filter on maps
// to a column of users, so a filter never loads users to test them in Go.

const coreUserURN = "urn:ietf:params:scim:schemas:core:2.0:User"

// userColumn is how one filterable attribute maps to SQL.
type userColumn struct {
	column string
	kind   int // colString, colFold, colTime, colActive, colID
}

const (
	colString = iota // compared as is (caseExact)
	colFold          // compared ignoring case
	colLower         // the column holds the lower-cased value (email_normalized)
	colTime
	colActive
	// colUserName: the user's own userName (scim_user_name_normalized,
	// lower-cased), or their email when they have none.
	colUserName
)

// userColumns maps lower-cased attribute paths to columns.
var userColumns = map[string]userColumn{
	"id":                {user.FieldID, colString},
	"username":          {user.FieldScimUserNameNormalized, colUserName},
	"externalid":        {user.FieldExternalID, colString},
	"displayname":       {user.FieldDisplayName, colFold},
	"title":             {user.FieldTitle, colFold},
	"name.givenname":    {user.FieldGivenName, colFold},
	"name.familyname":   {user.FieldFamilyName, colFold},
	"emails.value":      {user.FieldEmailNormalized, colLower},
	"emails":            {user.FieldEmailNormalized, colLower},
	"active":            {user.FieldStatus, colActive},
	"meta.created":      {user.FieldCreatedAt, colTime},
	"meta.lastmodified": {user.FieldUpdatedAt, colTime},

	"enterprise:employeenumber": {user.FieldEmployeeNumber, colFold},
	"enterprise:department":     {user.FieldDepartment, colFold},
	"enterprise:costcenter":     {user.FieldCostCenter, colFold},
	"enterprise:organization":   {user.FieldOrganizationName, colFold},
	"enterprise:division":       {user.FieldDivision, colFold},
	"enterprise:manager.value":  {user.FieldManagerRef, colString},
}

var errInvalidFilter = scimerrors.ScimErrorInvalidFilter

func invalidFilter(format string, args ...any) error {
	e := errInvalidFilter
	e.Detail = fmt.Sprintf(format, args...)
	return e
}

// translator holds what translating a filter may look up first: the
// users a userName names.
type translator struct {
	named func(userName string) ([]pulid.ID, error)
}

// userFilter translates a parsed filter into a users predicate.
func userFilter(tr translator, e filter.Expression) (predicate.User, error) {
	build, err := translate(e, "", tr)
	if err != nil {
		return nil, err
	}
	return predicate.User(func(s *sql.Selector) { s.Where(build(s)) }), nil
}

type pred func(s *sql.Selector) *sql.Predicate

func translate(e filter.Expression, within string, tr translator) (pred, error) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		l, err := translate(e.Left, within, tr)
		if err != nil {
			return nil, err
		}
		r, err := translate(e.Right, within, tr)
		if err != nil {
			return nil, err
		}
		if e.Operator == filter.AND {
			return func(s *sql.Selector) *sql.Predicate { return sql.And(l(s), r(s)) }, nil
		}
		return func(s *sql.Selector) *sql.Predicate { return sql.Or(l(s), r(s)) }, nil
	case *filter.NotExpression:
		in, err := translate(e.Expression, within, tr)
		if err != nil {
			return nil, err
		}
		return func(s *sql.Selector) *sql.Predicate { return sql.Not(in(s)) }, nil
	case *filter.ValuePath:
		if within != "" {
			return nil, invalidFilter("nested value filters are not supported")
		}
		name, err := attrName(e.AttributePath.URIPrefix, e.AttributePath.AttributeName, nil)
		if err != nil {
			return nil, err
		}
		if name != "emails" {
			return nil, invalidFilter("value filters are supported on emails only")
		}
		return translate(e.ValueFilter, "emails", tr)
	case *filter.AttributeExpression:
		return compare(e, within, tr)
	}
	return nil, invalidFilter("unsupported filter expression")
}

func attrName(uri *string, name string, sub *string) (string, error) {
	prefix := ""
	if uri != nil {
		switch u := strings.TrimSuffix(*uri, ":"); {
		case strings.EqualFold(u, coreUserURN):
		case strings.EqualFold(u, EnterpriseURN):
			prefix = "enterprise:"
		default:
			return "", invalidFilter("filtering on %s attributes is not supported", *uri)
		}
	}
	n := prefix + strings.ToLower(name)
	if sub != nil {
		n += "." + strings.ToLower(*sub)
	}
	return n, nil
}

func compare(e *filter.AttributeExpression, within string, tr translator) (pred, error) {
	name, err := attrName(e.AttributePath.URIPrefix, e.AttributePath.AttributeName, e.AttributePath.SubAttribute)
	if err != nil {
		return nil, err
	}
	if within != "" {
		// Inside emails[...]: type and primary describe our one email.
		switch name {
		case "type":
			ok := e.Operator == filter.PR || (e.Operator == filter.EQ && strings.EqualFold(fmt.Sprint(e.CompareValue), "work"))
			return constant(ok), nil
		case "primary":
			ok := e.Operator == filter.PR || (e.Operator == filter.EQ && e.CompareValue == true)
			return constant(ok), nil
		}
		name = within + "." + name
	}
	col, ok := userColumns[name]
	if !ok {
		return nil, invalidFilter("filtering on %q is not supported", e.AttributePath.String())
	}
	op := e.Operator
	switch col.kind {
	case colActive:
		if op == filter.PR {
			return constant(true), nil
		}
		b, ok := e.CompareValue.(bool)
		if !ok || (op != filter.EQ && op != filter.NE) {
			return nil, invalidFilter("active compares with eq or ne to true or false")
		}
		suspended := b == (op == filter.NE) // active eq false, active ne true
		if suspended {
			return func(s *sql.Selector) *sql.Predicate {
				return sql.EQ(s.C(col.column), user.StatusSuspended.String())
			}, nil
		}
		return func(s *sql.Selector) *sql.Predicate {
			return sql.NEQ(s.C(col.column), user.StatusSuspended.String())
		}, nil
	case colTime:
		if op == filter.PR {
			return constant(true), nil
		}
		str, ok := e.CompareValue.(string)
		t, err := time.Parse(time.RFC3339Nano, str)
		if !ok || err != nil {
			return nil, invalidFilter("%s compares with a date-time (RFC 3339)", e.AttributePath.String())
		}
		t = t.UTC()
		switch op {
		case filter.EQ, filter.NE, filter.GT, filter.GE, filter.LT, filter.LE:
			return func(s *sql.Selector) *sql.Predicate { return cmp(op, s.C(col.column), t) }, nil
		}
		return nil, invalidFilter("%s does not support %s", e.AttributePath.String(), op)
	}
	// Strings.
	if op == filter.PR && col.kind == colUserName {
		return constant(true), nil
	}
	if op == filter.PR {
		return func(s *sql.Selector) *sql.Predicate {
			return sql.And(sql.NotNull(s.C(col.column)), sql.NEQ(s.C(col.column), ""))
		}, nil
	}
	str, ok := e.CompareValue.(string)
	if !ok {
		return nil, invalidFilter("%s compares with a string", e.AttributePath.String())
	}
	if col.kind == colFold || col.kind == colString {
		// Folded by the database on both sides, or compared exactly; see
		// textMatch.
		switch op {
		case filter.EQ, filter.NE, filter.GT, filter.GE, filter.LT, filter.LE, filter.CO, filter.SW, filter.EW:
		default:
			return nil, invalidFilter("unsupported operator %s", op)
		}
		fold := col.kind == colFold
		return func(s *sql.Selector) *sql.Predicate {
			m := textMatch(s, s.C(col.column), op, str, fold)
			if op == filter.NE {
				return sql.Or(sql.IsNull(s.C(col.column)), m)
			}
			return m
		}, nil
	}
	// colLower and colUserName: the columns hold values lower-cased in Go
	// (provision), and so is the value.
	str = strings.ToLower(str)
	ident := func(s *sql.Selector) string {
		if col.kind == colUserName {
			return "COALESCE(" + s.C(col.column) + ", " + s.C(user.FieldEmailNormalized) + ")"
		}
		return s.C(col.column)
	}
	if col.kind == colUserName && op == filter.EQ {
		// Looked up first (provision.UsersNamed: two unique-index
		// lookups), then matched by id: an OR of the two lookups in the
		// statement is planned as a scan once PostgreSQL caches a generic
		// plan. An id list never yields NULL, so not (userName eq …)
		// holds for everyone else.
		ids, err := tr.named(str)
		if err != nil {
			return nil, err
		}
		return func(s *sql.Selector) *sql.Predicate {
			if len(ids) == 0 {
				return sql.P(func(b *sql.Builder) { b.WriteString("1 = 0") })
			}
			args := make([]any, len(ids))
			for i, id := range ids {
				args[i] = string(id)
			}
			return sql.In(s.C(user.FieldID), args...)
		}, nil
	}
	switch op {
	case filter.CO, filter.SW, filter.EW:
		pattern := likePattern(op, str)
		return func(s *sql.Selector) *sql.Predicate {
			id := ident(s)
			return sql.P(func(b *sql.Builder) {
				b.WriteString(id).WriteString(" LIKE ").Arg(pattern).WriteString(` ESCAPE '\'`)
			})
		}, nil
	case filter.NE:
		if col.kind == colUserName {
			return func(s *sql.Selector) *sql.Predicate { return sql.NEQ(ident(s), str) }, nil
		}
		return func(s *sql.Selector) *sql.Predicate {
			return sql.Or(sql.IsNull(s.C(col.column)), sql.NEQ(ident(s), str))
		}, nil
	case filter.EQ, filter.GT, filter.GE, filter.LT, filter.LE:
		return func(s *sql.Selector) *sql.Predicate { return cmp(op, ident(s), str) }, nil
	}
	return nil, invalidFilter("unsupported operator %s", op)
}

// textMatch is col op v on a text column, alike on both dialects:
//
//   - fold (caseExact false): both sides lower-cased by the database,
//     lower(col) op lower(v). Lower-casing v in Go instead made a value
//     spelled exactly as stored miss on SQLite as soon as it held an
//     upper-case letter outside ASCII ("Ōtomo"), since SQLite's lower()
//     folds ASCII only. What remains different: SQLite does not match
//     "ōtomo" to "Ōtomo" (PostgreSQL does).
//   - exact: co, sw and ew are GLOB on SQLite, whose LIKE ignores ASCII
//     case (externalId co "OKTA" matched "00u1okta" there, not on
//     PostgreSQL), and LIKE on PostgreSQL, where it is case-sensitive.
func textMatch(s *sql.Selector, col string, op filter.CompareOperator, v string, fold bool) *sql.Predicate {
	left := col
	arg := func(b *sql.Builder, v any) { b.Arg(v) }
	if fold {
		left = sql.Lower(col)
		arg = func(b *sql.Builder, v any) { b.WriteString("LOWER(").Arg(v).WriteString(")") }
	}
	return sql.P(func(b *sql.Builder) {
		switch op {
		case filter.CO, filter.SW, filter.EW:
			if !fold && s.Dialect() == dialect.SQLite {
				b.WriteString(left).WriteString(" GLOB ")
				arg(b, globPattern(op, v))
				return
			}
			b.WriteString(left).WriteString(" LIKE ")
			arg(b, likePattern(op, v))
			b.WriteString(` ESCAPE '\'`)
			return
		}
		b.WriteString(left).WriteString(" " + sqlOps[op] + " ")
		arg(b, v)
	})
}

var sqlOps = map[filter.CompareOperator]string{
	filter.EQ: "=", filter.NE: "<>", filter.GT: ">", filter.GE: ">=", filter.LT: "<", filter.LE: "<=",
}

// likePattern is the LIKE pattern (escape character \) of co, sw or ew v.
func likePattern(op filter.CompareOperator, v string) string {
	p := likeEscape(v)
	switch op {
	case filter.CO:
		return "%" + p + "%"
	case filter.SW:
		return p + "%"
	}
	return "%" + p
}

// globPattern is SQLite's GLOB pattern of co, sw or ew v: GLOB has no
// escape character, so its metacharacters become one-character classes.
func globPattern(op filter.CompareOperator, v string) string {
	p := strings.NewReplacer("*", "[*]", "?", "[?]", "[", "[[]").Replace(v)
	switch op {
	case filter.CO:
		return "*" + p + "*"
	case filter.SW:
		return p + "*"
	}
	return "*" + p
}

func cmp(op filter.CompareOperator, col string, v any) *sql.Predicate {
	switch op {
	case filter.NE:
		return sql.NEQ(col, v)
	case filter.GT:
		return sql.GT(col, v)
	case filter.GE:
		return sql.GTE(col, v)
	case filter.LT:
		return sql.LT(col, v)
	case filter.LE:
		return sql.LTE(col, v)
	}
	return sql.EQ(col, v)
}

func constant(ok bool) pred {
	return func(*sql.Selector) *sql.Predicate {
		if ok {
			return sql.P(func(b *sql.Builder) { b.WriteString("1 = 1") })
		}
		return sql.P(func(b *sql.Builder) { b.WriteString("1 = 0") })
	}
}

func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// valuePathCompare is attr[filter].sub op value, which Entra sends to
// look a user up by work email (emails[type eq "work"].value eq "…") but
// which RFC 7644's filter grammar (and so the library's parser) lacks.
var valuePathCompare = regexp.MustCompile(`(?i)\b([a-z][\w$-]*)\[([^\[\]"]*(?:"(?:[^"\\]|\\.)*"[^\[\]"]*)*)\]\.([a-z][\w$-]*)\s+(eq|ne|co|sw|ew|gt|ge|lt|le)\s+("(?:[^"\\]|\\.)*"|true|false|null|-?[\d.]+)`)

var orWord = regexp.MustCompile(`(?i)\sor\s`)

// rewriteValuePaths rewrites attr[filter].sub op value into the
// equivalent attr[filter and sub op value] that the grammar has. The
// parser takes no parentheses inside brackets, so a filter holding "or"
// (where "and" would bind tighter) is left alone, to be refused.
func rewriteValuePaths(f string) string {
	return valuePathCompare.ReplaceAllStringFunc(f, func(m string) string {
		g := valuePathCompare.FindStringSubmatch(m)
		if orWord.MatchString(g[2]) {
			return m
		}
		return g[1] + "[" + g[2] + " and " + g[3] + " " + g[4] + " " + g[5] + "]"
	})
}
