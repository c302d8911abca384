package login

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// countingHasher counts the password verifications the flow asks for.
type countingHasher struct {
	password.Hasher
	verifies atomic.Int32
}

func (h *countingHasher) Verify(encoded, plain string) (bool, bool, error) {
	h.verifies.Add(1)
	return h.Hasher.Verify(encoded, plain)
}

func (h *countingHasher) VerifyDummy(plain string) {
	h.verifies.Add(1)
	h.Hasher.VerifyDummy(plain)
}

// The work a sign-in does, which is what its timing shows, depends on
// whether it was throttled, never on whether the account exists: every
// attempt past the throttle costs one password verification, real or
// dummy, and a throttled one costs neither a verification nor a single
// statement.
func TestSignInWorkDoesNotDependOnTheAccountExisting(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	allow := privacy.DecisionContext(context.Background(), privacy.Allow)
	o := db.Organization.Create().SetName("Work").SetSlug("work").SaveX(allow)
	ana := db.User.Create().SetOrganizationID(o.ID).SetEmail("ana@x.example").SetStatus(user.StatusActive).SaveX(allow)
	db.User.Create().SetOrganizationID(o.ID).SetEmail("nopw@x.example").SetStatus(user.StatusActive).SaveX(allow)
	cheap := password.Hasher{Params: password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32}}
	hash, err := cheap.Hash("the right password")
	if err != nil {
		t.Fatal(err)
	}
	db.PasswordCredential.Create().SetOrganizationID(o.ID).SetUserID(ana.ID).SetHash(hash).ExecX(allow)

	now := time.Date(2031, 3, 4, 9, 0, 0, 0, time.UTC)
	client, rec := storetest.Record(db)
	h := NewHandler(client, session.New(client, session.Config{Clock: clock.Func(func() time.Time { return now })}), Config{Hasher: cheap, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	counting := &countingHasher{Hasher: cheap}
	h.flow.hasher = counting

	tests := []struct {
		name      string
		org       string
		email     string
		pw        string
		throttled bool
	}{
		{"an unknown organization", "nowhere", "ana@x.example", "a wrong password", false},
		{"an unknown email", "work", "nobody@x.example", "a wrong password", false},
		{"an account without a password", "work", "nopw@x.example", "a wrong password", false},
		{"a wrong password", "work", "ana@x.example", "a wrong password", false},
		{"the right password", "work", "ana@x.example", "the right password", false},
		{"a throttled unknown organization", "nowhere", "ana@x.example", "a wrong password", true},
		{"a throttled unknown email", "work", "nobody@x.example", "a wrong password", true},
		{"a throttled existing account, right password", "work", "ana@x.example", "the right password", true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := audit.WithMeta(context.Background(), audit.Meta{IP: fmt.Sprintf("198.51.100.%d", i+1)})
			in := credentials{Organization: tt.org, Email: tt.email, Password: tt.pw}
			if tt.throttled {
				for range DefaultFreeFailures {
					in := in
					in.Password = "a wrong password"
					h.flow.signIn(ctx, in)
				}
			}
			counting.verifies.Store(0)
			rec.Reset()
			_, err := h.flow.signIn(ctx, in)
			verifies, statements := counting.verifies.Load(), len(rec.Take())
			if tt.throttled {
				if !errors.Is(err, ErrTooManyAttempts) || verifies != 0 || statements != 0 {
					t.Errorf("throttled: %v after %d verifications and %d statements, want too_many_attempts after none", err, verifies, statements)
				}
				return
			}
			if verifies != 1 {
				t.Errorf("%d password verifications, want exactly 1 (err %v)", verifies, err)
			}
		})
	}
}
