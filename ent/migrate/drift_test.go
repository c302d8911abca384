package migrate_test

// The migration directories must follow the ent schema: replaying a
// directory on an empty database and diffing it against the schema finds
// nothing to do. The schema is taken twice: as ent/schema declares it
// (loaded by entc, so that a schema edited without `make generate` is
// caught here, in `go test`, not only by CI's generated-code check) and as
// the generated ent/migrate package has it.

import (
	"context"
	"strings"
	"testing"

	atlas "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"

	"github.com/clinicgate/clinicgate/ent/migrate"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// The embedded directories match their atlas.sum.
func TestMigrationDirsMatchAtlasSum(t *testing.T) {
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		dir, err := store.MigrationDir(d)
		if err != nil {
			t.Fatal(err)
		}
		if err := atlas.Validate(dir); err != nil {
			t.Errorf("%s: %v: the directory was edited by hand; write migrations with make migration NAME=…", dir.Path(), err)
		}
		if files, err := dir.Files(); err != nil || len(files) == 0 {
			t.Errorf("%s: no migration files (%v)", dir.Path(), err)
		}
	}
}

func TestMigrationDirsFollowTheEntSchema(t *testing.T) {
	graph, err := entc.LoadGraph("../schema", &gen.Config{})
	if err != nil {
		t.Fatalf("loading ent/schema: %v", err)
	}
	fromSchema, err := graph.Tables()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		for _, c := range []struct {
			what   string
			tables func() []*schema.Table
			fix    string
		}{
			{"ent/schema", func() []*schema.Table { return fromSchema }, "run make generate, then make migration NAME=what_changed"},
			{"the generated ent/migrate", func() []*schema.Table { return migrate.Tables }, "run make generate (the generated code is not that of ent/schema), then make migration NAME=what_changed"},
		} {
			t.Run(d+"/"+strings.ReplaceAll(c.what, " ", "_"), func(t *testing.T) {
				if d == dialect.Postgres && c.what == "ent/schema" {
					// entc's tables are fresh for each load; reload
					// them, since a diff mutates its tables.
					g, err := entc.LoadGraph("../schema", &gen.Config{})
					if err != nil {
						t.Fatal(err)
					}
					if fromSchema, err = g.Tables(); err != nil {
						t.Fatal(err)
					}
				}
				checkNoDrift(t, d, c.what, c.tables(), c.fix)
			})
		}
	}
}

// checkNoDrift replays the embedded directory of dialect d on an empty
// database and fails if ent plans a migration from it to tables.
func checkNoDrift(t *testing.T, d, what string, tables []*schema.Table, fix string) {
	t.Helper()
	ctx := context.Background()
	driver, dsn := "sqlite3", testdb.SQLiteDSN(t)
	if d == dialect.Postgres {
		driver, dsn = "pgx", testdb.PostgresDSN(t)
	}
	db, err := store.Open(ctx, driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dir, err := store.MigrationDir(d)
	if err != nil {
		t.Fatal(err)
	}
	before, err := dir.Files()
	if err != nil {
		t.Fatal(err)
	}
	m, err := schema.NewMigrate(entsql.OpenDB(d, db.SQL),
		schema.WithDir(dir),
		schema.WithMigrationMode(schema.ModeReplay),
		schema.WithDialect(d),
		schema.WithFormatter(atlas.DefaultFormatter),
		schema.WithForeignKeys(true),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.NamedDiff(ctx, "drift", tables...); err != nil {
		t.Fatalf("diffing %s against %s: %v", dir.Path(), what, err)
	}
	after, err := dir.Files()
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		var b strings.Builder
		for _, f := range after[len(before):] {
			b.WriteString("-- " + f.Name() + "\n" + string(f.Bytes()) + "\n")
		}
		t.Errorf("%s does not produce the schema of %s; it lacks:\n%s\n%s", dir.Path(), what, b.String(), fix)
	}
}
