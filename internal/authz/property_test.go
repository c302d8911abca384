package authz_test

// The access decision on random organizations, against a reference
// evaluator written from DOMAIN.md ("Who can see a client", "Readings where
// the articles are silent") in plain Go over the generated data. The
// reference does not call package authz: if both were wrong the same way,
// this test could not tell, so it is kept small enough to check by eye.

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// propertyChecks is how many random organizations each dialect gets,
// unless -rapid.checks or RAPID_CHECKS says otherwise.
const propertyChecks = 30

// The privileges the generator puts into roles: the four that open paths,
// and others that must open none.
var genPrivileges = []string{
	string(authz.ClientsAccessAll),
	string(authz.ClientsAccessBusinessUnit),
	string(authz.StaffProfilesAccessAll),
	string(authz.StaffProfilesAccessPrimaryBusinessUnit),
	string(authz.BillingView),
	string(authz.BillingManage),
	string(authz.ReportsView),
	string(authz.DocumentsView),
	string(authz.HomeworkView),
	string(authz.SurveysView),
	string(authz.ScheduleViewAll),
	string(authz.UsersManage),
	string(authz.EmergencyAccessUse),
	string(authz.OrgDelete),     // owner-only
	"clients.access.everything", // not in the catalogue
}

// The schedule levels and office-staff tabs the generator gives users.
var (
	genLevels = []user.ScheduleAccess{user.ScheduleAccessNone, user.ScheduleAccessOwnOnly, user.ScheduleAccessEditOwn,
		user.ScheduleAccessEditOwnViewAll, user.ScheduleAccessViewEditAll}
	genTabs = []string{"dashboard", "reports", "scheduler", "billing", "clients"}
)

// Expiry instants relative to now: before, at (gone: exclusive), after.
var genOffsets = []time.Duration{-time.Hour, -time.Microsecond, 0, time.Microsecond, time.Hour}

// The model of a generated organization: indexes into its own slices.
type (
	mClient struct {
		id         pulid.ID
		unit       int // -1: none
		restricted bool
	}
	mRole struct {
		id     pulid.ID
		privs  []string
		office bool // the built-in office-staff role
	}
	mUser struct {
		id      pulid.ID
		portal  bool
		status  user.Status
		owner   bool
		roles   []int
		units   []int
		primary int // -1: none
		level   user.ScheduleAccess
		tabs    []string
	}
	mLink struct {
		user, target int
		expires      *time.Time
	}
	mEmergency struct {
		user, client int
		expires      time.Time
		ended        *time.Time
	}
	mPortal struct {
		user, client int
		perm         map[string]bool // "documents", "sessions", "billing", "surveys"
	}
	mAppointment struct {
		id               pulid.ID
		client, provider int
	}
	// mRecords: the one document, homework, survey response and invoice
	// of each client, by kind.
	mRecords map[string]pulid.ID
	mProfile struct {
		id   pulid.ID
		unit int // -1: none
		user int // -1: none
	}
	model struct {
		units        []pulid.ID
		clients      []mClient
		roles        []mRole
		users        []mUser
		links        []mLink
		emergencies  []mEmergency
		portals      []mPortal
		profiles     []mProfile
		profileLinks []mLink
		records      []mRecords // by client
		appointments []mAppointment
	}
)

// The record kinds: the staff privilege and the portal permission that
// open each (DOMAIN.md, "Minimum necessary per record kind"; seed 002).
var recordKinds = []struct{ kind, privilege, portal string }{
	{"document", "documents.view", "documents"},
	{"homework", "homework.view", "sessions"},
	{"survey", "surveys.view", "surveys"},
	{"invoice", "billing.view", "billing"},
}

// tabOpens: what each office-staff tab opens (seed 003, DOMAIN.md "each
// tab opens what it names"); dashboard and clients open no privilege.
var tabOpens = map[string][]string{
	"reports":   {"reports.view"},
	"billing":   {"billing.view", "billing.manage"},
	"scheduler": {"schedule.view_all"},
}

