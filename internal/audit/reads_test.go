package audit_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

func TestMain(m *testing.M) { storetest.Main(m) }

type fixture struct {
	org      *ent.Organization
	user     *ent.User
	clients  []*ent.Patient
	notes    []*ent.SessionNote // notes[i] is on clients[i]
	docs     []*ent.Document    // docs[i] is on clients[i]
	viewerCx context.Context
}

func newFixture(t *testing.T, c *ent.Client, slug string) fixture {
	t.Helper()
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	org := c.Organization.Create().SetName(slug).SetSlug(slug).SaveX(ctx)
	u := c.User.Create().SetOrganizationID(org.ID).SetEmail("clin@" + slug + ".test").
		SetStatus(user.StatusActive).SaveX(ctx)
	f := fixture{org: org, user: u}
	for i, n := range []string{"Ada", "Ben", "Cy"} {
		p := c.Patient.Create().SetOrganizationID(org.ID).SetGivenName(n).SetFamilyName(slug).SaveX(ctx)
		start := time.Date(2025, 3, 1+i, 9, 0, 0, 0, time.UTC)
		apt := c.Appointment.Create().SetOrganizationID(org.ID).SetClientID(p.ID).SetProviderID(u.ID).
			SetStartsAt(start).SetEndsAt(start.Add(time.Hour)).SaveX(ctx)
		note := c.SessionNote.Create().SetOrganizationID(org.ID).SetAppointmentID(apt.ID).SetAuthorID(u.ID).
			SetBody("note " + n).SaveX(ctx)
		doc := c.Document.Create().SetOrganizationID(org.ID).SetClientID(p.ID).SetTitle("intake " + n).
			SetFileName(n + ".pdf").SetStorageKey("k/" + n).SaveX(ctx)
		f.clients = append(f.clients, p)
		f.notes = append(f.notes, note)
		f.docs = append(f.docs, doc)
	}
	f.viewerCx = viewer.NewContext(context.Background(), &viewer.Viewer{
		Kind: viewer.User, OrgID: org.ID, UserID: u.ID, Privileges: map[string]bool{},
	})
	return f
}

// readOf is one read as an event's details.reads lists it.
type readOf struct {
	ev                         *ent.AuditEvent
	record, targetType, client string
}

// readEvents returns the organization's client.record_read events and
// their reads by target id.
func readEvents(t *testing.T, c *ent.Client, org pulid.ID) ([]*ent.AuditEvent, map[string]readOf) {
	t.Helper()
	evs := c.AuditEvent.Query().Where(auditevent.Action(audit.ClientRecordRead)).
		AllX(viewer.ForSystem(context.Background(), org))
	out := map[string]readOf{}
	for _, e := range evs {
		groups, _ := e.Details["reads"].([]any)
		if len(groups) == 0 {
			t.Errorf("event %s lists no reads: %v", e.ID, e.Details)
		}
		for _, g := range groups {
			m, _ := g.(map[string]any)
			targets, _ := m["target_ids"].([]any)
			clients, _ := m["client_ids"].([]any)
			kind := fmt.Sprint(m["target_type"])
			if len(targets) == 0 || (kind == "client") != (clients == nil) || (clients != nil && len(clients) != len(targets)) {
				t.Errorf("event %s: group %v", e.ID, m)
				continue
			}
			for i, id := range targets {
				id := fmt.Sprint(id)
				if _, dup := out[id]; dup {
					t.Errorf("two reads of %s", id)
				}
				rd := readOf{ev: e, record: fmt.Sprint(m["record"]), targetType: kind, client: id}
				if clients != nil {
					rd.client = fmt.Sprint(clients[i])
				}
				out[id] = rd
			}
		}
	}
	return evs, out
}

func TestNoteReadWithoutCollectorDoesNothing(t *testing.T) {
	ctx := context.Background()
	audit.NoteRead(ctx, audit.RecordClientProfile, &ent.Patient{ID: "cli_x"})
	// No collector: nothing to write, and the client is never touched.
	if err := audit.FlushReads(ctx, nil); err != nil {
		t.Fatal(err)
	}
	// A collector with nothing in it does not touch the client either.
	if err := audit.FlushReads(audit.WithReads(ctx), nil); err != nil {
		t.Fatal(err)
	}
}

