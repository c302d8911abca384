package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/auth/login"
	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/ent/webauthncredential"
	"github.com/clinicgate/clinicgate/graph"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/mfa"
	"github.com/clinicgate/clinicgate/internal/passkey"
	"github.com/clinicgate/clinicgate/internal/passkey/softauthn"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// pkServer is the server as cmd/server wires it for these routes: the
// session middleware over /auth (password sign-in) and /graphql with the
// passkey relying party of its own http://localhost:PORT, on a fake clock.
type pkServer struct {
	t    *testing.T
	db   *store.DB
	clk  *clock.Fake
	base string // http://localhost:PORT, the relying party
	addr string // http://127.0.0.1:PORT, where the test's client calls
}

const pkPassword = "correct horse battery staple"

var pkHasher = password.Hasher{Params: password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32}}

func newPKServer(t *testing.T, db *store.DB) *pkServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	s := &pkServer{t: t, db: db, clk: clock.NewFake(time.Date(2031, 5, 6, 7, 0, 0, 0, time.UTC))}
	s.base = "http://localhost:" + strconv.Itoa(port)
	s.addr = "http://" + ln.Addr().String()
	rp, err := passkey.New(passkey.Config{PublicURL: s.base})
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	sessions := session.New(db.Client, session.Config{TTL: 12 * time.Hour, IdleTimeout: time.Hour, PublicOrigin: s.base, Clock: s.clk})
	mux := http.NewServeMux()
	mux.Handle("POST /graphql", graph.NewHandler(db.Client, graph.HandlerConfig{Services: graph.Services{Passkeys: rp}, Logger: quiet}))
	authMux := http.NewServeMux()
	login.NewHandler(db.Client, sessions, login.Config{PublicOrigin: s.base, Hasher: pkHasher, Clock: s.clk, Logger: quiet}).Routes(authMux)
	mux.Handle("/auth/", authMux)
	srv := httptest.NewUnstartedServer(clock.Middleware(s.clk)(sessions.Middleware(mux)))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return s
}

// member adds a user with a password to org (requiring MFA of them when
// mfa is set) and returns them.
func (s *pkServer) member(org *ent.Organization, email string, mfaRequired bool, roles ...*ent.Role) *ent.User {
	s.t.Helper()
	u := s.db.Client.User.Create().SetOrganizationID(org.ID).SetEmail(email).SetDisplayName(email).
		SetStatus(user.StatusActive).SetRequireMfa(mfaRequired).AddRoles(roles...).SaveX(allowCtx())
	h, err := pkHasher.Hash(pkPassword)
	if err != nil {
		s.t.Fatal(err)
	}
	s.db.Client.PasswordCredential.Create().SetOrganizationID(org.ID).SetUserID(u.ID).SetHash(h).ExecX(allowCtx())
	return u
}

// signIn signs u in with their password and returns the session token.
func (s *pkServer) signIn(org *ent.Organization, u *ent.User) string {
	s.t.Helper()
	var out struct {
		Token string `json:"token"`
		State string `json:"state"`
	}
	s.post("/auth/login", "", map[string]string{"organization": org.Slug, "email": u.Email, "password": pkPassword}, &out)
	if out.Token == "" {
		s.t.Fatalf("sign-in of %s: no token", u.Email)
	}
	return out.Token
}

func (s *pkServer) post(path, token string, body, out any) int {
	s.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, s.addr+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		s.t.Fatalf("%s: decode (status %d): %v", path, res.StatusCode, err)
	}
	return res.StatusCode
}

func (s *pkServer) gql(token, query string, vars map[string]any) gqlResponse {
	s.t.Helper()
	var out gqlResponse
	s.post("/graphql", token, map[string]any{"query": query, "variables": vars}, &out)
	return out
}

// must runs query and fails on any error; it returns the data.
func (s *pkServer) must(token, query string, vars map[string]any) gqlResponse {
	s.t.Helper()
	r := s.gql(token, query, vars)
	wantCodes(s.t, r)
	return r
}

func (s *pkServer) options(r gqlResponse, field string) []byte {
	s.t.Helper()
	var p struct {
		OptionsJSON string `json:"optionsJSON"`
	}
	dataField(s.t, r, field, &p)
	if p.OptionsJSON == "" {
		s.t.Fatalf("%s: no options: %s", field, dataOf(r))
	}
	return []byte(p.OptionsJSON)
}

