package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/scimtoken"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// scimTokenCmd is `server scim-token create`: it issues a SCIM token for an
// organization as the server (the System viewer of the organization; the
// audit event's actor is the system) and prints the token once, alone on
// stdout, so that it can be piped into a secret store.
func scimTokenCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] != "create" {
		return usageError{errors.New("want: server scim-token create --org SLUG --name NAME [--expires DURATION]")}
	}
	var slug, name string
	var expires time.Duration
	cfg, log, err := setup("scim-token create", args[1:], stderr, getenv, func(fs *flag.FlagSet) {
		fs.StringVar(&slug, "org", "", "slug of the organization the token provisions (required)")
		fs.StringVar(&name, "name", "", "the token's name, for example the identity provider's (required)")
		fs.DurationVar(&expires, "expires", 0, "lifetime of the token, for example 720h; 0 for a token that does not expire")
	})
	if err != nil {
		return err
	}
	if strings.TrimSpace(slug) == "" || strings.TrimSpace(name) == "" {
		return usageError{errors.New("--org and --name are required")}
	}
	if expires < 0 {
		return usageError{errors.New("--expires must not be negative")}
	}
	db, err := open(ctx, cfg, log, cfg.MigrateOnStart)
	if err != nil {
		return err
	}
	defer db.Close()
	org, err := db.Client.Organization.Query().
		Where(organization.Slug(strings.ToLower(strings.TrimSpace(slug)))).
		Only(privacy.DecisionContext(ctx, privacy.Allow))
	switch {
	case ent.IsNotFound(err):
		return usageError{fmt.Errorf("no organization with the slug %q", slug)}
	case err != nil:
		return err
	}
	// The command happens at one instant: the token's creation and expiry
	// are counted from the same now.
	now := clock.Now(ctx)
	ctx = clock.NewContext(viewer.ForSystem(ctx, org.ID), clock.Func(func() time.Time { return now }))
	var expiresAt *time.Time
	if expires > 0 {
		at := now.Add(expires)
		expiresAt = &at
	}
	tx, err := db.Client.Tx(ctx)
	if err != nil {
		return err
	}
	plain, t, err := scimtoken.Issue(ctx, tx.Client(), name, expiresAt)
	if err != nil {
		_ = tx.Rollback()
		var inv *apperr.Error
		if errors.As(err, &inv) && inv.Kind == apperr.Invalid {
			return usageError{fmt.Errorf("invalid %s: %s", inv.Field, inv.Message)}
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, plain)
	note := fmt.Sprintf("scim token %s (%q) for %s: shown once, only its hash is kept", t.ID, t.Name, org.Slug)
	if t.ExpiresAt != nil {
		note += "; expires " + t.ExpiresAt.UTC().Format(time.RFC3339)
	}
	fmt.Fprintln(stderr, note)
	return nil
}
