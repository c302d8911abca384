package audit_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// A batch is written by a statement of its own on each dialect (arrays on
// PostgreSQL); what it stores must be what Record, through ent's builder,
// stores for the same events: NULL for a missing actor, client or details,
// the request's origin, the details as JSON.
func TestABatchStoresWhatRecordStoresForTheSameEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		allow := privacy.DecisionContext(context.Background(), privacy.Allow)
		org := db.Client.Organization.Create().SetName("Batch").SetSlug("batch").SaveX(allow)
		u := db.Client.User.Create().SetOrganizationID(org.ID).SetEmail("a@batch.test").SaveX(allow)
		p := db.Client.Patient.Create().SetOrganizationID(org.ID).SetGivenName("Ada").SetFamilyName("B").SaveX(allow)
		ctx := audit.WithMeta(viewer.NewContext(allow, &viewer.Viewer{
			Kind: viewer.User, OrgID: org.ID, UserID: u.ID, Privileges: map[string]bool{},
		}), audit.Meta{IP: "192.0.2.7", UserAgent: "test agent", RequestID: "req-1"})
		events := []audit.Event{
			{Action: "client.record_read", TargetType: "client", TargetID: string(p.ID), ClientID: p.ID,
				ClientIDs: []pulid.ID{p.ID, "cli_other"}, Details: map[string]any{"record": "profile", "n": 2.0}},
			{Action: "system.tick", ActorKind: auditevent.ActorKindSystem},
			{Action: "user.note", TargetType: "user", TargetID: string(u.ID), Details: map[string]any{}},
		}
		for i, e := range events {
			if err := audit.Record(ctx, db.Client, e); err != nil {
				t.Fatal(err)
			}
			e.Action += ".batch"
			events[i] = e
		}
		if err := audit.RecordBatch(ctx, db.Client, events); err != nil {
			t.Fatal(err)
		}
		got := map[string]*ent.AuditEvent{}
		for _, e := range db.Client.AuditEvent.Query().AllX(viewer.ForSystem(context.Background(), org.ID)) {
			got[e.Action] = e
		}
		for _, e := range events {
			single, batched := got[e.Action[:len(e.Action)-len(".batch")]], got[e.Action]
			if single == nil || batched == nil {
				t.Fatalf("%s: single %v, batched %v", e.Action, single, batched)
			}
			if d := batched.OccurredAt.Sub(single.OccurredAt); d < 0 || d > time.Minute {
				t.Errorf("%s: occurred at %v, single %v", e.Action, batched.OccurredAt, single.OccurredAt)
			}
			s, b := *single, *batched
			s.ID, b.ID, s.Action, b.Action, s.OccurredAt, b.OccurredAt = "", "", "", "", time.Time{}, time.Time{}
			if !reflect.DeepEqual(columns(s), columns(b)) {
				t.Errorf("%s:\nbatched %+v\nsingle  %+v", e.Action, columns(b), columns(s))
			}
		}
		if a := got["system.tick.batch"]; a.ActorID != nil || a.ClientID != nil || a.Details != nil || a.ClientIds != nil {
			t.Errorf("system event stored actor %v, client %v, details %v, clients %v; want NULLs", a.ActorID, a.ClientID, a.Details, a.ClientIds)
		}
		if a := got["client.record_read.batch"]; a.IP != "192.0.2.7" || a.RequestID != "req-1" || a.Details["record"] != "profile" ||
			!reflect.DeepEqual(a.ClientIds, []pulid.ID{p.ID, "cli_other"}) {
			t.Errorf("read event = %+v", a)
		}
	})
}

// columns is what an event stores, comparable with DeepEqual.
func columns(e ent.AuditEvent) []any {
	return []any{e.OrganizationID, e.ActorKind, e.ActorID, e.TargetType, e.TargetID, e.ClientID, e.ClientIds,
		e.IP, e.UserAgent, e.RequestID, e.Details, e.ChainSeq, e.ChainHash}
}
