package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/config"
	"github.com/clinicgate/clinicgate/internal/demo"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/testdb"
)

const demoPassword = "correct horse battery staple"

// mfaServer is the whole API over a seeded demo organization, on a fake
// clock, spoken to over HTTP.
type mfaServer struct {
	t   *testing.T
	db  *store.DB
	clk *clock.Fake
	url string
}

func newMFAServer(t *testing.T, db *store.DB) *mfaServer {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2031, 5, 6, 7, 0, 0, 0, time.UTC))
	cheap := password.Hasher{Params: password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32}}
	if _, err := demo.Seed(ctx, db.Client, demo.Params{Password: demoPassword, Clock: clk, Hasher: cheap}); err != nil {
		t.Fatal(err)
	}
	return startOn(t, db, clk)
}

// startOn serves another instance of the API over db: a second replica
// shares nothing with the first but the database.
func startOn(t *testing.T, db *store.DB, clk *clock.Fake) *mfaServer {
	t.Helper()
	cfg, err := config.Load(flag.NewFlagSet("serve", flag.ContinueOnError), nil, env(sqliteEnv(t)))
	if err != nil {
		t.Fatal(err)
	}
	cfg.SecretKey = []byte("0123456789abcdef0123456789abcdef0123456789abcdef")
	api, _ := newHandlers(db, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), clk)
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	return &mfaServer{t: t, db: db, clk: clk, url: srv.URL}
}

func (s *mfaServer) allow() context.Context {
	return privacy.DecisionContext(context.Background(), privacy.Allow)
}

func (s *mfaServer) signIn(email string) string {
	s.t.Helper()
	status, out := postJSON(s.t, s.url+"/auth/login", "", map[string]string{"organization": "demo", "email": email, "password": demoPassword})
	tok, _ := out["token"].(string)
	if status != http.StatusOK || tok == "" {
		s.t.Fatalf("sign-in of %s: %d %v", email, status, out)
	}
	return tok
}

// gql runs one operation and returns its data and the codes of its errors.
func (s *mfaServer) gql(tok, q string, vars map[string]any) (map[string]any, []string) {
	s.t.Helper()
	_, out := postJSON(s.t, s.url+"/graphql", tok, map[string]any{"query": q, "variables": vars})
	var codes []string
	if errs, ok := out["errors"].([]any); ok {
		for _, e := range errs {
			ext, _ := e.(map[string]any)["extensions"].(map[string]any)
			c, _ := ext["code"].(string)
			codes = append(codes, c)
		}
	}
	data, _ := out["data"].(map[string]any)
	return data, codes
}

// ok runs an operation that must succeed.
func (s *mfaServer) ok(tok, q string, vars map[string]any) map[string]any {
	s.t.Helper()
	data, codes := s.gql(tok, q, vars)
	if len(codes) > 0 {
		s.t.Fatalf("%s: %v", q, codes)
	}
	return data
}

// refused runs an operation that must fail with code.
func (s *mfaServer) refused(tok, code, q string, vars map[string]any) {
	s.t.Helper()
	if _, codes := s.gql(tok, q, vars); len(codes) == 0 || codes[0] != code {
		s.t.Fatalf("%s: codes %v, want %s", q, codes, code)
	}
}

func (s *mfaServer) requireOrgMFA() {
	s.t.Helper()
	if err := s.db.Organization.Update().Where(organization.Slug("demo")).SetRequireMfa(true).Exec(s.allow()); err != nil {
		s.t.Fatal(err)
	}
}

