package graph

import (
	"context"
	"reflect"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/clinicgate/clinicgate/internal/authz"
)

// ListLimitExceeded is the extensions.code of a list edge that returned
// more items than its bound.
const ListLimitExceeded = "LIST_LIMIT_EXCEEDED"

// DefaultListBound is the most items a list edge returns unless
// declaredListBound says otherwise: a new list edge in the schema gets it
// without anyone having to think of it.
const DefaultListBound = 100

// A list edge is a field returning a list of objects or interfaces that is
// not a page of a connection (Role.users, User.roles, Appointment.notes,
// nodes): entgql loads such an edge whole. Complexity costs it as its
// bound times its items (pagedComplexity), and ListLimits refuses a
// result longer than the bound, so that the cost is an upper bound and
// nested lists cannot multiply into a response nobody priced.
//
// Refusing rather than truncating: an access-control screen that showed
// the first 100 holders of a role as if they were all would mislead. Lists
// that can grow past their bound are read through their connection and a
// filter instead (users(where: {hasRolesWith: {id: …}})).
type listBounds map[fieldKey]int

type fieldKey struct{ typ, field string }

// declaredListBound is the bound of the list edges that have a smaller one
// than DefaultListBound (the wider its bound, the more a query through an
// edge costs). A user holds a few roles; an identity provider mapping groups
// to roles may give some users more, so the bound leaves room for that while
// a page of 100 users with their roles stays within the complexity limit.
// A user's business units keep the default: an administrator of a large
// group may belong to every unit.
func declaredListBound(k fieldKey) (int, bool) {
	switch k {
	case fieldKey{"User", "roles"}, fieldKey{"Viewer", "roles"}, fieldKey{"AccessPath", "roles"}, fieldKey{"Invitation", "roles"}:
		return 30, true
	case fieldKey{"Appointment", "notes"}, fieldKey{"Appointment", "homework"}:
		return 20, true // a session's notes (one per author) and assignments
	case fieldKey{"AccessExplanation", "paths"}:
		return 20, true // one per kind of path, and a few links or windows
	case fieldKey{"ClientAccessEntry", "paths"}:
		return 5, true // one per kind of path: a user has one link, one open window, one portal link to a client
	case fieldKey{"Query", "privilegeCatalogue"}:
		return len(authz.Catalogue()), true
	case fieldKey{"Query", "nodes"}:
		return MaxNodes, true // the resolver refuses more ids
	}
	return 0, false
}

// newListBounds finds every list edge of s. A connection's own lists (its
// edges) are its page, which the connection's cost already counts.
func newListBounds(s *ast.Schema) listBounds {
	pages := map[string]bool{}
	for name, def := range s.Types {
		if def.Fields.ForName("edges") != nil && def.Fields.ForName("pageInfo") != nil {
			pages[name] = true // a Relay connection type, used or not
		}
		for _, f := range def.Fields {
			if isConnectionField(f) {
				pages[f.Type.Name()] = true
			}
		}
	}
	b := listBounds{}
	for name, def := range s.Types {
		if def.Kind != ast.Object || strings.HasPrefix(name, "__") || pages[name] {
			continue
		}
		for _, f := range def.Fields {
			if f.Type.Elem == nil {
				continue
			}
			switch s.Types[f.Type.Name()].Kind {
			case ast.Object, ast.Interface, ast.Union:
				k := fieldKey{name, f.Name}
				if n, ok := declaredListBound(k); ok {
					b[k] = n
				} else {
					b[k] = DefaultListBound
				}
			}
		}
	}
	return b
}

// isConnectionField reports whether f is a Relay connection: it pages with
// first and last.
func isConnectionField(f *ast.FieldDefinition) bool {
	return f.Arguments.ForName("first") != nil && f.Arguments.ForName("last") != nil
}

// ListLimits refuses a list edge's result longer than its bound, as a field
// error with ListLimitExceeded: the field is null, the rest of the
// response stands.
type ListLimits struct {
	bounds listBounds
}

var _ interface {
	graphql.HandlerExtension
	graphql.FieldInterceptor
} = ListLimits{}

func (ListLimits) ExtensionName() string { return "ListLimits" }

func (ListLimits) Validate(graphql.ExecutableSchema) error { return nil }

func (l ListLimits) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	res, err := next(ctx)
	fc := graphql.GetFieldContext(ctx)
	if err != nil || res == nil || fc == nil || fc.Field.Field == nil || fc.Field.Definition == nil || fc.Field.Definition.Type.Elem == nil {
		return res, err // most fields are not lists: no map lookup for them
	}
	bound, ok := l.bounds[fieldKey{fc.Object, fc.Field.Name}]
	if !ok {
		return res, nil
	}
	if v := reflect.ValueOf(res); v.Kind() == reflect.Slice && v.Len() > bound {
		err := gqlerror.Errorf("%s.%s has more than the %d items it may return; query it through a connection with a filter", fc.Object, fc.Field.Name, bound)
		errcode.Set(err, ListLimitExceeded)
		return nil, err
	}
	return res, nil
}