func tabGuarded(p string) bool {
	for _, ps := range tabOpens {
		if slices.Contains(ps, p) {
			return true
		}
	}
	return false
}

// holds reports whether u holds privilege p, as DOMAIN.md has it: the
// union over the user's roles; owner-only privileges count for the account
// owner only; keys outside the catalogue grant nothing. Office staff (the
// office-staff role among theirs) get the tab-guarded privileges of that
// role from exactly their ticked tabs; other users' tabs open nothing.
func (m *model) holds(u mUser, p string) bool {
	if u.portal {
		return false
	}
	office := false
	for _, r := range u.roles {
		office = office || m.roles[r].office
		if m.roles[r].office && tabGuarded(p) {
			continue
		}
		if slices.Contains(m.roles[r].privs, p) {
			if p == string(authz.OrgDelete) && !u.owner {
				continue
			}
			return true
		}
	}
	if office {
		for _, tab := range u.tabs {
			if slices.Contains(tabOpens[tab], p) {
				return true
			}
		}
	}
	return false
}

// refRecord: may user ui read client ci's record of kind k? Staff who
// reach the client and hold the kind's privilege; portal users linked to
// the client with the kind's permission.
func (m *model) refRecord(ui, ci int, kind, privilege, portal string) bool {
	u := m.users[ui]
	if !m.refClient(ui, ci) {
		return false
	}
	if u.portal {
		for _, p := range m.portals {
			if p.user == ui && p.client == ci && p.perm[portal] {
				return true
			}
		}
		return false
	}
	return m.holds(u, privilege)
}

// refAppointment: may user ui see appointment a? Portal users on linked
// clients with sessions & homework. Staff (DOMAIN.md, seed 003): NONE
// without the scheduler privilege sees nothing; any other level the
// sessions of reached clients and the user's own; the view-all levels and
// the scheduler privilege every provider's, a restricted client's only
// when reached.
func (m *model) refAppointment(ui int, a mAppointment) bool {
	u := m.users[ui]
	if u.portal {
		return m.refRecord(ui, a.client, "appointment", "", "sessions")
	}
	if u.status != user.StatusActive {
		return false
	}
	viewsAll := u.level == user.ScheduleAccessEditOwnViewAll || u.level == user.ScheduleAccessViewEditAll ||
		m.holds(u, "schedule.view_all")
	if !viewsAll && u.level == user.ScheduleAccessNone {
		return false
	}
	if a.provider == ui || m.refClient(ui, a.client) {
		return true
	}
	return viewsAll && !m.clients[a.client].restricted
}

func linkOpen(exp *time.Time, at time.Time) bool { return exp == nil || at.Before(*exp) }

// refClient: may user ui reach client ci at now? "Who can see a client".
func (m *model) refClient(ui, ci int) bool {
	u, c := m.users[ui], m.clients[ci]
	if u.status != user.StatusActive { // reaches nothing
		return false
	}
	if u.portal { // only the clients they are linked to
		for _, p := range m.portals {
			if p.user == ui && p.client == ci {
				return true
			}
		}
		return false
	}
	// 1. organization-wide, not restricted clients
	if m.holds(u, string(authz.ClientsAccessAll)) && !c.restricted {
		return true
	}
	// 3. the client's business unit among the user's, with the privilege;
	// the primary business unit grants nothing here.
	if m.holds(u, string(authz.ClientsAccessBusinessUnit)) && !c.restricted &&
		c.unit >= 0 && slices.Contains(u.units, c.unit) {
		return true
	}
	// 2. an explicit link, until its exclusive expiry
	for _, l := range m.links {
		if l.user == ui && l.target == ci && linkOpen(l.expires, now) {
			return true
		}
	}
	// emergency access: a temporary link, until expiry, not once ended
	for _, e := range m.emergencies {
		if e.user == ui && e.client == ci && now.Before(e.expires) && (e.ended == nil || now.Before(*e.ended)) {
			return true
		}
	}
	return false
}

