//go:build ignore

// Command main writes the next versioned migration for both dialects:
// the statements that take a database at the state of its migration
// directory (ent/migrate/migrations/<dialect>) to the ent schema, named
// after its one argument, with atlas.sum updated.
//
// ent computes the difference by replaying the directory on an empty scratch
// database: an in-memory SQLite one, and for PostgreSQL a database created
// for the run (and dropped after) on the server of TEST_DATABASE_URL, since
// PostgreSQL cannot be embedded.
//
//	go run -mod=mod ./ent/migrate/main.go NAME
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"

	atlas "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"

	"github.com/clinicgate/clinicgate/ent/migrate"
	"github.com/clinicgate/clinicgate/internal/store"
)

func main() {
	if len(os.Args) != 2 || os.Args[1] == "" {
		fmt.Fprintln(os.Stderr, "usage: go run -mod=mod ./ent/migrate/main.go NAME")
		os.Exit(2)
	}
	if err := run(context.Background(), os.Args[1]); err != nil {
		slog.Error("migration not written", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, name string) error {
	if err := diff(ctx, "sqlite3", "file:scratch?mode=memory&_pragma=foreign_keys(1)", dialect.SQLite, name); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	admin := os.Getenv("TEST_DATABASE_URL")
	if admin == "" {
		return fmt.Errorf("postgres: TEST_DATABASE_URL names no server to create a scratch database on")
	}
	dsn, drop, err := scratchPostgres(ctx, admin)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer drop()
	if err := diff(ctx, "pgx", dsn, dialect.Postgres, name); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}

// diff writes the migration for one dialect from a scratch database.
func diff(ctx context.Context, driver, dsn, d, name string) error {
	dir, err := atlas.NewLocalDir("ent/migrate/migrations/" + map[string]string{dialect.SQLite: "sqlite", dialect.Postgres: "postgres"}[d])
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, driver, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	return migrate.NewSchema(entsql.OpenDB(d, db.SQL)).NamedDiff(ctx, name,
		schema.WithDir(dir),
		schema.WithMigrationMode(schema.ModeReplay),
		schema.WithDialect(d),
		schema.WithFormatter(atlas.DefaultFormatter),
		migrate.WithForeignKeys(true),
		// An index taken out of the ent schema is dropped (ent keeps it by
		// default).
		migrate.WithDropIndex(true),
	)
}

// scratchPostgres creates an empty database next to the one admin names and
// returns its DSN and a function that drops it.
func scratchPostgres(ctx context.Context, admin string) (string, func(), error) {
	db, err := store.Open(ctx, "pgx", admin)
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "clinicgate_migration_" + hex.EncodeToString(b)
	if _, err := db.SQL.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		db.Close()
		return "", nil, err
	}
	u, err := url.Parse(admin)
	if err != nil {
		db.Close()
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), func() {
		if _, err := db.SQL.ExecContext(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			slog.Warn("scratch database not dropped", "database", name, "err", err)
		}
		db.Close()
	}, nil
}
