package graph

import (
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/predicate"
	"github.com/clinicgate/clinicgate/internal/audit"
)

// clientConcerned makes the auditEvents filters clientID and clientIDIn
// mean "events that concern the client": a request's reads are one event
// naming every client read in client_ids, with client_id set only when it
// read one client's record (internal/audit readEvent), so a filter on the
// column alone would miss the page a client appeared on. The other client
// filters (clientIDIsNil, clientIDNEQ, …) stay about the column. It
// rewrites w in place, at every level of not/and/or, and returns it.
func clientConcerned(w *ent.AuditEventWhereInput) *ent.AuditEventWhereInput {
	if w == nil {
		return nil
	}
	if w.ClientID != nil {
		w.AddPredicates(audit.ConcernsClient(*w.ClientID))
		w.ClientID = nil
	}
	if len(w.ClientIDIn) > 0 { // an empty list filters nothing, as in ent
		ps := make([]predicate.AuditEvent, len(w.ClientIDIn))
		for i, id := range w.ClientIDIn {
			ps[i] = audit.ConcernsClient(id)
		}
		w.AddPredicates(auditevent.Or(ps...))
		w.ClientIDIn = nil
	}
	clientConcerned(w.Not)
	for _, o := range w.Or {
		clientConcerned(o)
	}
	for _, a := range w.And {
		clientConcerned(a)
	}
	return w
}