// refProfile: may user ui reach staff profile pi at now?
func (m *model) refProfile(ui, pi int) bool {
	u, p := m.users[ui], m.profiles[pi]
	if u.status != user.StatusActive || u.portal {
		return false
	}
	if m.holds(u, string(authz.StaffProfilesAccessAll)) {
		return true
	}
	if p.user == ui { // one's own profile
		return true
	}
	// 4. the user's primary business unit (not the others) with the privilege
	if m.holds(u, string(authz.StaffProfilesAccessPrimaryBusinessUnit)) && u.primary >= 0 && p.unit == u.primary {
		return true
	}
	for _, l := range m.profileLinks {
		if l.user == ui && l.target == pi && linkOpen(l.expires, now) {
			return true
		}
	}
	return false
}

func (m *model) String() string {
	var b strings.Builder
	unit := func(i int) string {
		if i < 0 {
			return "-"
		}
		return fmt.Sprintf("U%d", i)
	}
	exp := func(t *time.Time) string {
		if t == nil {
			return "never"
		}
		if d := t.Sub(now); d < 0 {
			return "now" + d.String()
		} else {
			return "now+" + d.String()
		}
	}
	fmt.Fprintf(&b, "units: %d\n", len(m.units))
	for i, c := range m.clients {
		fmt.Fprintf(&b, "client C%d %s unit=%s restricted=%v\n", i, c.id, unit(c.unit), c.restricted)
	}
	for i, r := range m.roles {
		fmt.Fprintf(&b, "role R%d %v office=%v\n", i, r.privs, r.office)
	}
	for i, u := range m.users {
		fmt.Fprintf(&b, "user P%d %s portal=%v status=%s owner=%v roles=%v units=%v primary=%s level=%s tabs=%v\n",
			i, u.id, u.portal, u.status, u.owner, u.roles, u.units, unit(u.primary), u.level, u.tabs)
	}
	for _, l := range m.links {
		fmt.Fprintf(&b, "link P%d→C%d expires %s\n", l.user, l.target, exp(l.expires))
	}
	for _, e := range m.emergencies {
		fmt.Fprintf(&b, "emergency P%d→C%d expires %s ended %s\n", e.user, e.client, exp(&e.expires), exp(e.ended))
	}
	for _, p := range m.portals {
		fmt.Fprintf(&b, "portal P%d→C%d %v\n", p.user, p.client, p.perm)
	}
	for _, a := range m.appointments {
		fmt.Fprintf(&b, "appointment %s C%d by P%d\n", a.id, a.client, a.provider)
	}
	for i, p := range m.profiles {
		fmt.Fprintf(&b, "profile S%d %s unit=%s user=%d\n", i, p.id, unit(p.unit), p.user)
	}
	for _, l := range m.profileLinks {
		fmt.Fprintf(&b, "profile link P%d→S%d expires %s\n", l.user, l.target, exp(l.expires))
	}
	return b.String()
}

// subset draws a random subset of 0..n-1.
func subset(t *rapid.T, n int, label string) []int {
	var out []int
	for i := 0; i < n; i++ {
		if rapid.Bool().Draw(t, fmt.Sprintf("%s%d", label, i)) {
			out = append(out, i)
		}
	}
	return out
}

func drawExpiry(t *rapid.T, label string) *time.Time {
	i := rapid.IntRange(-1, len(genOffsets)-1).Draw(t, label)
	if i < 0 {
		return nil
	}
	return ptr(now.Add(genOffsets[i]))
}

