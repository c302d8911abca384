package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqljson"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/appointment"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/clientcontact"
	"github.com/clinicgate/clinicgate/ent/document"
	"github.com/clinicgate/clinicgate/ent/homework"
	"github.com/clinicgate/clinicgate/ent/invoice"
	"github.com/clinicgate/clinicgate/ent/predicate"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/sessionnote"
	"github.com/clinicgate/clinicgate/ent/surveyresponse"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/logging"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Audited record kinds, as the GraphQL @audit directive names them.
const (
	RecordClientProfile  = "CLIENT_PROFILE"
	RecordAppointment    = "APPOINTMENT"
	RecordSessionNote    = "SESSION_NOTE"
	RecordDocument       = "DOCUMENT"
	RecordHomework       = "HOMEWORK"
	RecordSurveyResponse = "SURVEY_RESPONSE"
	RecordInvoice        = "INVOICE"
)

// Target types of read events, by the row that was read.
const (
	targetClient         = "client"
	targetAppointment    = "appointment"
	targetSessionNote    = "session_note"
	targetDocument       = "document"
	targetHomework       = "homework"
	targetSurveyResponse = "survey_response"
	targetInvoice        = "invoice"
	targetClientContact  = "client_contact"
)

// reads collects the protected reads of one request: one entry per
// (record kind, row), however many fields of the row were read. Field
// resolvers run concurrently, so every access takes mu.
type reads struct {
	mu      sync.Mutex
	seen    map[readKey]struct{}
	pending []read
}

type readKey struct {
	record string
	id     pulid.ID
}

type read struct {
	record     string
	targetType string
	targetID   pulid.ID
	// clientID is the client whose record this is; empty until resolved
	// at flush (session notes always; other records loaded without
	// client_id, which GraphQL field collection leaves out unless the
	// client edge is selected).
	clientID pulid.ID
}

type readsKey struct{}

// WithReads returns ctx carrying a fresh collector of protected reads; the
// GraphQL transport installs one per operation and calls FlushReads once
// the response is computed. A collector installed inside another one
// shadows it: the reads go to the innermost, which its installer flushes.
func WithReads(ctx context.Context) context.Context {
	return context.WithValue(ctx, readsKey{}, &reads{seen: map[readKey]struct{}{}})
}

func readsFrom(ctx context.Context) *reads {
	r, _ := ctx.Value(readsKey{}).(*reads)
	return r
}

// NoteRead records that the viewer read part of a client record (record is
// one of the Record kinds; obj the row: *ent.Patient, *ent.Appointment,
// *ent.SessionNote, *ent.Document, *ent.Homework, *ent.SurveyResponse,
// *ent.Invoice or *ent.ClientContact). Reads are collected per request,
// one per (record kind, row), and written once by FlushReads. Without a
// collector in ctx (see WithReads) it does nothing. It is safe for
// concurrent use.
func NoteRead(ctx context.Context, record string, obj any) {
	r := readsFrom(ctx)
	if r == nil {
		return
	}
	var e read
	switch o := obj.(type) {
	case *ent.Patient:
		if o == nil {
			return
		}
		e = read{record: record, targetType: targetClient, targetID: o.ID, clientID: o.ID}
	case *ent.SessionNote:
		if o == nil {
			return
		}
		e = read{record: record, targetType: targetSessionNote, targetID: o.ID}
	case *ent.Appointment:
		if o == nil {
			return
		}
		e = read{record: record, targetType: targetAppointment, targetID: o.ID, clientID: o.ClientID}
	case *ent.Document:
		if o == nil {
			return
		}
		e = read{record: record, targetType: targetDocument, targetID: o.ID, clientID: o.ClientID}
	case *ent.Homework:
		if o == nil {
			return
		}
		e = read{record: record, targetType: targetHomework, targetID: o.ID, clientID: o.ClientID}
	case *ent.SurveyResponse:
		if o == nil {
			return
		}
		e = read{record: record, targetType: targetSurveyResponse, targetID: o.ID, clientID: o.ClientID}
	case *ent.Invoice:
		if o == nil {
			return
		}
		e = read{record: record, targetType: targetInvoice, targetID: o.ID, clientID: o.ClientID}
	case *ent.ClientContact:
		if o == nil {
			return
		}
		e = read{record: record, targetType: targetClientContact, targetID: o.ID, clientID: o.ClientID}
	default:
		// A directive placed on a type this collector does not know: the
		// read cannot be attributed to a row. Loud, so the schema is fixed.
		logging.FromContext(ctx).Error("audit: read of an unsupported record type is not audited",
			slog.String("record", record), slog.String("type", fmt.Sprintf("%T", obj)))
		return
	}
	if e.targetID == "" {
		logging.FromContext(ctx).Error("audit: read of a row without id is not audited",
			slog.String("record", record), slog.String("type", fmt.Sprintf("%T", obj)))
		return
	}
	k := readKey{record: record, id: e.targetID}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.seen[k]; dup {
		return
	}
	r.seen[k] = struct{}{}
	r.pending = append(r.pending, e)
}

