// Command gqlgen generates the GraphQL server code of graph/ exactly as
// `gqlgen generate` does, from gqlgen.yml, and then makes one change to the
// generated executor: lists are marshalled in order on the request's
// goroutine (graph.marshalListInOrder) instead of one goroutine per element
// (gqlgen's graphql.MarshalSliceConcurrently, which no setting turns off);
// and a second: a field that reads a struct field and marshals a scalar
// that cannot fail is resolved by graph.resolvePlainField (see there)
// instead of graphql.ResolveField.
//
// Why: no field of an element of our lists waits on anything another
// element could batch with — there are no dataloaders; connections load
// their edges eagerly through ent's field collection, and the query-count
// tests hold that — so the goroutines buy no overlap, only cost: a page of
// 50 clients started 50 goroutines whose stacks each grew by copying, about
// a tenth of the server's CPU under `make load`.
//
// Run through `go generate` (generate.go at the root), after ent.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strings"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen/config"
)

// concurrent is the call gqlgen generates for a list of objects; inOrder
// is ours, with the same parameters (graph/marshal_list.go).
var (
	concurrent = []byte("graphql.MarshalSliceConcurrently(")
	inOrder    = []byte("marshalListInOrder(")
)

func main() {
	if err := generate(); err != nil {
		fmt.Fprintln(os.Stderr, "gqlgen:", err)
		os.Exit(1)
	}
}

func generate() error {
	cfg, err := config.LoadConfigFromDefaultLocations()
	if errors.Is(err, fs.ErrNotExist) {
		return errors.New("no gqlgen.yml here: run from the repository root (go generate ./...)")
	}
	if err != nil {
		return err
	}
	if err := api.Generate(cfg); err != nil {
		return err
	}
	return rewrite(cfg.Exec.Filename)
}

// rewrite replaces gqlgen's concurrent list marshalling in the executor
// file. It fails when there is none to replace: a gqlgen that generates
// lists some other way must be looked at, not silently kept.
func rewrite(path string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	n := bytes.Count(src, concurrent)
	if n == 0 {
		return fmt.Errorf("%s: no %s call to replace; has gqlgen changed how it marshals lists?", path, concurrent)
	}
	src = bytes.ReplaceAll(src, concurrent, inOrder)
	src, err = rewritePlainFields(src)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, src, 0o644)
}

// plainField is gqlgen's resolution of a field read from its object's
// struct field, with no directive (a nil middleware chain); group 1 is
// the marshaller of its value (not \w+: gqlgen's names are not ASCII).
var plainField = regexp.MustCompile(`return graphql\.ResolveField\(
\t\tctx,
\t\tec\.OperationContext,
\t\tfield,
\t\tfunc\(ctx context\.Context, field graphql\.CollectedField\) \(\*graphql\.FieldContext, error\) \{
\t\t\treturn ec\.fieldContext_\w+\(ctx, field\)
\t\t\},
\t\tfunc\(ctx context\.Context\) \(any, error\) \{
\t\t\treturn obj\.\w+, nil
\t\t\},
\t\tnil,
\t\tfunc\(ctx context\.Context, selections ast\.SelectionSet, v [^)\n]+\) graphql\.Marshaler \{
\t\t\treturn ec\.(marshal[^(\n]+)\(ctx, selections, v\)
\t\t\},
`)

// neverNull are marshallers of gqlgen whose result is never graphql.Null,
// so that a generated non-null check of theirs never adds an error (and
// needs no field context). MarshalTime is not one: a zero time is null.
var neverNull = []string{"graphql.MarshalString(", "graphql.MarshalBoolean(", "graphql.MarshalInt(",
	"graphql.MarshalInt64(", "gqlcursor.MarshalCursor("}

// rewritePlainFields points the plain fields whose marshaller cannot fail
// (see canFail) at resolvePlainField. It fails when it finds none: a
// gqlgen that generates fields another way must be looked at.
func rewritePlainFields(src []byte) ([]byte, error) {
	n := 0
	out := plainField.ReplaceAllFunc(src, func(m []byte) []byte {
		name := plainField.FindSubmatch(m)[1]
		if canFail(src, string(name)) {
			return m
		}
		n++
		return append([]byte("return resolvePlainField("), m[len("return graphql.ResolveField("):]...)
	})
	if n == 0 {
		return nil, errors.New("no plain field to resolve with resolvePlainField; has gqlgen changed how it resolves fields?")
	}
	return out, nil
}

// canFail reports whether the generated marshaller name may need a field
// context: it marshals a list or an object (it calls another
// marshaller), or it may add an error for a null result.
func canFail(src []byte, name string) bool {
	if strings.Contains(name, "ᚕ") {
		return true
	}
	start := bytes.Index(src, []byte("func (ec *executionContext) "+name+"("))
	if start < 0 {
		return true
	}
	end := bytes.Index(src[start:], []byte("\n}\n"))
	if end < 0 {
		return true
	}
	body := string(src[start : start+end])
	body = body[strings.Index(body, "{\n"):]
	if strings.Contains(body, "ec.") || strings.Contains(body, "graphql.GetFieldContext") {
		return true
	}
	if !strings.Contains(body, "AddInvalidNull") {
		return false
	}
	if strings.Contains(body, "if v == nil") { // a non-null pointer: nil is an error
		return true
	}
	for _, m := range neverNull {
		if strings.Contains(body, m) {
			return false
		}
	}
	return true
}
