package authz_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// entTypes lists the ent types, by the fields of ent.Client.
func entTypes(t *testing.T) []string {
	t.Helper()
	var out []string
	c := reflect.TypeFor[ent.Client]()
	for i := range c.NumField() {
		f := c.Field(i)
		if f.Type.Kind() == reflect.Pointer && f.Type.Elem().Name() == f.Name+"Client" {
			out = append(out, f.Name)
		}
	}
	if len(out) < 20 {
		t.Fatalf("found only %d ent types", len(out))
	}
	return out
}

// tryWrites attempts a create, an update and a delete of typ in ctx and
// returns their errors by operation.
func tryWrites(ctx context.Context, c *ent.Client, typ string) map[string]error {
	tc := reflect.ValueOf(c).Elem().FieldByName(typ)
	call := func(builder, method string) error {
		b := tc.MethodByName(builder).Call(nil)[0]
		out := b.MethodByName(method).Call([]reflect.Value{reflect.ValueOf(ctx)})
		err, _ := out[len(out)-1].Interface().(error)
		return err
	}
	return map[string]error{
		"create": call("Create", "Save"),
		"update": call("Update", "Save"),
		"delete": call("Delete", "Exec"),
	}
}

func TestNoUserWritesAnyTypeWithoutAWriteDecision(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db.Client)
		var every []authz.Privilege
		for _, p := range authz.Catalogue() {
			every = append(every, p.Key)
		}
		cl := f.client(nil, false)
		staff := f.staff(withRoles(f.role(every...)))
		parent := f.portalUser()
		f.portalLink(parent, cl, perms{documents: true, sessionsHomework: true, billing: true, surveys: true}, nil)
		// A decision for one action opens no other writes.
		reads, err := authz.Require(f.as(staff), f.c, authz.RecordReads, authz.Target{})
		if err != nil {
			t.Fatal(err)
		}
		for name, ctx := range map[string]context.Context{
			"a staff user holding every privilege":         f.as(staff),
			"a portal user":                                f.as(parent),
			"a staff user with a decision to record reads": reads,
			"an identity provider's SCIM client":           viewer.NewContext(context.Background(), &viewer.Viewer{Kind: viewer.SCIM, OrgID: f.org.ID}),
			"a request without a viewer":                   context.Background(),
		} {
			for _, typ := range entTypes(t) {
				for op, err := range tryWrites(ctx, f.c, typ) {
					if typ == "AuditEvent" && op == "create" && name == "a staff user with a decision to record reads" {
						continue // the one write that decision opens
					}
					if !errors.Is(err, privacy.Deny) {
						t.Errorf("%s: %s of %s: %v, want a privacy denial", name, op, typ, err)
					}
				}
			}
		}
	})
}

// The two writes the review reproduced: a portal user rewriting the
// diagnosis of a client they do not reach, and a staff user without roles
// linking themself to a client (and then reading it).
func TestTheReviewedWritesAreRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db.Client)
		cl := f.client(nil, false)
		parent := f.portalUser()
		if _, err := f.c.Patient.Update().SetDiagnosis("rewritten").Save(f.as(parent)); !errors.Is(err, privacy.Deny) {
			t.Errorf("a portal user updates diagnoses: %v", err)
		}
		nobody := f.staff()
		err := f.c.ClientAccess.Create().SetOrganizationID(f.org.ID).SetUserID(nobody.ID).SetClientID(cl.ID).Exec(f.as(nobody))
		if !errors.Is(err, privacy.Deny) {
			t.Errorf("a staff user without roles links themself to a client: %v", err)
		}
		if _, err := authz.Require(f.as(nobody), f.c, authz.GrantClientAccess, authz.Target{Client: cl.ID, User: nobody.ID}); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("Require(grant client access) without the privilege: %v, want FORBIDDEN", err)
		}
		if ok := must(authz.CanReadClient(f.as(nobody), f.c, cl.ID)).get(t); ok {
			t.Error("the user without roles reads the client")
		}
		if got := must(f.c.Patient.Get(f.system(), cl.ID)).get(t); got.Diagnosis == "rewritten" {
			t.Error("the diagnosis was rewritten")
		}
	})
}

func TestRequireLoadsTheFactsOfItsTarget(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db.Client)
		other := newFixture(t, db.Client)
		reached, unreached := f.client(nil, false), f.client(nil, false)
		sharer := f.staff(withRoles(f.role(authz.ClientsShare)))
		f.link(sharer, reached, nil, nil)
		colleague := f.staff()
		for _, tc := range []struct {
			name   string
			target authz.Target
			want   apperr.Kind
		}{
			{"a reached client with a colleague", authz.Target{Client: reached.ID, User: colleague.ID}, ""},
			{"a client the sharer does not reach", authz.Target{Client: unreached.ID, User: colleague.ID}, apperr.NotFound},
			{"another organization's client", authz.Target{Client: other.client(nil, false).ID, User: colleague.ID}, apperr.NotFound},
			{"another organization's user", authz.Target{Client: reached.ID, User: other.staff().ID}, apperr.NotFound},
		} {
			_, err := authz.Require(f.as(sharer), f.c, authz.GrantClientAccess, tc.target)
			if got := apperr.KindOf(err); (tc.want == "" && err != nil) || (tc.want != "" && got != tc.want) {
				t.Errorf("%s: %v (%s), want %q", tc.name, err, got, tc.want)
			}
		}
		// The decision opens the link it decided.
		ctx := must(authz.Require(f.as(sharer), f.c, authz.GrantClientAccess, authz.Target{Client: reached.ID, User: colleague.ID})).get(t)
		if err := f.c.ClientAccess.Create().SetOrganizationID(f.org.ID).SetUserID(colleague.ID).SetClientID(reached.ID).Exec(ctx); err != nil {
			t.Errorf("the decided write: %v", err)
		}
		if _, err := authz.Require(context.Background(), f.c, authz.RecordReads, authz.Target{}); apperr.KindOf(err) != apperr.Unauthenticated {
			t.Errorf("no viewer: %v", err)
		}
		if _, err := authz.Require(f.as(sharer), f.c, authz.Action("nonsense"), authz.Target{}); err == nil || apperr.KindOf(err) != apperr.Internal {
			t.Errorf("an unknown action: %v", err)
		}
	})
}

