package graph

import (
	"context"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/apperr"
)

// CursorCheck refuses, before the resolver runs, a connection cursor
// (after, before) the server could not have made. A cursor is base64 of
// msgpack {id, value} that a client can forge: its value went into SQL
// as it decoded, and a map, a list, bytes, a NUL character or a value
// of another type than the order column's (a number for EMAIL, text for
// CREATED_AT) failed in the driver, answered INTERNAL. Now it is
// BAD_USER_INPUT on the argument; a cursor the server made always passes.
type CursorCheck struct{}

// Its check of decoded arguments runs from the handler's one field
// interceptor (fieldChecks), not as an interceptor of its own.
var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = CursorCheck{}

func (CursorCheck) ExtensionName() string { return "CursorCheck" }

func (CursorCheck) Validate(graphql.ExecutableSchema) error { return nil }

// checkField refuses the field about to be resolved in ctx when its after
// or before argument is not a cursor of its connection.
func (CursorCheck) checkField(ctx context.Context) error {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Args == nil {
		return nil
	}
	for _, name := range []string{"after", "before"} {
		c, ok := fc.Args[name].(*entgql.Cursor[pulid.ID])
		if !ok || c == nil {
			continue
		}
		if !cursorValid(c, fc.Args["orderBy"]) {
			return apperr.InvalidField(name, "%s is not a cursor of this connection", name)
		}
	}
	return nil
}

// cursorValid reports whether c could be a cursor of a connection ordered
// by orderBy (an ent *XOrder, or nil for the default order by id).
func cursorValid(c *entgql.Cursor[pulid.ID], orderBy any) bool {
	if !text(string(c.ID)) {
		return false
	}
	if c.Value == nil {
		return true
	}
	want, ok := orderValueType(orderBy)
	if !ok {
		return false // no order (by id): the server sends no value
	}
	switch v := c.Value.(type) {
	case string:
		return text(v) && want.Kind() == reflect.String
	case time.Time:
		return want == reflect.TypeOf(time.Time{})
	case bool:
		return want.Kind() == reflect.Bool
	case int8, int16, int32, int64, uint8, uint16, uint32, uint64:
		return want.Kind() >= reflect.Int && want.Kind() <= reflect.Uint64
	case float32, float64:
		return want.Kind() == reflect.Float32 || want.Kind() == reflect.Float64
	}
	return false
}

func text(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// orderValueType is the Go type of the values the order's column holds,
// read from the generated order field's Value on an empty node: what the
// server puts in the cursors it makes.
func orderValueType(orderBy any) (t reflect.Type, ok bool) {
	o := reflect.ValueOf(orderBy)
	if !o.IsValid() || o.Kind() != reflect.Pointer || o.IsNil() || o.Elem().Kind() != reflect.Struct {
		return nil, false
	}
	f := o.Elem().FieldByName("Field")
	if !f.IsValid() || f.Kind() != reflect.Pointer || f.IsNil() {
		return nil, false
	}
	value := f.Elem().FieldByName("Value")
	if !value.IsValid() || value.Kind() != reflect.Func || value.IsNil() || value.Type().NumIn() != 1 ||
		value.Type().In(0).Kind() != reflect.Pointer {
		return nil, false
	}
	defer func() {
		if recover() != nil {
			t, ok = nil, false
		}
	}()
	out := value.Call([]reflect.Value{reflect.New(value.Type().In(0).Elem())})
	if len(out) != 2 || !out[1].IsNil() || out[0].IsNil() {
		return nil, false
	}
	return out[0].Elem().Type(), true
}

// MutateOperationContext refuses, before any field runs, a cursor (in a
// variable of type Cursor or a literal argument) that does not decode:
// besides the errors entgql reports, a crafted msgpack body makes the
// decoder (vmihailenco/msgpack v5.3.5 to v5.4.1) panic, which gqlgen
// answered INTERNAL.
func (CursorCheck) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	for _, vd := range oc.Operation.VariableDefinitions {
		if vd.Type == nil || vd.Type.Name() != "Cursor" {
			continue
		}
		if s, ok := oc.Variables[vd.Variable].(string); ok && !cursorDecodes(s) {
			return inputRefused(vd.Variable, "not a cursor this server made")
		}
	}
	var bad *ast.Argument
	var walk func(set ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			if bad != nil {
				return
			}
			switch s := sel.(type) {
			case *ast.Field:
				for _, a := range s.Arguments {
					if v := a.Value; v != nil && v.Kind == ast.StringValue && v.ExpectedType != nil &&
						v.ExpectedType.Name() == "Cursor" && !cursorDecodes(v.Raw) {
						bad = a
						return
					}
				}
				walk(s.SelectionSet)
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			}
		}
	}
	walk(oc.Operation.SelectionSet)
	if oc.Doc != nil {
		for _, f := range oc.Doc.Fragments {
			walk(f.SelectionSet) // each once, wherever it is spread
		}
	}
	if bad != nil {
		return inputRefused(bad.Name, "not a cursor this server made")
	}
	return nil
}

// cursorDecodes reports whether s decodes as a cursor, without panicking.
func cursorDecodes(s string) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	var c entgql.Cursor[pulid.ID]
	return c.UnmarshalGQL(s) == nil
}
