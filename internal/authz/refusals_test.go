package authz_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// seesNone asserts a viewer lists none of a type's rows: an empty answer,
// or a privacy denial.
func seesNone(t *testing.T, what string, got []pulid.ID, err error) {
	t.Helper()
	if err != nil && !errors.Is(err, privacy.Deny) {
		t.Fatalf("%s: %v", what, err)
	}
	if len(got) > 0 {
		t.Errorf("%s: sees %v, want nothing", what, got)
	}
}

// The refused side of the rules the table in rules_test.go covers only
// from the allowed side. Each list builds a fresh query: an ent query is
// spent once it has run.
func TestRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		f := newFixture(t, c)
		admin := f.staff(withRoles(f.role(authz.OrgSettingsManage)))
		// ann reads the record kinds of the clients she reaches; bob holds
		// the same and reaches none.
		reader := f.role(authz.DocumentsView, authz.HomeworkView, authz.SurveysView)
		ann, bob := f.staff(withRoles(reader)), f.staff(withRoles(reader))
		cl := f.client(nil, false)
		f.link(ann, cl, nil, nil)

		t.Run("auth rows are their owner's alone", func(t *testing.T) {
			exp := now.Add(time.Hour)
			s := must(c.Session.Create().SetOrganizationID(f.org.ID).SetUserID(ann.ID).SetTokenHash([]byte(uniq("h"))).
				SetMethod("PASSWORD").SetExpiresAt(exp).SetIdleTimeoutSeconds(600).Save(allow())).get(t)
			must(c.PasswordCredential.Create().SetOrganizationID(f.org.ID).SetUserID(ann.ID).SetHash("$argon2id$x").Save(allow())).get(t)
			must(c.TOTPFactor.Create().SetOrganizationID(f.org.ID).SetUserID(ann.ID).SetSecretSealed([]byte("sealed")).Save(allow())).get(t)
			must(c.RecoveryCode.Create().SetOrganizationID(f.org.ID).SetUserID(ann.ID).SetCodeHash([]byte("h")).Save(allow())).get(t)
			seesOnly(t, "own sessions", must(c.Session.Query().IDs(f.as(ann))).get(t), nil, s.ID)
			for name, list := range map[string]func(context.Context) ([]pulid.ID, error){
				"sessions":             func(ctx context.Context) ([]pulid.ID, error) { return c.Session.Query().IDs(ctx) },
				"password credentials": func(ctx context.Context) ([]pulid.ID, error) { return c.PasswordCredential.Query().IDs(ctx) },
				"TOTP factors":         func(ctx context.Context) ([]pulid.ID, error) { return c.TOTPFactor.Query().IDs(ctx) },
				"recovery codes":       func(ctx context.Context) ([]pulid.ID, error) { return c.RecoveryCode.Query().IDs(ctx) },
			} {
				got, err := list(f.as(bob))
				seesNone(t, "another user's "+name, got, err)
				got, err = list(f.as(admin))
				seesNone(t, "an administrator reading a user's "+name, got, err)
			}
		})

		t.Run("the outbox needs org.settings.manage", func(t *testing.T) {
			// Administrators see whether mail left (issue 8); the rows hold
			// no secret nor message text. Anyone else is refused.
			m := must(c.OutboxMessage.Create().SetOrganizationID(f.org.ID).SetKind("mail").SetPayload(map[string]any{}).Save(allow())).get(t)
			got, err := c.OutboxMessage.Query().IDs(f.as(ann))
			seesNone(t, "a user without org.settings.manage reads the outbox", got, err)
			seesOnly(t, "administrator reads the outbox", must(c.OutboxMessage.Query().IDs(f.as(admin))).get(t), nil, m.ID)
			if n := must(c.OutboxMessage.Query().Count(f.system())).get(t); n != 1 {
				t.Errorf("the server sees %d outbox messages", n)
			}
		})

		t.Run("identity and billing settings need org.settings.manage", func(t *testing.T) {
			sub := must(c.Subscription.Create().SetOrganizationID(f.org.ID).SetTermStart(now).SetTermEnd(now.AddDate(1, 0, 0)).
				SetSeatPriceCents(1000).Save(allow())).get(t)
			must(c.SeatCharge.Create().SetOrganizationID(f.org.ID).SetSubscriptionID(sub.ID).SetAmountCents(1000).
				SetDaysRemaining(365).SetDaysInTerm(365).SetReason("MEMBER_ADDED").Save(allow())).get(t)
			must(c.SSOConnection.Create().SetOrganizationID(f.org.ID).SetName("Okta").SetIssuer("https://idp.example").
				SetClientID("x").Save(allow())).get(t)
			must(c.SCIMToken.Create().SetOrganizationID(f.org.ID).SetName("Okta").SetTokenHash([]byte(uniq("t"))).Save(allow())).get(t)
			must(c.SCIMGroupMapping.Create().SetOrganizationID(f.org.ID).SetDisplayName("Nurses").SetTarget("ROLE").Save(allow())).get(t)
			for name, list := range map[string]func(context.Context) ([]pulid.ID, error){
				"subscriptions":       func(ctx context.Context) ([]pulid.ID, error) { return c.Subscription.Query().IDs(ctx) },
				"seat charges":        func(ctx context.Context) ([]pulid.ID, error) { return c.SeatCharge.Query().IDs(ctx) },
				"SSO connections":     func(ctx context.Context) ([]pulid.ID, error) { return c.SSOConnection.Query().IDs(ctx) },
				"SCIM tokens":         func(ctx context.Context) ([]pulid.ID, error) { return c.SCIMToken.Query().IDs(ctx) },
				"SCIM group mappings": func(ctx context.Context) ([]pulid.ID, error) { return c.SCIMGroupMapping.Query().IDs(ctx) },
			} {
				got, err := list(f.as(ann))
				seesNone(t, "a clinician lists "+name, got, err)
				if got, err := list(f.as(admin)); err != nil || len(got) != 1 {
					t.Errorf("the administrator lists %s: %v %v", name, got, err)
				}
			}
		})

		t.Run("links and records of a client one does not reach", func(t *testing.T) {
			parent, other := f.portalUser(), f.portalUser()
			f.portalLink(parent, cl, perms{documents: true, sessionsHomework: true, surveys: true}, nil)
			f.document(cl)
			f.homework(cl)
			must(c.SurveyResponse.Create().SetOrganizationID(f.org.ID).SetClientID(cl.ID).SetSurveyName("PHQ-9").Save(allow())).get(t)
			for name, list := range map[string]func(context.Context) ([]pulid.ID, error){
				"client access links": func(ctx context.Context) ([]pulid.ID, error) { return c.ClientAccess.Query().IDs(ctx) },
				"portal links":        func(ctx context.Context) ([]pulid.ID, error) { return c.PortalAccess.Query().IDs(ctx) },
				"documents":           func(ctx context.Context) ([]pulid.ID, error) { return c.Document.Query().IDs(ctx) },
				"homework":            func(ctx context.Context) ([]pulid.ID, error) { return c.Homework.Query().IDs(ctx) },
				"survey responses":    func(ctx context.Context) ([]pulid.ID, error) { return c.SurveyResponse.Query().IDs(ctx) },
			} {
				got, err := list(f.as(bob))
				seesNone(t, "staff without a path lists "+name, got, err)
				if got, err := list(f.as(ann)); err != nil || len(got) != 1 {
					t.Errorf("linked staff lists %s: %v %v", name, got, err)
				}
			}
			got, err := c.PortalAccess.Query().IDs(f.as(other))
			seesNone(t, "another portal user lists portal links", got, err)
		})

		t.Run("staff-profile links follow the profile", func(t *testing.T) {
			sp := f.staffProfile(nil, nil)
			l := f.profileLink(ann, sp, nil)
			seesOnly(t, "the linked user", must(c.StaffProfileAccess.Query().IDs(f.as(ann))).get(t), nil, l.ID)
			got, err := c.StaffProfileAccess.Query().IDs(f.as(bob))
			seesNone(t, "a user who does not reach the profile", got, err)
		})
	})
}