const (
	beginRegistration  = `mutation { beginPasskeyRegistration { optionsJSON } }`
	finishRegistration = `mutation($name: String, $c: String!) { finishPasskeyRegistration(input: {name: $name, credential: $c}) { passkey { id name } } }`
	beginVerification  = `mutation { beginPasskeyVerification { optionsJSON } }`
	finishVerification = `mutation($c: String!) { finishPasskeyVerification(input: {credential: $c}) { passkey { id lastUsedAt } mfaSatisfiedAt } }`
	listPasskeys       = `{ viewer { mfa { enrolled satisfiedAt passkeys { id name createdAt lastUsedAt userVerified backupEligible backupState transports } } } }`
	dataQuery          = `{ clients { totalCount } }`
)

// register registers a passkey of a (a new credential) in the session of
// token and returns its ID.
func (s *pkServer) register(token string, a *softauthn.Authenticator, name string) pulid.ID {
	s.t.Helper()
	answer, _, err := a.Create(s.options(s.must(token, beginRegistration, nil), "beginPasskeyRegistration"))
	if err != nil {
		s.t.Fatal(err)
	}
	r := s.must(token, finishRegistration, map[string]any{"name": name, "c": string(answer)})
	var p struct {
		Passkey struct {
			ID   pulid.ID `json:"id"`
			Name string   `json:"name"`
		} `json:"passkey"`
	}
	dataField(s.t, r, "finishPasskeyRegistration", &p)
	return p.Passkey.ID
}

// verify answers a verification of the session of token with a and
// returns the finish's response.
func (s *pkServer) verify(token string, a *softauthn.Authenticator) gqlResponse {
	s.t.Helper()
	answer, err := a.Get(s.options(s.must(token, beginVerification, nil), "beginPasskeyVerification"))
	if err != nil {
		s.t.Fatal(err)
	}
	return s.gql(token, finishVerification, map[string]any{"c": string(answer)})
}

func (s *pkServer) newOrg(slug string) *ent.Organization {
	return s.db.Client.Organization.Create().SetName(slug + " clinic").SetSlug(slug).SaveX(allowCtx())
}

func TestAPasskeyIsRegisteredThenVerifiesAnMFAPendingSession(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newPKServer(t, db)
		org := s.newOrg("acme")
		u := s.member(org, "ada@acme.test", true)
		key := softauthn.New(s.base)

		// First sign-in: MFA pending, no factor. Data is refused, the
		// passkey mutations answer; registering enrols and verifies.
		tok := s.signIn(org, u)
		wantCodes(t, s.gql(tok, dataQuery, nil), "MFA_REQUIRED")
		id := s.register(tok, key, " Laptop ")
		r := s.must(tok, listPasskeys, nil)
		var mfaState struct {
			Viewer struct {
				MFA struct {
					Enrolled    bool    `json:"enrolled"`
					SatisfiedAt *string `json:"satisfiedAt"`
					Passkeys    []struct {
						ID           pulid.ID `json:"id"`
						Name         string   `json:"name"`
						LastUsedAt   *string  `json:"lastUsedAt"`
						UserVerified bool     `json:"userVerified"`
						Transports   []string `json:"transports"`
					} `json:"passkeys"`
				} `json:"mfa"`
			} `json:"viewer"`
		}
		if err := json.Unmarshal([]byte(dataOf(r)), &mfaState); err != nil {
			t.Fatal(err)
		}
		m := mfaState.Viewer.MFA
		if !m.Enrolled || m.SatisfiedAt == nil || len(m.Passkeys) != 1 || m.Passkeys[0].ID != id || m.Passkeys[0].Name != "Laptop" ||
			!m.Passkeys[0].UserVerified || m.Passkeys[0].LastUsedAt != nil || strings.Join(m.Passkeys[0].Transports, ",") != "internal" {
			t.Fatalf("after registration: %s", dataOf(r))
		}
		s.must(tok, dataQuery, nil)

		// Second sign-in: pending again; the passkey verifies it.
		s.clk.Advance(time.Minute)
		tok2 := s.signIn(org, u)
		wantCodes(t, s.gql(tok2, dataQuery, nil), "MFA_REQUIRED")
		// With a factor, a pending session may not add another one.
		wantCodes(t, s.gql(tok2, beginRegistration, nil), "MFA_REQUIRED")
		r = s.verify(tok2, key)
		wantCodes(t, r)
		if !strings.Contains(dataOf(r), `"mfaSatisfiedAt":"2031-05-06T07:01:00Z"`) || !strings.Contains(dataOf(r), `"lastUsedAt":"2031-05-06T07:01:00Z"`) {
			t.Fatalf("verification: %s", dataOf(r))
		}
		s.must(tok2, dataQuery, nil)
		row := db.Client.WebAuthnCredential.GetX(allowCtx(), id)
		if row.SignCount != 1 {
			t.Errorf("sign count %d, want the authenticator's 1", row.SignCount)
		}
		// Audited: enrolment, the enrolling session's and the second
		// session's verification, with the method.
		events := db.Client.AuditEvent.Query().Where(auditevent.ActionHasPrefix("auth.mfa_")).
			Order(ent.Asc(auditevent.FieldOccurredAt), ent.Asc(auditevent.FieldID)).AllX(sysCtx(org.ID))
		var got []string
		for _, e := range events {
			got = append(got, e.Action+":"+e.Details["method"].(string))
			if idOf(e.ActorID) != u.ID {
				t.Errorf("%s by %v", e.Action, e.ActorID)
			}
		}
		if strings.Join(got, " ") != mfa.ActionEnrolled+":passkey "+mfa.ActionVerified+":passkey "+mfa.ActionVerified+":passkey" {
			t.Errorf("audit %v", got)
		}
		// The challenges were spent.
		if n := db.Client.WebAuthnChallenge.Query().CountX(allowCtx()); n != 0 {
			t.Errorf("%d challenges left", n)
		}
	})
}

