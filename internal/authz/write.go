package authz

import (
	"context"
	"fmt"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/appointment"
	"github.com/clinicgate/clinicgate/ent/emergencyaccess"
	"github.com/clinicgate/clinicgate/ent/patient"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/sessionnote"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// The write side. Every change a user (or an identity provider) makes goes
// through Require: it decides whether the viewer may do the action to the
// target and, if so, returns a context carrying that decision. Writes are
// denied by default: the mutation rule of every organization-owned type
// (WriteRule) lets a create, update or delete through only when its context
// carries a decision whose action writes that type that way, or when the
// server itself (the System viewer: bootstrap, demo, sign-in, migrations)
// makes it. A domain operation therefore cannot write without asking, and a
// decision to open a break-glass window does not let the same context
// rewrite a diagnosis.

// Action is what a viewer asks to do. The vocabulary grows with the
// administration API; each action lists the writes it opens (actionWrites)
// and how it is decided (decideWrite).
type Action string

const (
	// OpenEmergencyAccess opens a break-glass window on Target.Client.
	OpenEmergencyAccess Action = "emergency_access.open"
	// EndEmergencyAccess ends the viewer's own window Target.Row early.
	EndEmergencyAccess Action = "emergency_access.end"
	// IssueSCIMToken issues an identity provider's SCIM token.
	IssueSCIMToken Action = "scim_token.issue"
	// RevokeSCIMToken revokes the SCIM token Target.Row.
	RevokeSCIMToken Action = "scim_token.revoke"
	// EditSessionNote changes the session note Target.Row.
	EditSessionNote Action = "session_note.edit"
	// EditAppointment changes the appointment Target.Row, or schedules one
	// for Target.Client with provider Target.User when Row is empty.
	EditAppointment Action = "appointment.edit"
	// RecordReads writes the audit events of what the viewer read.
	RecordReads Action = "audit.record_reads"
	// EndOwnSession signs the viewer out of the session Target.Row.
	EndOwnSession Action = "session.end_own"
	// ChangeOwnPassword changes the viewer's password, ending their
	// sessions and starting a fresh one (and counts a wrong current
	// password against the credential).
	ChangeOwnPassword Action = "password.change_own"
)

// Target names what an action is done to; each action reads the fields it
// needs (see the Action constants).
type Target struct {
	Client pulid.ID
	User   pulid.ID
	Row    pulid.ID
	// What the change hands out, where an action gives roles, reach or
	// privileges: the decision checks each against the viewer's own (no
	// escalation by any path).
	Roles         []pulid.ID
	Clients       []pulid.ID
	StaffProfiles []pulid.ID
	BusinessUnits []pulid.ID
	Privileges    []string
}

// write is one kind of change an action may make: ops on an ent type.
type write struct {
	typ string
	ops ent.Op
}

// audited: every action writes its audit event.
var audited = write{"AuditEvent", ent.OpCreate}

// mailed: an action that tells someone enqueues an outbox message
// (internal/outbox), in its own transaction.
var mailed = write{"OutboxMessage", ent.OpCreate}

// actionWrites lists, per action, the changes a context carrying its
// decision may make.
var actionWrites = map[Action][]write{
	OpenEmergencyAccess: {{"EmergencyAccess", ent.OpCreate | ent.OpUpdate}, audited},
	EndEmergencyAccess:  {{"EmergencyAccess", ent.OpUpdateOne}, audited},
	IssueSCIMToken:      {{"SCIMToken", ent.OpCreate}, audited},
	RevokeSCIMToken:     {{"SCIMToken", ent.OpUpdate | ent.OpUpdateOne}, audited},
	EditSessionNote:     {{"SessionNote", ent.OpUpdateOne}, audited},
	EditAppointment:     {{"Appointment", ent.OpCreate | ent.OpUpdateOne}, audited},
	RecordReads:         {audited},
	EndOwnSession:       {{"Session", ent.OpUpdate | ent.OpUpdateOne}, audited},
	ChangeOwnPassword: {
		{"PasswordCredential", ent.OpUpdateOne},
		{"Session", ent.OpCreate | ent.OpUpdate | ent.OpUpdateOne}, audited,
	},
}

// A concern is one area's share of the vocabulary, in a file of its own
// (write_<concern>.go): its actions with the writes each opens, and its
// decision. The actions above (actionWrites, decided by loadFacts and
// decideWrite) are the core's.
type concern struct {
	name string
	// writes lists, per action, the changes a context carrying its
	// decision may make.
	writes map[Action][]write
	// decide decides an action of the concern for a signed-in user: it
	// loads the facts it needs (as the server, through c) and returns nil
	// or the typed refusal (FORBIDDEN, or NOT_FOUND for a target the
	// viewer may not know of).
	decide func(ctx context.Context, c *ent.Client, v *viewer.Viewer, a Action, t Target) error
	// scim: decide also answers an identity provider's SCIM viewer (it
	// must then refuse every action SCIM may not do); the other concerns
	// never see one.
	scim bool
	// stepUp lists the concern's sensitive actions (see stepUp).
	stepUp []Action
	// enrolment: decide reads Viewer.MFAEnrolled (Require loads it).
	enrolment bool
	// decideEach, when set, decides an action for several targets at once
	// (RequireEach), loading the facts of all of them in a fixed number of
	// statements; each target is decided as decide would decide it alone.
	// Without it RequireEach calls decide once per target.
	decideEach func(ctx context.Context, c *ent.Client, v *viewer.Viewer, a Action, ts []Target) error
}

// concerns lists every concern but the core.
func concerns() []concern {
	return []concern{inviteConcern(), directoryConcern(), teamConcern(), accessConcern(), provisionConcern(), mfaConcern(), ssoConcern()}
}

// vocabulary is every action's writes and its concern (nil for the core),
// built once.
var vocabulary = func() map[Action]vocabularyEntry {
	out := map[Action]vocabularyEntry{}
	for a, w := range actionWrites {
		out[a] = vocabularyEntry{writes: w}
	}
	for _, cn := range concerns() {
		for a, w := range cn.writes {
			if _, dup := out[a]; dup {
				panic(fmt.Sprintf("authz: action %q is declared twice (%s)", a, cn.name))
			}
			out[a] = vocabularyEntry{writes: w, concern: &cn}
		}
		for _, a := range cn.stepUp {
			stepUp[a] = true
		}
	}
	return out
}()

type vocabularyEntry struct {
	writes  []write
	concern *concern
}

// Actions lists the vocabulary.
func Actions() []Action {
	out := make([]Action, 0, len(vocabulary))
	for a := range vocabulary {
		out = append(out, a)
	}
	return out
}

// grant is a decision Require made, carried by the context of the writes
// it allows.
type grant struct {
	action Action
	target Target
	// many: the decision covers several targets (RequireEach); it also
	// opens one bulk update of a type the action updates one row at a time.
	many bool
	next *grant // decisions made earlier in the same context
}

type grantKey struct{}

func grantsFrom(ctx context.Context) *grant {
	g, _ := ctx.Value(grantKey{}).(*grant)
	return g
}

// Require decides whether the viewer in ctx may do action to target. It
// returns ctx carrying the decision, in which the writes of the action are
// allowed, or the typed error to show: UNAUTHENTICATED without a signed-in
// viewer, NOT_FOUND for a target the viewer may not know of (another
// organization's row is indistinguishable from a missing one), FORBIDDEN
// otherwise. c is the request's client or transaction; the facts are read
// as the server.
func Require(ctx context.Context, c *ent.Client, action Action, target Target) (context.Context, error) {
	v := viewer.FromContext(ctx)
	entry, ok := vocabulary[action]
	if !ok {
		return ctx, fmt.Errorf("authz: unknown action %q", action)
	}
	scimDecided := v != nil && v.Kind == viewer.SCIM && entry.concern != nil && entry.concern.scim
	// An identity provider's reads are audited like everyone's.
	scimReads := v != nil && v.Kind == viewer.SCIM && action == RecordReads
	if v == nil || (v.Kind != viewer.User && v.Kind != viewer.System && !scimDecided && !scimReads) {
		return ctx, apperr.New(apperr.Unauthenticated, "sign in first")
	}
	// Whether the user has a second factor is read only for the decisions
	// that depend on it (step-up, the mfa concern), not on every request.
	if v.Kind == viewer.User && (stepUp[action] || entry.concern != nil && entry.concern.enrolment) {
		enrolled, err := MFAEnrolled(viewer.ForSystem(ctx, v.OrgID), c, v.UserID)
		if err != nil {
			return ctx, err
		}
		withFactor := *v
		withFactor.MFAEnrolled = enrolled
		v = &withFactor
	}
	switch {
	case scimReads:
	case scimDecided:
		if err := entry.concern.decide(ctx, c, v, action, target); err != nil {
			return ctx, err
		}
	case v.Kind != viewer.User:
	case entry.concern != nil:
		if err := entry.concern.decide(ctx, c, v, action, target); err != nil {
			return ctx, err
		}
	default:
		f, err := loadFacts(ctx, c, v, action, target)
		if err != nil {
			return ctx, err
		}
		if err := decideWrite(v, action, f); err != nil {
			return ctx, err
		}
	}
	// Step-up comes after the decision: a user who may not do the action
	// at all learns that first, not that a code would help.
	if err := decideStepUp(v, action, Now(ctx)); err != nil {
		return ctx, err
	}
	return context.WithValue(ctx, grantKey{}, &grant{action: action, target: target, next: grantsFrom(ctx)}), nil
}

// RequireEach decides action for every target, as Require decides each
// alone, and returns ctx carrying one decision for all of them: the
// batch form of a per-user action (the business units or roles a mapped
// SCIM group gives its members). A concern with decideEach loads the
// facts of all targets at once; any refusal refuses the whole batch. The
// decision also opens one bulk update (OpUpdate) of the type the action
// updates one row at a time, so the batch is written in one statement;
// the caller confines that update to the targets' rows.
func RequireEach(ctx context.Context, c *ent.Client, action Action, targets []Target) (context.Context, error) {
	if len(targets) == 0 {
		return ctx, nil
	}
	entry, ok := vocabulary[action]
	if !ok {
		return ctx, fmt.Errorf("authz: unknown action %q", action)
	}
	v := viewer.FromContext(ctx)
	decidedAtOnce := v != nil && entry.concern != nil && entry.concern.decideEach != nil &&
		(v.Kind == viewer.User || (v.Kind == viewer.SCIM && entry.concern.scim))
	if !decidedAtOnce || len(targets) == 1 {
		for _, t := range targets {
			if _, err := Require(ctx, c, action, t); err != nil {
				return ctx, err
			}
		}
	} else {
		if err := entry.concern.decideEach(ctx, c, v, action, targets); err != nil {
			return ctx, err
		}
		if err := decideStepUp(v, action, Now(ctx)); err != nil {
			return ctx, err
		}
	}
	return context.WithValue(ctx, grantKey{}, &grant{action: action, many: true, next: grantsFrom(ctx)}), nil
}

// facts are what decideWrite needs beyond the viewer, loaded once.
type facts struct {
	targetFound   bool // the target row (or client, or user) exists in the organization
	reachesClient bool // the viewer reaches the target's client
	ownRow        bool // the target row is the viewer's own (window, note, session)
	providerSelf  bool // the appointment's provider is the viewer
	userFound     bool // Target.User exists in the organization
	creating      bool // the action creates its row (no Target.Row)
}

// clientReach says whether client exists in the viewer's organization and
// whether the viewer reaches it: the facts of every decision about a
// client, one way for all concerns.
func clientReach(ctx context.Context, c *ent.Client, client pulid.ID) (found, reached bool, err error) {
	v := viewer.FromContext(ctx)
	found, err = c.Patient.Query().Where(patient.ID(client)).Exist(viewer.ForSystem(ctx, v.OrgID))
	if err != nil || !found {
		return found, false, err
	}
	reached, err = CanReadClient(ctx, c, client)
	return found, reached, err
}

func loadFacts(ctx context.Context, c *ent.Client, v *viewer.Viewer, action Action, t Target) (facts, error) {
	sys := viewer.ForSystem(ctx, v.OrgID)
	var f facts
	var err error
	exists := func(ok bool, e error) bool {
		if e != nil && err == nil {
			err = e
		}
		return ok
	}
	if t.Client != "" {
		var e error
		f.targetFound, f.reachesClient, e = clientReach(ctx, c, t.Client)
		exists(false, e)
	}
	if t.User != "" {
		f.userFound = exists(c.User.Query().Where(user.ID(t.User)).Exist(sys))
	}
	switch action {
	case EndEmergencyAccess:
		f.targetFound = exists(c.EmergencyAccess.Query().Where(emergencyaccess.ID(t.Row)).Exist(sys))
		f.ownRow = exists(c.EmergencyAccess.Query().Where(emergencyaccess.ID(t.Row), emergencyaccess.UserID(v.UserID)).Exist(sys))
	case EditSessionNote:
		// The note is found only through the viewer's own row rule: a
		// note they cannot read is unknown to them.
		f.targetFound = exists(c.SessionNote.Query().Where(sessionnote.ID(t.Row)).Exist(ctx))
		f.ownRow = exists(c.SessionNote.Query().Where(sessionnote.ID(t.Row), sessionnote.AuthorID(v.UserID)).Exist(ctx))
	case EditAppointment:
		if t.Row != "" {
			a, e := c.Appointment.Query().Where(appointment.ID(t.Row)).Only(ctx)
			switch {
			case ent.IsNotFound(e):
			case e != nil:
				err = e
			default:
				f.targetFound = true
				f.providerSelf = a.ProviderID == v.UserID
				f.reachesClient = exists(CanReadClient(ctx, c, a.ClientID))
			}
		} else {
			f.creating = true
			f.providerSelf = t.User == v.UserID
		}
	case EndOwnSession:
		f.targetFound = t.Row != ""
		f.ownRow = t.Row != "" && t.Row == v.SessionID
	case ChangeOwnPassword:
		f.ownRow = t.User == v.UserID
	}
	if err != nil {
		return facts{}, fmt.Errorf("authz: facts for %s: %w", action, err)
	}
	return f, nil
}

// decideWrite is the write decision of a signed-in user, from the viewer
// and the facts alone, so that a property test can hold it against a
// reference (write_test.go).
func decideWrite(v *viewer.Viewer, action Action, f facts) error {
	forbidden := func(msg string) error { return apperr.New(apperr.Forbidden, "%s", msg) }
	notFound := func(what string) error { return apperr.New(apperr.NotFound, "%s not found", what) }
	staff := !v.Portal
	switch action {
	case RecordReads:
		return nil
	case EndOwnSession:
		if !f.ownRow {
			return notFound("session")
		}
		return nil
	case ChangeOwnPassword:
		if !f.ownRow {
			return forbidden("a password is changed by its owner")
		}
		return nil
	case OpenEmergencyAccess:
		if !staff || !v.Has(string(EmergencyAccessUse)) {
			return forbidden("your roles do not allow emergency access")
		}
		if !f.targetFound {
			return notFound("client")
		}
		return nil
	case EndEmergencyAccess:
		if !f.ownRow {
			return notFound("emergency access")
		}
		return nil
	case IssueSCIMToken, RevokeSCIMToken:
		if !staff || !v.Has(string(OrgSettingsManage)) {
			return forbidden("managing SCIM tokens needs the organization settings privilege")
		}
		return nil
	case EditSessionNote:
		if !f.targetFound {
			return notFound("session note")
		}
		if !staff || !v.Has(string(SessionsManageOwn)) || !f.ownRow {
			return forbidden("only the note's author edits a session note")
		}
		return nil
	case EditAppointment:
		if !staff {
			return forbidden("portal users do not edit schedules")
		}
		if !f.targetFound || (f.creating && !f.reachesClient) {
			// Neither an appointment the viewer cannot read nor a client
			// they do not reach is theirs to know of.
			return notFound("appointment")
		}
		edits := ScheduleEditsOthers(v.ScheduleAccess) ||
			(f.providerSelf && ScheduleEditsOwn(v.ScheduleAccess))
		if !edits || !f.reachesClient {
			return forbidden("your schedule access does not allow this change")
		}
		return nil
	}
	return forbidden("not allowed")
}

// WriteRule is the mutation rule of every organization-owned type: a
// change is allowed to go on to the tenant rule only when the server makes
// it, or when its context carries a decision (Require) whose action writes
// this type this way.
func WriteRule() privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
		v := viewer.FromContext(ctx)
		if v != nil && v.Kind == viewer.System {
			return privacy.Skip
		}
		for g := grantsFrom(ctx); g != nil; g = g.next {
			for _, w := range vocabulary[g.action].writes {
				ops := w.ops
				if g.many && ops&ent.OpUpdateOne != 0 {
					ops |= ent.OpUpdate
				}
				if w.typ == m.Type() && m.Op().Is(ops) {
					return privacy.Skip
				}
			}
		}
		return privacy.Denyf("authz: %s of %s without a write decision", m.Op(), m.Type())
	})
}

// errNoDecision refuses an action its concern does not decide.
func errNoDecision(a Action) error {
	return apperr.New(apperr.Forbidden, "not allowed (%s)", a)
}