func (s *mfaServer) code(secret string, at time.Time) string {
	s.t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

const (
	qClients  = `{ clients(first: 1) { totalCount } }`
	qMFA      = `{ viewer { mfa { required enrolled nextStep recoveryCodesRemaining authenticatorApps { id name } } } }`
	mEnrol    = `mutation { enrollAuthenticatorApp(input: {name: "Work phone"}) { factorId otpauthUri qrCode secret } }`
	mConfirm  = `mutation($f: ID!, $c: String!) { confirmAuthenticatorApp(input: {factorId: $f, code: $c}) { authenticatorApp { id name } recoveryCodes } }`
	mVerify   = `mutation($c: String!) { verifyMfa(input: {code: $c}) { method recoveryCodesRemaining mfa { nextStep } } }`
	mIssueTok = `mutation { createScimToken(input: {name: "okta"}) { token } }`
)

// enrol takes a signed-in, MFA-pending user through enrolment and returns
// the secret and recovery codes.
func (s *mfaServer) enrol(tok string) (secret string, codes []string) {
	s.t.Helper()
	e := s.ok(tok, mEnrol, nil)["enrollAuthenticatorApp"].(map[string]any)
	secret = e["secret"].(string)
	if uri := e["otpauthUri"].(string); !strings.HasPrefix(uri, "otpauth://totp/") || !strings.Contains(uri, "secret="+secret) || !strings.Contains(uri, "period=30") {
		s.t.Fatalf("otpauth URI %q", uri)
	}
	if qr := e["qrCode"].(string); !strings.HasPrefix(qr, "data:image/png;base64,iVBOR") {
		s.t.Fatalf("QR code is not a PNG data URL: %.40s", qr)
	}
	c := s.ok(tok, mConfirm, map[string]any{"f": e["factorId"], "c": s.code(secret, s.clk.Now())})["confirmAuthenticatorApp"].(map[string]any)
	for _, x := range c["recoveryCodes"].([]any) {
		codes = append(codes, x.(string))
	}
	if len(codes) != 10 {
		s.t.Fatalf("recovery codes = %v, want ten", codes)
	}
	return secret, codes
}

// An organization that requires MFA holds a new session at enrolment; the
// enrolled app then opens it, and at the next sign-in a code from the app
// is asked for, passes once, and passes with a step of clock skew.
func TestAuthenticatorAppEnrolmentThenVerificationOverHTTP(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newMFAServer(t, db)
		s.requireOrgMFA()
		tok := s.signIn("clinician@demo.clinic")
		s.refused(tok, "MFA_REQUIRED", qClients, nil)
		m := s.ok(tok, qMFA, nil)["viewer"].(map[string]any)["mfa"].(map[string]any)
		if m["required"] != true || m["enrolled"] != false || m["nextStep"] != "ENROL" {
			t.Fatalf("before enrolment: %v", m)
		}
		// A wrong code does not confirm.
		e := s.ok(tok, mEnrol, nil)["enrollAuthenticatorApp"].(map[string]any)
		s.refused(tok, "BAD_USER_INPUT", mConfirm, map[string]any{"f": e["factorId"], "c": "000000"})
		secret, _ := s.enrol(tok)
		s.ok(tok, qClients, nil) // the confirmation passed MFA in this session

		s.clk.Advance(time.Minute)
		tok = s.signIn("clinician@demo.clinic")
		s.refused(tok, "MFA_REQUIRED", qClients, nil)
		m = s.ok(tok, qMFA, nil)["viewer"].(map[string]any)["mfa"].(map[string]any)
		if m["nextStep"] != "VERIFY" || m["recoveryCodesRemaining"] != float64(10) {
			t.Fatalf("at the next sign-in: %v", m)
		}
		// A pending session may not add a factor beside the one it has
		// not passed.
		s.refused(tok, "MFA_REQUIRED", mEnrol, nil)
		code := s.code(secret, s.clk.Now().Add(-30*time.Second)) // the app's clock is a step behind
		v := s.ok(tok, mVerify, map[string]any{"c": code})["verifyMfa"].(map[string]any)
		if v["method"] != "totp" || v["mfa"].(map[string]any)["nextStep"] != "NONE" {
			t.Fatalf("verify: %v", v)
		}
		s.ok(tok, qClients, nil)

		// The same code again, in another session: refused (replay).
		other := s.signIn("clinician@demo.clinic")
		s.refused(other, "BAD_USER_INPUT", mVerify, map[string]any{"c": code})
		s.refused(other, "MFA_REQUIRED", qClients, nil)
		events, err := db.AuditEvent.Query().Where(auditevent.Action("auth.mfa_verified")).Count(s.allow())
		if err != nil || events != 2 { // the confirmation and the verification
			t.Fatalf("auth.mfa_verified events = %d (%v), want 2", events, err)
		}
	})
}

