package graph

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/clinicgate/clinicgate/internal/apperr"
)

// InputLimit bounds the input values of one request: its variables, and
// apart from them the values written in its document. where filters become SQL: a list of
// 120,000 values or 30,000 ors, or nesting hundreds of nots deep, spends
// seconds building a statement the database then refuses (SQLite allows
// 32,766 parameters and expressions 1,000 deep), which the caller saw as
// INTERNAL. Strings go to the database too, where PostgreSQL refuses NUL
// and invalid UTF-8.
type InputLimit struct {
	// MaxDepth bounds how deep lists and input objects nest in one value
	// (an argument or a variable), the value itself at depth 1.
	MaxDepth int
	// MaxListLength bounds the items of any one list.
	MaxListLength int
	// MaxObjects bounds the input objects of all the variables (or of all
	// the literals): each is a predicate (a where, an and or or element) in
	// SQL.
	MaxObjects int
	// MaxValues bounds the values of all the variables (or of all the
	// literals), lists and objects included: each scalar can become a
	// statement parameter.
	MaxValues int
}

// DefaultInputLimit keeps any one statement well inside SQLite's limits:
// at most 200 predicates and 5,000 values from the variables and as many
// from the document, so an expression nests no deeper than about 400 ors
// and has at most 10,000 parameters.
func DefaultInputLimit() InputLimit {
	return InputLimit{MaxDepth: 12, MaxListLength: 1_000, MaxObjects: 200, MaxValues: 5_000}
}

func (l InputLimit) orDefaults() InputLimit {
	d := DefaultInputLimit()
	if l.MaxDepth == 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxListLength == 0 {
		l.MaxListLength = d.MaxListLength
	}
	if l.MaxObjects == 0 {
		l.MaxObjects = d.MaxObjects
	}
	if l.MaxValues == 0 {
		l.MaxValues = d.MaxValues
	}
	return l
}

// InputLimits refuses, with BAD_USER_INPUT and the variable in
// extensions.field, requests whose variables are over their InputLimit or
// hold a string with a NUL byte or invalid UTF-8. It checks them as decoded
// from JSON, before gqlgen coerces them (which would walk them all first).
// The document's literals get the same limits, counted on their own, from
// DocumentLimits (InputLimit.checkLiterals), which parses the document
// before gqlgen validates it: validating an input object nested a thousand
// levels deep takes a quarter of a second.
type InputLimits struct {
	Limit InputLimit
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = InputLimits{}

func (InputLimits) ExtensionName() string { return "InputLimits" }

func (l InputLimits) Validate(graphql.ExecutableSchema) error { return l.Limit.validate() }

func (l InputLimit) validate() error {
	if l.MaxDepth < 1 || l.MaxListLength < 1 || l.MaxObjects < 1 || l.MaxValues < 1 {
		return fmt.Errorf("InputLimit %+v: every limit must be at least 1", l)
	}
	return nil
}

func (l InputLimits) MutateOperationParameters(_ context.Context, p *graphql.RawParams) *gqlerror.Error {
	c := inputCounter{limit: l.Limit, in: "in the variables"}
	names := make([]string, 0, len(p.Variables))
	for name := range p.Variables {
		names = append(names, name)
	}
	sort.Strings(names) // the same variable is named whatever the map order
	for _, name := range names {
		if msg := c.json(p.Variables[name], 1); msg != "" {
			return inputRefused("$"+name, msg)
		}
	}
	return nil
}

// checkLiterals applies l to the values written in doc: arguments,
// directive arguments and variables' defaults, in every operation and
// fragment. doc need not be valid.
func (l InputLimit) checkLiterals(doc *ast.QueryDocument) *gqlerror.Error {
	c := inputCounter{limit: l, in: "written in the document"}
	var err *gqlerror.Error
	check := func(name string, v *ast.Value) {
		if err == nil && v != nil {
			if msg := c.literal(v, 1); msg != "" {
				err = inputRefused(name, msg)
			}
		}
	}
	directives := func(ds ast.DirectiveList) {
		for _, d := range ds {
			for _, a := range d.Arguments {
				check(a.Name, a.Value)
			}
		}
	}
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			if err != nil {
				return
			}
			switch sel := sel.(type) {
			case *ast.Field:
				for _, a := range sel.Arguments {
					check(a.Name, a.Value)
				}
				directives(sel.Directives)
				walk(sel.SelectionSet)
			case *ast.InlineFragment:
				directives(sel.Directives)
				walk(sel.SelectionSet)
			case *ast.FragmentSpread:
				directives(sel.Directives)
			}
		}
	}
	for _, op := range doc.Operations {
		for _, v := range op.VariableDefinitions {
			check("$"+v.Variable, v.DefaultValue)
			directives(v.Directives)
		}
		directives(op.Directives)
		walk(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		directives(f.Directives)
		walk(f.SelectionSet)
	}
	return err
}

