package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/store"
)

// errChainBroken is returned (exit status 1) when a chain does not verify;
// the report is already on stdout.
var errChainBroken = errors.New("the audit chain does not verify")

// auditCmd is `server audit verify|export`: the tamper-evident trail's
// tools for an operator or a compliance officer. Both seal the
// organization's pending events first, as the server's sealer would.
func auditCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	const usage = "want: server audit verify --org SLUG [--against EXPORT.jsonl] | server audit verify --file EXPORT.jsonl | server audit export --org SLUG [--since RFC3339] [--out FILE]"
	if len(args) == 0 {
		return usageError{errors.New(usage)}
	}
	switch args[0] {
	case "verify":
		return auditVerify(ctx, args[1:], stdout, stderr, getenv)
	case "export":
		return auditExport(ctx, args[1:], stdout, stderr, getenv)
	}
	return usageError{fmt.Errorf("unknown audit command %q; %s", args[0], usage)}
}

func auditVerify(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var slug, file, against string
	cfg, log, err := setup("audit verify", args, stderr, getenv, func(fs *flag.FlagSet) {
		fs.StringVar(&slug, "org", "", "slug of the organization whose chain to verify")
		fs.StringVar(&file, "file", "", "verify this export (server audit export) instead of the database")
		fs.StringVar(&against, "against", "", "with --org: also check that this earlier export is still what the chain holds")
	})
	if err != nil {
		return err
	}
	if (slug == "") == (file == "") {
		return usageError{errors.New("give exactly one of --org and --file")}
	}
	if against != "" && slug == "" {
		return usageError{errors.New("--against needs --org")}
	}
	var kept *os.File
	if against != "" {
		// Opened before the database: a wrong path is a usage error.
		if kept, err = os.Open(against); err != nil {
			return usageError{err}
		}
		defer kept.Close()
	}
	var (
		r           audit.Report
		title, note string
	)
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return usageError{err}
		}
		defer f.Close()
		if r, err = audit.VerifyExport(f); err != nil {
			return err
		}
		title = file
	} else {
		db, err := open(ctx, cfg, log, cfg.MigrateOnStart)
		if err != nil {
			return err
		}
		defer db.Close()
		org, chain, err := orgChain(ctx, db, slug)
		if err != nil {
			return err
		}
		if r, err = chain.Verify(ctx, string(org.ID)); err != nil {
			return err
		}
		title = org.Slug
		if kept != nil && r.Problem == nil {
			c, err := chain.CompareExport(ctx, string(org.ID), kept)
			if err != nil {
				return err
			}
			if c.Problem != nil {
				fmt.Fprintf(stdout, "FAIL %s against %s: the chain verifies on its own (%d events), but the copy differs at seq %d (%s): %s\n",
					org.Slug, against, r.Events, c.Problem.Seq, c.Problem.ID, c.Problem.Detail)
				return errChainBroken
			}
			note = fmt.Sprintf("the copy %s matches: %d events (seq %d to %d), head %s\n", against, c.Events, c.FirstSeq, c.LastSeq, c.Head)
		}
	}
	if p := r.Problem; p != nil {
		fmt.Fprintf(stdout, "FAIL %s: first bad event at seq %d", title, p.Seq)
		if p.ID != "" && p.Kind != audit.ProblemRemoved {
			fmt.Fprintf(stdout, " (%s)", p.ID)
		}
		fmt.Fprintf(stdout, ": %s: %s\n", p.Kind, p.Detail)
		fmt.Fprintf(stdout, "verified before it: %d events (seq %d to %d)\n", max(0, p.Seq-r.FirstSeq), r.FirstSeq, p.Seq-1)
		return errChainBroken
	}
	if r.Events == 0 {
		fmt.Fprintf(stdout, "OK %s: no events yet\n", title)
		return nil
	}
	fmt.Fprintf(stdout, "OK %s: %d events verified (seq %d to %d, last at %s), head %s\n",
		title, r.Events, r.FirstSeq, r.LastSeq, r.Last.UTC().Format(time.RFC3339), r.Head)
	if r.Pending > 0 {
		fmt.Fprintf(stdout, "%d events written while verifying are not sealed yet\n", r.Pending)
	}
	fmt.Fprint(stdout, note)
	return nil
}

func auditExport(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var slug, since, out string
	cfg, log, err := setup("audit export", args, stderr, getenv, func(fs *flag.FlagSet) {
		fs.StringVar(&slug, "org", "", "slug of the organization whose trail to export (required)")
		fs.StringVar(&since, "since", "", "start at the first event at or after this time (RFC 3339), and export every later one")
		fs.StringVar(&out, "out", "", "write to this file (created, not overwritten) instead of standard output")
	})
	if err != nil {
		return err
	}
	if strings.TrimSpace(slug) == "" {
		return usageError{errors.New("--org is required")}
	}
	var from time.Time
	if since != "" {
		if from, err = time.Parse(time.RFC3339, since); err != nil {
			return usageError{fmt.Errorf("--since: want an RFC 3339 time such as 2026-01-31T00:00:00Z: %w", err)}
		}
	}
	db, err := open(ctx, cfg, log, cfg.MigrateOnStart)
	if err != nil {
		return err
	}
	defer db.Close()
	org, chain, err := orgChain(ctx, db, slug)
	if err != nil {
		return err
	}
	if out == "" {
		n, err := chain.Export(ctx, string(org.ID), from, stdout)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "%d events of %s exported\n", n, org.Slug)
		return nil
	}
	// O_EXCL: an earlier copy is evidence, never overwritten.
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return usageError{err}
	}
	n, err := chain.Export(ctx, string(org.ID), from, f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w (the file is incomplete)", out, err)
	}
	fmt.Fprintf(stderr, "%d events of %s written to %s\n", n, org.Slug, out)
	return nil
}

// orgChain finds the organization of slug and the database's chain.
func orgChain(ctx context.Context, db *store.DB, slug string) (*ent.Organization, *audit.Chain, error) {
	org, err := db.Client.Organization.Query().
		Where(organization.Slug(strings.ToLower(strings.TrimSpace(slug)))).
		Only(privacy.DecisionContext(ctx, privacy.Allow))
	switch {
	case ent.IsNotFound(err):
		return nil, nil, usageError{fmt.Errorf("no organization with the slug %q", slug)}
	case err != nil:
		return nil, nil, err
	}
	chain, err := audit.NewChain(db.SQL, db.Dialect)
	if err != nil {
		return nil, nil, err
	}
	return org, chain, nil
}
