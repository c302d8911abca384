package login_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	entsession "github.com/clinicgate/clinicgate/ent/session"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// inTx runs change in a transaction of db and commits it.
func inTx(ctx context.Context, db *store.DB, change func(tx *ent.Client) error) error {
	tx, err := db.Tx(ctx)
	if err != nil {
		return err
	}
	if err := change(tx.Client()); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// A user taken out of ACTIVE, by any ent mutation (one user or many, in a
// transaction or not), loses every session in the same transaction, with
// an audit event per session; reactivating the user brings none back.
// Other users keep theirs.
func TestLeavingActiveEndsTheUsersSessionsForGood(t *testing.T) {
	type users struct{ ana, ben, cleo, other pulid.ID } // cleo shares ana's organization; other does not
	tests := []struct {
		name   string
		change func(db *store.DB, u users, org pulid.ID) error
		ended  []string // whose sessions end: "ana", "ben", "cleo", "other"
		reason string   // of the revocations
	}{
		{
			name: "suspending one user in a transaction",
			change: func(db *store.DB, u users, _ pulid.ID) error {
				return inTx(allow(), db, func(tx *ent.Client) error {
					return tx.User.UpdateOneID(u.ana).SetStatus(user.StatusSuspended).Exec(allow())
				})
			},
			ended: []string{"ana"}, reason: "user_suspended",
		},
		{
			name: "deleting one user in a transaction",
			change: func(db *store.DB, u users, _ pulid.ID) error {
				return inTx(allow(), db, func(tx *ent.Client) error {
					return tx.User.UpdateOneID(u.ana).SetStatus(user.StatusDeleted).Exec(allow())
				})
			},
			ended: []string{"ana"}, reason: "user_deleted",
		},
		{
			name: "sending one user back to INVITED",
			change: func(db *store.DB, u users, _ pulid.ID) error {
				return db.User.UpdateOneID(u.ana).SetStatus(user.StatusInvited).Exec(allow())
			},
			ended: []string{"ana"}, reason: "user_deactivated",
		},
		{
			name: "suspending one user without a transaction",
			change: func(db *store.DB, u users, _ pulid.ID) error {
				return db.User.UpdateOneID(u.ana).SetStatus(user.StatusSuspended).Exec(allow())
			},
			ended: []string{"ana"}, reason: "user_suspended",
		},
		{
			name: "suspending one user as the organization's system viewer",
			change: func(db *store.DB, u users, org pulid.ID) error {
				ctx := viewer.ForSystem(context.Background(), org)
				return inTx(ctx, db, func(tx *ent.Client) error {
					return tx.User.UpdateOneID(u.ana).SetStatus(user.StatusSuspended).Exec(ctx)
				})
			},
			ended: []string{"ana"}, reason: "user_suspended",
		},
		{
			name: "a bulk update of two users in a transaction",
			change: func(db *store.DB, u users, _ pulid.ID) error {
				return inTx(allow(), db, func(tx *ent.Client) error {
					return tx.User.Update().Where(user.IDIn(u.ana, u.ben)).SetStatus(user.StatusSuspended).Exec(allow())
				})
			},
			ended: []string{"ana", "ben"}, reason: "user_suspended",
		},
		{
			name: "a bulk update by a predicate the update itself falsifies, without a transaction",
			change: func(db *store.DB, u users, _ pulid.ID) error {
				return db.User.Update().
					Where(user.StatusEQ(user.StatusActive), user.EmailHasPrefix("b")).
					SetStatus(user.StatusDeleted).Exec(allow())
			},
			ended: []string{"ben"}, reason: "user_deleted",
		},
		{
			name: "deprovisioning a whole organization as its system viewer spares the others",
			change: func(db *store.DB, _ users, org pulid.ID) error {
				ctx := viewer.ForSystem(context.Background(), org)
				return inTx(ctx, db, func(tx *ent.Client) error {
					return tx.User.Update().SetStatus(user.StatusSuspended).Exec(ctx)
				})
			},
			ended: []string{"ana", "ben", "cleo"}, reason: "user_suspended",
		},
		{
			name: "a suspension rolled back ends nothing",
			change: func(db *store.DB, u users, _ pulid.ID) error {
				tx, err := db.Tx(allow())
				if err != nil {
					return err
				}
				if err := tx.User.UpdateOneID(u.ana).SetStatus(user.StatusSuspended).Exec(allow()); err != nil {
					return err
				}
				return tx.Rollback()
			},
		},
		{
			name: "an update that leaves the status alone ends nothing",
			change: func(db *store.DB, u users, _ pulid.ID) error {
				return db.User.Update().Where(user.IDIn(u.ana, u.ben)).SetDisplayName("Renamed").Exec(allow())
			},
		},
		{
			name: "setting ACTIVE again ends nothing",
			change: func(db *store.DB, u users, _ pulid.ID) error {
				return db.User.UpdateOneID(u.ana).SetStatus(user.StatusActive).Exec(allow())
			},
		},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newEnv(t, db) // a per-address throttle of its own
				slug := "susp-" + string(rune('a'+i))
				o := e.org(slug, organization.SignInMethodAny)
				elsewhere := e.org(slug+"-other", organization.SignInMethodAny)
				u := users{
					ana:   e.user(o, account{email: "ana@x.example", password: rightPw}).ID,
					ben:   e.user(o, account{email: "ben@x.example", password: rightPw}).ID,
					cleo:  e.user(o, account{email: "cleo@x.example", password: rightPw}).ID,
					other: e.user(elsewhere, account{email: "other@x.example", password: rightPw}).ID,
				}
				ids := map[string]pulid.ID{"ana": u.ana, "ben": u.ben, "cleo": u.cleo, "other": u.other}
				tokens := map[string][]string{}
				for who := range ids {
					org := slug
					if who == "other" {
						org = slug + "-other"
					}
					for range 2 { // two devices each
						r := e.login(org, who+"@x.example", rightPw)
						must(t, r, http.StatusOK, "")
						tokens[who] = append(tokens[who], r.token())
					}
				}

				if err := tt.change(db, u, o.ID); err != nil {
					t.Fatalf("change: %v", err)
				}
				// Everyone ACTIVE again: only revocation keeps a session dead.
				if err := db.User.Update().Where(user.IDIn(u.ana, u.ben, u.cleo, u.other)).
					SetStatus(user.StatusActive).Exec(allow()); err != nil {
					t.Fatalf("reactivate: %v", err)
				}
				for who, toks := range tokens {
					for _, tok := range toks {
						if slices.Contains(tt.ended, who) {
							must(t, e.current(bearer(tok)), http.StatusUnauthorized, "unauthenticated")
						} else {
							must(t, e.current(bearer(tok)), http.StatusOK, "")
						}
					}
				}

				var wantEvents int
				for who, id := range ids {
					ended, err := db.Session.Query().Where(entsession.UserID(id), entsession.RevokedAtNotNil()).All(allow())
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Contains(tt.ended, who) {
						if len(ended) != 0 {
							t.Errorf("%s: %d sessions revoked, want none", who, len(ended))
						}
						continue
					}
					wantEvents += len(ended)
					if len(ended) != 2 {
						t.Errorf("%s: %d sessions revoked, want both", who, len(ended))
					}
					for _, s := range ended {
						if s.RevokedReason != tt.reason {
							t.Errorf("%s: session revoked for %q, want %q", who, s.RevokedReason, tt.reason)
						}
					}
				}
				evs, err := db.AuditEvent.Query().
					Where(auditevent.Action("auth.session_revoked"), auditevent.OrganizationIDIn(o.ID, elsewhere.ID)).
					All(allow())
				if err != nil {
					t.Fatal(err)
				}
				if len(evs) != wantEvents {
					t.Errorf("%d auth.session_revoked events, want %d", len(evs), wantEvents)
				}
				for _, ev := range evs {
					s, err := db.Session.Get(allow(), pulid.ID(ev.TargetID))
					if err != nil {
						t.Fatalf("event for session %s: %v", ev.TargetID, err)
					}
					if ev.TargetType != "session" || ev.Details["reason"] != tt.reason ||
						ev.Details["user_id"] != string(s.UserID) || ev.OrganizationID != s.OrganizationID {
						t.Errorf("event = %s %s %v in %s for session of %s in %s",
							ev.TargetType, ev.TargetID, ev.Details, ev.OrganizationID, s.UserID, s.OrganizationID)
					}
					if ev.ActorKind != auditevent.ActorKindSystem {
						t.Errorf("actor = %s, want the system", ev.ActorKind)
					}
				}
			})
		}
	})
}

