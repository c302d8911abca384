package graph_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/bootstrap"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/team"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// teamOrg is an organization made as the server makes one (bootstrap):
// built-in roles and an account owner, plus an administrator and a
// clinician.
type teamOrg struct {
	t         *testing.T
	db        *store.DB
	org       pulid.ID
	roles     map[string]*ent.Role // built-in roles by key
	owner     *ent.User
	admin     *ent.User
	clinician *ent.User
}

func newTeamOrg(t *testing.T, db *store.DB, slug string) *teamOrg {
	t.Helper()
	res, err := bootstrap.Create(context.Background(), db.Client, bootstrap.Params{
		Name: slug, Slug: slug, OwnerEmail: "owner@" + slug + ".test", OwnerPassword: "correct horse battery staple",
		Hasher: password.Hasher{Params: password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32}},
	})
	if err != nil {
		t.Fatal(err)
	}
	o := &teamOrg{t: t, db: db, org: res.Org.ID, roles: res.Roles, owner: res.Owner}
	o.admin = addUser(t, db.Client, o.org, "admin@"+slug+".test", user.KindStaff, o.roles["ADMINISTRATOR"])
	o.clinician = addUser(t, db.Client, o.org, "clinician@"+slug+".test", user.KindStaff, o.roles["CLINICIAN"])
	return o
}

// as is u's viewer built afresh, as on every request.
func (o *teamOrg) as(u *ent.User) *viewer.Viewer { return viewerOf(o.t, o.db.Client, u) }

func (o *teamOrg) do(u *ent.User, q string, vars map[string]any) gqlResponse {
	o.t.Helper()
	return do(o.t, o.db, o.as(u), q, vars)
}

// events returns the organization's audit events of action.
func (o *teamOrg) events(action string) []*ent.AuditEvent {
	return o.db.Client.AuditEvent.Query().Where(auditevent.Action(action)).AllX(sysCtx(o.org))
}

func (o *teamOrg) roleIDsOf(u *ent.User) []pulid.ID {
	ids := o.db.Client.User.QueryRoles(u).IDsX(sysCtx(o.org))
	slices.Sort(ids)
	return ids
}

const (
	createRoleQ = `mutation($in: CreateRoleInput!) { createRole(input: $in) { role { id name privileges builtin sessionView holderCount privilegeDetails { key name } } } }`
	updateRoleQ = `mutation($in: UpdateRoleInput!) { updateRole(input: $in) { role { id name description privileges } } }`
	togglePrivQ = `mutation($in: SetRolePrivilegeInput!) { setRolePrivilege(input: $in) { role { id privileges } } }`
	deleteRoleQ = `mutation($in: DeleteRoleInput!) { deleteRole(input: $in) { deletedRoleId } }`
	setRolesQ   = `mutation($in: SetUserRolesInput!) { setUserRoles(input: $in) { user { id roles { id builtin } } } }`
	transferQ   = `mutation($in: TransferOwnershipInput!) { transferOwnership(input: $in) { owner { id isAccountOwner } } }`
	settingsQ   = `mutation($in: UpdateTeamSettingsInput!) { updateTeamSettings(input: $in) { team {
		sessionViewEnabled requireMfa signInMethod sessionIdleMinutes emergencyAccessMinutes
		roles { id name requireMfa signInMethod sessionView } } } }`
)

func in(m map[string]any) map[string]any { return map[string]any{"in": m} }

func TestTeamRoleLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		o := newTeamOrg(t, db, "lifecycle")
		c := db.Client
		// A client the clinician reaches, with an invoice: what billing.view opens.
		cl := c.Patient.Create().SetOrganizationID(o.org).SetGivenName("Ada").SetFamilyName("Lovelace").SaveX(allowCtx())
		linkClient(t, c, o.clinician, cl)
		c.Invoice.Create().SetOrganizationID(o.org).SetClientID(cl.ID).SetNumber("INV-1").SetAmountCents(100).SaveX(allowCtx())

		r := o.do(o.admin, createRoleQ, in(map[string]any{"name": "  Front desk ", "description": "Desk",
			"privileges": []string{"reports.view", "reports.view"}}))
		wantCodes(t, r)
		var created struct {
			Role struct {
				ID               pulid.ID
				Name             string
				Privileges       []string
				Builtin          *string
				SessionView      bool
				HolderCount      int
				PrivilegeDetails []struct{ Key, Name string }
			}
		}
		dataField(t, r, "createRole", &created)
		rl := created.Role
		if rl.Name != "Front desk" || !slices.Equal(rl.Privileges, []string{"reports.view"}) || rl.Builtin != nil ||
			rl.SessionView || rl.HolderCount != 0 || len(rl.PrivilegeDetails) != 1 || rl.PrivilegeDetails[0].Key != "reports.view" {
			t.Fatalf("created %+v", rl)
		}
		if evs := o.events(team.RoleCreated); len(evs) != 1 || evs[0].TargetID != string(rl.ID) || idOf(evs[0].ActorID) != o.admin.ID {
			t.Fatalf("role.created events %+v", evs)
		}

		// Several roles at once: Clinician and the new role.
		r = o.do(o.admin, setRolesQ, in(map[string]any{"userId": o.clinician.ID, "roleIds": []pulid.ID{o.roles["CLINICIAN"].ID, rl.ID}}))
		wantCodes(t, r)
		if got := o.roleIDsOf(o.clinician); len(got) != 2 {
			t.Fatalf("clinician roles %v", got)
		}
		if evs := o.events(team.UserRolesChanged); len(evs) != 1 || evs[0].TargetID != string(o.clinician.ID) {
			t.Fatalf("user.roles_changed events %+v", evs)
		}

		// The holder reads no invoice; the privilege turned on is in force
		// on their next request; turned off, gone on the one after.
		invoices := func() int {
			r := o.do(o.clinician, `query($id: ID!) { node(id: $id) { ... on Client { invoices { totalCount } } } }`,
				map[string]any{"id": cl.ID})
			wantCodes(t, r)
			var got struct{ Invoices struct{ TotalCount int } }
			dataField(t, r, "node", &got)
			return got.Invoices.TotalCount
		}
		if n := invoices(); n != 0 {
			t.Fatalf("%d invoices before the toggle", n)
		}
		r = o.do(o.admin, togglePrivQ, in(map[string]any{"roleId": rl.ID, "privilege": "billing.view", "enabled": true}))
		wantCodes(t, r)
		if n := invoices(); n != 1 {
			t.Fatalf("%d invoices after billing.view was turned on, want 1", n)
		}
		r = o.do(o.admin, togglePrivQ, in(map[string]any{"roleId": rl.ID, "privilege": "billing.view", "enabled": false}))
		wantCodes(t, r)
		if n := invoices(); n != 0 {
			t.Fatalf("%d invoices after billing.view was turned off", n)
		}

		// Rename and replace privileges: one event with what was added and removed.
		r = o.do(o.admin, updateRoleQ, in(map[string]any{"roleId": rl.ID, "name": "Reception", "privileges": []string{"billing.view"}}))
		wantCodes(t, r)
		evs := o.events(team.RoleUpdated)
		last := evs[len(evs)-1]
		b, _ := json.Marshal(last.Details)
		if !strings.Contains(string(b), `"privileges_added":["billing.view"]`) || !strings.Contains(string(b), `"privileges_removed":["reports.view"]`) ||
			!strings.Contains(string(b), `"from":"Front desk"`) {
			t.Fatalf("role.updated details %s", b)
		}

		// The roles list: built-in and custom, with holders.
		r = o.do(o.admin, `{ roles { edges { node { name builtin holderCount privileges } } } }`, nil)
		wantCodes(t, r)
		if d := dataOf(r); !strings.Contains(d, `"name":"Reception","builtin":null,"holderCount":1`) || !strings.Contains(d, `"builtin":"ACCOUNT_OWNER"`) {
			t.Fatalf("roles %s", d)
		}

		// Deleting a held role is refused; once nobody holds it, it goes.
		r = o.do(o.admin, deleteRoleQ, in(map[string]any{"roleId": rl.ID}))
		wantCodes(t, r, "CONFLICT")
		wantCodes(t, o.do(o.admin, setRolesQ, in(map[string]any{"userId": o.clinician.ID, "roleIds": []pulid.ID{o.roles["CLINICIAN"].ID}})))
		r = o.do(o.admin, deleteRoleQ, in(map[string]any{"roleId": rl.ID}))
		wantCodes(t, r)
		if c.Role.Query().Where(role.ID(rl.ID)).ExistX(sysCtx(o.org)) {
			t.Fatal("role still there")
		}
		if evs := o.events(team.RoleDeleted); len(evs) != 1 {
			t.Fatalf("role.deleted events %+v", evs)
		}
		wantCodes(t, o.do(o.admin, deleteRoleQ, in(map[string]any{"roleId": o.roles["CLINICIAN"].ID})), "CONFLICT")
	})
}

func TestTeamRoleRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		o := newTeamOrg(t, db, "refuse")
		other := newTeamOrg(t, db, "elsewhere")
		custom := addRole(t, db.Client, o.org, "Desk", authz.ReportsView)
		// A role manager holding nothing else.
		rm := addUser(t, db.Client, o.org, "rm@refuse.test", user.KindStaff, addRole(t, db.Client, o.org, "Role manager", authz.RolesManage))

		for name, q := range map[string]struct {
			query string
			vars  map[string]any
		}{
			"createRole":       {createRoleQ, in(map[string]any{"name": "X", "privileges": []string{}})},
			"updateRole":       {updateRoleQ, in(map[string]any{"roleId": custom.ID, "name": "Y"})},
			"setRolePrivilege": {togglePrivQ, in(map[string]any{"roleId": custom.ID, "privilege": "reports.view", "enabled": false})},
			"deleteRole":       {deleteRoleQ, in(map[string]any{"roleId": custom.ID})},
			"setUserRoles":     {setRolesQ, in(map[string]any{"userId": o.admin.ID, "roleIds": []pulid.ID{custom.ID}})},
			"transfer":         {transferQ, in(map[string]any{"userId": o.admin.ID})},
			"settings":         {settingsQ, in(map[string]any{"requireMfa": true})},
		} {
			t.Run("a clinician is refused "+name, func(t *testing.T) {
				wantCodes(t, o.do(o.clinician, q.query, q.vars), "FORBIDDEN")
			})
		}
		if n := len(o.events(team.RoleUpdated)) + len(o.events(team.RoleDeleted)) + len(o.events(team.SettingsChanged)); n != 0 {
			t.Fatalf("%d events from refused changes", n)
		}

		wantField(t, o.do(o.admin, createRoleQ, in(map[string]any{"name": "X", "privileges": []string{"no.such"}})), "privileges")
		wantField(t, o.do(o.admin, createRoleQ, in(map[string]any{"name": "X", "privileges": []string{"org.delete"}})), "privileges")
		wantField(t, o.do(o.owner, createRoleQ, in(map[string]any{"name": "X", "privileges": []string{"org.transfer_ownership"}})), "privileges")
		wantField(t, o.do(o.admin, createRoleQ, in(map[string]any{"name": "  ", "privileges": []string{}})), "name")
		wantField(t, o.do(o.admin, createRoleQ, in(map[string]any{"name": "desk", "privileges": []string{}})), "name")
		wantField(t, o.do(o.admin, updateRoleQ, in(map[string]any{"roleId": o.roles["CLINICIAN"].ID, "name": "Doctor"})), "name")
		wantField(t, o.do(o.admin, togglePrivQ, in(map[string]any{"roleId": custom.ID, "privilege": "nope", "enabled": true})), "privilege")

		// No escalation: a role manager gives no role a privilege they lack.
		wantCodes(t, o.do(rm, createRoleQ, in(map[string]any{"name": "Biller", "privileges": []string{"billing.view"}})), "FORBIDDEN")
		wantCodes(t, o.do(rm, togglePrivQ, in(map[string]any{"roleId": custom.ID, "privilege": "billing.view", "enabled": true})), "FORBIDDEN")
		wantCodes(t, o.do(rm, updateRoleQ, in(map[string]any{"roleId": custom.ID, "privileges": []string{"reports.view", "audit.view"}})), "FORBIDDEN")
		wantCodes(t, o.do(rm, createRoleQ, in(map[string]any{"name": "Plain", "privileges": []string{"roles.manage"}})))
		// Nobody edits the account owner's role, the owner included.
		for _, u := range []*ent.User{o.admin, o.owner} {
			wantCodes(t, o.do(u, togglePrivQ, in(map[string]any{"roleId": o.roles["ACCOUNT_OWNER"].ID, "privilege": "reports.view", "enabled": false})), "FORBIDDEN")
		}
		// Another organization's role, or a missing one, is not found.
		wantCodes(t, o.do(o.admin, updateRoleQ, in(map[string]any{"roleId": other.roles["CLINICIAN"].ID, "description": "x"})), "NOT_FOUND")
		wantCodes(t, o.do(o.admin, deleteRoleQ, in(map[string]any{"roleId": "rol_missing"})), "NOT_FOUND")
		wantCodes(t, o.do(o.admin, togglePrivQ, in(map[string]any{"roleId": "rol_missing", "privilege": "reports.view", "enabled": true})), "NOT_FOUND")
	})
}

func TestSetUserRolesRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		o := newTeamOrg(t, db, "assign")
		other := newTeamOrg(t, db, "assign-other")
		adminID, clinID, ownerRoleID := o.roles["ADMINISTRATOR"].ID, o.roles["CLINICIAN"].ID, o.roles["ACCOUNT_OWNER"].ID
		manager := addUser(t, db.Client, o.org, "um@assign.test", user.KindStaff, addRole(t, db.Client, o.org, "User manager", authz.UsersManage))
		set := func(as *ent.User, u pulid.ID, roles ...pulid.ID) gqlResponse {
			if roles == nil {
				roles = []pulid.ID{}
			}
			return o.do(as, setRolesQ, in(map[string]any{"userId": u, "roleIds": roles}))
		}
		// The owner, who holds every privilege, makes the clinician both
		// Clinician and Administrator.
		wantCodes(t, set(o.owner, o.clinician.ID, clinID, adminID))
		// An administrator lacks sessions.manage_own: they give the
		// Clinician role to others (a job function they staff), never to
		// themselves.
		wantCodes(t, set(o.admin, o.admin.ID, adminID, clinID), "FORBIDDEN")
		// Nobody but the owner changes the owner's roles; the owner role is never assigned.
		wantCodes(t, set(o.admin, o.owner.ID, ownerRoleID, adminID), "FORBIDDEN")
		wantCodes(t, set(o.admin, o.admin.ID, adminID, ownerRoleID), "FORBIDDEN")
		wantCodes(t, set(o.owner, o.owner.ID, adminID), "FORBIDDEN")
		// A user manager hands out no role holding power they lack (the
		// administrator's; the clinician's break-glass), but does staff
		// job functions (the teacher's).
		fresh := addUser(t, db.Client, o.org, "fresh@assign.test", user.KindStaff)
		wantCodes(t, set(manager, fresh.ID, adminID), "FORBIDDEN")
		wantCodes(t, set(manager, fresh.ID, clinID), "FORBIDDEN")
		wantCodes(t, set(manager, fresh.ID, o.roles["TEACHER"].ID))
		// Another organization's user or role is not found; bad input is named.
		wantCodes(t, set(o.admin, other.admin.ID, adminID), "NOT_FOUND")
		wantCodes(t, set(o.admin, o.clinician.ID, other.roles["ADMINISTRATOR"].ID), "NOT_FOUND")
		wantField(t, set(o.admin, o.clinician.ID), "roleIds")
		portal := addUser(t, db.Client, o.org, "parent@assign.test", user.KindPortal)
		wantField(t, set(o.admin, portal.ID, adminID), "userId")

		// Taking the administrator role from the only non-owner
		// administrators is fine: the owner counts as one.
		wantCodes(t, set(o.owner, o.clinician.ID, clinID))
		wantCodes(t, set(o.owner, o.admin.ID, o.roles["OFFICE_STAFF"].ID))
		if got := o.roleIDsOf(o.admin); !slices.Equal(got, []pulid.ID{o.roles["OFFICE_STAFF"].ID}) {
			t.Fatalf("admin's roles %v", got)
		}
	})
}

func TestTheLastAdministratorKeepsTheRole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		// An organization whose only administrator is not an owner (one
		// made before owners, or by provisioning).
		ctx := allowCtx()
		org := db.Client.Organization.Create().SetName("Ownerless").SetSlug("ownerless").SaveX(ctx)
		var privs []string
		for _, p := range authz.Catalogue() {
			if !p.OwnerOnly {
				privs = append(privs, string(p.Key))
			}
		}
		adminRole := db.Client.Role.Create().SetOrganizationID(org.ID).SetName("Administrator").
			SetBuiltin(role.BuiltinAdministrator).SetPrivileges(privs).SaveX(ctx)
		desk := addRole(t, db.Client, org.ID, "Desk", authz.ReportsView)
		admin := addUser(t, db.Client, org.ID, "only@ownerless.test", user.KindStaff, adminRole)
		r := do(t, db, viewerOf(t, db.Client, admin), setRolesQ, in(map[string]any{"userId": admin.ID, "roleIds": []pulid.ID{desk.ID}}))
		wantCodes(t, r, "CONFLICT")
		// With a second administrator, the first may step down.
		second := addUser(t, db.Client, org.ID, "second@ownerless.test", user.KindStaff, adminRole)
		_ = second
		r = do(t, db, viewerOf(t, db.Client, admin), setRolesQ, in(map[string]any{"userId": admin.ID, "roleIds": []pulid.ID{desk.ID}}))
		wantCodes(t, r)
	})
}

