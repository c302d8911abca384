package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/bootstrap"
)

func bootstrapCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var org, slug, email, name, pwFile string
	var seats int
	cfg, log, err := setup("bootstrap", args, stderr, getenv, func(fs *flag.FlagSet) {
		fs.StringVar(&org, "org", "", "organization name (required)")
		fs.StringVar(&slug, "slug", "", "organization slug used at sign-in (default: derived from --org)")
		fs.StringVar(&email, "owner-email", "", "account owner's email (required)")
		fs.StringVar(&name, "owner-name", "", "account owner's display name")
		fs.StringVar(&pwFile, "owner-password-file", "", "file holding the owner's password; without it a one-time temporary password is printed")
		fs.IntVar(&seats, "seats", bootstrap.DefaultSeats, "the subscription's seat limit, the owner's seat included")
	})
	if err != nil {
		return err
	}
	if org == "" || email == "" {
		return usageError{errors.New("--org and --owner-email are required")}
	}
	var pw string
	if pwFile != "" {
		b, err := os.ReadFile(pwFile)
		if err != nil {
			return usageError{fmt.Errorf("--owner-password-file: %w", err)}
		}
		pw = strings.TrimRight(string(b), "\r\n")
	}
	db, err := open(ctx, cfg, log, cfg.MigrateOnStart)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := bootstrap.Create(ctx, db.Client, bootstrap.Params{
		Name:            org,
		Slug:            slug,
		OwnerEmail:      email,
		OwnerName:       name,
		OwnerPassword:   pw,
		TempPasswordTTL: cfg.TempPasswordTTL,
		Seats:           seats,
	})
	if err != nil {
		if errors.Is(err, bootstrap.ErrSlugTaken) {
			return usageError{err}
		}
		var inv *apperr.Error
		if errors.As(err, &inv) && inv.Kind == apperr.Invalid {
			return usageError{fmt.Errorf("invalid %s: %s", inv.Field, inv.Message)}
		}
		return err
	}
	fmt.Fprintf(stdout, "organization: %s\nslug: %s\nowner: %s\n", res.Org.Name, res.Org.Slug, res.Owner.Email)
	if res.TemporaryPassword != "" {
		fmt.Fprintf(stdout, "temporary password: %s\n(one-time: it must be changed at first sign-in, and expires in %s)\n",
			res.TemporaryPassword, cfg.TempPasswordTTL)
	}
	return nil
}
