package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/graph"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/logging"
	"github.com/clinicgate/clinicgate/internal/logging/logtest"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// ---------------------------------------------------------------------------
// Harness shared by audit_test.go, emergency_test.go and fields_test.go.

// gqlOpts tune one request of gqlDo.
type gqlOpts struct {
	client      *ent.Client // the handler's client; db.Client by default
	auditClient *ent.Client // ReadAudit's client; the handler's by default
	now         func() time.Time
	log         *syncBuffer
	twice       bool // add ReadAudit a second time
	meta        *audit.Meta
}

type gqlOpt func(*gqlOpts)

// atTime makes access decisions of the request at now (authz.WithClock).
func atTime(now time.Time) gqlOpt {
	return func(o *gqlOpts) { o.now = func() time.Time { return now } }
}

func viaClient(c *ent.Client) gqlOpt      { return func(o *gqlOpts) { o.client = c } }
func auditVia(c *ent.Client) gqlOpt       { return func(o *gqlOpts) { o.auditClient = c } }
func logTo(buf *syncBuffer) gqlOpt        { return func(o *gqlOpts) { o.log = buf } }
func readAuditTwice(o *gqlOpts)           { o.twice = true }
func withMeta(m audit.Meta) gqlOpt        { return func(o *gqlOpts) { o.meta = &m } }
func allowCtx() context.Context           { return privacy.DecisionContext(context.Background(), privacy.Allow) }
func sysCtx(org pulid.ID) context.Context { return viewer.ForSystem(context.Background(), org) }

// gqlDo runs one GraphQL request as v through graph.NewHandler with the
// ReadAudit extension added (until NewHandler installs it itself; adding
// it twice is harmless: the inner collector gets the reads and flushes
// them, the outer one stays empty).
func gqlDo(t *testing.T, db *store.DB, v *viewer.Viewer, query string, vars map[string]any, opts ...gqlOpt) gqlResponse {
	t.Helper()
	o := gqlOpts{client: db.Client}
	for _, f := range opts {
		f(&o)
	}
	if o.auditClient == nil {
		o.auditClient = o.client
	}
	h := graph.NewHandler(o.client, graph.HandlerConfig{})
	srv, ok := h.(*handler.Server)
	if !ok {
		t.Fatalf("graph.NewHandler returns %T, not *handler.Server: cannot add ReadAudit", h)
	}
	srv.Use(graph.ReadAudit{Events: audit.NewBatch(o.auditClient)})
	if o.twice {
		srv.Use(graph.ReadAudit{Events: audit.NewBatch(o.auditClient)})
	}

	ctx := context.Background()
	if v != nil {
		ctx = viewer.NewContext(ctx, v)
	}
	if o.now != nil {
		ctx = authz.WithClock(ctx, o.now)
	}
	if o.meta != nil {
		ctx = audit.WithMeta(ctx, *o.meta)
	}
	if o.log != nil {
		ctx = logging.NewContext(ctx, slog.New(slog.NewTextHandler(o.log, nil)))
	}
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out gqlResponse
	if err := json.NewDecoder(rec.Body).Decode(&out); err != nil {
		t.Fatalf("decode (status %d): %v", rec.Code, err)
	}
	return out
}

// wantCodes fails unless r's error codes are exactly want, in order.
func wantCodes(t *testing.T, r gqlResponse, want ...string) {
	t.Helper()
	if got := codes(r); !slices.Equal(got, want) {
		t.Fatalf("codes = %v, want %v (errors %+v, data %s)", got, want, r.Errors, dataOf(r))
	}
}

func dataOf(r gqlResponse) string {
	b, _ := json.Marshal(r.Data)
	return string(b)
}

// field decodes r.Data[name] into v.
func dataField(t *testing.T, r gqlResponse, name string, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Data[name], v); err != nil {
		t.Fatalf("decode %s (%s): %v", name, r.Data[name], err)
	}
}

func addRole(t *testing.T, c *ent.Client, org pulid.ID, name string, privs ...authz.Privilege) *ent.Role {
	t.Helper()
	keys := make([]string, len(privs))
	for i, p := range privs {
		keys[i] = string(p)
	}
	return c.Role.Create().SetOrganizationID(org).SetName(name).SetPrivileges(keys).SaveX(allowCtx())
}

// addUser adds an active user (portal when kind is user.KindPortal).
func addUser(t *testing.T, c *ent.Client, org pulid.ID, email string, kind user.Kind, roles ...*ent.Role) *ent.User {
	t.Helper()
	return c.User.Create().SetOrganizationID(org).SetEmail(email).SetDisplayName(email).SetKind(kind).
		SetStatus(user.StatusActive).AddRoles(roles...).SaveX(allowCtx())
}

