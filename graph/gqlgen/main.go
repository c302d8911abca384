// Command gqlgen generates the GraphQL server code of graph/ exactly as
// `gqlgen generate` does, from gqlgen.yml, and then makes one change to the
// generated executor: lists are marshalled in order on the request's
// goroutine (graph.marshalListInOrder) instead of one goroutine per element
// (gqlgen's graphql.MarshalSliceConcurrently, which no setting turns off).
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
	return os.WriteFile(path, bytes.ReplaceAll(src, concurrent, inOrder), 0o644)
}
