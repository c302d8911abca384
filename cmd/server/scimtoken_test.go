package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/internal/config"
	"github.com/clinicgate/clinicgate/internal/scimtoken"
	"github.com/clinicgate/clinicgate/internal/viewer"
	"github.com/clinicgate/clinicgate/scim"
)

func TestSCIMTokenCreatePrintsOnlyTheToken(t *testing.T) {
	eachDialect(t, func(t *testing.T, kv map[string]string) {
		if code, out, errOut := runCmd(t, kv, "bootstrap", "--org", "Sunrise Therapy", "--slug", "sunrise", "--owner-email", "owner@sunrise.example"); code != 0 {
			t.Fatalf("bootstrap exit %d: %s %s", code, out, errOut)
		}
		code, out, errOut := runCmd(t, kv, "scim-token", "create", "--org", "sunrise", "--name", "Okta", "--expires", "720h")
		if code != 0 {
			t.Fatalf("exit %d: %s %s", code, out, errOut)
		}
		plain := strings.TrimSuffix(out, "\n")
		if !strings.HasPrefix(plain, "scim_") || strings.ContainsAny(plain, " \n") {
			t.Fatalf("stdout %q, want the token alone", out)
		}
		if strings.Contains(errOut, plain) || !strings.Contains(errOut, "shown once") {
			t.Errorf("stderr %q", errOut)
		}

		// The token authenticates as its organization; the audit event's
		// actor is the system.
		cfg, err := config.Load(flag.NewFlagSet("test", flag.ContinueOnError), nil, env(kv))
		if err != nil {
			t.Fatal(err)
		}
		db, err := open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), false)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		v, err := (&scim.Authenticator{Client: db.Client}).Authenticate(context.Background(), "Bearer "+plain)
		if err != nil || v.Kind != viewer.SCIM {
			t.Fatalf("authenticate: %+v %v", v, err)
		}
		allow := privacy.DecisionContext(context.Background(), privacy.Allow)
		tok := db.Client.SCIMToken.GetX(allow, v.TokenID)
		if tok.Name != "Okta" || tok.CreatedByID != nil || tok.ExpiresAt == nil ||
			tok.ExpiresAt.Sub(tok.CreatedAt) != 720*time.Hour {
			t.Errorf("token %+v", tok)
		}
		ev := db.Client.AuditEvent.Query().Where(auditevent.Action(scimtoken.Issued)).OnlyX(allow)
		if ev.ActorKind != auditevent.ActorKindSystem || ev.OrganizationID != v.OrgID || ev.TargetID != string(tok.ID) {
			t.Errorf("audit event %+v", ev)
		}
	})
}

func TestSCIMTokenCreateUsageErrors(t *testing.T) {
	kv := sqliteEnv(t)
	if code, out, errOut := runCmd(t, kv, "bootstrap", "--org", "Sunrise Therapy", "--slug", "sunrise", "--owner-email", "owner@sunrise.example"); code != 0 {
		t.Fatalf("bootstrap exit %d: %s %s", code, out, errOut)
	}
	for name, args := range map[string][]string{
		"no subcommand":      {"scim-token"},
		"unknown subcommand": {"scim-token", "list"},
		"missing org":        {"scim-token", "create", "--name", "Okta"},
		"missing name":       {"scim-token", "create", "--org", "sunrise"},
		"blank name":         {"scim-token", "create", "--org", "sunrise", "--name", "  "},
		"unknown org":        {"scim-token", "create", "--org", "nowhere", "--name", "Okta"},
		"negative expiry":    {"scim-token", "create", "--org", "sunrise", "--name", "Okta", "--expires", "-1h"},
		"bad expiry":         {"scim-token", "create", "--org", "sunrise", "--name", "Okta", "--expires", "soon"},
		"unknown flag":       {"scim-token", "create", "--org", "sunrise", "--name", "Okta", "--forever"},
	} {
		code, out, errOut := runCmd(t, kv, args...)
		if code != 2 || out != "" || errOut == "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", name, code, out, errOut)
		}
	}
}