func TestFlushReadsWithoutViewer(t *testing.T) {
	ctx := audit.WithReads(context.Background())
	audit.NoteRead(ctx, audit.RecordClientProfile, &ent.Patient{ID: "cli_x"})
	if err := audit.FlushReads(ctx, nil); err == nil {
		t.Fatal("reads without a viewer flushed silently")
	}
}

func TestFlushReadsDeduplicatesAndBatches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db.Client, "acme")
		c, drv := storetest.Record(db)
		ctx := audit.WithReads(f.viewerCx)

		// Many concurrent field reads, as gqlgen resolves them: four PHI
		// fields of each client, body and transcript of each note, the
		// title of each document, several times over. Notes arrive as
		// GraphQL field collection loads them (no appointment_id); one
		// document without its client_id, the others with it.
		var wg sync.WaitGroup
		for range 8 {
			for i := range f.clients {
				for range 4 {
					wg.Go(func() { audit.NoteRead(ctx, audit.RecordClientProfile, f.clients[i]) })
				}
				for range 2 {
					wg.Go(func() {
						audit.NoteRead(ctx, audit.RecordSessionNote, &ent.SessionNote{ID: f.notes[i].ID, Body: "x"})
					})
				}
				wg.Go(func() {
					d := f.docs[i]
					if i == 0 {
						d = &ent.Document{ID: d.ID, Title: d.Title}
					}
					audit.NoteRead(ctx, audit.RecordDocument, d)
				})
			}
		}
		wg.Wait()
		drv.Reset()
		if err := audit.FlushReads(ctx, audit.NewBatch(c)); err != nil {
			t.Fatal(err)
		}
		if n := drv.Count("INSERT", "audit_events"); n != 1 {
			t.Errorf("%d INSERTs into audit_events, want 1: %q", n, drv.Statements())
		}
		if n := drv.Count("SELECT", "session_notes"); n != 1 {
			t.Errorf("%d SELECTs of session_notes, want 1: %q", n, drv.Statements())
		}
		if n := drv.Count("SELECT", "documents"); n != 1 {
			t.Errorf("%d SELECTs of documents (one document lacked its client), want 1: %q", n, drv.Statements())
		}
		if n := len(drv.Statements()); n != 3 {
			t.Errorf("%d statements, want 3: %q", n, drv.Statements())
		}

		evs, reads := readEvents(t, db.Client, f.org.ID)
		if len(evs) != 1 || len(reads) != 9 {
			t.Fatalf("%d events of %d reads, want 1 of 9 (3 clients, 3 notes, 3 documents)", len(evs), len(reads))
		}
		e := evs[0]
		if e.ActorKind != auditevent.ActorKindUser || deref(e.ActorID) != f.user.ID || e.OrganizationID != f.org.ID ||
			e.ClientID != nil || e.TargetType != "" || e.TargetID != "" || e.Details["record"] != nil {
			t.Errorf("event = %+v (client %v, actor %v)", e, deref(e.ClientID), deref(e.ActorID))
		}
		wantClients := []pulid.ID{f.clients[0].ID, f.clients[1].ID, f.clients[2].ID}
		slices.Sort(wantClients)
		if !slices.Equal(e.ClientIds, wantClients) {
			t.Errorf("client_ids = %v, want %v", e.ClientIds, wantClients)
		}
		for i, p := range f.clients {
			for _, want := range []struct {
				id, targetType, record string
			}{
				{string(p.ID), "client", audit.RecordClientProfile},
				{string(f.notes[i].ID), "session_note", audit.RecordSessionNote},
				{string(f.docs[i].ID), "document", audit.RecordDocument},
			} {
				r, ok := reads[want.id]
				if !ok {
					t.Errorf("no read of %s %s", want.targetType, want.id)
					continue
				}
				if r.targetType != want.targetType || r.client != string(p.ID) || r.record != want.record {
					t.Errorf("read of %s = %+v", want.id, r)
				}
			}
		}

		// A second flush writes nothing; a row read again in the same
		// request is not audited twice; a new row is.
		drv.Reset()
		audit.NoteRead(ctx, audit.RecordClientProfile, f.clients[0])
		if err := audit.FlushReads(ctx, audit.NewBatch(c)); err != nil {
			t.Fatal(err)
		}
		if len(drv.Statements()) != 0 {
			t.Errorf("second flush sent %q", drv.Statements())
		}
		other := db.Client.Patient.Create().SetOrganizationID(f.org.ID).SetGivenName("Dee").SetFamilyName("acme").
			SaveX(privacy.DecisionContext(context.Background(), privacy.Allow))
		audit.NoteRead(ctx, audit.RecordClientProfile, other)
		if err := audit.FlushReads(ctx, audit.NewBatch(c)); err != nil {
			t.Fatal(err)
		}
		evs, reads = readEvents(t, db.Client, f.org.ID)
		if len(evs) != 2 || len(reads) != 10 {
			t.Fatalf("%d events of %d reads after a new read, want 2 of 10", len(evs), len(reads))
		}
		// An event of one read has it as its target, as before.
		r := reads[string(other.ID)]
		if r.ev.TargetType != "client" || r.ev.TargetID != string(other.ID) || deref(r.ev.ClientID) != other.ID ||
			r.ev.Details["record"] != audit.RecordClientProfile || !slices.Equal(r.ev.ClientIds, []pulid.ID{other.ID}) {
			t.Errorf("event of one read = %+v", r.ev)
		}
	})
}

