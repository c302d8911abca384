package access_test

import (
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/internal/access"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// A granted link's expiry is exclusive: the grantee reaches the client
// until just before expiresAt and not at it; revoking ends it at once.
func TestAGrantedLinkEndsAtItsExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cl := newClinic(t, db.Client, "acme")
		sharer := *cl.plain
		sharer.Privileges = map[string]bool{string(authz.ClientsShare): true, string(authz.ClientsAccessAll): true}
		grantee := cl.clinician
		ada := cl.clients[0]
		until := t0.Add(time.Hour)
		if _, err := inTx(t, db.Client, as(&sharer, t0), func(tx *ent.Client) (*ent.ClientAccess, error) {
			return access.GrantClientAccess(as(&sharer, t0), tx, grantee.UserID, ada.ID, &until)
		}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			at   time.Time
			want bool
		}{{t0, true}, {until.Add(-time.Nanosecond), true}, {until, false}} {
			if ok, err := authz.CanReadClient(as(grantee, tc.at), db.Client, ada.ID); err != nil || ok != tc.want {
				t.Errorf("at %s: reaches = %v (%v), want %v", tc.at, ok, err, tc.want)
			}
		}
		// An expiry already past is refused as bad input.
		if _, err := access.GrantClientAccess(as(&sharer, until), db.Client, grantee.UserID, ada.ID, &until); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("an expiry at now: %v", err)
		}
		if _, err := inTx(t, db.Client, as(&sharer, t0), func(tx *ent.Client) (string, error) {
			id, err := access.RevokeClientAccess(as(&sharer, t0), tx, grantee.UserID, ada.ID)
			return string(id), err
		}); err != nil {
			t.Fatal(err)
		}
		if ok, _ := authz.CanReadClient(as(grantee, t0), db.Client, ada.ID); ok {
			t.Error("the grantee still reaches the client after the revoke")
		}
		sys := viewer.ForSystem(t.Context(), cl.org.ID)
		for action, want := range map[string]int{audit.AccessGranted: 1, audit.AccessRevoked: 1} {
			if n := db.Client.AuditEvent.Query().Where(auditevent.Action(action)).CountX(sys); n != want {
				t.Errorf("%s events = %d, want %d", action, n, want)
			}
		}
	})
}