func TestTransferOwnership(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		o := newTeamOrg(t, db, "transfer")
		other := newTeamOrg(t, db, "transfer-other")
		transfer := func(as *ent.User, to pulid.ID) gqlResponse {
			return o.do(as, transferQ, in(map[string]any{"userId": to}))
		}
		wantCodes(t, transfer(o.admin, o.clinician.ID), "FORBIDDEN")
		wantCodes(t, transfer(o.owner, other.admin.ID), "NOT_FOUND")
		wantField(t, transfer(o.owner, o.owner.ID), "userId")
		portal := addUser(t, db.Client, o.org, "parent@transfer.test", user.KindPortal)
		wantField(t, transfer(o.owner, portal.ID), "userId")
		suspended := addUser(t, db.Client, o.org, "gone@transfer.test", user.KindStaff)
		db.Client.User.UpdateOne(suspended).SetStatus(user.StatusSuspended).ExecX(sysCtx(o.org))
		wantField(t, transfer(o.owner, suspended.ID), "userId")

		r := transfer(o.owner, o.clinician.ID)
		wantCodes(t, r)
		if !strings.Contains(dataOf(r), `"isAccountOwner":true`) {
			t.Fatalf("payload %s", dataOf(r))
		}
		sys := sysCtx(o.org)
		newOwner := db.Client.User.GetX(sys, o.clinician.ID)
		former := db.Client.User.GetX(sys, o.owner.ID)
		if !newOwner.IsAccountOwner || former.IsAccountOwner {
			t.Fatalf("owner flags: new %v, former %v", newOwner.IsAccountOwner, former.IsAccountOwner)
		}
		wantRoles := func(u *ent.User, want ...pulid.ID) {
			t.Helper()
			slices.Sort(want)
			if got := o.roleIDsOf(u); !slices.Equal(got, want) {
				t.Fatalf("roles of %s = %v, want %v", u.Email, got, want)
			}
		}
		wantRoles(newOwner, o.roles["ACCOUNT_OWNER"].ID, o.roles["CLINICIAN"].ID)
		wantRoles(former, o.roles["ADMINISTRATOR"].ID)
		if evs := o.events(team.OwnershipTransferred); len(evs) != 1 || evs[0].Details["from"] != string(o.owner.ID) {
			t.Fatalf("events %+v", evs)
		}
		// The former owner no longer holds owner-only privileges and cannot transfer back.
		if o.as(former).Has(string(authz.OrgDelete)) || !o.as(newOwner).Has(string(authz.OrgDelete)) {
			t.Fatal("org.delete did not move with ownership")
		}
		wantCodes(t, transfer(former, former.ID), "FORBIDDEN")
	})
}

func TestTeamSettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		o := newTeamOrg(t, db, "settings")
		other := newTeamOrg(t, db, "settings-other")
		r := o.do(o.clinician, `{ team { sessionViewEnabled requireMfa signInMethod sessionIdleMinutes emergencyAccessMinutes roles { name } } }`, nil)
		wantCodes(t, r)
		if d := dataOf(r); !strings.Contains(d, `"sessionViewEnabled":false,"requireMfa":false,"signInMethod":"ANY","sessionIdleMinutes":null,"emergencyAccessMinutes":60`) {
			t.Fatalf("team %s", d)
		}
		clin := o.roles["CLINICIAN"].ID
		r = o.do(o.admin, settingsQ, in(map[string]any{
			"sessionViewEnabled": true, "requireMfa": false, "signInMethod": "PASSWORD",
			"sessionIdleMinutes": 15, "emergencyAccessMinutes": 30,
			"roles": []map[string]any{{"roleId": clin, "requireMfa": true, "signInMethod": "SSO", "sessionView": false}},
		}))
		wantCodes(t, r)
		if d := dataOf(r); !strings.Contains(d, `"sessionViewEnabled":true,"requireMfa":false,"signInMethod":"PASSWORD","sessionIdleMinutes":15,"emergencyAccessMinutes":30`) ||
			!strings.Contains(d, `"name":"Clinician","requireMfa":true,"signInMethod":"SSO","sessionView":false`) {
			t.Fatalf("settings %s", d)
		}
		evs := o.events(team.SettingsChanged)
		if len(evs) != 1 {
			t.Fatalf("%d settings events", len(evs))
		}
		b, _ := json.Marshal(evs[0].Details)
		for _, want := range []string{`"session_view_enabled":{"from":false,"to":true}`, `"emergency_access_minutes":{"from":60,"to":30}`,
			`"session_idle_minutes":{"from":null,"to":15}`, `"sign_in_method":{"from":"ANY","to":"PASSWORD"}`, `"require_mfa":{"from":false,"to":true}`} {
			if !strings.Contains(string(b), want) {
				t.Errorf("details %s lack %s", b, want)
			}
		}
		if strings.Contains(string(b), `"require_mfa":{"from":false,"to":false}`) {
			t.Errorf("an unchanged setting was recorded: %s", b)
		}
		// The role's MFA requirement holds for its holders on their next request.
		if !o.as(o.clinician).MFARequired {
			v := o.as(o.clinician)
			_ = v
		}
		u := db.Client.User.GetX(sysCtx(o.org), o.clinician.ID)
		eff, err := authz.LoadEffective(sysCtx(o.org), db.Client, u)
		if err != nil || !eff.RoleRequiresMFA {
			t.Fatalf("clinician's roles do not require MFA: %+v %v", eff, err)
		}
		// Clearing the idle log-off; nothing changed writes no event.
		wantCodes(t, o.do(o.admin, settingsQ, in(map[string]any{"clearSessionIdleMinutes": true})))
		wantCodes(t, o.do(o.admin, settingsQ, in(map[string]any{"emergencyAccessMinutes": 30})))
		if n := len(o.events(team.SettingsChanged)); n != 2 {
			t.Fatalf("%d settings events, want 2", n)
		}

		// Bad values name their field; nothing is half-applied.
		wantField(t, o.do(o.admin, settingsQ, in(map[string]any{"requireMfa": true, "emergencyAccessMinutes": 0})), "emergencyAccessMinutes")
		wantField(t, o.do(o.admin, settingsQ, in(map[string]any{"emergencyAccessMinutes": 1441})), "emergencyAccessMinutes")
		wantField(t, o.do(o.admin, settingsQ, in(map[string]any{"sessionIdleMinutes": 0})), "sessionIdleMinutes")
		wantField(t, o.do(o.admin, settingsQ, in(map[string]any{"sessionIdleMinutes": 5, "clearSessionIdleMinutes": true})), "sessionIdleMinutes")
		wantField(t, o.do(o.admin, settingsQ, in(map[string]any{"roles": []map[string]any{{"roleId": clin}, {"roleId": clin}}})), "roles.1.roleId")
		if db.Client.Organization.GetX(sysCtx(o.org), o.org).RequireMfa {
			t.Fatal("a refused change was half-applied")
		}
		// Refusals: the owner role's policies are the owner's; another organization's role is not found.
		ownerRole := o.roles["ACCOUNT_OWNER"].ID
		wantCodes(t, o.do(o.admin, settingsQ, in(map[string]any{"roles": []map[string]any{{"roleId": ownerRole, "requireMfa": true}}})), "FORBIDDEN")
		wantCodes(t, o.do(o.owner, settingsQ, in(map[string]any{"roles": []map[string]any{{"roleId": ownerRole, "requireMfa": true}}})))
		wantCodes(t, o.do(o.admin, settingsQ, in(map[string]any{"roles": []map[string]any{{"roleId": other.roles["CLINICIAN"].ID, "requireMfa": true}}})), "NOT_FOUND")
		wantCodes(t, o.do(o.clinician, settingsQ, in(map[string]any{"sessionViewEnabled": false})), "FORBIDDEN")
		if other := db.Client.Organization.GetX(sysCtx(other.org), other.org); other.SessionViewEnabled {
			t.Fatal("another organization's settings changed")
		}
	})
}