// Two requests racing with one fresh code: exactly one passes.
func TestAConcurrentlyReplayedCodePassesOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newMFAServer(t, db)
		s.requireOrgMFA()
		secret, _ := s.enrol(s.signIn("clinician@demo.clinic"))
		s.clk.Advance(90 * time.Second)
		const racers = 6
		toks := make([]string, racers)
		for i := range toks {
			toks[i] = s.signIn("clinician@demo.clinic")
		}
		code := s.code(secret, s.clk.Now())
		var wg sync.WaitGroup
		results := make([][]string, racers)
		for i := range toks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, results[i] = s.gql(toks[i], mVerify, map[string]any{"c": code})
			}()
		}
		wg.Wait()
		passed := 0
		for _, codes := range results {
			if len(codes) == 0 {
				passed++
			}
		}
		if passed != 1 {
			t.Fatalf("%d of %d racing verifications passed (%v), want exactly one", passed, racers, results)
		}
	})
}

// A recovery code passes once and tells how many remain.
func TestARecoveryCodeIsSingleUse(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newMFAServer(t, db)
		s.requireOrgMFA()
		_, codes := s.enrol(s.signIn("clinician@demo.clinic"))
		tok := s.signIn("clinician@demo.clinic")
		v := s.ok(tok, mVerify, map[string]any{"c": strings.ToUpper(codes[3])})["verifyMfa"].(map[string]any)
		if v["method"] != "recovery_code" || v["recoveryCodesRemaining"] != float64(9) {
			t.Fatalf("recovery code: %v", v)
		}
		s.ok(tok, qClients, nil)
		s.refused(s.signIn("clinician@demo.clinic"), "BAD_USER_INPUT", mVerify, map[string]any{"c": codes[3]})
	})
}

// Wrong codes are audited and slowed by the sign-in throttle; ten in a row
// lock the second factor for fifteen minutes, even for the right code.
func TestWrongCodesLeadToLockout(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newMFAServer(t, db)
		s.requireOrgMFA()
		secret, _ := s.enrol(s.signIn("clinician@demo.clinic"))
		tok := s.signIn("clinician@demo.clinic")
		wrong := "123456"
		if wrong == s.code(secret, s.clk.Now()) {
			wrong = "654321"
		}
		throttled := false
		for i := 0; i < 10; i++ {
			_, codes := s.gql(tok, mVerify, map[string]any{"c": wrong})
			if len(codes) == 1 && codes[0] == "TOO_MANY_REQUESTS" {
				throttled = true
				s.clk.Advance(16 * time.Minute) // past the backoff
				_, codes = s.gql(tok, mVerify, map[string]any{"c": wrong})
			}
			if len(codes) != 1 || codes[0] != "BAD_USER_INPUT" {
				t.Fatalf("wrong code %d: %v", i+1, codes)
			}
		}
		if !throttled {
			t.Error("ten wrong codes in a row were never throttled")
		}
		s.clk.Advance(time.Minute)
		s.refused(tok, "TOO_MANY_REQUESTS", mVerify, map[string]any{"c": s.code(secret, s.clk.Now())})
		u, err := db.User.Query().Where(user.EmailNormalized("clinician@demo.clinic")).Only(s.allow())
		if err != nil || u.MfaLockedUntil == nil {
			t.Fatalf("locked until = %v (%v)", u.MfaLockedUntil, err)
		}
		failed, _ := db.AuditEvent.Query().Where(auditevent.Action("auth.mfa_verify_failed")).Count(s.allow())
		if failed < 10 {
			t.Errorf("%d failures audited, want 10", failed)
		}
		s.clk.Advance(16 * time.Minute)
		s.ok(tok, mVerify, map[string]any{"c": s.code(secret, s.clk.Now())})
		s.ok(tok, qClients, nil)
	})
}