// viewerOf builds u's viewer as the session layer does.
func viewerOf(t *testing.T, c *ent.Client, u *ent.User) *viewer.Viewer {
	t.Helper()
	sys := sysCtx(u.OrganizationID)
	u = c.User.GetX(sys, u.ID)
	eff, err := authz.LoadEffective(sys, c, u)
	if err != nil {
		t.Fatal(err)
	}
	return &viewer.Viewer{
		Kind: viewer.User, OrgID: u.OrganizationID, UserID: u.ID, Portal: u.Kind == user.KindPortal,
		RoleIDs: eff.RoleIDs, Privileges: eff.Privileges, BusinessUnitIDs: u.QueryBusinessUnits().IDsX(sys),
		ScheduleAccess: string(u.ScheduleAccess), Tabs: u.TabAccess, AuthMethod: "PASSWORD",
		State: viewer.StateActive,
	}
}

func linkClient(t *testing.T, c *ent.Client, u *ent.User, client *ent.Patient) {
	t.Helper()
	c.ClientAccess.Create().SetOrganizationID(u.OrganizationID).SetUserID(u.ID).SetClientID(client.ID).SaveX(allowCtx())
}

// portalPerms are the four portal permissions.
type portalPerms struct{ documents, sessionsHomework, billing, surveys bool }

func linkPortal(t *testing.T, c *ent.Client, u *ent.User, client *ent.Patient, p portalPerms) {
	t.Helper()
	c.PortalAccess.Create().SetOrganizationID(u.OrganizationID).SetUserID(u.ID).SetClientID(client.ID).
		SetDocuments(p.documents).SetSessionsHomework(p.sessionsHomework).SetBilling(p.billing).SetSurveys(p.surveys).
		SaveX(allowCtx())
}

// rawReadEvents returns org's client.record_read events, oldest first:
// one per request that read a record.
func rawReadEvents(t *testing.T, c *ent.Client, org pulid.ID) []*ent.AuditEvent {
	t.Helper()
	return c.AuditEvent.Query().Where(auditevent.Action(audit.ClientRecordRead)).
		Order(ent.Asc(auditevent.FieldOccurredAt), ent.Asc(auditevent.FieldID)).AllX(sysCtx(org))
}

// readEvents returns org's reads of records, one per (record kind, row)
// read in a request, by target id: each a copy of its request's event
// with the read's target, client and record kind in place of the event's
// own (details.reads, grouped by record kind). It also checks what every read event must hold:
// client_ids is each client read once, sorted, client_id is set exactly
// when that is one client, and an event of one read has it as target.
func readEvents(t *testing.T, c *ent.Client, org pulid.ID) []*ent.AuditEvent {
	t.Helper()
	var out []*ent.AuditEvent
	for _, e := range rawReadEvents(t, c, org) {
		groups, _ := e.Details["reads"].([]any)
		clients := map[pulid.ID]bool{}
		n := 0
		for _, g := range groups {
			m, _ := g.(map[string]any)
			targets, _ := m["target_ids"].([]any)
			ids, _ := m["client_ids"].([]any)
			for i, target := range targets {
				one := *e
				one.TargetType, one.TargetID = fmt.Sprint(m["target_type"]), fmt.Sprint(target)
				one.Details = map[string]any{"record": m["record"]}
				client := pulid.ID(one.TargetID)
				if one.TargetType != "client" {
					client = ""
					if i < len(ids) {
						client = pulid.ID(fmt.Sprint(ids[i]))
					}
				}
				one.ClientID = nil
				if client != "" {
					one.ClientID = &client
					clients[client] = true
				}
				out = append(out, &one)
				n++
			}
		}
		list := out[len(out)-n:]
		want := slices.Sorted(maps.Keys(clients))
		if len(list) == 0 || !slices.Equal(e.ClientIds, want) ||
			(len(want) == 1) != (e.ClientID != nil) || (len(want) == 1 && *e.ClientID != want[0]) ||
			(len(list) == 1 && (e.TargetID != out[len(out)-1].TargetID || e.Details["record"] != out[len(out)-1].Details["record"])) {
			t.Errorf("read event %+v: client_ids %v, want %v", e, e.ClientIds, want)
		}
	}
	slices.SortStableFunc(out, func(a, b *ent.AuditEvent) int { return strings.Compare(a.TargetID, b.TargetID) })
	return out
}

func idOf(p *pulid.ID) pulid.ID {
	if p == nil {
		return ""
	}
	return *p
}

// ---------------------------------------------------------------------------
// Read audit over the real handler.

func setPHI(t *testing.T, c *ent.Client, clients ...*ent.Patient) {
	t.Helper()
	for i, p := range clients {
		c.Patient.UpdateOne(p).SetDateOfBirth(time.Date(1990+i, 4, 1, 0, 0, 0, 0, time.UTC)).
			SetGender("F").SetMedicalRecordNumber("MRN-" + p.GivenName).SetDiagnosis("F41.1").
			ExecX(sysCtx(p.OrganizationID))
	}
}