func inputRefused(field, msg string) *gqlerror.Error {
	err := gqlerror.Errorf("%s: %s", field, msg)
	err.Extensions = map[string]any{"code": string(apperr.Invalid), "field": strings.TrimPrefix(field, "$")}
	return err
}

// inputCounter walks input values, counting towards one request's totals.
// A walk stops at the first value over a limit, so it costs at most the
// limits, whatever it is given.
type inputCounter struct {
	limit   InputLimit
	in      string // where the values are, for messages
	objects int
	values  int
}

func (c *inputCounter) value() string {
	if c.values++; c.values > c.limit.MaxValues {
		return fmt.Sprintf("more than %d input values %s", c.limit.MaxValues, c.in)
	}
	return ""
}

// nest checks a list or object at depth; scalars add no level.
func (c *inputCounter) nest(depth int) string {
	if depth > c.limit.MaxDepth {
		return fmt.Sprintf("lists and objects nest deeper than %d levels", c.limit.MaxDepth)
	}
	return ""
}

func (c *inputCounter) object(depth int) string {
	if msg := c.nest(depth); msg != "" {
		return msg
	}
	if c.objects++; c.objects > c.limit.MaxObjects {
		return fmt.Sprintf("more than %d input objects %s", c.limit.MaxObjects, c.in)
	}
	return ""
}

func (c *inputCounter) list(depth, n int) string {
	if msg := c.nest(depth); msg != "" {
		return msg
	}
	if n > c.limit.MaxListLength {
		return fmt.Sprintf("a list has %d items, over the limit of %d", n, c.limit.MaxListLength)
	}
	return ""
}

func checkString(s string) string {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return "a string holds a NUL character"
	case !utf8.ValidString(s):
		return "a string is not valid UTF-8"
	}
	return ""
}

// json walks a variable's value as encoding/json decoded it.
func (c *inputCounter) json(v any, depth int) string {
	if msg := c.value(); msg != "" {
		return msg
	}
	switch v := v.(type) {
	case string:
		return checkString(v)
	case []any:
		if msg := c.list(depth, len(v)); msg != "" {
			return msg
		}
		for _, e := range v {
			if msg := c.json(e, depth+1); msg != "" {
				return msg
			}
		}
	case map[string]any:
		if msg := c.object(depth); msg != "" {
			return msg
		}
		for k, e := range v {
			if msg := checkString(k); msg != "" {
				return msg
			}
			if msg := c.json(e, depth+1); msg != "" {
				return msg
			}
		}
	}
	return ""
}

// literal walks a value written in the document.
func (c *inputCounter) literal(v *ast.Value, depth int) string {
	if msg := c.value(); msg != "" {
		return msg
	}
	switch v.Kind {
	case ast.StringValue, ast.BlockValue:
		return checkString(v.Raw)
	case ast.ListValue:
		if msg := c.list(depth, len(v.Children)); msg != "" {
			return msg
		}
	case ast.ObjectValue:
		if msg := c.object(depth); msg != "" {
			return msg
		}
	}
	for _, child := range v.Children {
		if msg := c.literal(child.Value, depth+1); msg != "" {
			return msg
		}
	}
	return ""
}