func TestAPasskeyIsNotRegisteredTwice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newPKServer(t, db)
		org := s.newOrg("acme")
		u := s.member(org, "ada@acme.test", false)
		key := softauthn.New(s.base)
		tok := s.signIn(org, u)
		s.register(tok, key, "")
		opts := s.options(s.must(tok, beginRegistration, nil), "beginPasskeyRegistration")
		var o struct {
			PublicKey struct {
				ExcludeCredentials []struct {
					ID string `json:"id"`
				} `json:"excludeCredentials"`
				AuthenticatorSelection struct {
					UserVerification string `json:"userVerification"`
				} `json:"authenticatorSelection"`
				RP struct {
					ID string `json:"id"`
				} `json:"rp"`
			} `json:"publicKey"`
		}
		if err := json.Unmarshal(opts, &o); err != nil {
			t.Fatal(err)
		}
		if len(o.PublicKey.ExcludeCredentials) != 1 || o.PublicKey.AuthenticatorSelection.UserVerification != "preferred" || o.PublicKey.RP.ID != "localhost" {
			t.Fatalf("options %s", opts)
		}
		if _, _, err := key.Create(opts); err == nil || !strings.Contains(err.Error(), "InvalidStateError") {
			t.Fatalf("the authenticator registered an excluded key: %v", err)
		}
	})
}

// refusals sets up a user with a registered passkey and a fresh
// MFA-pending session.
type refusals struct {
	s   *pkServer
	org *ent.Organization
	u   *ent.User
	key *softauthn.Authenticator
	tok string // MFA pending
}

func newRefusals(t *testing.T, db *store.DB) refusals {
	s := newPKServer(t, db)
	org := s.newOrg("acme")
	u := s.member(org, "ada@acme.test", true)
	key := softauthn.New(s.base)
	s.register(s.signIn(org, u), key, "Laptop")
	return refusals{s: s, org: org, u: u, key: key, tok: s.signIn(org, u)}
}

// stillPending fails unless the session still may not read data.
func (f refusals) stillPending(t *testing.T) {
	t.Helper()
	wantCodes(t, f.s.gql(f.tok, dataQuery, nil), "MFA_REQUIRED")
}

func TestAWrongSignatureIsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newRefusals(t, db)
		f.key.CorruptSignature = true
		wantCodes(t, f.s.verify(f.tok, f.key), "FORBIDDEN")
		f.stillPending(t)
		// The refusal is audited although the mutation failed.
		allow := privacy.DecisionContext(context.Background(), privacy.Allow)
		if n, err := db.AuditEvent.Query().Where(auditevent.Action("auth.mfa_verify_failed")).Count(allow); err != nil || n != 1 {
			t.Fatalf("auth.mfa_verify_failed events = %d (%v), want 1", n, err)
		}
		f.key.CorruptSignature = false
		wantCodes(t, f.s.verify(f.tok, f.key))
		f.s.must(f.tok, dataQuery, nil)
	})
}

func TestAReplayedChallengeIsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newRefusals(t, db)
		answer, err := f.key.Get(f.s.options(f.s.must(f.tok, beginVerification, nil), "beginPasskeyVerification"))
		if err != nil {
			t.Fatal(err)
		}
		wantCodes(t, f.s.gql(f.tok, finishVerification, map[string]any{"c": string(answer)}))
		// The same answer again, in this session or another one.
		wantCodes(t, f.s.gql(f.tok, finishVerification, map[string]any{"c": string(answer)}), "GONE")
		other := f.s.signIn(f.org, f.u)
		wantCodes(t, f.s.gql(other, finishVerification, map[string]any{"c": string(answer)}), "GONE")
		wantCodes(t, f.s.gql(other, dataQuery, nil), "MFA_REQUIRED")
	})
}

func TestAChallengeOfAnotherSessionOrPastItsTimeIsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newRefusals(t, db)
		// Begun in one session, answered in another.
		opts := f.s.options(f.s.must(f.tok, beginVerification, nil), "beginPasskeyVerification")
		answer, err := f.key.Get(opts)
		if err != nil {
			t.Fatal(err)
		}
		other := f.s.signIn(f.org, f.u)
		wantCodes(t, f.s.gql(other, finishVerification, map[string]any{"c": string(answer)}), "GONE")
		// Answered after five minutes.
		opts = f.s.options(f.s.must(f.tok, beginVerification, nil), "beginPasskeyVerification")
		if answer, err = f.key.Get(opts); err != nil {
			t.Fatal(err)
		}
		f.s.clk.Advance(passkey.ChallengeTTL)
		wantCodes(t, f.s.gql(f.tok, finishVerification, map[string]any{"c": string(answer)}), "GONE")
		f.stillPending(t)
	})
}

func TestAClonedAuthenticatorIsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newRefusals(t, db)
		clone := f.key.Clone()
		wantCodes(t, f.s.verify(f.tok, f.key)) // counter 1
		// The clone's counter is 1 too: not above the stored one.
		other := f.s.signIn(f.org, f.u)
		wantCodes(t, f.s.verify(other, clone), "FORBIDDEN")
		wantCodes(t, f.s.gql(other, dataQuery, nil), "MFA_REQUIRED")
		// An answer whose counter went backwards too.
		f.key.Credentials()[0].Counter = 0
		wantCodes(t, f.s.verify(other, f.key), "FORBIDDEN")
	})
}

func TestAnotherUsersPasskeyIsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newRefusals(t, db)
		// Ben of the same organization and Cy of another have passkeys.
		ben := f.s.member(f.org, "ben@acme.test", false)
		benKey := softauthn.New(f.s.base)
		f.s.register(f.s.signIn(f.org, ben), benKey, "Ben's")
		globex := f.s.newOrg("globex")
		cy := f.s.member(globex, "cy@globex.test", false)
		cyKey := softauthn.New(f.s.base)
		f.s.register(f.s.signIn(globex, cy), cyKey, "Cy's")

		for name, cred := range map[string]*softauthn.Credential{"same organization": benKey.Credentials()[0], "other organization": cyKey.Credentials()[0]} {
			opts := f.s.options(f.s.must(f.tok, beginVerification, nil), "beginPasskeyVerification")
			answer, err := f.key.GetWith(cred, opts)
			if err != nil {
				t.Fatal(err)
			}
			if r := f.s.gql(f.tok, finishVerification, map[string]any{"c": string(answer)}); len(codes(r)) != 1 || codes(r)[0] != "FORBIDDEN" {
				t.Errorf("%s: %v", name, codes(r))
			}
			f.stillPending(t)
		}
	})
}

func TestAWrongOriginOrRelyingPartyIsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newRefusals(t, db)
		phish := f.key.Clone()
		phish.Origin = "http://localhost.evil.test"
		wantCodes(t, f.s.verify(f.tok, phish), "FORBIDDEN")
		other := f.key.Clone()
		other.RPID = "evil.test"
		wantCodes(t, f.s.verify(f.tok, other), "FORBIDDEN")
		f.stillPending(t)
		// Registration too.
		ok := f.s.signIn(f.org, f.u)
		wantCodes(t, f.s.verify(ok, f.key))
		for _, a := range []*softauthn.Authenticator{
			{Origin: "https://evil.test", UserVerified: true},
			{Origin: f.s.base, RPID: "evil.test", UserVerified: true},
		} {
			answer, _, err := a.Create(f.s.options(f.s.must(ok, beginRegistration, nil), "beginPasskeyRegistration"))
			if err != nil {
				t.Fatal(err)
			}
			wantCodes(t, f.s.gql(ok, finishRegistration, map[string]any{"c": string(answer)}), "FORBIDDEN")
		}
		if n := db.Client.WebAuthnCredential.Query().Where(webauthncredential.UserID(f.u.ID)).CountX(allowCtx()); n != 1 {
			t.Errorf("%d passkeys, want the one", n)
		}
	})
}

func TestBadCredentialJSONIsBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newRefusals(t, db)
		for _, c := range []string{"", "{", `{"id":"x"}`, `[]`} {
			wantField(t, f.s.gql(f.tok, finishVerification, map[string]any{"c": c}), "credential")
		}
		f.stillPending(t)
	})
}

const (
	renameMutation = `mutation($id: ID!, $name: String!) { renamePasskey(input: {id: $id, name: $name}) { passkey { id name } } }`
	removeMutation = `mutation($id: ID!) { removePasskey(input: {id: $id}) { removedId } }`
)

func TestPasskeysAreRenamedAndRemovedAfterARecentVerification(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newPKServer(t, db)
		org := s.newOrg("acme")
		u := s.member(org, "ada@acme.test", false)
		key := softauthn.New(s.base)
		tok := s.signIn(org, u)
		id := s.register(tok, key, "Laptop")
		second := s.register(tok, softauthn.New(s.base), "Phone")

		// Registering verified the session (first factor): rename works.
		r := s.must(tok, renameMutation, map[string]any{"id": id, "name": "Work laptop"})
		if !strings.Contains(dataOf(r), `"name":"Work laptop"`) {
			t.Fatalf("rename: %s", dataOf(r))
		}
		wantField(t, s.gql(tok, renameMutation, map[string]any{"id": id, "name": "  "}), "name")
		wantField(t, s.gql(tok, renameMutation, map[string]any{"id": id, "name": strings.Repeat("x", 101)}), "name")

		// Past the step-up window: refused until verified again.
		s.clk.Advance(authz.StepUpWindow + time.Minute)
		wantCodes(t, s.gql(tok, renameMutation, map[string]any{"id": id, "name": "Old"}), "MFA_STEP_UP_REQUIRED")
		wantCodes(t, s.gql(tok, removeMutation, map[string]any{"id": second}), "MFA_STEP_UP_REQUIRED")
		wantCodes(t, s.verify(tok, key))
		r = s.must(tok, removeMutation, map[string]any{"id": second})
		if !strings.Contains(dataOf(r), string(second)) {
			t.Fatalf("remove: %s", dataOf(r))
		}
		wantCodes(t, s.gql(tok, removeMutation, map[string]any{"id": second}), "NOT_FOUND")
		if n := db.Client.WebAuthnCredential.Query().Where(webauthncredential.UserID(u.ID)).CountX(allowCtx()); n != 1 {
			t.Errorf("%d passkeys left, want 1", n)
		}
		removed := db.Client.AuditEvent.Query().Where(auditevent.Action(mfa.ActionRemoved)).AllX(sysCtx(org.ID))
		if len(removed) != 1 || removed[0].Details["passkey"] != string(second) {
			t.Errorf("removal audit %+v", removed)
		}
	})
}