// drain returns the reads collected so far and empties the collector, so
// that a second flush writes only what was read since the first. The
// dedup set is kept: a row already audited in this request is not audited
// again.
func (r *reads) drain() []read {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.pending
	r.pending = nil
	return out
}

// FlushReads writes the reads collected in ctx (see WithReads) as one
// client.record_read event, as the viewer in ctx (see readEvent for its
// shape), through b: with the events of requests flushing at the same
// time, and committed when it returns. Client ids that the rows read did
// not carry (session notes: through their appointment) are resolved with
// one query per record kind, as the server. Without a collector, or with
// nothing read, it does nothing. The error says the reads were not
// recorded; a read recorded without its client id is only logged.
func FlushReads(ctx context.Context, b *Batch) error {
	r := readsFrom(ctx)
	if r == nil {
		return nil
	}
	pending := r.drain()
	if len(pending) == 0 {
		return nil
	}
	v := viewer.FromContext(ctx)
	if v == nil || v.OrgID == "" {
		return fmt.Errorf("audit: %d reads without a viewer were not recorded", len(pending))
	}
	c := b.Client()
	// Resolution failures do not stop the write: an event without its
	// client id is better than no event.
	resolveErr := resolveClients(viewer.ForSystem(ctx, v.OrgID), c, pending)
	ctx, err := authz.Require(ctx, c, authz.RecordReads, authz.Target{})
	if err != nil {
		return fmt.Errorf("audit: %d reads were not recorded: %w", len(pending), err)
	}
	if err := b.Record(ctx, readEvent(v.OrgID, pending)); err != nil {
		return errors.Join(fmt.Errorf("audit: %d reads were not recorded: %w", len(pending), err), resolveErr)
	}
	if resolveErr != nil {
		// Recorded, some without their client id: logged, not failed.
		logging.FromContext(ctx).Error("audit: reads recorded without their client", slog.String("error", resolveErr.Error()))
	}
	return nil
}

// readEvent is the one event of a request's reads, in the spirit of a FHIR
// AuditEvent with one entity per record read. details.reads groups the
// rows read by record kind and target type, in the order first read:
// target_ids in the order read and, for rows that are not the client
// itself, client_ids beside them ("" where unresolved). client_ids (the
// column) holds each client read once, sorted, and is what "who read this
// client's record" searches (the auditEvents clientID filter, a GIN index
// on PostgreSQL). A request that read one row has that row as its target
// and details.record as before; one that read one client's record has
// client_id set too. One event rather than one per row: a page of fifty
// names cost fifty rows, each entered in five indexes and rewritten once
// more by the sealer, which made the audit three times the cost of the
// page itself; grouped ids rather than an object per row keep the event
// small to store, hash and seal.
func readEvent(org pulid.ID, pending []read) Event {
	e := Event{Org: org, Action: ClientRecordRead}
	var groups []*readGroup
	byKind := map[[2]string]*readGroup{}
	seen := map[pulid.ID]bool{}
	for _, p := range pending {
		k := [2]string{p.record, p.targetType}
		g := byKind[k]
		if g == nil {
			g = &readGroup{Record: p.record, TargetType: p.targetType}
			byKind[k] = g
			groups = append(groups, g)
		}
		g.TargetIDs = append(g.TargetIDs, p.targetID)
		if p.targetType != targetClient {
			g.ClientIDs = append(g.ClientIDs, p.clientID)
		}
		if p.clientID != "" && !seen[p.clientID] {
			seen[p.clientID] = true
			e.ClientIDs = append(e.ClientIDs, p.clientID)
		}
	}
	slices.Sort(e.ClientIDs)
	e.Details = map[string]any{"reads": groups}
	if len(pending) == 1 {
		e.TargetType, e.TargetID = pending[0].targetType, string(pending[0].targetID)
		e.Details["record"] = pending[0].record
	}
	if len(e.ClientIDs) == 1 {
		e.ClientID = e.ClientIDs[0]
	}
	return e
}

// readGroup is one entry of a read event's details.reads.
type readGroup struct {
	Record     string     `json:"record"`
	TargetType string     `json:"target_type"`
	TargetIDs  []pulid.ID `json:"target_ids"`
	ClientIDs  []pulid.ID `json:"client_ids,omitempty"`
}

// idClient is a record's id and its client's.
type idClient struct {
	ID       string `sql:"id"`
	ClientID string `sql:"client_id"`
}