// generate draws a random organization and writes it to the database.
func generate(t *rapid.T, c *ent.Client) *model {
	f := newFixture(t, c)
	m := &model{}

	units := make([]*ent.BusinessUnit, rapid.IntRange(1, 3).Draw(t, "units"))
	for i := range units {
		units[i] = f.unit()
		m.units = append(m.units, units[i].ID)
	}
	unitOf := func(i int) *ent.BusinessUnit {
		if i < 0 {
			return nil
		}
		return units[i]
	}

	clients := make([]*ent.Patient, rapid.IntRange(1, 6).Draw(t, "clients"))
	for i := range clients {
		mc := mClient{
			unit:       rapid.IntRange(-1, len(units)-1).Draw(t, "clientUnit"),
			restricted: rapid.IntRange(0, 2).Draw(t, "restricted") == 0,
		}
		clients[i] = f.client(unitOf(mc.unit), mc.restricted)
		mc.id = clients[i].ID
		m.clients = append(m.clients, mc)
		m.records = append(m.records, mRecords{
			"document": f.document(clients[i]).ID,
			"homework": f.homework(clients[i]).ID,
			"survey":   f.survey(clients[i]).ID,
			"invoice":  f.invoice(clients[i]).ID,
		})
	}

	roles := make([]*ent.Role, rapid.IntRange(2, 4).Draw(t, "roles"))
	// The first role may be the built-in office-staff role (at most one
	// per organization), with any privileges toggled onto it.
	office := rapid.Bool().Draw(t, "officeRole")
	for i := range roles {
		var privs []authz.Privilege
		var keys []string
		for _, p := range subset(t, len(genPrivileges), "priv") {
			privs = append(privs, authz.Privilege(genPrivileges[p]))
			keys = append(keys, genPrivileges[p])
		}
		if i == 0 && office {
			roles[i] = f.officeRole(privs...)
		} else {
			roles[i] = f.role(privs...)
		}
		m.roles = append(m.roles, mRole{id: roles[i].ID, privs: keys, office: i == 0 && office})
	}

	statuses := []user.Status{user.StatusActive, user.StatusActive, user.StatusActive, user.StatusSuspended, user.StatusDeleted}
	nStaff := rapid.IntRange(1, 5).Draw(t, "staff")
	nPortal := rapid.IntRange(0, 2).Draw(t, "portal")
	owner := rapid.IntRange(-1, nStaff-1).Draw(t, "owner")
	users := make([]*ent.User, nStaff+nPortal)
	for i := range users {
		mu := mUser{
			portal:  i >= nStaff,
			status:  rapid.SampledFrom(statuses).Draw(t, "status"),
			owner:   i == owner,
			primary: rapid.IntRange(-1, len(units)-1).Draw(t, "primary"),
			level:   rapid.SampledFrom(genLevels).Draw(t, "level"),
		}
		for _, i := range subset(t, len(genTabs), "tab") {
			mu.tabs = append(mu.tabs, genTabs[i])
		}
		// Portal users get roles and business units too: they must open
		// nothing for them.
		mu.roles = subset(t, len(roles), "role")
		mu.units = subset(t, len(units), "unit")
		opts := []userOpt{withStatus(mu.status), schedule(mu.level), withTabs(mu.tabs...)}
		for _, r := range mu.roles {
			opts = append(opts, withRoles(roles[r]))
		}
		for _, u := range mu.units {
			opts = append(opts, inUnits(units[u]))
		}
		if mu.primary >= 0 {
			opts = append(opts, primaryUnit(units[mu.primary]))
		}
		if mu.owner {
			opts = append(opts, accountOwner())
		}
		kind := user.KindStaff
		if mu.portal {
			kind = user.KindPortal
		}
		users[i] = f.newUser(kind, opts...)
		mu.id = users[i].ID
		m.users = append(m.users, mu)
	}

	type pair struct{ a, b int }
	seen := map[pair]bool{}
	for range rapid.IntRange(0, 8).Draw(t, "links") {
		l := mLink{
			user:    rapid.IntRange(0, len(users)-1).Draw(t, "linkUser"),
			target:  rapid.IntRange(0, len(clients)-1).Draw(t, "linkClient"),
			expires: drawExpiry(t, "linkExpiry"),
		}
		if seen[pair{l.user, l.target}] { // one link per user and client
			continue
		}
		seen[pair{l.user, l.target}] = true
		f.link(users[l.user], clients[l.target], l.expires, nil)
		m.links = append(m.links, l)
	}

	unended := map[pair]bool{}
	for range rapid.IntRange(0, 4).Draw(t, "emergencies") {
		e := mEmergency{
			user:   rapid.IntRange(0, len(users)-1).Draw(t, "emUser"),
			client: rapid.IntRange(0, len(clients)-1).Draw(t, "emClient"),
		}
		switch rapid.IntRange(0, 4).Draw(t, "emKind") {
		case 0: // open
			e.expires = now.Add(50 * time.Minute)
		case 1: // expired just now
			e.expires = now
		case 2: // expired a microsecond ago
			e.expires = now.Add(-time.Microsecond)
		case 3: // ended early, before now
			e.expires, e.ended = now.Add(50*time.Minute), ptr(now.Add(-5*time.Minute))
		case 4: // ended just now
			e.expires, e.ended = now.Add(50*time.Minute), ptr(now)
		}
		if e.ended == nil { // one window not ended per user and client
			if unended[pair{e.user, e.client}] {
				continue
			}
			unended[pair{e.user, e.client}] = true
		}
		f.emergency(users[e.user], clients[e.client], e.expires.Add(-time.Hour), e.expires, e.ended, "urgent safeguarding call")
		m.emergencies = append(m.emergencies, e)
	}

	seen = map[pair]bool{}
	for range rapid.IntRange(0, 4).Draw(t, "portals") {
		// Mostly portal users; a staff user's portal row must open nothing.
		p := mPortal{
			user:   rapid.IntRange(0, len(users)-1).Draw(t, "portalUser"),
			client: rapid.IntRange(0, len(clients)-1).Draw(t, "portalClient"),
		}
		if nPortal > 0 && rapid.IntRange(0, 3).Draw(t, "portalIsPortal") > 0 {
			p.user = nStaff + rapid.IntRange(0, nPortal-1).Draw(t, "portalPortalUser")
		}
		if seen[pair{p.user, p.client}] {
			continue
		}
		seen[pair{p.user, p.client}] = true
		pp := perms{
			documents:        rapid.Bool().Draw(t, "pDocuments"),
			sessionsHomework: rapid.Bool().Draw(t, "pSessions"),
			billing:          rapid.Bool().Draw(t, "pBilling"),
			surveys:          rapid.Bool().Draw(t, "pSurveys"),
		}
		p.perm = map[string]bool{"documents": pp.documents, "sessions": pp.sessionsHomework, "billing": pp.billing, "surveys": pp.surveys}
		f.portalLink(users[p.user], clients[p.client], pp, nil)
		m.portals = append(m.portals, p)
	}

	for range rapid.IntRange(0, 5).Draw(t, "appointments") {
		a := mAppointment{
			client:   rapid.IntRange(0, len(clients)-1).Draw(t, "aptClient"),
			provider: rapid.IntRange(0, nStaff-1).Draw(t, "aptProvider"),
		}
		a.id = f.appointment(clients[a.client], users[a.provider]).ID
		m.appointments = append(m.appointments, a)
	}

	profiles := make([]*ent.StaffProfile, rapid.IntRange(0, 4).Draw(t, "profiles"))
	owned := map[int]bool{}
	for i := range profiles {
		p := mProfile{
			unit: rapid.IntRange(-1, len(units)-1).Draw(t, "profileUnit"),
			user: rapid.IntRange(-1, nStaff-1).Draw(t, "profileUser"),
		}
		if p.user >= 0 && owned[p.user] { // a user has at most one profile
			p.user = -1
		}
		var u *ent.User
		if p.user >= 0 {
			owned[p.user] = true
			u = users[p.user]
		}
		profiles[i] = f.staffProfile(unitOf(p.unit), u)
		p.id = profiles[i].ID
		m.profiles = append(m.profiles, p)
	}

	seen = map[pair]bool{}
	if len(profiles) > 0 {
		for range rapid.IntRange(0, 4).Draw(t, "profileLinks") {
			l := mLink{
				user:    rapid.IntRange(0, len(users)-1).Draw(t, "plUser"),
				target:  rapid.IntRange(0, len(profiles)-1).Draw(t, "plProfile"),
				expires: drawExpiry(t, "plExpiry"),
			}
			if seen[pair{l.user, l.target}] {
				continue
			}
			seen[pair{l.user, l.target}] = true
			f.profileLink(users[l.user], profiles[l.target], l.expires)
			m.profileLinks = append(m.profileLinks, l)
		}
	}
	return m
}