func TestReadAuditWritesOneEventNamingEveryClientRead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		setPHI(t, db.Client, a.clients...)
		c, drv := storetest.Record(db)
		r := gqlDo(t, db, a.viewer(), `{ clients { edges { node {
			id givenName dateOfBirth gender medicalRecordNumber diagnosis
			again: diagnosis
		} } } }`, nil, viaClient(c), withMeta(audit.Meta{IP: "203.0.113.7", UserAgent: "test", RequestID: "req-1"}))
		wantCodes(t, r)
		if !strings.Contains(dataOf(r), `"medicalRecordNumber":"MRN-Ada"`) {
			t.Fatalf("data = %s", dataOf(r))
		}
		if n := drv.Count("INSERT", "audit_events"); n != 1 {
			t.Errorf("%d INSERTs into audit_events, want 1", n)
		}
		if raw := rawReadEvents(t, db.Client, a.org.ID); len(raw) != 1 || raw[0].ClientID != nil || raw[0].TargetID != "" {
			t.Fatalf("%d read events, want 1 naming no single client: %+v", len(raw), raw)
		}
		evs := readEvents(t, db.Client, a.org.ID)
		if len(evs) != 3 {
			t.Fatalf("%d reads, want 3: %+v", len(evs), evs)
		}
		want := map[string]bool{}
		for _, p := range a.clients {
			want[string(p.ID)] = true
		}
		for _, e := range evs {
			if !want[e.TargetID] || e.TargetType != "client" || string(idOf(e.ClientID)) != e.TargetID ||
				e.ActorKind != auditevent.ActorKindUser || idOf(e.ActorID) != a.admin.ID ||
				e.Details["record"] != "CLIENT_PROFILE" || e.IP != "203.0.113.7" || e.RequestID != "req-1" {
				t.Errorf("event %+v", e)
			}
			delete(want, e.TargetID)
		}

		// The next request is audited again: the collector is per
		// operation. Installed twice (as when NewHandler adds it and a
		// caller adds it again), it still writes one event with one INSERT.
		drv.Reset()
		gqlDo(t, db, a.viewer(), `query($id: ID!) { node(id: $id) { ... on Client { gender diagnosis } } }`,
			map[string]any{"id": a.clients[0].ID}, viaClient(c), readAuditTwice)
		if n := len(readEvents(t, db.Client, a.org.ID)); n != 4 {
			t.Errorf("%d reads after a second request, want 4", n)
		}
		if raw := rawReadEvents(t, db.Client, a.org.ID); len(raw) != 2 || idOf(raw[1].ClientID) != a.clients[0].ID ||
			raw[1].TargetID != string(a.clients[0].ID) {
			t.Errorf("read events after a second request: %+v", raw)
		}
		if n := drv.Count("INSERT", "audit_events"); n != 1 {
			t.Errorf("%d INSERTs into audit_events with the extension twice, want 1", n)
		}
	})
}

func TestReadAuditIgnoresFieldsOutsideTheRecord(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		setPHI(t, db.Client, a.clients...)
		c, drv := storetest.Record(db)
		r := gqlDo(t, db, a.viewer(), `{ clients { edges { node { id status restricted businessUnit { name } } } } }`,
			nil, viaClient(c))
		wantCodes(t, r)
		if n := drv.Count("INSERT", "audit_events"); n != 0 {
			t.Errorf("%d INSERTs into audit_events for ids and status only", n)
		}
		if evs := readEvents(t, db.Client, a.org.ID); len(evs) != 0 {
			t.Errorf("events for ids and status only: %+v", evs)
		}
	})
}

func TestReadAuditRecordsNamesAndContactDetails(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		seen := 0
		for _, q := range []string{"givenName", "familyName", "preferredName", "phone", "address"} {
			r := gqlDo(t, db, a.viewer(), `{ clients { edges { node { `+q+` } } } }`, nil)
			wantCodes(t, r)
			evs := readEvents(t, db.Client, a.org.ID)
			if len(evs)-seen != len(a.clients) {
				t.Fatalf("%s: %d events, want one per client", q, len(evs)-seen)
			}
			seen = len(evs)
			for _, e := range evs {
				if e.TargetType != "client" || idOf(e.ClientID) != pulid.ID(e.TargetID) || e.Details["record"] != "CLIENT_PROFILE" {
					t.Errorf("%s: event %+v", q, e)
				}
			}
		}
	})
}

func TestReadAuditRefusedPHIIsNotAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		setPHI(t, db.Client, a.clients...)
		parent := addUser(t, db.Client, a.org.ID, "parent@acme.test", user.KindPortal)
		linkPortal(t, db.Client, parent, a.clients[0], portalPerms{documents: true, sessionsHomework: true})
		r := gqlDo(t, db, viewerOf(t, db.Client, parent),
			`query($id: ID!) { node(id: $id) { ... on Client { id dateOfBirth diagnosis } } }`,
			map[string]any{"id": a.clients[0].ID})
		wantCodes(t, r, "FORBIDDEN", "FORBIDDEN")
		if got := string(r.Data["node"]); got != `{"id":"`+string(a.clients[0].ID)+`","dateOfBirth":null,"diagnosis":null}` {
			t.Errorf("node = %s", got)
		}
		if evs := readEvents(t, db.Client, a.org.ID); len(evs) != 0 {
			t.Errorf("refused reads audited: %+v", evs)
		}
	})
}

// notesFixture: a clinician who reaches Ada and Ben by links and wrote a
// note on a session of each.
type notesFixture struct {
	clinician *ent.User
	notes     []*ent.SessionNote
	docs      []*ent.Document
}

func newNotesFixture(t *testing.T, c *ent.Client, a tenant) notesFixture {
	t.Helper()
	role := addRole(t, c, a.org.ID, "Clinician", authz.SessionsManageOwn, authz.DocumentsView, authz.DocumentsManage)
	clin := addUser(t, c, a.org.ID, "clin@acme.test", user.KindStaff, role)
	clin = c.User.UpdateOne(clin).SetScheduleAccess(user.ScheduleAccessEditOwn).SaveX(allowCtx())
	f := notesFixture{clinician: clin}
	for i, p := range a.clients[:2] {
		linkClient(t, c, clin, p)
		start := time.Date(2025, 3, 1+i, 9, 0, 0, 0, time.UTC)
		apt := c.Appointment.Create().SetOrganizationID(a.org.ID).SetClientID(p.ID).SetProviderID(clin.ID).
			SetStartsAt(start).SetEndsAt(start.Add(time.Hour)).SaveX(allowCtx())
		f.notes = append(f.notes, c.SessionNote.Create().SetOrganizationID(a.org.ID).SetAppointmentID(apt.ID).
			SetAuthorID(clin.ID).SetBody("body "+p.GivenName).SetTranscript("transcript").SaveX(allowCtx()))
		f.docs = append(f.docs, c.Document.Create().SetOrganizationID(a.org.ID).SetClientID(p.ID).
			SetTitle("Intake "+p.GivenName).SetFileName("intake.pdf").SetStorageKey("k"+p.GivenName).SaveX(allowCtx()))
	}
	return f
}

func TestReadAuditSessionNotes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		f := newNotesFixture(t, db.Client, a)
		v := viewerOf(t, db.Client, f.clinician)

		// Loaded through node(): the note carries no appointment_id; the
		// client is resolved at flush.
		r := gqlDo(t, db, v, `query($id: ID!) { node(id: $id) { ... on SessionNote { body transcript } } }`,
			map[string]any{"id": f.notes[0].ID})
		wantCodes(t, r)
		if got := string(r.Data["node"]); got != `{"body":"body Ada","transcript":"transcript"}` {
			t.Fatalf("node = %s", got)
		}
		evs := readEvents(t, db.Client, a.org.ID)
		if len(evs) != 1 || evs[0].TargetType != "session_note" || evs[0].TargetID != string(f.notes[0].ID) ||
			idOf(evs[0].ClientID) != a.clients[0].ID || idOf(evs[0].ActorID) != f.clinician.ID ||
			evs[0].Details["record"] != "SESSION_NOTE" {
			t.Fatalf("events = %+v", evs)
		}

		// Through the clients' sessions: one event per note, each with its
		// own client; the notes' private flag is not audited.
		r = gqlDo(t, db, v, `{ clients(first: 10) { edges { node { id appointments(first: 10) { edges { node { notes { body private } } } } } } } }`, nil)
		wantCodes(t, r)
		evs = readEvents(t, db.Client, a.org.ID)
		if len(evs) != 3 {
			t.Fatalf("%d events, want 3", len(evs))
		}
		byNote := map[pulid.ID]int{}
		for _, e := range evs {
			for i, n := range f.notes {
				if e.TargetID == string(n.ID) && idOf(e.ClientID) == a.clients[i].ID {
					byNote[n.ID]++
				}
			}
		}
		if byNote[f.notes[0].ID] != 2 || byNote[f.notes[1].ID] != 1 {
			t.Errorf("events by note = %v (%+v)", byNote, evs)
		}

		// The administrator without session view sees no notes, and so
		// reads none.
		r = gqlDo(t, db, a.viewer(), `query($id: ID!) { node(id: $id) { ... on SessionNote { body } } }`,
			map[string]any{"id": f.notes[1].ID})
		wantCodes(t, r)
		if string(r.Data["node"]) != "null" {
			t.Errorf("admin read a note without session view: %s", r.Data["node"])
		}
		if n := len(readEvents(t, db.Client, a.org.ID)); n != 3 {
			t.Errorf("%d events after an invisible note, want 3", n)
		}
	})
}