// A code computed by Debian's oathtool, not by our own generator, passes.
func TestACodeFromOathtoolPasses(t *testing.T) {
	t.Parallel()
	oathtool, err := exec.LookPath("oathtool")
	if err != nil {
		t.Fatal("oathtool is not installed (Debian package oathtool; .ci/run installs it)")
	}
	db := storetest.Open(t, "postgres")
	s := newMFAServer(t, db)
	s.requireOrgMFA()
	tok := s.signIn("clinician@demo.clinic")
	e := s.ok(tok, mEnrol, nil)["enrollAuthenticatorApp"].(map[string]any)
	out, err := exec.Command(oathtool, "--totp", "-b", "--now", s.clk.Now().Format("2006-01-02 15:04:05 UTC"), e["secret"].(string)).Output()
	if err != nil {
		t.Fatal(err)
	}
	s.ok(tok, mConfirm, map[string]any{"f": e["factorId"], "c": strings.TrimSpace(string(out))})
	s.ok(tok, qClients, nil)
}

// MFA is required by the organization, by any of the user's roles, or by
// the user's own flag; each alone holds the session.
func TestEachPolicySourceForcesMFA(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newMFAServer(t, db)
		state := func() string {
			_, out := postJSON(t, s.url+"/auth/login", "", map[string]string{"organization": "demo", "email": "office@demo.clinic", "password": demoPassword})
			st, _ := out["state"].(string)
			return st
		}
		if st := state(); st != "active" {
			t.Fatalf("no policy: state %q", st)
		}
		office := db.User.Query().Where(user.EmailNormalized("office@demo.clinic")).WithRoles().OnlyX(s.allow())
		db.User.UpdateOne(office).SetRequireMfa(true).ExecX(s.allow())
		if st := state(); st != "mfa_required" {
			t.Errorf("user flag: state %q", st)
		}
		db.User.UpdateOne(office).SetRequireMfa(false).ExecX(s.allow())
		db.Role.Update().Where(role.IDIn(roleIDs(office)...)).SetRequireMfa(true).ExecX(s.allow())
		if st := state(); st != "mfa_required" {
			t.Errorf("role: state %q", st)
		}
		db.Role.Update().Where(role.IDIn(roleIDs(office)...)).SetRequireMfa(false).ExecX(s.allow())
		tok := s.signIn("office@demo.clinic")
		s.ok(tok, qClients, nil)
		s.requireOrgMFA()
		// A policy change reaches a live session at its next request.
		s.refused(tok, "MFA_REQUIRED", qClients, nil)
		if st := state(); st != "mfa_required" {
			t.Errorf("organization: state %q", st)
		}
	})
}

func roleIDs(u *ent.User) []pulid.ID {
	var out []pulid.ID
	for _, r := range u.Edges.Roles {
		out = append(out, r.ID)
	}
	return out
}

// A user with a factor makes sensitive changes only within fifteen minutes
// of a verification; a user without one is not asked (policy decides
// whether they must have one).
func TestSensitiveChangesNeedARecentVerification(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newMFAServer(t, db)
		admin := s.signIn("admin@demo.clinic")
		s.ok(admin, mIssueTok, nil) // no factor: no step-up
		secret, _ := s.enrol(admin)
		s.ok(admin, mIssueTok, nil) // verified just now, by the confirmation
		s.clk.Advance(16 * time.Minute)
		s.refused(admin, "MFA_STEP_UP_REQUIRED", mIssueTok, nil)
		s.ok(admin, qClients, nil) // reading needs no step-up
		m := s.ok(admin, `{ viewer { mfa { stepUpValidUntil } } }`, nil)["viewer"].(map[string]any)["mfa"].(map[string]any)
		if m["stepUpValidUntil"] != nil {
			t.Errorf("step-up window still open after 16 minutes: %v", m)
		}
		s.ok(admin, mVerify, map[string]any{"c": s.code(secret, s.clk.Now())})
		s.ok(admin, mIssueTok, nil)
		// Adding a second factor is sensitive too.
		s.clk.Advance(16 * time.Minute)
		s.refused(admin, "MFA_STEP_UP_REQUIRED", mEnrol, nil)
	})
}