// setRapidDefault sets a rapid flag for this test unless the command line
// or the environment chose it.
func setRapidDefault(t *testing.T, name, env, value string) {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	if _, ok := os.LookupEnv(env); set || ok {
		return
	}
	old := flag.Lookup(name).Value.String()
	if err := flag.Set(name, value); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = flag.Set(name, old) })
}

func TestAccessMatchesTheReferenceOnRandomOrganizations(t *testing.T) {
	setRapidDefault(t, "rapid.checks", "RAPID_CHECKS", strconv.Itoa(propertyChecks))
	// No fail file in the source tree: a failure prints -rapid.seed=N.
	setRapidDefault(t, "rapid.nofailfile", "RAPID_NOFAILFILE", "true")
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		rapid.Check(t, func(t *rapid.T) {
			m := generate(t, db.Client)
			checkModel(t, db.Client, m)
		})
	})
}

// checkModel compares, for every user and every client and staff profile,
// what the server decides with the reference.
func checkModel(t *rapid.T, c *ent.Client, m *model) {
	fail := func(format string, args ...any) {
		t.Fatalf("%s\norganization:\n%s", fmt.Sprintf(format, args...), m)
	}
	bg := context.Background()
	sys := at(viewer.ForSystem(bg, m.orgOf(t, c)), now)
	for ui, u := range m.users {
		var wantClients, wantProfiles []pulid.ID
		for ci, cl := range m.clients {
			if m.refClient(ui, ci) {
				wantClients = append(wantClients, cl.id)
			}
		}
		for pi, p := range m.profiles {
			if m.refProfile(ui, pi) {
				wantProfiles = append(wantProfiles, p.id)
			}
		}

		if u.status != user.StatusActive {
			// The session refuses them; nothing can be built for them,
			// and nothing explains a path for them.
			eu := must(c.User.Get(sys, u.id)).get(t)
			eff := must(authz.LoadEffective(sys, c, eu)).get(t)
			if len(eff.Privileges) != 0 {
				fail("P%d (%s) holds %v", ui, u.status, eff.Privileges)
			}
			if _, err := viewerFor(bg, c, u.id); err == nil {
				fail("a viewer was built for P%d (%s)", ui, u.status)
			}
			for ci, cl := range m.clients {
				e := must(authz.ExplainClient(sys, c, u.id, cl.id)).get(t)
				if e.Allowed {
					fail("explain: P%d (%s) reaches C%d by %+v", ui, u.status, ci, e.Paths)
				}
			}
			for pi, p := range m.profiles {
				e := must(authz.ExplainStaffProfile(sys, c, u.id, p.id)).get(t)
				if e.Allowed {
					fail("explain: P%d (%s) reaches S%d by %+v", ui, u.status, pi, e.Paths)
				}
			}
			continue
		}

		v := must(viewerFor(bg, c, u.id)).get(t)
		ctx := at(viewer.NewContext(bg, v), now)

		// A request's decision cache must give the same answers.
		cached := authz.WithCache(ctx)

		got := must(c.Patient.Query().IDs(ctx)).get(t)
		if !slices.Equal(sorted(got), sorted(wantClients)) {
			fail("P%d lists clients %v, reference %v", ui, sorted(got), sorted(wantClients))
		}
		for ci, cl := range m.clients {
			want := m.refClient(ui, ci)
			for range 2 { // the second answer comes from the cache
				if ok := must(authz.CanReadClient(cached, c, cl.id)).get(t); ok != want {
					fail("CanReadClient(P%d, C%d) = %v, reference %v", ui, ci, ok, want)
				}
			}
			// Asked by the user about themself: what they read is
			// explained; what they do not is unknown to them, unless they
			// are an administrator, who is told why not.
			self, err := authz.ExplainClient(ctx, c, u.id, cl.id)
			if !want && !explainsAll(v) {
				if apperr.KindOf(err) != apperr.NotFound {
					fail("ExplainClient(P%d, C%d) by themself = %+v, %v; want NOT_FOUND", ui, ci, self, err)
				}
			} else if err != nil || self.Allowed != want {
				fail("ExplainClient(P%d, C%d) by themself = %+v, %v; reference %v", ui, ci, self, err, want)
			}
			// Asked by the server, which is told about every client.
			e := must(authz.ExplainClient(sys, c, u.id, cl.id)).get(t)
			if e.Allowed != want {
				fail("ExplainClient(P%d, C%d).Allowed = %v, reference %v; paths %+v notes %v", ui, ci, e.Allowed, want, e.Paths, e.Notes)
			}
			if e.Allowed != (len(e.Paths) > 0) {
				fail("ExplainClient(P%d, C%d): allowed %v with paths %+v", ui, ci, e.Allowed, e.Paths)
			}
		}

		// Each record kind, and the schedule.
		for _, k := range recordKinds {
			var want []pulid.ID
			for ci := range m.clients {
				if m.refRecord(ui, ci, k.kind, k.privilege, k.portal) {
					want = append(want, m.records[ci][k.kind])
				}
			}
			var got []pulid.ID
			switch k.kind {
			case "document":
				got = must(c.Document.Query().IDs(ctx)).get(t)
			case "homework":
				got = must(c.Homework.Query().IDs(ctx)).get(t)
			case "survey":
				got = must(c.SurveyResponse.Query().IDs(ctx)).get(t)
			case "invoice":
				got = must(c.Invoice.Query().IDs(ctx)).get(t)
			}
			if !slices.Equal(sorted(got), sorted(want)) {
				fail("P%d lists %s %v, reference %v", ui, k.kind, sorted(got), sorted(want))
			}
		}
		var wantApts []pulid.ID
		for _, a := range m.appointments {
			if m.refAppointment(ui, a) {
				wantApts = append(wantApts, a.id)
			}
		}
		if got := must(c.Appointment.Query().IDs(ctx)).get(t); !slices.Equal(sorted(got), sorted(wantApts)) {
			fail("P%d lists appointments %v, reference %v", ui, sorted(got), sorted(wantApts))
		}

		got = must(c.StaffProfile.Query().IDs(ctx)).get(t)
		if !slices.Equal(sorted(got), sorted(wantProfiles)) {
			fail("P%d lists staff profiles %v, reference %v", ui, sorted(got), sorted(wantProfiles))
		}
		for pi, p := range m.profiles {
			want := m.refProfile(ui, pi)
			for range 2 {
				if ok := must(authz.CanReadStaffProfile(cached, c, p.id)).get(t); ok != want {
					fail("CanReadStaffProfile(P%d, S%d) = %v, reference %v", ui, pi, ok, want)
				}
			}
			self, err := authz.ExplainStaffProfile(ctx, c, u.id, p.id)
			if !want && !explainsAll(v) {
				if apperr.KindOf(err) != apperr.NotFound {
					fail("ExplainStaffProfile(P%d, S%d) by themself = %+v, %v; want NOT_FOUND", ui, pi, self, err)
				}
			} else if err != nil || self.Allowed != want {
				fail("ExplainStaffProfile(P%d, S%d) by themself = %+v, %v; reference %v", ui, pi, self, err, want)
			}
			e := must(authz.ExplainStaffProfile(sys, c, u.id, p.id)).get(t)
			if e.Allowed != want {
				fail("ExplainStaffProfile(P%d, S%d).Allowed = %v, reference %v; paths %+v notes %v", ui, pi, e.Allowed, want, e.Paths, e.Notes)
			}
		}
	}
}

// orgOf returns the organization of the model's rows.
func (m *model) orgOf(t *rapid.T, c *ent.Client) pulid.ID {
	return must(c.BusinessUnit.Get(allow(), m.units[0])).get(t).OrganizationID
}

// explainsAll: administrators are told about every client and profile.
func explainsAll(v *viewer.Viewer) bool {
	return v.Has(string(authz.UsersManage)) || v.Has(string(authz.AuditView))
}