func TestReadAuditDocuments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		f := newNotesFixture(t, db.Client, a)
		r := gqlDo(t, db, a.viewer(), `query($id: ID!) {
			node(id: $id) { ... on Client { documents { edges { node { title fileName } } } } }
		}`, map[string]any{"id": a.clients[1].ID})
		wantCodes(t, r)
		if !strings.Contains(string(r.Data["node"]), `"title":"Intake Ben"`) {
			t.Fatalf("node = %s", r.Data["node"])
		}
		r = gqlDo(t, db, a.viewer(), `query($id: ID!) { node(id: $id) { ... on Document { title client { id } } } }`,
			map[string]any{"id": f.docs[0].ID})
		wantCodes(t, r)
		// Metadata only: no event.
		gqlDo(t, db, a.viewer(), `query($id: ID!) { node(id: $id) { ... on Document { contentType sizeBytes } } }`,
			map[string]any{"id": f.docs[1].ID})

		evs := readEvents(t, db.Client, a.org.ID)
		if len(evs) != 2 {
			t.Fatalf("%d events, want 2: %+v", len(evs), evs)
		}
		for _, e := range evs {
			i := slices.IndexFunc(f.docs, func(d *ent.Document) bool { return string(d.ID) == e.TargetID })
			if i < 0 || e.TargetType != "document" || idOf(e.ClientID) != a.clients[i].ID || e.Details["record"] != "DOCUMENT" {
				t.Errorf("event %+v", e)
			}
		}
	})
}

func TestReadAuditFailureWithholdsTheResponse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		setPHI(t, db.Client, a.clients...)
		broken, drv := storetest.Record(db)
		drv.FailOn("audit_events")
		var logs syncBuffer
		r := gqlDo(t, db, a.viewer(), `{ clients { edges { node { diagnosis } } } }`, nil,
			auditVia(broken), logTo(&logs))
		wantCodes(t, r, "INTERNAL")
		if strings.Contains(dataOf(r), "F41.1") || len(r.Data) != 0 {
			t.Errorf("unaudited data left the server: %s", dataOf(r))
		}
		if !strings.Contains(logs.String(), "audit of record reads failed") || !strings.Contains(logs.String(), "3 reads") {
			t.Errorf("log = %q", logs.String())
		}
		if drv.Count("INSERT", "audit_events") != 1 {
			t.Errorf("statements = %q", drv.Statements())
		}
	})
}

func TestReadAuditCoversEveryPartOfAClientRecord(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		f := newNotesFixture(t, db.Client, a)
		ada := a.clients[0]
		db.Client.Homework.Create().SetOrganizationID(a.org.ID).SetClientID(ada.ID).SetTitle("Practice /s/").SaveX(allowCtx())
		db.Client.SurveyResponse.Create().SetOrganizationID(a.org.ID).SetClientID(ada.ID).SetSurveyName("Intake").
			SetAnswers(map[string]any{"mood": "low"}).SaveX(allowCtx())
		db.Client.Invoice.Create().SetOrganizationID(a.org.ID).SetClientID(ada.ID).SetNumber("INV-1").SetAmountCents(100).SaveX(allowCtx())
		r := gqlDo(t, db, a.viewer(), `query($id: ID!) { node(id: $id) { ... on Client {
			appointments { edges { node { startsAt } } }
			homework { edges { node { title } } }
			surveyResponses { edges { node { answers } } }
			invoices { edges { node { number } } }
			documents { edges { node { fileName } } }
		} } }`, map[string]any{"id": ada.ID})
		wantCodes(t, r)
		got := map[string]int{}
		for _, e := range readEvents(t, db.Client, a.org.ID) {
			if idOf(e.ClientID) != ada.ID {
				t.Errorf("event on another client: %+v", e)
			}
			got[e.Details["record"].(string)+"/"+e.TargetType]++
		}
		want := map[string]int{"APPOINTMENT/appointment": 1, "HOMEWORK/homework": 1, "SURVEY_RESPONSE/survey_response": 1,
			"INVOICE/invoice": 1, "DOCUMENT/document": 1}
		if !maps.Equal(got, want) {
			t.Errorf("events = %v, want %v", got, want)
		}
		_ = f
	})
}

func TestReadAuditNeedsAClient(t *testing.T) {
	if err := (graph.ReadAudit{}).Validate(nil); err == nil {
		t.Error("ReadAudit without a client validated")
	}
}