// refWrite is the reference of the write decisions, written from the seeds
// and DOMAIN.md: "" (allowed), "FORBIDDEN" or "NOT_FOUND".
func refWrite(v *viewer.Viewer, a authz.Action, f authz.WriteFacts) apperr.Kind {
	has := func(p authz.Privilege) bool { return v.Privileges[string(p)] }
	switch a {
	case authz.RecordReads:
		return ""
	case authz.EndOwnSession, authz.EndEmergencyAccess:
		if f.OwnRow {
			return ""
		}
		return apperr.NotFound
	case authz.ChangeOwnPassword:
		if f.OwnRow {
			return ""
		}
		return apperr.Forbidden
	case authz.OpenEmergencyAccess:
		switch {
		case v.Portal || !has(authz.EmergencyAccessUse):
			return apperr.Forbidden
		case !f.TargetFound:
			return apperr.NotFound
		}
		return ""
	case authz.IssueSCIMToken, authz.RevokeSCIMToken:
		if v.Portal || !has(authz.OrgSettingsManage) {
			return apperr.Forbidden
		}
		return ""
	case authz.EditSessionNote: // the author alone, with the clinician's privilege
		switch {
		case !f.TargetFound:
			return apperr.NotFound
		case v.Portal || !has(authz.SessionsManageOwn) || !f.OwnRow:
			return apperr.Forbidden
		}
		return ""
	case authz.EditAppointment:
		level := v.ScheduleAccess
		mayEdit := level == "VIEW_EDIT_ALL" || (f.ProviderSelf && (level == "EDIT_OWN" || level == "EDIT_OWN_VIEW_ALL"))
		switch {
		case v.Portal:
			return apperr.Forbidden
		case !f.TargetFound, f.Creating && !f.ReachesClient:
			return apperr.NotFound
		case !mayEdit || !f.ReachesClient:
			return apperr.Forbidden
		}
		return ""
	}
	return "unknown action"
}

func TestWriteDecisionsFollowTheReference(t *testing.T) {
	privs := []authz.Privilege{authz.EmergencyAccessUse, authz.OrgSettingsManage, authz.ClientsShare,
		authz.UsersManage, authz.UsersInvite, authz.SessionsManageOwn, authz.ClientsAccessAll, authz.AuditView}
	levels := []string{"", "OWN_ONLY", "EDIT_OWN", "EDIT_OWN_VIEW_ALL", "VIEW_EDIT_ALL"}
	actions := authz.CoreActions()
	slices.Sort(actions)
	rapid.Check(t, func(t *rapid.T) {
		v := &viewer.Viewer{Kind: viewer.User, Portal: rapid.Bool().Draw(t, "portal"), Privileges: map[string]bool{},
			ScheduleAccess: rapid.SampledFrom(levels).Draw(t, "level")}
		for _, p := range privs {
			if rapid.Bool().Draw(t, string(p)) {
				v.Privileges[string(p)] = true
			}
		}
		f := authz.WriteFacts{
			TargetFound: rapid.Bool().Draw(t, "targetFound"), ReachesClient: rapid.Bool().Draw(t, "reaches"),
			OwnRow: rapid.Bool().Draw(t, "own"), ProviderSelf: rapid.Bool().Draw(t, "providerSelf"),
			UserFound: rapid.Bool().Draw(t, "userFound"), Creating: rapid.Bool().Draw(t, "creating"),
		}
		a := rapid.SampledFrom(actions).Draw(t, "action")
		want := refWrite(v, a, f)
		err := authz.DecideWrite(v, a, f)
		got := apperr.Kind("")
		if err != nil {
			got = apperr.KindOf(err)
		}
		if got != want {
			t.Fatalf("%s by %+v with %+v: %v (%s), reference %q", a, v, f, err, got, want)
		}
	})
}

func TestEveryActionIsDecidedAndWritesSomething(t *testing.T) {
	for _, a := range authz.Actions() {
		if !strings.Contains(string(a), ".") {
			t.Errorf("action %q is not named concern.verb", a)
		}
	}
	for _, a := range authz.CoreActions() {
		if refWrite(&viewer.Viewer{Kind: viewer.User, Privileges: map[string]bool{}}, a, authz.WriteFacts{}) == "unknown action" {
			t.Errorf("action %q has no reference decision", a)
		}
	}
}
