// Command server is the clinicgate server: GraphQL, sign-in and (later)
// SCIM over one database.
//
//	server [serve]     serve HTTP (the default)
//	server migrate     apply the pending versioned migrations and exit
//	server bootstrap   create an organization and its account owner
//	server scim-token create   issue an organization's SCIM token
//	server audit verify|export check or copy an organization's audit chain
//
// Every subcommand takes the configuration flags; each has an environment
// variable (see README.md or `server serve -h`).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/clinicgate/clinicgate/internal/config"
	"github.com/clinicgate/clinicgate/internal/logging"
	"github.com/clinicgate/clinicgate/internal/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, args, stdout, stderr, getenv)
	case "migrate":
		err = migrate(ctx, args, stdout, stderr, getenv)
	case "bootstrap":
		err = bootstrapCmd(ctx, args, stdout, stderr, getenv)
	case "scim-token":
		err = scimTokenCmd(ctx, args, stdout, stderr, getenv)
	case "audit":
		err = auditCmd(ctx, args, stdout, stderr, getenv)
	case "help":
		fmt.Fprintln(stdout, "usage: server [serve|migrate|bootstrap|scim-token create|audit verify|audit export] [flags]   (server CMD -h lists the flags)")
		return 0
	default:
		fmt.Fprintf(stderr, "server: unknown command %q (want serve, migrate, bootstrap, scim-token or audit)\n", cmd)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	default:
		fmt.Fprintf(stderr, "server %s: %v\n", cmd, err)
		var ue usageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
}

// usageError marks errors in the command line or configuration.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// setup parses flags and configuration, and opens the logger.
func setup(name string, args []string, stderr io.Writer, getenv func(string) string, extra func(*flag.FlagSet)) (config.Config, *slog.Logger, error) {
	fs := flag.NewFlagSet("server "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if extra != nil {
		extra(fs)
	}
	cfg, err := config.Load(fs, args, getenv)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, nil, err
		}
		return cfg, nil, usageError{err}
	}
	log := logging.New(stderr, cfg.LogLevel, cfg.LogFormat)
	return cfg, log, nil
}

// open opens and (when asked) migrates the database.
func open(ctx context.Context, cfg config.Config, log *slog.Logger, migrate bool) (*store.DB, error) {
	if cfg.Dialect() == config.SQLite {
		if err := cfg.EnsureDataDir(); err != nil {
			return nil, err
		}
	}
	driver, dsn := cfg.DriverDSN()
	db, err := store.OpenWith(ctx, driver, dsn, store.Options{
		StatementTimeout: cfg.DBStatementTimeout,
		LockTimeout:      cfg.DBLockTimeout,
		MaxOpenConns:     maxConns(cfg),
		ReadURLs:         cfg.ReadDatabaseURLs,
		Logger:           log,
	})
	if err != nil {
		return nil, err
	}
	if migrate {
		if err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
		attrs := []any{slog.String("dialect", db.Dialect)}
		if revs, err := db.Revisions(ctx); err == nil && len(revs) > 0 {
			attrs = append(attrs, slog.String("version", revs[len(revs)-1].Version))
		}
		log.Info("schema up to date", attrs...)
	}
	return db, nil
}

// maxConns is the pool bound of the store: DB_MAX_CONNS on PostgreSQL;
// SQLite, with one writer at a time, keeps its own small pool unless
// DB_MAX_CONNS is lower.
func maxConns(cfg config.Config) int {
	if cfg.Dialect() == config.SQLite {
		return min(cfg.DBMaxConns, 8)
	}
	return cfg.DBMaxConns
}

func migrate(ctx context.Context, args []string, _, stderr io.Writer, getenv func(string) string) error {
	cfg, log, err := setup("migrate", args, stderr, getenv, nil)
	if err != nil {
		return err
	}
	db, err := open(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	return db.Close()
}
