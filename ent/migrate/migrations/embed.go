// Package migrations embeds the versioned migration directories, one per
// dialect, that store.Migrate applies. The .sql files and atlas.sum are
// written by `make migration NAME=…` (ent/migrate/main.go); this file is
// the only hand-written one.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"
	"path"

	atlas "ariga.io/atlas/sql/migrate"
)

//go:embed postgres/*.sql postgres/atlas.sum sqlite/*.sql sqlite/atlas.sum
var files embed.FS

// Dialect directory names, as under ent/migrate/migrations.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// FS returns the embedded directory of one dialect (Postgres or SQLite).
func FS(dialect string) (fs.FS, error) {
	if dialect != Postgres && dialect != SQLite {
		return nil, fmt.Errorf("migrations: unknown dialect %q", dialect)
	}
	return fs.Sub(files, dialect)
}

// Dir returns a fresh in-memory copy of the embedded directory of one
// dialect, atlas.sum included: callers may change it without affecting
// anyone else.
func Dir(dialect string) (*atlas.MemDir, error) {
	sub, err := FS(dialect)
	if err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(sub, ".")
	if err != nil {
		return nil, err
	}
	dir := &atlas.MemDir{}
	dir.SetPath(path.Join("ent/migrate/migrations", dialect))
	for _, e := range entries {
		b, err := fs.ReadFile(sub, e.Name())
		if err != nil {
			return nil, err
		}
		if err := dir.WriteFile(e.Name(), b); err != nil {
			return nil, err
		}
	}
	return dir, nil
}