// ---------------------------------------------------------------------------
// The audit trail query.

const auditEventsQuery = `query($where: AuditEventWhereInput, $first: Int, $after: Cursor) {
	auditEvents(where: $where, orderBy: {field: OCCURRED_AT, direction: DESC}, first: $first, after: $after) {
		totalCount
		edges { cursor node { id action actorID clientID clientIds occurredAt details } }
		pageInfo { hasNextPage endCursor }
	}
}`

type auditPage struct {
	TotalCount int
	Edges      []struct {
		Cursor string
		Node   struct {
			ID, Action string
			ActorID    *string
			ClientID   *string
			ClientIds  []string
			OccurredAt time.Time
			Details    map[string]any
		}
	}
	PageInfo struct {
		HasNextPage bool
		EndCursor   *string
	}
}

func (p auditPage) ids() []string {
	out := make([]string, len(p.Edges))
	for i, e := range p.Edges {
		out[i] = e.Node.ID
	}
	return out
}

func queryAudit(t *testing.T, db *store.DB, v *viewer.Viewer, where map[string]any, first int, after string) auditPage {
	t.Helper()
	vars := map[string]any{"where": where}
	if first > 0 {
		vars["first"] = first
	}
	if after != "" {
		vars["after"] = after
	}
	r := gqlDo(t, db, v, auditEventsQuery, vars)
	wantCodes(t, r)
	var p auditPage
	dataField(t, r, "auditEvents", &p)
	return p
}

// A page of clients is one read event naming every client on it; the
// trail's clientID filter finds it for each of them, at any level of
// not/and/or, and for no one else.
func TestAuditTrailFindsEveryClientOfAPageOfReads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		b := newTenant(t, db.Client, "bravo")
		r := gqlDo(t, db, a.viewer(), `{ clients(first: 2, orderBy: {field: GIVEN_NAME}) { edges { node { givenName } } } }`, nil)
		wantCodes(t, r)
		ada, ben, cy := a.clients[0].ID, a.clients[1].ID, a.clients[2].ID
		page := rawReadEvents(t, db.Client, a.org.ID)
		if len(page) != 1 || !slices.Equal(page[0].ClientIds, slices.Sorted(slices.Values([]pulid.ID{ada, ben}))) {
			t.Fatalf("read events = %+v", page)
		}
		// Cy was read alone, later; Ada's access was granted (a column
		// event, not a read).
		r = gqlDo(t, db, a.viewer(), `query($id: ID!) { node(id: $id) { ... on Client { givenName } } }`, map[string]any{"id": cy})
		wantCodes(t, r)
		single := rawReadEvents(t, db.Client, a.org.ID)[1]
		grant := db.Client.AuditEvent.Create().SetOrganizationID(a.org.ID).SetAction(audit.AccessGranted).
			SetActorKind(auditevent.ActorKindSystem).SetClientID(ada).SaveX(allowCtx())
		pg, one, gr := string(page[0].ID), string(single.ID), string(grant.ID)
		for _, tc := range []struct {
			name  string
			where map[string]any
			want  []string
		}{
			{"a client on the page", map[string]any{"clientID": ben}, []string{pg}},
			{"a client on the page and a grant", map[string]any{"clientID": ada}, []string{gr, pg}},
			{"a client read alone", map[string]any{"clientID": cy}, []string{one}},
			{"clientIDIn", map[string]any{"clientIDIn": []pulid.ID{ben, cy}}, []string{one, pg}},
			{"inside or", map[string]any{"or": []any{map[string]any{"clientID": ben}, map[string]any{"action": "none"}}}, []string{pg}},
			{"inside and", map[string]any{"and": []any{map[string]any{"clientID": ada}, map[string]any{"action": audit.ClientRecordRead}}}, []string{pg}},
			{"inside not", map[string]any{"not": map[string]any{"clientID": ben}, "action": audit.ClientRecordRead}, []string{one}},
			{"another organization's client", map[string]any{"clientID": b.clients[0].ID}, nil},
			{"the column alone", map[string]any{"clientIDNotNil": true, "action": audit.ClientRecordRead}, []string{one}},
		} {
			p := queryAudit(t, db, a.viewer(), tc.where, 0, "")
			if !slices.Equal(p.ids(), tc.want) || p.TotalCount != len(tc.want) {
				t.Errorf("%s: ids %v (total %d), want %v", tc.name, p.ids(), p.TotalCount, tc.want)
			}
		}
		p := queryAudit(t, db, a.viewer(), map[string]any{"id": pg}, 0, "")
		if len(p.Edges) != 1 || len(p.Edges[0].Node.ClientIds) != 2 || p.Edges[0].Node.ClientID != nil {
			t.Errorf("page event over GraphQL = %+v", p.Edges)
		}
		// The other organization's administrator finds none of it.
		if p := queryAudit(t, db, b.viewer(), map[string]any{"clientID": ben}, 0, ""); len(p.Edges) != 0 {
			t.Errorf("bravo sees acme's reads: %+v", p.Edges)
		}
		// A user without audit.view is refused, filter or not.
		clin := addUser(t, db.Client, a.org.ID, "clin@acme.test", user.KindStaff,
			addRole(t, db.Client, a.org.ID, "Clinician", authz.SessionsManageOwn))
		linkClient(t, db.Client, clin, a.clients[1])
		for _, where := range []map[string]any{{"clientID": ben}, {"clientIDIn": []pulid.ID{ben}}} {
			r := gqlDo(t, db, viewerOf(t, db.Client, clin), auditEventsQuery, map[string]any{"where": where})
			wantCodes(t, r, "FORBIDDEN")
			if s := string(r.Data["auditEvents"]); s != "" && s != "null" {
				t.Errorf("clinician with %v: auditEvents = %s", where, s)
			}
		}
	})
}

