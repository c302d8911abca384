package main

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clinicgate/clinicgate/ent/patient"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// A server with a real PostgreSQL hot standby (streaming replication from
// a primary the test starts: initdb, pg_basebackup -R). Queries read from
// the standby while it has replayed the reader's fence; while its replay
// is paused (pg_wal_replay_pause), a link revoked and a role privilege
// toggled off through the primary are in force at the next request, which
// the primary answers although the standby still holds the old rows; a
// session's own write is visible to its next read; mutations always go to
// the primary; a standby that goes away is passed over and taken back once
// it answers again.
func TestAReadStandbyServesOnlyReadsThatCannotShowRevokedAccess(t *testing.T) {
	db, repl, standbyURL := storetest.OpenReplicated(t)
	ctx := context.Background()
	s := newMFAServer(t, db)
	owner := s.signIn("owner@demo.clinic")
	teacher := s.signIn("teacher@demo.clinic")
	sup := s.signIn("supervisor@demo.clinic")
	repl.WaitReplayed(t)

	standby, err := pgx.Connect(ctx, standbyURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { standby.Close(context.Background()) })

	allow := s.allow()
	teacherUser := db.User.Query().Where(user.EmailNormalized("teacher@demo.clinic")).OnlyX(allow)
	oliver := db.Patient.Query().Where(patient.GivenName("Oliver"), patient.FamilyName("Brown")).OnlyX(allow)
	ethan := db.Patient.Query().Where(patient.GivenName("Ethan"), patient.FamilyName("Nguyen")).OnlyX(allow)
	supRole := db.User.Query().Where(user.EmailNormalized("supervisor@demo.clinic")).OnlyX(allow).
		QueryRoles().Where(role.BuiltinEQ(role.BuiltinSupervisor)).OnlyX(allow)

	clientIDs := func(tok string) []string {
		t.Helper()
		d := s.ok(tok, `{ clients(first: 100) { edges { node { id } } } }`, nil)
		var ids []string
		for _, e := range d["clients"].(map[string]any)["edges"].([]any) {
			ids = append(ids, e.(map[string]any)["node"].(map[string]any)["id"].(string))
		}
		return ids
	}
	// served runs read and tells whether the standby answered it.
	served := func(read func()) (byStandby bool) {
		t.Helper()
		before := db.ReadStats()
		read()
		after := db.ReadStats()
		if after.Standby+after.PrimaryBehind+after.PrimaryDown != before.Standby+before.PrimaryBehind+before.PrimaryDown+1 {
			t.Fatalf("one query was not routed once: %+v then %+v", before, after)
		}
		return after.Standby > before.Standby
	}

	// Caught up: the standby answers, and the teacher reaches Oliver
	// through an explicit link.
	var seen []string
	if !served(func() { seen = clientIDs(teacher) }) {
		t.Fatalf("a caught-up standby did not answer: %+v", db.ReadStats())
	}
	if !slices.Contains(seen, string(oliver.ID)) {
		t.Fatalf("the teacher does not reach Oliver before the revoke: %v", seen)
	}
	supBefore := len(clientIDs(sup))

	// Replay paused: the standby stops where it is.
	if _, err := standby.Exec(ctx, "SELECT pg_wal_replay_pause()"); err != nil {
		t.Fatal(err)
	}
	s.ok(owner, `mutation($u: ID!, $c: ID!) { revokeClientAccess(input: {userId: $u, clientId: $c}) { clientAccessId } }`,
		map[string]any{"u": teacherUser.ID, "c": oliver.ID})
	s.ok(owner, `mutation($r: ID!, $p: String!) { setRolePrivilege(input: {roleId: $r, privilege: $p, enabled: false}) { role { id } } }`,
		map[string]any{"r": supRole.ID, "p": string(authz.ClientsAccessBusinessUnit)})
	var stale int
	if err := standby.QueryRow(ctx, "SELECT count(*) FROM client_accesses WHERE user_id = $1 AND client_id = $2",
		string(teacherUser.ID), string(oliver.ID)).Scan(&stale); err != nil {
		t.Fatal(err)
	}
	if stale != 1 {
		t.Fatalf("the paused standby lost the link already (%d rows): the test proves nothing", stale)
	}

	// The revoked user does not read through it.
	if served(func() { seen = clientIDs(teacher) }) {
		t.Fatal("a standby that has not replayed the revoke answered the teacher")
	}
	if slices.Contains(seen, string(oliver.ID)) {
		t.Fatalf("the revoked link still shows Oliver: %v", seen)
	}
	if d := s.ok(teacher, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": oliver.ID}); d["node"] != nil {
		t.Fatalf("node(id) still shows Oliver after the revoke: %v", d)
	}
	if n := len(clientIDs(sup)); n >= supBefore {
		t.Fatalf("the supervisor still reaches %d clients (before: %d) with the privilege off", n, supBefore)
	}

	// Replay resumed and caught up: the standby answers again, and shows
	// the new state.
	if _, err := standby.Exec(ctx, "SELECT pg_wal_replay_resume()"); err != nil {
		t.Fatal(err)
	}
	repl.WaitReplayed(t)
	if !served(func() { seen = clientIDs(teacher) }) {
		t.Fatalf("the caught-up standby did not answer: %+v", db.ReadStats())
	}
	if slices.Contains(seen, string(oliver.ID)) {
		t.Fatalf("through the caught-up standby the revoked link still shows Oliver: %v", seen)
	}

	// A session's own write, with replay paused again: a grant takes
	// nothing away, so it leaves the access sequence alone and others may
	// go on reading through the standby (they see the grant a little
	// later); the granting session's next read must see it, and the
	// primary answers it (the session's write sequence).
	if _, err := standby.Exec(ctx, "SELECT pg_wal_replay_pause()"); err != nil {
		t.Fatal(err)
	}
	s.ok(owner, `mutation($u: ID!, $c: ID!) { grantClientAccess(input: {userId: $u, clientId: $c}) { clientAccess { id } } }`,
		map[string]any{"u": teacherUser.ID, "c": ethan.ID})
	ownGrant := `query($id: ID!) { node(id: $id) { ... on User { clientAccesses(first: 50) { edges { node { client { id } } } } } } }`
	var links []any
	if served(func() {
		links = s.ok(owner, ownGrant, map[string]any{"id": teacherUser.ID})["node"].(map[string]any)["clientAccesses"].(map[string]any)["edges"].([]any)
	}) {
		t.Fatal("the paused standby answered the session that has just written")
	}
	found := false
	for _, l := range links {
		found = found || l.(map[string]any)["node"].(map[string]any)["client"].(map[string]any)["id"] == string(ethan.ID)
	}
	if !found {
		t.Fatalf("the owner's next read misses the owner's own grant: %v", links)
	}
	if !served(func() { seen = clientIDs(teacher) }) {
		t.Fatal("a grant kept the paused standby from answering others")
	}
	if _, err := standby.Exec(ctx, "SELECT pg_wal_replay_resume()"); err != nil {
		t.Fatal(err)
	}
	repl.WaitReplayed(t)
	if !served(func() { seen = clientIDs(teacher) }) || !slices.Contains(seen, string(ethan.ID)) {
		t.Fatalf("through the caught-up standby: %v (want Ethan)", seen)
	}

	// The standby goes away: reads go to the primary, without errors.
	repl.StopStandby(t)
	if served(func() { seen = clientIDs(teacher) }) || !slices.Contains(seen, string(ethan.ID)) {
		t.Fatalf("with the standby down: %v, %+v", seen, db.ReadStats())
	}
	if st := db.ReadStats(); st.PrimaryDown == 0 && st.PrimaryBehind == 0 {
		t.Fatalf("the down standby was not counted: %+v", st)
	}
	s.ok(owner, `mutation($r: ID!, $p: String!) { setRolePrivilege(input: {roleId: $r, privilege: $p, enabled: true}) { role { id } } }`,
		map[string]any{"r": supRole.ID, "p": string(authz.ClientsAccessBusinessUnit)})

	// And back: once it answers (after its back-off) it serves again.
	repl.StartStandby(t)
	repl.WaitReplayed(t)
	deadline := time.Now().Add(30 * time.Second)
	for !served(func() { seen = clientIDs(sup) }) {
		if time.Now().After(deadline) {
			t.Fatalf("the standby was not taken back within 30 s: %+v", db.ReadStats())
		}
		time.Sleep(20 * time.Millisecond) // polling for its back-off to pass
	}
	if len(seen) != supBefore {
		t.Fatalf("the supervisor reaches %d clients through the standby after the privilege came back, want %d", len(seen), supBefore)
	}
}