// A user manager resets a user's factors: the user's sessions end, the
// factors are gone, and at the next sign-in the user enrols again. A user
// without the privilege is refused.
func TestAnAdministratorResetsAUsersFactors(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newMFAServer(t, db)
		s.requireOrgMFA()
		clinician := s.signIn("clinician@demo.clinic")
		s.enrol(clinician)
		id := s.ok(clinician, `{ viewer { user { id } } }`, nil)["viewer"].(map[string]any)["user"].(map[string]any)["id"]
		const reset = `mutation($u: ID!) { resetUserMfa(input: {userId: $u}) { factorsRemoved sessionsEnded user { id } } }`
		office := s.signIn("office@demo.clinic")
		s.enrol(office)
		s.refused(office, "FORBIDDEN", reset, map[string]any{"u": id})

		admin := s.signIn("admin@demo.clinic")
		s.enrol(admin)
		r := s.ok(admin, reset, map[string]any{"u": id})["resetUserMfa"].(map[string]any)
		if r["factorsRemoved"] != float64(1) || r["sessionsEnded"] != float64(1) {
			t.Fatalf("reset: %v", r)
		}
		s.refused(clinician, "UNAUTHENTICATED", qClients, nil)
		tok := s.signIn("clinician@demo.clinic")
		m := s.ok(tok, qMFA, nil)["viewer"].(map[string]any)["mfa"].(map[string]any)
		if m["nextStep"] != "ENROL" || m["recoveryCodesRemaining"] != float64(0) {
			t.Fatalf("after the reset: %v", m)
		}
		if n, _ := db.AuditEvent.Query().Where(auditevent.Action("auth.mfa_reset")).Count(s.allow()); n != 1 {
			t.Errorf("auth.mfa_reset events = %d", n)
		}
	})
}

// A user sees their sessions with their devices and ends one; it is
// refused at its next request.
func TestAUserListsTheirSessionsAndEndsOne(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newMFAServer(t, db)
		first := s.signIn("clinician@demo.clinic")
		second := s.signIn("clinician@demo.clinic")
		list := s.ok(second, `{ viewer { sessions { id device deviceKind authMethod current ip } } }`, nil)["viewer"].(map[string]any)["sessions"].([]any)
		if len(list) != 2 {
			t.Fatalf("sessions = %v", list)
		}
		var other string
		for _, x := range list {
			m := x.(map[string]any)
			if m["authMethod"] != "PASSWORD" || m["device"] == "" {
				t.Errorf("session %v", m)
			}
			if m["current"] == false {
				other = m["id"].(string)
			}
		}
		s.ok(second, `mutation($id: ID!) { revokeSession(input: {id: $id}) { revokedId } }`, map[string]any{"id": other})
		s.refused(first, "UNAUTHENTICATED", qClients, nil)
		s.ok(second, qClients, nil)
		// Another user's session is not theirs to end.
		office := s.signIn("office@demo.clinic")
		officeSession := s.ok(office, `{ viewer { session { id } } }`, nil)["viewer"].(map[string]any)["session"].(map[string]any)["id"]
		s.refused(second, "NOT_FOUND", `mutation($id: ID!) { revokeSession(input: {id: $id}) { revokedId } }`, map[string]any{"id": officeSession})
		s.ok(office, qClients, nil)
	})
}

// Two replicas share only the PostgreSQL database: an administrator signs
// a user out everywhere on one, and the user's next request on the other
// is refused.
func TestRevokeEverywhereTakesEffectOnASecondServer(t *testing.T) {
	t.Parallel()
	a, b, _ := twoReplicas(t)
	tok := a.signIn("clinician@demo.clinic")
	a.ok(tok, qClients, nil)
	b.ok(tok, qClients, nil)
	id := b.ok(tok, `{ viewer { user { id } } }`, nil)["viewer"].(map[string]any)["user"].(map[string]any)["id"]
	admin := b.signIn("admin@demo.clinic")
	b.ok(admin, `mutation($u: ID!) { signOutEverywhere(input: {userId: $u}) { sessionsEnded } }`, map[string]any{"u": id})
	a.refused(tok, "UNAUTHENTICATED", qClients, nil)
}

// twoReplicas serves the demo organization from two instances over one
// PostgreSQL database, each with a connection pool of its own: a and b
// share nothing else. db is a's.
func twoReplicas(t *testing.T) (a, b *mfaServer, db *store.DB) {
	t.Helper()
	dsn := testdb.PostgresDSN(t)
	ctx := context.Background()
	open := func() *store.DB {
		db, err := store.Open(ctx, "pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	db = open()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	a = newMFAServer(t, db)
	return a, startOn(t, open(), a.clk), db
}
