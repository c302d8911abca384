package graph

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql"

	"github.com/clinicgate/clinicgate/internal/authz"
)

// scopeRelations implements @scopedRelations, which every where input with
// relation filters carries (ent/entc.go puts it there). gqlgen runs it when
// the input is decoded — for a resolver's arguments and for the edges
// entgql loads with their parent alike — innermost inputs first, so each
// call scopes only the relation fields of the input it is given:
//
//   - has<Edge>With: [w…] gets authz.RowScope of the related type added to
//     every w, inside the EXISTS subquery ent builds for it;
//   - has<Edge>: true becomes has<Edge>With: [{}] (scoped), and
//     has<Edge>: false its negation, since ent's plain has<Edge> looks at
//     every related row.
//
// A viewer who reads none of a client's break-glass windows therefore
// finds the client under hasEmergencyAccesses: false, exactly as if it had
// none. The fields are found by entgql's naming (Has<Edge>With, a slice of
// *<Type>WhereInput, beside Has<Edge> *bool), so an edge added to the
// schema is scoped without a change here; relations_test.go holds every
// where input of the schema to that shape.
func scopeRelations(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
	in, err := next(ctx)
	if err != nil {
		return nil, err
	}
	w := reflect.New(reflect.TypeOf(in))
	w.Elem().Set(reflect.ValueOf(in))
	if err := scopeWhereInput(ctx, w); err != nil {
		return nil, err
	}
	return w.Elem().Interface(), nil
}

// relation is one edge of a where input: its has<Edge>With list field and
// the related type.
type relation struct {
	with    int          // index of Has<Edge>With
	has     int          // index of Has<Edge>, -1 if absent
	related reflect.Type // <Type>WhereInput
	typ     string       // the related ent type
}

// relations lists the edges of a where input struct type.
func relations(t reflect.Type) ([]relation, error) {
	var out []relation
	for i := range t.NumField() {
		f := t.Field(i)
		edge, ok := strings.CutPrefix(f.Name, "Has")
		if !ok {
			continue
		}
		if edge, ok = strings.CutSuffix(edge, "With"); !ok {
			continue
		}
		if f.Type.Kind() != reflect.Slice || f.Type.Elem().Kind() != reflect.Pointer ||
			f.Type.Elem().Elem().Kind() != reflect.Struct || !strings.HasSuffix(f.Type.Elem().Elem().Name(), "WhereInput") {
			return nil, fmt.Errorf("graph: %s.%s is not a list of where inputs", t.Name(), f.Name)
		}
		r := relation{with: i, has: -1, related: f.Type.Elem().Elem()}
		r.typ = strings.TrimSuffix(r.related.Name(), "WhereInput")
		if h, ok := t.FieldByName("Has" + edge); ok {
			if h.Type != reflect.TypeFor[*bool]() {
				return nil, fmt.Errorf("graph: %s.%s is not a *bool", t.Name(), h.Name)
			}
			r.has = h.Index[0]
		}
		out = append(out, r)
	}
	return out, nil
}

// scopeWhereInput scopes the relation fields of w, a pointer to a where
// input.
func scopeWhereInput(ctx context.Context, w reflect.Value) error {
	rels, err := relations(w.Elem().Type())
	if err != nil {
		return err
	}
	for _, r := range rels {
		scope := authz.RowScope(ctx, r.typ)
		with := w.Elem().Field(r.with)
		if r.has >= 0 {
			if has := w.Elem().Field(r.has); !has.IsNil() {
				exists := has.Elem().Bool()
				has.SetZero()
				if exists {
					with.Set(reflect.Append(with, reflect.New(r.related)))
				} else if err := addNotExists(w, r, scope); err != nil {
					return err
				}
			}
		}
		for i := range with.Len() {
			addPredicate(with.Index(i), scope)
		}
	}
	return nil
}

// addNotExists adds to w the predicate "no related row the viewer may read":
// NOT of has<Edge>With: [{}] scoped, built by the input's own P.
func addNotExists(w reflect.Value, r relation, scope func(*sql.Selector)) error {
	probe := reflect.New(w.Elem().Type())
	elem := reflect.New(r.related)
	addPredicate(elem, scope)
	probe.Elem().Field(r.with).Set(reflect.Append(probe.Elem().Field(r.with), elem))
	out := probe.MethodByName("P").Call(nil)
	if err, _ := out[1].Interface().(error); err != nil {
		return err
	}
	p := out[0]
	not := sql.NotPredicates(func(s *sql.Selector) { p.Call([]reflect.Value{reflect.ValueOf(s)}) })
	addPredicate(w, not)
	return nil
}

// addPredicate calls w.AddPredicates(p), converting p to w's predicate type.
func addPredicate(w reflect.Value, p func(*sql.Selector)) {
	add := w.MethodByName("AddPredicates")
	add.Call([]reflect.Value{reflect.ValueOf(p).Convert(add.Type().In(0).Elem())})
}