// resolveClients fills in the client ids of pending reads that lack one,
// with one query per record kind: session notes through their appointment
// (one query joining the two), the other records from their client_id.
// sys is the server's context for the viewer's organization.
func resolveClients(sys context.Context, c *ent.Client, pending []read) error {
	scans := map[string]func(ids []pulid.ID, rows *[]idClient) error{
		targetSessionNote: func(ids []pulid.ID, rows *[]idClient) error {
			return c.SessionNote.Query().
				Where(sessionnote.IDIn(ids...)).
				Modify(func(s *sql.Selector) {
					a := sql.Table(appointment.Table)
					s.Join(a).On(s.C(sessionnote.FieldAppointmentID), a.C(appointment.FieldID))
					s.Select(s.C(sessionnote.FieldID), sql.As(a.C(appointment.FieldClientID), "client_id"))
				}).
				Scan(sys, rows)
		},
		targetAppointment: func(ids []pulid.ID, rows *[]idClient) error {
			return c.Appointment.Query().Where(appointment.IDIn(ids...)).
				Select(appointment.FieldID, appointment.FieldClientID).Scan(sys, rows)
		},
		targetDocument: func(ids []pulid.ID, rows *[]idClient) error {
			return c.Document.Query().Where(document.IDIn(ids...)).
				Select(document.FieldID, document.FieldClientID).Scan(sys, rows)
		},
		targetHomework: func(ids []pulid.ID, rows *[]idClient) error {
			return c.Homework.Query().Where(homework.IDIn(ids...)).
				Select(homework.FieldID, homework.FieldClientID).Scan(sys, rows)
		},
		targetSurveyResponse: func(ids []pulid.ID, rows *[]idClient) error {
			return c.SurveyResponse.Query().Where(surveyresponse.IDIn(ids...)).
				Select(surveyresponse.FieldID, surveyresponse.FieldClientID).Scan(sys, rows)
		},
		targetInvoice: func(ids []pulid.ID, rows *[]idClient) error {
			return c.Invoice.Query().Where(invoice.IDIn(ids...)).
				Select(invoice.FieldID, invoice.FieldClientID).Scan(sys, rows)
		},
		targetClientContact: func(ids []pulid.ID, rows *[]idClient) error {
			return c.ClientContact.Query().Where(clientcontact.IDIn(ids...)).
				Select(clientcontact.FieldID, clientcontact.FieldClientID).Scan(sys, rows)
		},
	}
	missing := map[string][]pulid.ID{}
	for _, p := range pending {
		if p.clientID == "" {
			missing[p.targetType] = append(missing[p.targetType], p.targetID)
		}
	}
	clients := map[pulid.ID]pulid.ID{}
	var errs []error
	for target, ids := range missing {
		scan, ok := scans[target]
		if !ok {
			errs = append(errs, fmt.Errorf("audit: no way to find the clients of %s reads", target))
			continue
		}
		var rows []idClient
		if err := scan(ids, &rows); err != nil {
			errs = append(errs, fmt.Errorf("audit: resolve clients of %s reads: %w", target, err))
		}
		for _, row := range rows {
			clients[pulid.ID(row.ID)] = pulid.ID(row.ClientID)
		}
	}
	for i := range pending {
		if pending[i].clientID == "" {
			pending[i].clientID = clients[pending[i].targetID]
		}
	}
	return errors.Join(errs...)
}

// ProvisioningRead is the action of an identity provider's read of users
// or groups over SCIM: one event per request, like the reads of client
// records.
const ProvisioningRead = "scim.resource_read"

// RecordProvisioningReads writes one ProvisioningRead event for the ids
// of targetType ("user" or "group") that an identity provider read in
// this request, with the token as the actor: details.target_ids lists
// them in the order read, and an event of one read has it as its target.
// A list of a hundred users is one row, not a hundred. An error means it
// was not written: the caller answers without the data (reads fail
// closed, as everywhere).
func RecordProvisioningReads(ctx context.Context, c *ent.Client, targetType string, ids []pulid.ID) error {
	if len(ids) == 0 {
		return nil
	}
	v := viewer.FromContext(ctx)
	if v == nil || v.OrgID == "" {
		return fmt.Errorf("audit: %d reads without a viewer were not recorded", len(ids))
	}
	ctx, err := authz.Require(ctx, c, authz.RecordReads, authz.Target{})
	if err != nil {
		return fmt.Errorf("audit: %d reads were not recorded: %w", len(ids), err)
	}
	e := Event{Org: v.OrgID, Action: ProvisioningRead, TargetType: targetType,
		Details: map[string]any{"target_ids": ids}}
	if len(ids) == 1 {
		e.TargetID = string(ids[0])
	}
	if err := RecordBatch(ctx, c, []Event{e}); err != nil {
		return fmt.Errorf("audit: %d reads were not recorded: %w", len(ids), err)
	}
	return nil
}

// ConcernsClient matches the events that concern client id: those whose
// client_id is id, and the read events that name it among their
// client_ids (see readEvent). On PostgreSQL the second is jsonb
// containment, which the GIN index on client_ids answers; on SQLite a
// json_each probe.
func ConcernsClient(id pulid.ID) predicate.AuditEvent {
	return auditevent.Or(auditevent.ClientIDEQ(id), func(s *sql.Selector) {
		s.Where(sqljson.ValueContains(s.C(auditevent.FieldClientIds), string(id)))
	})
}
