package authz

import (
	"context"

	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/entql"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/appointment"
	"github.com/clinicgate/clinicgate/ent/clientaccess"
	"github.com/clinicgate/clinicgate/ent/document"
	"github.com/clinicgate/clinicgate/ent/emergencyaccess"
	"github.com/clinicgate/clinicgate/ent/homework"
	"github.com/clinicgate/clinicgate/ent/invoice"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/patient"
	"github.com/clinicgate/clinicgate/ent/portalaccess"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/sessionnote"
	"github.com/clinicgate/clinicgate/ent/staffprofile"
	"github.com/clinicgate/clinicgate/ent/staffprofileaccess"
	"github.com/clinicgate/clinicgate/ent/surveyresponse"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Row rules: one per entity, each adding the viewer's access decision to the
// query as a SQL predicate. They run after the tenant rule, so every
// predicate here is already confined to the viewer's organization. A server
// (System) viewer is confined to the tenant only.

// userViewer returns the viewer in ctx, and whether it is the server
// (System), to which only the tenant rule applies. A SCIM viewer reaches no
// records.
func userViewer(ctx context.Context) (v *viewer.Viewer, system bool) {
	v = viewer.FromContext(ctx)
	return v, v != nil && v.Kind == viewer.System
}

func deny(s *sql.Selector) { s.Where(sql.False()) }

// byViewer filters s for the viewer in ctx: the server sees every row of
// the tenant; staff the rows staff selects; portal users the rows portal
// selects (nil: none); anyone else nothing. A nil predicate adds no
// condition.
func byViewer(ctx context.Context, s *sql.Selector, staff, portal func(*viewer.Viewer) *sql.Predicate) {
	v, system := userViewer(ctx)
	var p *sql.Predicate
	switch {
	case system:
		return
	case v == nil || v.Kind != viewer.User || (v.Portal && portal == nil):
		p = sql.False()
	case v.Portal:
		p = portal(v)
	default:
		p = staff(v)
	}
	if p != nil {
		s.Where(p)
	}
}

// clientRows: the clients the viewer reaches (ClientsVisible).
func clientRows(ctx context.Context, s *sql.Selector) {
	ClientsVisible(viewer.FromContext(ctx), Now(ctx))(s)
}

// visibleClientIDs selects the ids of the clients v reaches.
func visibleClientIDs(v *viewer.Viewer, ctx context.Context) *sql.Selector {
	t := sql.Table(patient.Table)
	s := sql.Select(t.C(patient.FieldID)).From(t).Where(sql.EQ(t.C(patient.FieldOrganizationID), string(v.OrgID)))
	ClientsVisible(v, Now(ctx))(s)
	return s
}

// portalClientIDs selects the clients a portal user is linked to with the
// given permission column set.
func portalClientIDs(v *viewer.Viewer, permission string) *sql.Selector {
	t := sql.Table(portalaccess.Table)
	return sql.Select(t.C(portalaccess.FieldClientID)).From(t).Where(sql.And(
		sql.EQ(t.C(portalaccess.FieldUserID), string(v.UserID)),
		sql.EQ(t.C(permission), true),
	))
}

// clientRecordRows filters records hanging off a client: staff see them on
// clients they reach (and, with staffPrivilege set, only when they hold
// it); portal users only with the portal permission.
func clientRecordRows(ctx context.Context, s *sql.Selector, clientCol, portalPermission string, staffPrivilege Privilege) {
	staff := func(v *viewer.Viewer) *sql.Predicate {
		if staffPrivilege != "" && !v.Has(string(staffPrivilege)) {
			return sql.False()
		}
		return sql.In(s.C(clientCol), visibleClientIDs(v, ctx))
	}
	var portal func(*viewer.Viewer) *sql.Predicate
	if portalPermission != "" {
		portal = func(v *viewer.Viewer) *sql.Predicate {
			return sql.In(s.C(clientCol), portalClientIDs(v, portalPermission))
		}
	}
	byViewer(ctx, s, staff, portal)
}

// Minimum necessary per record kind: reaching a client opens its profile;
// each kind of record on it needs its own privilege.

// documentRows: staff holding documents.view on reached clients; portal
// with the documents permission.
func documentRows(ctx context.Context, s *sql.Selector) {
	clientRecordRows(ctx, s, document.FieldClientID, portalaccess.FieldDocuments, DocumentsView)
}

// homeworkRows: staff holding homework.view on reached clients; portal
// with sessions & homework.
func homeworkRows(ctx context.Context, s *sql.Selector) {
	clientRecordRows(ctx, s, homework.FieldClientID, portalaccess.FieldSessionsHomework, HomeworkView)
}

// surveyResponseRows: staff holding surveys.view on reached clients;
// portal with surveys.
func surveyResponseRows(ctx context.Context, s *sql.Selector) {
	clientRecordRows(ctx, s, surveyresponse.FieldClientID, portalaccess.FieldSurveys, SurveysView)
}

// invoiceRows: staff with the billing tab on reached clients; portal with
// the billing permission.
func invoiceRows(ctx context.Context, s *sql.Selector) {
	clientRecordRows(ctx, s, invoice.FieldClientID, portalaccess.FieldBilling, BillingView)
}

// appointmentRows: sessions follow the viewer's schedule access (seed 003;
// DOMAIN.md: "any schedule level shows a reached client's session dates";
// "without schedule access a user sees no session dates"). Every level but
// NONE shows the sessions of reached clients and the provider's own; the
// view-all levels (EDIT_OWN_VIEW_ALL, VIEW_EDIT_ALL) and schedule.view_all
// (the office-staff scheduler tab: "view all other schedules under the
// Scheduler tab") show every provider's schedule, restricted clients'
// sessions excepted unless the viewer reaches the client. NONE, without
// schedule.view_all, shows nothing. Portal users see their clients'
// session dates with sessions & homework.
func appointmentRows(ctx context.Context, s *sql.Selector) {
	v, system := userViewer(ctx)
	if system || v == nil || v.Portal {
		clientRecordRows(ctx, s, appointment.FieldClientID, portalaccess.FieldSessionsHomework, "")
		return
	}
	if v.Kind != viewer.User {
		deny(s)
		return
	}
	viewsAll := ScheduleViewsAll(v.ScheduleAccess) || v.Has(string(ScheduleViewAll))
	if !viewsAll && !ScheduleViewsOwn(v.ScheduleAccess) {
		deny(s)
		return
	}
	paths := []*sql.Predicate{
		sql.EQ(s.C(appointment.FieldProviderID), string(v.UserID)),
		sql.In(s.C(appointment.FieldClientID), visibleClientIDs(v, ctx)),
	}
	if viewsAll {
		// Every provider's schedule, but a restricted client's sessions
		// only through a path to that client.
		pt := sql.Table(patient.Table)
		paths = append(paths, sql.NotIn(s.C(appointment.FieldClientID),
			sql.Select(pt.C(patient.FieldID)).From(pt).Where(sql.And(
				sql.EQ(pt.C(patient.FieldOrganizationID), string(v.OrgID)),
				sql.EQ(pt.C(patient.FieldRestricted), true),
			))))
	}
	s.Where(sql.Or(paths...))
}

// ScheduleViewsAll reports whether a schedule level shows every provider's
// schedule.
func ScheduleViewsAll(level string) bool {
	return level == "EDIT_OWN_VIEW_ALL" || level == "VIEW_EDIT_ALL"
}

// ScheduleViewsOwn reports whether a schedule level shows the provider's
// own sessions and reached clients' session dates: every level but NONE.
func ScheduleViewsOwn(level string) bool {
	return level == "OWN_ONLY" || level == "EDIT_OWN" || ScheduleViewsAll(level)
}

// ScheduleEditsOwn reports whether a schedule level may schedule the
// provider's own sessions (B, C and D).
func ScheduleEditsOwn(level string) bool {
	return level == "EDIT_OWN" || ScheduleViewsAll(level)
}

// ScheduleEditsOthers reports whether a schedule level may edit other
// providers' sessions.
func ScheduleEditsOthers(level string) bool { return level == "VIEW_EDIT_ALL" }

// sessionNoteRows: the author reads their own notes while they reach the
// client; others only non-private notes on reached clients, while the
// organization's session view is on, they hold the privilege, and session
// view covers one of their roles.
// Portal users never see notes.
func sessionNoteRows(ctx context.Context, s *sql.Selector) {
	byViewer(ctx, s, func(v *viewer.Viewer) *sql.Predicate {
		apt := sql.Table(appointment.Table)
		onReached := sql.In(s.C(sessionnote.FieldAppointmentID), sql.Select(apt.C(appointment.FieldID)).From(apt).
			Where(sql.In(apt.C(appointment.FieldClientID), visibleClientIDs(v, ctx))))
		own := sql.EQ(s.C(sessionnote.FieldAuthorID), string(v.UserID))
		if !v.Has(string(SessionNotesViewOthers)) {
			return sql.And(own, onReached)
		}
		org := sql.Table(organization.Table)
		sessionView := sql.Exists(sql.Select(org.C(organization.FieldID)).From(org).Where(sql.And(
			sql.EQ(org.C(organization.FieldID), string(v.OrgID)),
			sql.EQ(org.C(organization.FieldSessionViewEnabled), true),
		)))
		// Session view names the roles it covers: one of the viewer's
		// roles must be covered (sessionViewCovers).
		sessionView = sql.And(sessionView, sessionViewCovers(v))
		return sql.And(onReached, sql.Or(own, sql.And(sql.EQ(s.C(sessionnote.FieldPrivate), false), sessionView)))
	}, nil)
}

// clientAccessRows: links are visible to whoever reaches their client (the
// "assigned users" of a chart) and to the linked user.
func clientAccessRows(ctx context.Context, s *sql.Selector) {
	byViewer(ctx, s, func(v *viewer.Viewer) *sql.Predicate {
		return sql.Or(
			sql.EQ(s.C(clientaccess.FieldUserID), string(v.UserID)),
			sql.In(s.C(clientaccess.FieldClientID), visibleClientIDs(v, ctx)),
		)
	}, nil)
}

// portalAccessRows: staff who reach the client see its portal users; a
// portal user sees their own links.
func portalAccessRows(ctx context.Context, s *sql.Selector) {
	byViewer(ctx, s,
		func(v *viewer.Viewer) *sql.Predicate {
			return sql.In(s.C(portalaccess.FieldClientID), visibleClientIDs(v, ctx))
		},
		func(v *viewer.Viewer) *sql.Predicate {
			return sql.EQ(s.C(portalaccess.FieldUserID), string(v.UserID))
		})
}

// emergencyAccessRows: a user sees their own break-glass windows; holders
// of the audit privilege see everyone's.
func emergencyAccessRows(ctx context.Context, s *sql.Selector) {
	own := func(v *viewer.Viewer) *sql.Predicate {
		if v.Has(string(AuditView)) {
			return nil
		}
		return sql.EQ(s.C(emergencyaccess.FieldUserID), string(v.UserID))
	}
	byViewer(ctx, s, own, own)
}

// StaffProfilesVisible selects the staff profiles v reaches: all with the
// organization-wide privilege; an explicit link (until its expiry); the
// profiles of v's primary business unit with that privilege; and v's own.
func StaffProfilesVisible(ctx context.Context) func(*sql.Selector) {
	return func(s *sql.Selector) { staffProfileRows(ctx, s) }
}

func staffProfileRows(ctx context.Context, s *sql.Selector) {
	v, system := userViewer(ctx)
	switch {
	case system:
		return
	case v == nil || v.Kind != viewer.User || v.Portal:
		deny(s)
		return
	case v.Has(string(StaffProfilesAccessAll)):
		return
	}
	now := Now(ctx)
	t := sql.Table(staffprofileaccess.Table)
	links := sql.Select(t.C(staffprofileaccess.FieldStaffProfileID)).From(t).Where(sql.And(
		sql.EQ(t.C(staffprofileaccess.FieldUserID), string(v.UserID)),
		sql.Or(sql.IsNull(t.C(staffprofileaccess.FieldExpiresAt)), sql.GT(t.C(staffprofileaccess.FieldExpiresAt), now)),
	))
	paths := []*sql.Predicate{
		sql.EQ(s.C(staffprofile.FieldUserID), string(v.UserID)),
		inSet(s, s.C(staffprofile.FieldID), links),
	}
	if v.Has(string(StaffProfilesAccessPrimaryBusinessUnit)) && v.PrimaryBusinessUnitID != "" {
		paths = append(paths, sql.EQ(s.C(staffprofile.FieldBusinessUnitID), string(v.PrimaryBusinessUnitID)))
	}
	s.Where(sql.Or(paths...))
}

// staffProfileAccessRows: visible with the profile, and to the linked user.
func staffProfileAccessRows(ctx context.Context, s *sql.Selector) {
	byViewer(ctx, s, func(v *viewer.Viewer) *sql.Predicate {
		sp := sql.Table(staffprofile.Table)
		visible := sql.Select(sp.C(staffprofile.FieldID)).From(sp).
			Where(sql.EQ(sp.C(staffprofile.FieldOrganizationID), string(v.OrgID)))
		staffProfileRows(ctx, visible)
		return sql.Or(
			sql.EQ(s.C(staffprofileaccess.FieldUserID), string(v.UserID)),
			sql.In(s.C(staffprofileaccess.FieldStaffProfileID), visible),
		)
	}, nil)
}

// userRows: staff see the organization's directory (they pick colleagues
// to share clients with); a portal user sees themself and the providers of
// the sessions they may see (an appointment's provider is not nullable).
func userRows(ctx context.Context, s *sql.Selector) {
	byViewer(ctx, s,
		func(*viewer.Viewer) *sql.Predicate { return nil },
		func(v *viewer.Viewer) *sql.Predicate {
			apt := sql.Table(appointment.Table)
			providers := sql.Select(apt.C(appointment.FieldProviderID)).From(apt).
				Where(sql.In(apt.C(appointment.FieldClientID), portalClientIDs(v, portalaccess.FieldSessionsHomework)))
			return sql.Or(
				sql.EQ(s.C(user.FieldID), string(v.UserID)),
				sql.In(s.C(user.FieldID), providers),
			)
		})
}

// Whole-type decisions: a type read by staff only, by holders of a
// privilege, by the row's own user, or by the server alone. Each is a
// decision (for the privacy rule, which refuses the query with a reason)
// and a predicate (for relation filters, which match nothing instead).

func staffOnly(ctx context.Context) bool {
	v, system := userViewer(ctx)
	return system || (v != nil && v.Kind == viewer.User && !v.Portal)
}

func holdsAny(ctx context.Context, ps []Privilege) bool {
	v, system := userViewer(ctx)
	if system {
		return true
	}
	for _, p := range ps {
		if v.Has(string(p)) {
			return true
		}
	}
	return false
}

func systemOnly(ctx context.Context) bool {
	_, system := userViewer(ctx)
	return system
}

func allowedRows(allowed func(context.Context) bool) rowFilter {
	return func(ctx context.Context, s *sql.Selector) {
		if !allowed(ctx) {
			deny(s)
		}
	}
}

// ownRows: a user's own rows of an auth table (sessions, factors); the
// server reads all of the tenant's.
func ownRows(ctx context.Context, s *sql.Selector) {
	v, system := userViewer(ctx)
	switch {
	case system:
	case v == nil || v.Kind != viewer.User:
		deny(s)
	default:
		s.Where(sql.EQ(s.C("user_id"), string(v.UserID)))
	}
}

// StaffOnlyRule lets staff (and the server) read a type, nobody else: roles
// and business units.
func StaffOnlyRule() privacy.QueryRule {
	return privacy.QueryRuleFunc(func(ctx context.Context, _ ent.Query) error {
		if staffOnly(ctx) {
			return privacy.Skip
		}
		return privacy.Denyf("authz: staff only")
	})
}

// PrivilegeRule lets holders of p (and the server) read a type: the audit
// trail, invitations, billing plan, identity settings.
func PrivilegeRule(ps ...Privilege) privacy.QueryRule {
	return privacy.QueryRuleFunc(func(ctx context.Context, _ ent.Query) error {
		if holdsAny(ctx, ps) {
			return privacy.Skip
		}
		return privacy.Denyf("authz: needs one of %v", ps)
	})
}

// OwnRowsRule lets a user read only their own rows of an auth table
// (sessions, factors); the server reads all of the tenant's.
func OwnRowsRule() privacy.QueryRule {
	return privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		v, system := userViewer(ctx)
		if system {
			return privacy.Skip
		}
		if v == nil || v.Kind != viewer.User {
			return privacy.Denyf("authz: no user")
		}
		uf, ok := f.(interface{ WhereUserID(entql.StringP) })
		if !ok {
			return privacy.Denyf("authz: %T has no user", f)
		}
		uf.WhereUserID(entql.StringEQ(string(v.UserID)))
		return privacy.Skip
	})
}

// SystemOnlyRule: only the server reads these rows (the outbox).
func SystemOnlyRule() privacy.QueryRule {
	return privacy.QueryRuleFunc(func(ctx context.Context, _ ent.Query) error {
		if systemOnly(ctx) {
			return privacy.Skip
		}
		return privacy.Denyf("authz: server only")
	})
}