func TestAuditTrailQuery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		b := newTenant(t, db.Client, "bravo")
		clinRole := addRole(t, db.Client, a.org.ID, "Clinician", authz.SessionsManageOwn, authz.EmergencyAccessUse)
		clin := addUser(t, db.Client, a.org.ID, "clin@acme.test", user.KindStaff, clinRole)
		ada, ben := a.clients[0].ID, a.clients[1].ID
		t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		seed := []struct {
			actor  pulid.ID
			client pulid.ID
			action string
		}{
			{a.admin.ID, ada, audit.AccessGranted},
			{clin.ID, ada, audit.ClientRecordRead},
			{clin.ID, ben, audit.ClientRecordRead},
			{a.admin.ID, ben, audit.AccessRevoked},
			{clin.ID, ada, audit.ClientRecordRead},
			{"", "", audit.OrgBootstrapped},
		}
		ev := make([]string, len(seed)) // ev[i] happened at t0 + i hours
		for i, s := range seed {
			c := db.Client.AuditEvent.Create().SetOrganizationID(a.org.ID).SetAction(s.action).
				SetOccurredAt(t0.Add(time.Duration(i) * time.Hour)).SetActorKind(auditevent.ActorKindSystem)
			if s.actor != "" {
				c.SetActorKind(auditevent.ActorKindUser).SetActorID(s.actor)
			}
			if s.client != "" {
				c.SetClientID(s.client)
			}
			ev[i] = string(c.SaveX(allowCtx()).ID)
		}
		other := db.Client.AuditEvent.Create().SetOrganizationID(b.org.ID).SetAction(audit.ClientRecordRead).
			SetOccurredAt(t0.Add(90 * time.Minute)).SetActorKind(auditevent.ActorKindUser).SetActorID(b.admin.ID).
			SetClientID(b.clients[0].ID).SaveX(allowCtx())
		av := a.viewer()
		desc := func(is ...int) []string {
			out := make([]string, len(is))
			for j, i := range is {
				out[j] = ev[i]
			}
			return out
		}

		for _, tc := range []struct {
			name  string
			where map[string]any
			want  []string
		}{
			{"all", nil, desc(5, 4, 3, 2, 1, 0)},
			{"actor", map[string]any{"actorID": clin.ID}, desc(4, 2, 1)},
			{"client", map[string]any{"clientID": ada}, desc(4, 1, 0)},
			{"action", map[string]any{"action": audit.ClientRecordRead}, desc(4, 2, 1)},
			{"window", map[string]any{"occurredAtGTE": t0.Add(time.Hour), "occurredAtLT": t0.Add(3 * time.Hour)}, desc(2, 1)},
			{"all filters", map[string]any{"actorID": clin.ID, "clientID": ada, "action": audit.ClientRecordRead,
				"occurredAtGTE": t0.Add(2 * time.Hour), "occurredAtLT": t0.Add(5 * time.Hour)}, desc(4)},
			{"other org's client", map[string]any{"clientID": b.clients[0].ID}, nil},
			{"other org's actor", map[string]any{"actorID": b.admin.ID}, nil},
			{"other org's event", map[string]any{"id": other.ID}, nil},
		} {
			p := queryAudit(t, db, av, tc.where, 0, "")
			if !slices.Equal(p.ids(), tc.want) || p.TotalCount != len(tc.want) {
				t.Errorf("%s: ids %v (total %d), want %v", tc.name, p.ids(), p.TotalCount, tc.want)
			}
		}

		// Pagination, newest first, with and without a filter; totalCount
		// is the whole selection on every page.
		var got []string
		after := ""
		for page := 0; ; page++ {
			p := queryAudit(t, db, av, nil, 2, after)
			if p.TotalCount != 6 || len(p.Edges) != 2 {
				t.Fatalf("page %d: total %d, %d edges", page, p.TotalCount, len(p.Edges))
			}
			got = append(got, p.ids()...)
			if !p.PageInfo.HasNextPage {
				break
			}
			if page > 3 {
				t.Fatal("pagination does not end")
			}
			after = *p.PageInfo.EndCursor
		}
		if !slices.Equal(got, desc(5, 4, 3, 2, 1, 0)) {
			t.Errorf("pages = %v", got)
		}
		p := queryAudit(t, db, av, map[string]any{"actorID": clin.ID}, 2, "")
		if !slices.Equal(p.ids(), desc(4, 2)) || p.TotalCount != 3 || !p.PageInfo.HasNextPage {
			t.Errorf("filtered page 1 = %v (total %d)", p.ids(), p.TotalCount)
		}
		p = queryAudit(t, db, av, map[string]any{"actorID": clin.ID}, 2, *p.PageInfo.EndCursor)
		if !slices.Equal(p.ids(), desc(1)) || p.TotalCount != 3 || p.PageInfo.HasNextPage {
			t.Errorf("filtered page 2 = %v (total %d)", p.ids(), p.TotalCount)
		}

		// The other organization's administrator sees only its own event,
		// and neither administrator reaches the other's events by id.
		p = queryAudit(t, db, b.viewer(), nil, 0, "")
		if !slices.Equal(p.ids(), []string{string(other.ID)}) {
			t.Errorf("bravo sees %v", p.ids())
		}
		r := gqlDo(t, db, av, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": other.ID})
		wantCodes(t, r)
		if string(r.Data["node"]) != "null" {
			t.Errorf("node(other org's event) = %s", r.Data["node"])
		}

		// Without audit.view: a clear FORBIDDEN, no events.
		for name, v := range map[string]*viewer.Viewer{
			"clinician": viewerOf(t, db.Client, clin),
			"portal":    viewerOf(t, db.Client, addUser(t, db.Client, a.org.ID, "parent@acme.test", user.KindPortal)),
		} {
			r := gqlDo(t, db, v, auditEventsQuery, nil)
			wantCodes(t, r, "FORBIDDEN")
			if s := string(r.Data["auditEvents"]); s != "" && s != "null" {
				t.Errorf("%s: auditEvents = %s", name, s)
			}
			if r.Errors[0].Message != "forbidden" || len(r.Errors[0].Path) != 1 || r.Errors[0].Path[0] != "auditEvents" {
				t.Errorf("%s: error = %+v", name, r.Errors[0])
			}
			r = gqlDo(t, db, v, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": ev[0]})
			if string(r.Data["node"]) != "null" {
				t.Errorf("%s: node(event) = %s %+v", name, r.Data["node"], r.Errors)
			}
		}
	})
}

func TestAuditEventsAreAppendOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		sys := sysCtx(a.org.ID)
		if err := audit.Record(sys, db.Client, audit.Event{Action: audit.AccessGranted, TargetType: "client_access", TargetID: "x"}); err != nil {
			t.Fatal(err)
		}
		e := db.Client.AuditEvent.Query().OnlyX(sys)
		for name, ctx := range map[string]context.Context{
			"system": sys, "privacy allow": allowCtx(),
			"administrator": viewer.NewContext(context.Background(), a.viewer()),
		} {
			// A user has no write decision for it, and is refused before
			// the append-only hook; the server and an Allow decision reach
			// the hook, which refuses them.
			var want error = schema.ErrAppendOnly
			if name == "administrator" {
				want = privacy.Deny
			}
			_, deleteErr := db.Client.AuditEvent.Delete().Exec(ctx)
			for op, err := range map[string]error{
				"update one": db.Client.AuditEvent.UpdateOne(e).Exec(ctx),
				"update":     db.Client.AuditEvent.Update().Exec(ctx),
				"delete one": db.Client.AuditEvent.DeleteOne(e).Exec(ctx),
				"delete":     deleteErr,
			} {
				if !errors.Is(err, want) {
					t.Errorf("%s, %s: err = %v, want %v", name, op, err, want)
				}
			}
		}
		if n := db.Client.AuditEvent.Query().CountX(sys); n != 1 {
			t.Errorf("%d events, want 1", n)
		}
		// Nor in a transaction.
		tx, err := db.Client.Tx(sys)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.AuditEvent.Delete().Exec(sys); !errors.Is(err, schema.ErrAppendOnly) {
			t.Errorf("tx delete: err = %v", err)
		}
		tx.Rollback()
	})
}

// syncBuffer collects what the server under test logs.
type syncBuffer = logtest.Buffer