func TestNobodyTouchesAnotherUsersPasskeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newPKServer(t, db)
		acme, globex := s.newOrg("acme"), s.newOrg("globex")
		// The administrator of acme manages users, yet another user's
		// passkeys are theirs alone; nor does anything cross organizations.
		admin := s.member(acme, "admin@acme.test", false, addRole(t, db.Client, acme.ID, "Admin", authz.UsersManage))
		ada := s.member(acme, "ada@acme.test", false)
		cy := s.member(globex, "cy@globex.test", false)
		adaKey := softauthn.New(s.base)
		adaPK := s.register(s.signIn(acme, ada), adaKey, "Ada's")
		cyPK := s.register(s.signIn(globex, cy), softauthn.New(s.base), "Cy's")
		adminTok := s.signIn(acme, admin)
		s.register(adminTok, softauthn.New(s.base), "Admin's")
		for _, id := range []pulid.ID{adaPK, cyPK} {
			wantCodes(t, s.gql(adminTok, renameMutation, map[string]any{"id": id, "name": "mine"}), "NOT_FOUND")
			wantCodes(t, s.gql(adminTok, removeMutation, map[string]any{"id": id}), "NOT_FOUND")
		}
		r := s.must(adminTok, listPasskeys, nil)
		if strings.Contains(dataOf(r), string(adaPK)) || strings.Contains(dataOf(r), string(cyPK)) {
			t.Errorf("the administrator lists others' passkeys: %s", dataOf(r))
		}
		for _, id := range []pulid.ID{adaPK, cyPK} {
			if row := db.Client.WebAuthnCredential.GetX(allowCtx(), id); row.Name == "mine" {
				t.Errorf("%s renamed", id)
			}
		}
		// The verification options offer only the viewer's own keys.
		opts := s.options(s.must(adminTok, beginVerification, nil), "beginPasskeyVerification")
		if _, err := adaKey.Get(opts); err == nil {
			t.Error("Ada's key answers the administrator's verification")
		}
	})
}

func TestAChallengeAnswersOnlyItsOwnCeremony(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newPKServer(t, db)
		org := s.newOrg("acme")
		u := s.member(org, "ada@acme.test", false)
		key := softauthn.New(s.base)
		tok := s.signIn(org, u)
		s.register(tok, key, "Laptop")

		// A registration answered twice: the second finds no challenge.
		answer, _, err := softauthn.New(s.base).Create(s.options(s.must(tok, beginRegistration, nil), "beginPasskeyRegistration"))
		if err != nil {
			t.Fatal(err)
		}
		s.must(tok, finishRegistration, map[string]any{"c": string(answer)})
		wantCodes(t, s.gql(tok, finishRegistration, map[string]any{"c": string(answer)}), "GONE")

		// A verification's challenge signed into a registration's answer,
		// and the other way round.
		vopts := s.options(s.must(tok, beginVerification, nil), "beginPasskeyVerification")
		var v struct {
			PublicKey struct {
				Challenge string `json:"challenge"`
			} `json:"publicKey"`
		}
		if err := json.Unmarshal(vopts, &v); err != nil {
			t.Fatal(err)
		}
		ropts := s.options(s.must(tok, beginRegistration, nil), "beginPasskeyRegistration")
		var r map[string]map[string]any
		if err := json.Unmarshal(ropts, &r); err != nil {
			t.Fatal(err)
		}
		regChallenge := r["publicKey"]["challenge"].(string)
		r["publicKey"]["challenge"] = v.PublicKey.Challenge
		swapped, _ := json.Marshal(r)
		answer, _, err = softauthn.New(s.base).Create(swapped)
		if err != nil {
			t.Fatal(err)
		}
		wantCodes(t, s.gql(tok, finishRegistration, map[string]any{"c": string(answer)}), "GONE")
		assertion, err := key.Get([]byte(strings.Replace(string(vopts), v.PublicKey.Challenge, regChallenge, 1)))
		if err != nil {
			t.Fatal(err)
		}
		wantCodes(t, s.gql(tok, finishVerification, map[string]any{"c": string(assertion)}), "GONE")
		if n := db.Client.WebAuthnCredential.Query().Where(webauthncredential.UserID(u.ID)).CountX(allowCtx()); n != 2 {
			t.Errorf("%d passkeys, want 2", n)
		}
	})
}
