package authz

import (
	"context"
	"slices"
	"time"

	entgo "entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/clinicgate/clinicgate/ent/clientaccess"
	"github.com/clinicgate/clinicgate/ent/emergencyaccess"
	"github.com/clinicgate/clinicgate/ent/patient"
	"github.com/clinicgate/clinicgate/ent/portalaccess"
	"github.com/clinicgate/clinicgate/ent/predicate"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// ClientsVisible returns the SQL predicate selecting the clients v can reach
// at now, by the paths of DOMAIN.md and no other:
//
//  1. an organization-wide privilege (not restricted clients);
//  2. an explicit link, until its (exclusive) expiry;
//  3. the client's business unit among v's, with the business-unit
//     privilege (not restricted clients);
//  4. an open emergency (break-glass) window;
//  5. for portal users, a portal link — and nothing else.
//
// The shape is chosen for the planner: the first page of a list ordered by
// id, its count and a single decision must cost the same at 1,000 and at
// 100,000 clients (see internal/authz/authzbench). Which paths exist at all
// is decided here in Go from the viewer's privileges, so a user without the
// business-unit privilege gets no business-unit clause in SQL.
//
// The per-user paths (links, emergency) are one set of ids computed once —
// on PostgreSQL as "id = ANY(ARRAY(subquery))", an init plan whose result
// the planner probes through the primary key — instead of EXISTS(...) OR
// ..., which makes PostgreSQL walk every client in id order hunting for the
// few a link-only user may see.
//
// A business-unit user's clients are, on PostgreSQL, the union of disjoint
// per-path candidate sets put in place of the patients table (see
// fromCandidates): one id-ordered index scan per business unit and one for
// the personal set, merged. "(unit AND NOT restricted) OR id = ANY(...)" as
// a WHERE clause has no plan that is both ordered by id and driven by the
// user's units: PostgreSQL either walks the primary key filtering (cost
// growing with the organization) or fetches every visible client to sort
// or count them.
func ClientsVisible(v *viewer.Viewer, now time.Time) predicate.Patient {
	return func(s *sql.Selector) {
		if v == nil {
			s.Where(sql.False())
			return
		}
		switch v.Kind {
		case viewer.System:
			return // the server itself, already confined to the tenant
		case viewer.User:
		default:
			s.Where(sql.False())
			return
		}
		id := s.C(patient.FieldID)
		if v.Portal {
			s.Where(inSet(s, id, portalClients(v)))
			return
		}
		own := personalClients(v, now)
		switch {
		case v.Has(string(ClientsAccessAll)):
			s.Where(sql.Or(
				sql.EQ(s.C(patient.FieldRestricted), false),
				inSet(s, id, own),
			))
		case v.Has(string(ClientsAccessBusinessUnit)) && len(v.BusinessUnitIDs) > 0:
			units := make([]any, 0, len(v.BusinessUnitIDs))
			for _, u := range v.BusinessUnitIDs {
				if !slices.Contains(units, any(string(u))) {
					units = append(units, string(u))
				}
			}
			if candidatesFit(s) {
				fromCandidates(s, units, own)
				return
			}
			s.Where(sql.Or(
				sql.And(
					sql.In(s.C(patient.FieldBusinessUnitID), units...),
					sql.EQ(s.C(patient.FieldRestricted), false),
				),
				inSet(s, id, own),
			))
		default:
			s.Where(inSet(s, id, own))
		}
	}
}

// personalClients selects the ids of clients v reaches through their own
// links and open emergency windows.
func personalClients(v *viewer.Viewer, now time.Time) *sql.Selector {
	links := sql.Table(clientaccess.Table)
	em := sql.Table(emergencyaccess.Table)
	emergency := sql.Select(em.C(emergencyaccess.FieldClientID)).From(em).Where(sql.And(
		sql.EQ(em.C(emergencyaccess.FieldUserID), string(v.UserID)),
		sql.IsNull(em.C(emergencyaccess.FieldEndedAt)),
		sql.GT(em.C(emergencyaccess.FieldExpiresAt), now),
	))
	return sql.Select(links.C(clientaccess.FieldClientID)).From(links).Where(sql.And(
		sql.EQ(links.C(clientaccess.FieldUserID), string(v.UserID)),
		sql.Or(
			sql.IsNull(links.C(clientaccess.FieldExpiresAt)),
			sql.GT(links.C(clientaccess.FieldExpiresAt), now),
		),
	)).UnionAll(emergency)
}

func portalClients(v *viewer.Viewer) *sql.Selector {
	t := sql.Table(portalaccess.Table)
	return sql.Select(t.C(portalaccess.FieldClientID)).From(t).
		Where(sql.EQ(t.C(portalaccess.FieldUserID), string(v.UserID)))
}

// inSet is "col IN (set)", spelled for PostgreSQL as = ANY(ARRAY(set)) so the
// set is computed once and probed through the index on col.
func inSet(s *sql.Selector, col string, set *sql.Selector) *sql.Predicate {
	if s.Dialect() == dialect.Postgres {
		return sql.P(func(b *sql.Builder) {
			b.Ident(col).WriteString(" = ANY(ARRAY(").Join(set).WriteString("))")
		})
	}
	return sql.In(col, set)
}

// candidatesKey marks, in a selector's context, that fromCandidates has
// replaced its table.
type candidatesKey struct{}

// candidatesFit reports whether fromCandidates may replace s's table: on
// PostgreSQL, for a selector reading the patients table alone, by its own
// name, and not replaced already (a second application to the same
// selector falls back to the WHERE form, so that the two still combine
// with AND).
func candidatesFit(s *sql.Selector) bool {
	return s.Dialect() == dialect.Postgres &&
		s.Context().Value(candidatesKey{}) == nil &&
		s.Table() != nil && !s.HasJoins() &&
		s.TableName() == patient.Table &&
		s.C(patient.FieldID) == sql.Dialect(s.Dialect()).Table(patient.Table).C(patient.FieldID)
}

// fromCandidates puts in place of s's patients table the clients a
// business-unit user reaches, as the union of disjoint candidate sets:
//
//	(SELECT id, organization_id FROM patients
//	    WHERE business_unit_id = $unit AND NOT restricted ORDER BY id)  -- per unit
//	UNION ALL
//	(SELECT id, organization_id FROM patients
//	    WHERE id = ANY(ARRAY(personal set))
//	      AND (business_unit_id IS NULL OR business_unit_id NOT IN (units) OR restricted)
//	    ORDER BY id)
//
// joined back to patients by id for the other columns, under the name
// "patients", so that every other predicate, the order and the selected
// columns of s apply unchanged. A client is in exactly one arm (it has at
// most one unit; the last arm excludes what the unit arms hold), so the
// rows are those of the WHERE form, each once.
//
// PostgreSQL pushes the tenant filter, a cursor (id > $after) or an id
// (a single decision) into every arm; each arm is an index-only scan in id
// order (index on organization_id, business_unit_id, restricted, id), so
// ORDER BY id LIMIT n merges the arms and stops after n rows, and a COUNT
// counts index entries: the join back to patients is removed when no other
// column is read. When the query fetches rows under a LIMIT (a page), the
// join back is a LATERAL lookup by primary key, so that the planner cannot
// choose to walk the whole primary key in a merge join instead of probing
// it for the few rows the page needs.
func fromCandidates(s *sql.Selector, units []any, own *sql.Selector) {
	d := sql.Dialect(s.Dialect())
	arm := func(where *sql.Predicate) *sql.Selector {
		t := d.Table(patient.Table)
		ordered := d.Select(t.C(patient.FieldID), t.C(patient.FieldOrganizationID)).
			From(t).Where(where).OrderBy(t.C(patient.FieldID))
		// Each arm is "SELECT * FROM (... ORDER BY id)": a set operation
		// cannot hold a bare ORDER BY, and the inner order is what lets
		// the planner merge the arms.
		return d.Select().From(ordered.As("arm"))
	}
	t := d.Table(patient.Table)
	var arms *sql.Selector
	for _, u := range units {
		a := arm(sql.And(
			sql.EQ(t.C(patient.FieldBusinessUnitID), u),
			sql.EQ(t.C(patient.FieldRestricted), false),
		))
		if arms == nil {
			arms = a
		} else {
			arms.UnionAll(a)
		}
	}
	arms.UnionAll(arm(sql.And(
		inSet(s, t.C(patient.FieldID), own),
		sql.Or(
			sql.IsNull(t.C(patient.FieldBusinessUnitID)),
			sql.NotIn(t.C(patient.FieldBusinessUnitID), units...),
			sql.EQ(t.C(patient.FieldRestricted), true),
		),
	)))
	v := arms.As("candidates")

	cols := make([]string, len(patient.Columns))
	back := d.Table(patient.Table).As("client")
	for i, c := range patient.Columns {
		switch c {
		case patient.FieldID, patient.FieldOrganizationID:
			cols[i] = v.C(c)
		default:
			cols[i] = back.C(c)
		}
	}
	candidates := d.Select(cols...).From(v)
	if lateralJoinBack(s.Context()) {
		lookup := d.Select().From(d.Table(patient.Table)).
			Where(sql.ColumnsEQ(d.Table(patient.Table).C(patient.FieldID), v.C(patient.FieldID)))
		candidates.AppendFromExpr(sql.ExprFunc(func(b *sql.Builder) {
			// OFFSET 0 keeps the lookup a parameterized subquery.
			b.WriteString("LATERAL (").Join(lookup).WriteString(" OFFSET 0) AS ").Ident("client")
		}))
	} else {
		candidates.LeftJoin(back).On(back.C(patient.FieldID), v.C(patient.FieldID))
	}
	s.From(candidates.As(patient.Table))
	s.WithContext(context.WithValue(s.Context(), candidatesKey{}, true))
}

// lateralJoinBack reports whether the query being built fetches client rows
// under a LIMIT, from the ent query context the selector carries.
func lateralJoinBack(ctx context.Context) bool {
	qc := entgo.QueryFromContext(ctx)
	if qc == nil || qc.Limit == nil {
		return false
	}
	switch qc.Op {
	case entgo.OpQueryCount, entgo.OpQueryExist, entgo.OpQueryIDs, entgo.OpQueryFirstID, entgo.OpQueryOnlyID:
		return false
	}
	if len(qc.Fields) == 0 {
		return true
	}
	for _, f := range qc.Fields {
		if f != patient.FieldID && f != patient.FieldOrganizationID {
			return true
		}
	}
	return false
}
