package authz

import (
	"time"

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
// The shape is chosen for the planner. The per-user paths (links,
// emergency) are one set of ids computed once — on PostgreSQL as
// "id = ANY(ARRAY(subquery))", an init plan whose result the planner can
// probe through the primary key — instead of EXISTS(...) OR ..., which makes
// PostgreSQL walk every client in id order hunting for the few a link-only
// user may see. Which paths exist at all is decided here in Go from the
// viewer's privileges, so a user without the business-unit privilege gets
// no business-unit clause in SQL.
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
			units := make([]any, len(v.BusinessUnitIDs))
			for i, u := range v.BusinessUnitIDs {
				units[i] = string(u)
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