// The status change and the revocation are one transaction: when the
// sessions cannot be ended, the user stays ACTIVE, whether or not the
// caller opened a transaction.
func TestASuspensionThatCannotEndTheSessionsDoesNotHappen(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for i, tt := range []struct {
			name    string
			suspend func(c *ent.Client, id pulid.ID) error
		}{
			{"in the caller's transaction", func(c *ent.Client, id pulid.ID) error {
				tx, err := c.Tx(allow())
				if err != nil {
					return err
				}
				if err := tx.User.UpdateOneID(id).SetStatus(user.StatusSuspended).Exec(allow()); err != nil {
					return errors.Join(err, tx.Rollback())
				}
				return tx.Commit()
			}},
			{"without a transaction", func(c *ent.Client, id pulid.ID) error {
				return c.User.UpdateOneID(id).SetStatus(user.StatusSuspended).Exec(allow())
			}},
			{"in a bulk update without a transaction", func(c *ent.Client, id pulid.ID) error {
				return c.User.Update().Where(user.ID(id)).SetStatus(user.StatusSuspended).Exec(allow())
			}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				e := newEnv(t, db)
				o := e.org(fmt.Sprintf("atomic-%d", i), organization.SignInMethodAny)
				u := e.user(o, account{email: "ana@x.example", password: rightPw})
				tok := e.login(o.Slug, "ana@x.example", rightPw).token()

				c, rec := storetest.Record(db)
				rec.FailOn("revoked_reason") // the revocation's UPDATE
				if err := tt.suspend(c, u.ID); !errors.Is(err, storetest.ErrRefused) {
					t.Fatalf("suspend with the revocation refused: %v", err)
				}
				if got := e.reloadUser(u).Status; got != user.StatusActive {
					t.Errorf("the user is %s although their sessions could not be ended", got)
				}
				must(t, e.current(bearer(tok)), http.StatusOK, "")
			})
		}
	})
}

// A user returned by a suspension the hook ran in its own transaction
// still reaches the database through the caller's client.
func TestTheSuspendedUserReturnedOutsideATransactionIsUsable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		o := e.org("returned", organization.SignInMethodAny)
		u := e.user(o, account{email: "ana@x.example", password: rightPw})
		must(t, e.login("returned", "ana@x.example", rightPw), http.StatusOK, "")
		got, err := db.User.UpdateOneID(u.ID).SetStatus(user.StatusSuspended).Save(allow())
		if err != nil {
			t.Fatal(err)
		}
		if org, err := got.QueryOrganization().Only(allow()); err != nil || org.ID != o.ID {
			t.Fatalf("organization of the returned user: %v %v", org, err)
		}
	})
}