// Writes stay in the viewer's organization: creating a row in another
// organization, changing or deleting another organization's rows, or
// creating an organization at all — even for the server acting for one
// organization, which passes the write decision (write_test.go holds users
// to that).
func TestWritesAreConfinedToTheTenant(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		a, b := newFixture(t, c), newFixture(t, c)
		ub := b.staff()
		ctx := a.system()

		err := c.BusinessUnit.Create().SetOrganizationID(b.org.ID).SetName("planted").Exec(ctx)
		if !errors.Is(err, authz.ErrCrossTenant) {
			t.Errorf("create in another organization: %v", err)
		}
		n, err := c.User.Update().Where(user.ID(ub.ID)).SetDisplayName("renamed").Save(ctx)
		if err != nil || n != 0 {
			t.Errorf("update another organization's user: %d rows, %v", n, err)
		}
		if err := c.User.UpdateOneID(ub.ID).SetDisplayName("renamed").Exec(ctx); !ent.IsNotFound(err) {
			t.Errorf("update one of another organization's users: %v", err)
		}
		n, err = c.BusinessUnit.Delete().Exec(ctx)
		if err != nil || n != 0 {
			t.Errorf("delete across organizations: %d rows, %v", n, err)
		}
		if got := must(c.User.Get(b.system(), ub.ID)).get(t); got.DisplayName == "renamed" {
			t.Error("another organization's user was renamed")
		}
		if err := c.Organization.Create().SetName("new").SetSlug(uniq("new-")).Exec(ctx); !errors.Is(err, privacy.Deny) {
			t.Errorf("an organization's server context creates an organization: %v", err)
		}
		if n, err := c.Organization.Update().Where(organization.ID(b.org.ID)).SetName("taken").Save(ctx); err != nil || n != 0 {
			t.Errorf("update another organization: %d, %v", n, err)
		}
	})
}
