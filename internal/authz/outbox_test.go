package authz_test

import (
	"context"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

func (f *fixture) outboxMessage() *ent.OutboxMessage {
	f.t.Helper()
	return must(f.c.OutboxMessage.Create().SetOrganizationID(f.org.ID).SetKind("invitation").
		SetPayload(map[string]any{"invitation_id": "inv_x"}).SetCreatedAt(now).SetAvailableAt(now.Add(time.Minute)).
		Save(allow())).get(f.t)
}

// The outbox is read by administrators (org.settings.manage) of its
// organization, and by the server; everyone else is refused.
func TestOutboxIsReadByAdministratorsOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, b := newFixture(t, db.Client), newFixture(t, db.Client)
		mine, theirs := a.outboxMessage(), b.outboxMessage()
		admin := a.staff(withRoles(a.role(authz.OrgSettingsManage)))
		otherAdmin := b.staff(withRoles(b.role(authz.OrgSettingsManage)))
		list := func(ctx context.Context) ([]pulid.ID, error) { return db.Client.OutboxMessage.Query().IDs(ctx) }

		seesOnly(t, "administrator", must(list(a.as(admin))).get(t), nil, mine.ID)
		seesOnly(t, "the other organization's administrator", must(list(b.as(otherAdmin))).get(t), nil, theirs.ID)
		seesOnly(t, "server", must(list(a.system())).get(t), nil, mine.ID)

		for name, u := range map[string]*ent.User{
			"a user inviting others": a.staff(withRoles(a.role(authz.UsersInvite, authz.UsersManage))),
			"an auditor":             a.staff(withRoles(a.role(authz.AuditView))),
			"a user with no role":    a.staff(),
			"a portal user":          a.portalUser(),
		} {
			ids, err := list(a.as(u))
			denied(t, name, ids, err)
			_, err = db.Client.OutboxMessage.Get(a.as(u), mine.ID)
			if err == nil {
				t.Errorf("%s reads the message by id", name)
			}
		}
		if _, err := db.Client.OutboxMessage.Get(a.as(admin), theirs.ID); !ent.IsNotFound(err) {
			t.Errorf("administrator reads another organization's message: %v", err)
		}
		// Reading is all: an administrator cannot write the outbox.
		if err := db.Client.OutboxMessage.UpdateOneID(mine.ID).SetAttempts(0).Exec(a.as(admin)); err == nil {
			t.Error("an administrator updated an outbox message")
		}
	})
}