func deref(id *pulid.ID) pulid.ID {
	if id == nil {
		return ""
	}
	return *id
}

// A note that cannot be resolved (gone, or of another organization) is
// still audited, without a client.
func TestFlushReadsKeepsUnresolvedReads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newFixture(t, db.Client, "acme")
		b := newFixture(t, db.Client, "bravo")
		ctx := audit.WithReads(a.viewerCx)
		audit.NoteRead(ctx, audit.RecordSessionNote, &ent.SessionNote{ID: b.notes[0].ID})
		audit.NoteRead(ctx, audit.RecordSessionNote, &ent.SessionNote{ID: pulid.New("not")})
		audit.NoteRead(ctx, audit.RecordSessionNote, a.notes[1])
		if err := audit.FlushReads(ctx, audit.NewBatch(db.Client)); err != nil {
			t.Fatal(err)
		}
		evs, reads := readEvents(t, db.Client, a.org.ID)
		if len(evs) != 1 || len(reads) != 3 {
			t.Fatalf("%d events of %d reads, want 1 of 3", len(evs), len(reads))
		}
		if r, ok := reads[string(b.notes[0].ID)]; !ok || r.client != "" {
			t.Errorf("other organization's note resolved to a client: %+v", r)
		}
		if r := reads[string(a.notes[1].ID)]; r.client != string(a.clients[1].ID) {
			t.Errorf("own note: %+v", r)
		}
		// The one client resolved is the event's client.
		if e := evs[0]; deref(e.ClientID) != a.clients[1].ID || !slices.Equal(e.ClientIds, []pulid.ID{a.clients[1].ID}) {
			t.Errorf("event = %+v", e)
		}
		if evs, _ := readEvents(t, db.Client, b.org.ID); len(evs) != 0 {
			t.Errorf("%d events written into the other organization", len(evs))
		}
	})
}

// A failed write is reported, not swallowed.
func TestFlushReadsReportsWriteFailure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db.Client, "acme")
		c, drv := storetest.Record(db)
		drv.FailOn("audit_events")
		ctx := audit.WithReads(f.viewerCx)
		audit.NoteRead(ctx, audit.RecordClientProfile, f.clients[0])
		if err := audit.FlushReads(ctx, audit.NewBatch(c)); err == nil || !strings.Contains(err.Error(), "1 reads were not recorded") {
			t.Fatalf("err = %v", err)
		}
	})
}
