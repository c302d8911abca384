package directory_test

import (
	"context"
	"errors"
	"testing"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/passwordcredential"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/directory"
	"github.com/clinicgate/clinicgate/internal/outbox"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

func TestMain(m *testing.M) { storetest.Main(m) }

func allow() context.Context { return privacy.DecisionContext(context.Background(), privacy.Allow) }

func render(t *testing.T, c *ent.Client, m *ent.OutboxMessage) error {
	t.Helper()
	tx, err := c.Tx(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, err = directory.TemporaryPasswordRenderer(directory.TemporaryPasswordConfig{}).
		Render(viewer.ForSystem(context.Background(), m.OrganizationID), tx.Client(), m)
	if err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func TestTemporaryPasswordForAUserNoLongerActiveIsObsolete(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		org := c.Organization.Create().SetName("Acme").SetSlug("acme").SaveX(allow())
		u := c.User.Create().SetOrganizationID(org.ID).SetEmail("bob@acme.test").SetStatus(user.StatusSuspended).SaveX(allow())
		sso := c.User.Create().SetOrganizationID(org.ID).SetEmail("sso@acme.test").SetStatus(user.StatusActive).
			SetSignInMethod(user.SignInMethodSSO).SaveX(allow())
		for _, id := range []string{string(u.ID), string(sso.ID), "usr_gone", ""} {
			m := c.OutboxMessage.Create().SetOrganizationID(org.ID).SetKind(directory.MessageKindTemporaryPasswd).
				SetPayload(map[string]any{"user_id": id}).SetCreatedAt(u.CreatedAt).SetAvailableAt(u.CreatedAt).SaveX(allow())
			if err := render(t, c, m); !errors.Is(err, outbox.ErrObsolete) {
				t.Errorf("user %q: %v, want obsolete", id, err)
			}
		}
		if n := c.PasswordCredential.Query().Where(passwordcredential.UserIDIn(u.ID, sso.ID)).CountX(allow()); n != 0 {
			t.Fatalf("%d credentials minted for inactive users", n)
		}
	})
}

func TestTemporaryPasswordOfAnotherOrganizationsUserIsObsolete(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		a := c.Organization.Create().SetName("Acme").SetSlug("acme").SaveX(allow())
		b := c.Organization.Create().SetName("Other").SetSlug("other").SaveX(allow())
		u := c.User.Create().SetOrganizationID(b.ID).SetEmail("bob@other.test").SetStatus(user.StatusActive).SaveX(allow())
		m := c.OutboxMessage.Create().SetOrganizationID(a.ID).SetKind(directory.MessageKindTemporaryPasswd).
			SetPayload(map[string]any{"user_id": string(u.ID)}).SetCreatedAt(u.CreatedAt).SetAvailableAt(u.CreatedAt).SaveX(allow())
		if err := render(t, c, m); !errors.Is(err, outbox.ErrObsolete) {
			t.Fatalf("%v, want obsolete", err)
		}
	})
}
