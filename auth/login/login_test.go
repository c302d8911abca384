package login_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/auth/token"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/privacy"
	entsession "github.com/clinicgate/clinicgate/ent/session"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

const (
	rightPw = "lavender-Quartz-harbour-71"
	wrongPw = "guessing-Wrong-again-0815"
)

func TestSignInWithTheRightPassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		o := e.org("north", organization.SignInMethodAny)
		u := e.user(o, account{email: "Ana.Lopez@North.example", password: rightPw, status: user.StatusInvited, failed: 3})

		r := e.login("north", "  ana.lopez@NORTH.example ", rightPw)
		must(t, r, http.StatusOK, "")
		tok := r.token()
		if !token.Valid(tok, "cgs") {
			t.Fatalf("token is not a session token: %q", token.Prefix(tok))
		}
		if got, want := r.str("expiresAt"), e.clock.Now().Add(2*time.Hour).Format(time.RFC3339); got != want {
			t.Errorf("expiresAt = %s, want %s", got, want)
		}
		if r.body["passwordChangeRequired"] != false || r.str("state") != "active" {
			t.Errorf("passwordChangeRequired = %v, state = %q", r.body["passwordChangeRequired"], r.str("state"))
		}
		if r.str("user", "id") != string(u.ID) || r.str("user", "email") != "Ana.Lopez@North.example" ||
			r.str("user", "displayName") != "Dr Ana.Lopez" {
			t.Errorf("user = %v", r.body["user"])
		}
		if r.str("organization", "id") != string(o.ID) || r.str("organization", "slug") != "north" ||
			r.str("organization", "name") != "Clinic north" {
			t.Errorf("organization = %v", r.body["organization"])
		}
		if r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control = %q", r.header.Get("Cache-Control"))
		}
		c := r.sessionCookie()
		if c == nil || c.Value != tok || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" ||
			!c.Expires.Equal(e.clock.Now().Add(2*time.Hour)) {
			t.Errorf("session cookie = %v", c)
		}

		// One transaction's worth of effects.
		after := e.reloadUser(u)
		if after.Status != user.StatusActive {
			t.Errorf("an invited user who signed in is %s, want ACTIVE", after.Status)
		}
		if after.LastSignInAt == nil || !after.LastSignInAt.Equal(e.clock.Now()) {
			t.Errorf("last_sign_in_at = %v", after.LastSignInAt)
		}
		if n := e.credential(u).FailedAttempts; n != 0 {
			t.Errorf("failed_attempts = %d, want reset to 0", n)
		}
		ses, err := db.Session.Query().Where(entsession.UserID(u.ID)).Only(allow())
		if err != nil {
			t.Fatal(err)
		}
		if ses.Method != entsession.MethodPassword || ses.PasswordChangeRequired || ses.IP != "127.0.0.1" || ses.UserAgent != "login-test" {
			t.Errorf("session = %+v", ses)
		}
		evs := e.audits(o, "auth.sign_in")
		if len(evs) != 1 {
			t.Fatalf("%d auth.sign_in events", len(evs))
		}
		ev := evs[0]
		if ev.ActorKind != auditevent.ActorKindUser || ev.ActorID == nil || *ev.ActorID != u.ID ||
			ev.TargetID != string(u.ID) || ev.Details["session_id"] != string(ses.ID) ||
			ev.IP != "127.0.0.1" || ev.UserAgent != "login-test" || ev.RequestID == "" {
			t.Errorf("auth.sign_in event = %+v", ev)
		}

		// Both ways of presenting the token work.
		for name, o := range map[string]opt{"bearer": bearer(tok), "cookie": cookie(tok)} {
			r := e.current(o)
			must(t, r, http.StatusOK, "")
			if r.str("user", "id") != string(u.ID) || r.token() != "" {
				t.Errorf("%s: GET /auth/session = %s", name, r.raw)
			}
		}
	})
}

func TestSignInRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		for i, tc := range []struct {
			name      string
			orgMethod organization.SignInMethod
			acct      account
			// request; "{org}" stands for the case's organization slug.
			org, email, pw string
			raw            string // a raw body instead
			status         int
			code           string
			reason         string // of the auth.sign_in_failed event; "" for none
		}{
			{name: "a wrong password", acct: account{email: "a@x.example", password: rightPw},
				org: "{org}", email: "a@x.example", pw: wrongPw,
				status: 401, code: "invalid_credentials", reason: "wrong_password"},
			{name: "an unknown email", acct: account{email: "a@x.example", password: rightPw},
				org: "{org}", email: "nobody@x.example", pw: rightPw,
				status: 401, code: "invalid_credentials", reason: "unknown_user"},
			{name: "an unknown organization", acct: account{email: "a@x.example", password: rightPw},
				org: "no-such-clinic", email: "a@x.example", pw: rightPw,
				status: 401, code: "invalid_credentials"},
			{name: "a user without a password", acct: account{email: "a@x.example"},
				org: "{org}", email: "a@x.example", pw: rightPw,
				status: 401, code: "invalid_credentials", reason: "no_password"},
			{name: "a suspended user with the right password", acct: account{email: "a@x.example", password: rightPw, status: user.StatusSuspended},
				org: "{org}", email: "a@x.example", pw: rightPw,
				status: 403, code: "account_disabled", reason: "account_disabled"},
			{name: "a deleted user with the right password", acct: account{email: "a@x.example", password: rightPw, status: user.StatusDeleted},
				org: "{org}", email: "a@x.example", pw: rightPw,
				status: 403, code: "account_disabled", reason: "account_disabled"},
			{name: "a suspended user with a wrong password learns nothing", acct: account{email: "a@x.example", password: rightPw, status: user.StatusSuspended},
				org: "{org}", email: "a@x.example", pw: wrongPw,
				status: 401, code: "invalid_credentials", reason: "wrong_password"},
			{name: "a user required to use SSO", acct: account{email: "a@x.example", password: rightPw, method: user.SignInMethodSSO},
				org: "{org}", email: "a@x.example", pw: rightPw,
				status: 403, code: "sso_required", reason: "sso_required"},
			{name: "a user required to use SSO with a wrong password learns nothing", acct: account{email: "a@x.example", password: rightPw, method: user.SignInMethodSSO},
				org: "{org}", email: "a@x.example", pw: wrongPw,
				status: 401, code: "invalid_credentials", reason: "wrong_password"},
			{name: "an organization requiring SSO", orgMethod: organization.SignInMethodSSO, acct: account{email: "a@x.example", password: rightPw},
				org: "{org}", email: "a@x.example", pw: rightPw,
				status: 403, code: "sso_required", reason: "sso_required"},
			{name: "an expired temporary password", acct: account{email: "a@x.example", password: rightPw, temporary: timep(time.Date(2031, 3, 4, 8, 59, 59, 0, time.UTC))},
				org: "{org}", email: "a@x.example", pw: rightPw,
				status: 401, code: "temporary_password_expired", reason: "temporary_password_expired"},
			{name: "a temporary password at its expiry instant", acct: account{email: "a@x.example", password: rightPw, temporary: timep(time.Date(2031, 3, 4, 9, 0, 0, 0, time.UTC))},
				org: "{org}", email: "a@x.example", pw: rightPw,
				status: 401, code: "temporary_password_expired", reason: "temporary_password_expired"},
			{name: "a missing password", acct: account{email: "a@x.example", password: rightPw},
				org: "{org}", email: "a@x.example",
				status: 400, code: "invalid_request"},
			{name: "a missing organization", acct: account{email: "a@x.example", password: rightPw},
				email: "a@x.example", pw: rightPw,
				status: 400, code: "invalid_request"},
			{name: "malformed JSON", acct: account{email: "a@x.example", password: rightPw},
				raw:    `{"organization": "x", "email":`,
				status: 400, code: "invalid_request"},
			{name: "two JSON values", acct: account{email: "a@x.example", password: rightPw},
				raw:    `{"organization":"x","email":"a@x.example","password":"p"} {}`,
				status: 400, code: "invalid_request"},
			{name: "a JSON array", acct: account{email: "a@x.example", password: rightPw},
				raw:    `["x"]`,
				status: 400, code: "invalid_request"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if tc.orgMethod == "" {
					tc.orgMethod = organization.SignInMethodAny
				}
				slug := "refusal-" + string(rune('a'+i))
				o := e.org(slug, tc.orgMethod)
				u := e.user(o, tc.acct)
				before, err := db.AuditEvent.Query().Count(allow())
				if err != nil {
					t.Fatal(err)
				}

				var r reply
				if tc.raw != "" {
					r = e.send("POST", "/auth/login", tc.raw)
				} else {
					r = e.login(strings.ReplaceAll(tc.org, "{org}", slug), tc.email, tc.pw)
				}
				must(t, r, tc.status, tc.code)
				if r.errField("message") == "" {
					t.Error("no message")
				}
				if tc.code == "invalid_credentials" && r.errField("message") != "The organization, email or password is incorrect." {
					t.Errorf("invalid_credentials message %q differs between cases", r.errField("message"))
				}
				if r.token() != "" || r.sessionCookie() != nil {
					t.Errorf("a refusal handed out a session: %s", r.raw)
				}
				if n, err := db.Session.Query().Count(allow()); err != nil || n != 0 {
					t.Errorf("%d sessions exist (%v)", n, err)
				}

				evs := e.audits(o, "auth.sign_in_failed")
				if tc.reason == "" {
					after, _ := db.AuditEvent.Query().Count(allow())
					if after != before {
						t.Errorf("%d audit events written, want none", after-before)
					}
					return
				}
				if len(evs) != 1 {
					t.Fatalf("%d auth.sign_in_failed events, want 1", len(evs))
				}
				ev := evs[0]
				if ev.ActorKind != auditevent.ActorKindAnonymous || ev.ActorID != nil || ev.Details["reason"] != tc.reason {
					t.Errorf("event = actor %s %v, details %v", ev.ActorKind, ev.ActorID, ev.Details)
				}
				if tc.reason == "unknown_user" {
					if ev.TargetID != "" || ev.Details["email"] != "nobody@x.example" {
						t.Errorf("unknown user event: target %q details %v", ev.TargetID, ev.Details)
					}
				} else if ev.TargetID != string(u.ID) {
					t.Errorf("target = %q, want %s", ev.TargetID, u.ID)
				}
				details, _ := json.Marshal(ev.Details)
				if strings.Contains(string(details), rightPw) || strings.Contains(string(details), wrongPw) {
					t.Errorf("a password is in the audit trail: %s", details)
				}
				wantFailed := 0
				if tc.reason == "wrong_password" {
					wantFailed = 1
				}
				if tc.acct.password != "" {
					if n := e.credential(u).FailedAttempts; n != wantFailed {
						t.Errorf("failed_attempts = %d, want %d", n, wantFailed)
					}
				}
			})
		}
	})
}

func TestTemporaryPasswordMustBeChanged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		o := e.org("temp", organization.SignInMethodAny)
		const temp = "K7QM-2XWD-HR9F-B4TN"
		const newPw = "saffron-Meadow-anchor-93"
		u := e.user(o, account{email: "maria.temp@x.example", password: temp, temporary: timep(e.clock.Now().Add(72 * time.Hour))})

		first := e.login("temp", "maria.temp@x.example", temp)
		must(t, first, 200, "")
		if first.body["passwordChangeRequired"] != true || first.str("state") != "password_change_required" {
			t.Fatalf("a temporary password gave an unrestricted session: %s", first.raw)
		}
		cur := e.current(bearer(first.token()))
		must(t, cur, 200, "")
		if cur.body["passwordChangeRequired"] != true || cur.str("state") != "password_change_required" {
			t.Errorf("GET /auth/session: passwordChangeRequired = %v", cur.body["passwordChangeRequired"])
		}
		second := e.login("temp", "maria.temp@x.example", temp) // another device
		must(t, second, 200, "")

		// Refusals change nothing.
		r := e.changePassword(temp, "short", bearer(first.token()))
		must(t, r, 400, "weak_password")
		if r.errField("policy") != "too_short" || !strings.Contains(r.errField("message"), "12") {
			t.Errorf("weak password refusal: %s", r.raw)
		}
		r = e.changePassword(temp, "maria.temp-is-my-name", bearer(first.token()))
		must(t, r, 400, "weak_password")
		if r.errField("policy") != "contains_email" {
			t.Errorf("policy = %q", r.errField("policy"))
		}
		must(t, e.changePassword(temp, temp, bearer(first.token())), 400, "password_reused")
		must(t, e.changePassword(wrongPw, newPw, bearer(first.token())), 401, "invalid_credentials")
		must(t, e.changePassword(temp, "", bearer(first.token())), 400, "invalid_request")
		must(t, e.changePassword(temp, newPw), 401, "unauthenticated")
		if n := len(e.audits(o, "auth.password_changed")); n != 0 {
			t.Fatalf("%d auth.password_changed events after refusals", n)
		}
		if c := e.credential(u); !c.MustChange || c.FailedAttempts != 1 {
			t.Fatalf("credential after refusals: must_change %v attempts %d", c.MustChange, c.FailedAttempts)
		}

		e.clock.Advance(time.Minute)
		changed := e.changePassword(temp, newPw, cookie(first.token()))
		must(t, changed, 200, "")
		fresh := changed.token()
		if !token.Valid(fresh, "cgs") || fresh == first.token() || fresh == second.token() {
			t.Fatal("the password change did not issue a fresh token")
		}
		if changed.body["passwordChangeRequired"] != false || changed.str("user", "id") != string(u.ID) {
			t.Errorf("password change answer: %s", changed.raw)
		}
		if c := changed.sessionCookie(); c == nil || c.Value != fresh || !c.HttpOnly {
			t.Errorf("cookie after change = %v", c)
		}

		// Every earlier session is gone; the fresh one is unrestricted.
		for _, old := range []string{first.token(), second.token()} {
			must(t, e.current(bearer(old)), 401, "unauthenticated")
		}
		cur = e.current(bearer(fresh))
		must(t, cur, 200, "")
		if cur.body["passwordChangeRequired"] != false {
			t.Errorf("fresh session still restricted: %s", cur.raw)
		}
		c := e.credential(u)
		if c.MustChange || c.TemporaryExpiresAt != nil || !c.ChangedAt.Equal(e.clock.Now()) || c.FailedAttempts != 0 {
			t.Errorf("credential after change: %+v", c)
		}
		revoked, err := db.Session.Query().
			Where(entsession.UserID(u.ID), entsession.RevokedReason("password_changed")).Count(allow())
		if err != nil || revoked != 2 {
			t.Errorf("%d sessions revoked for the change (%v), want 2", revoked, err)
		}

		evs := e.audits(o, "auth.password_changed")
		if len(evs) != 1 {
			t.Fatalf("%d auth.password_changed events", len(evs))
		}
		if ev := evs[0]; ev.ActorKind != auditevent.ActorKindUser || ev.ActorID == nil || *ev.ActorID != u.ID ||
			ev.TargetID != string(u.ID) || ev.Details["sessions_revoked"] != float64(2) {
			t.Errorf("auth.password_changed = %+v", ev)
		}

		must(t, e.login("temp", "maria.temp@x.example", temp), 401, "invalid_credentials")
		again := e.login("temp", "maria.temp@x.example", newPw)
		must(t, again, 200, "")
		if again.body["passwordChangeRequired"] != false {
			t.Error("signing in with the new password is restricted")
		}
	})
}

func TestSuspendedUsersSessionStopsOnTheNextRequest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		o := e.org("susp", organization.SignInMethodAny)
		u := e.user(o, account{email: "s@x.example", password: rightPw})
		tok := e.login("susp", "s@x.example", rightPw).token()
		must(t, e.current(cookie(tok)), 200, "")

		if err := db.User.UpdateOneID(u.ID).SetStatus(user.StatusSuspended).Exec(allow()); err != nil {
			t.Fatal(err)
		}
		must(t, e.current(bearer(tok)), 401, "unauthenticated")
		r := e.current(cookie(tok))
		must(t, r, 401, "unauthenticated")
		if c := r.sessionCookie(); c == nil || c.MaxAge >= 0 {
			t.Errorf("the dead cookie was not cleared: %v", c)
		}
		must(t, e.changePassword(rightPw, "a-Brand-new-passphrase-1", bearer(tok)), 401, "unauthenticated")
	})
}

func TestLogout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		o := e.org("out", organization.SignInMethodAny)
		u := e.user(o, account{email: "out@x.example", password: rightPw})
		tok := e.login("out", "out@x.example", rightPw).token()

		r := e.logout(cookie(tok))
		must(t, r, http.StatusNoContent, "")
		if c := r.sessionCookie(); c == nil || c.Value != "" || c.MaxAge >= 0 {
			t.Errorf("logout did not clear the cookie: %v", c)
		}
		must(t, e.current(bearer(tok)), 401, "unauthenticated")
		ses, err := db.Session.Query().Where(entsession.UserID(u.ID)).Only(allow())
		if err != nil || ses.RevokedAt == nil || ses.RevokedReason != "sign_out" {
			t.Fatalf("session after logout: %+v (%v)", ses, err)
		}

		// Idempotent: a dead token and no token both get 204.
		must(t, e.logout(bearer(tok)), http.StatusNoContent, "")
		must(t, e.logout(), http.StatusNoContent, "")

		evs := e.audits(o, "auth.sign_out")
		if len(evs) != 1 {
			t.Fatalf("%d auth.sign_out events, want 1", len(evs))
		}
		if ev := evs[0]; ev.ActorKind != auditevent.ActorKindUser || ev.ActorID == nil || *ev.ActorID != u.ID || ev.TargetID != string(ses.ID) {
			t.Errorf("auth.sign_out = %+v", ev)
		}
	})
}

func TestSessionEndsAtIdleTimeoutAndAbsoluteExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db) // TTL 2 h, idle 30 min
		o := e.org("clock", organization.SignInMethodAny)
		e.user(o, account{email: "c@x.example", password: rightPw})

		tok := e.login("clock", "c@x.example", rightPw).token()
		e.clock.Advance(29 * time.Minute)
		must(t, e.current(bearer(tok)), 200, "")
		e.clock.Advance(29 * time.Minute)
		must(t, e.current(bearer(tok)), 200, "")
		e.clock.Advance(30 * time.Minute) // 30 min since the last request
		must(t, e.current(bearer(tok)), 401, "unauthenticated")
		idle, err := db.Session.Query().Where(entsession.RevokedReason("idle")).Count(allow())
		if err != nil || idle != 1 {
			t.Errorf("%d sessions revoked as idle (%v)", idle, err)
		}
		if n := len(e.audits(o, "auth.session_revoked")); n != 1 {
			t.Errorf("%d auth.session_revoked events for the idle log-off", n)
		}

		r := e.login("clock", "c@x.example", rightPw)
		tok = r.token()
		expires := r.str("expiresAt")
		for range 4 { // 100 minutes of steady use
			e.clock.Advance(25 * time.Minute)
			cur := e.current(cookie(tok))
			must(t, cur, 200, "")
			if cur.str("expiresAt") != expires {
				t.Errorf("use moved expiresAt from %s to %s", expires, cur.str("expiresAt"))
			}
		}
		e.clock.Advance(20 * time.Minute) // 2 h: the absolute end
		must(t, e.current(cookie(tok)), 401, "unauthenticated")
	})
}

func TestPostsMustBeSameOriginJSON(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		o := e.org("csrf", organization.SignInMethodAny)
		e.user(o, account{email: "c@x.example", password: rightPw})
		body := map[string]string{"organization": "csrf", "email": "c@x.example", "password": rightPw}

		for _, path := range []string{"/auth/login", "/auth/logout", "/auth/password/change"} {
			for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""} {
				r := e.send("POST", path, body, header("Content-Type", ct))
				must(t, r, http.StatusUnsupportedMediaType, "unsupported_media_type")
			}
			for _, origin := range []string{"https://evil.example", "null", "http://app.clinic.example", "https://app.clinic.example.evil.example"} {
				r := e.send("POST", path, body, header("Origin", origin))
				must(t, r, http.StatusForbidden, "forbidden_origin")
			}
		}
		if n, _ := db.Session.Query().Count(allow()); n != 0 {
			t.Fatalf("a refused request created %d sessions", n)
		}
		if n := len(e.audits(o, "auth.sign_in_failed")) + len(e.audits(o, "auth.sign_in")); n != 0 {
			t.Fatalf("a refused request reached the flow: %d audit events", n)
		}

		must(t, e.send("POST", "/auth/login", body, header("Origin", publicOrigin)), 200, "")
		must(t, e.send("POST", "/auth/login", body, header("Content-Type", "application/json; charset=utf-8")), 200, "")
		if r := e.send("GET", "/auth/login", nil); r.status != http.StatusMethodNotAllowed {
			t.Errorf("GET /auth/login = %d", r.status)
		}
	})
}

func TestUnexpectedErrorsAreLoggedNotDisclosed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		o := e.org("broken", organization.SignInMethodAny)
		u := e.user(o, account{email: "b@x.example", password: rightPw})
		if err := db.PasswordCredential.Update().SetHash("$argon2id$corrupt").Exec(allow()); err != nil {
			t.Fatal(err)
		}
		r := e.login("broken", "b@x.example", rightPw)
		must(t, r, 500, "internal")
		if r.errField("message") != "" || strings.Contains(r.raw, "argon2") || strings.Contains(r.raw, "malformed") {
			t.Errorf("500 body discloses details: %s", r.raw)
		}
		logs := e.logs.String()
		if !strings.Contains(logs, "request failed") || !strings.Contains(logs, "malformed hash") {
			t.Errorf("the failure was not logged:\n%s", logs)
		}
		if strings.Contains(logs, rightPw) {
			t.Errorf("the password was logged:\n%s", logs)
		}
		if n, _ := db.Session.Query().Count(allow()); n != 0 || e.reloadUser(u).LastSignInAt != nil {
			t.Error("a failed sign-in left effects")
		}
	})
}

func TestPasswordsAndTokensNeverLogged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		o := e.org("logs", organization.SignInMethodAny)
		const temp = "QX4M-7TWD-HR9F-Z2KP"
		const newPw = "cobalt-Lantern-meadow-58"
		u := e.user(o, account{email: "l@x.example", password: temp, temporary: timep(e.clock.Now().Add(time.Hour))})
		secrets := []string{temp, newPw, wrongPw, e.credential(u).Hash}

		must(t, e.login("logs", "l@x.example", wrongPw), 401, "invalid_credentials")
		must(t, e.login("nowhere", "l@x.example", wrongPw), 401, "invalid_credentials")
		must(t, e.login("logs", "ghost@x.example", wrongPw), 401, "invalid_credentials")
		first := e.login("logs", "l@x.example", temp)
		must(t, first, 200, "")
		must(t, e.changePassword(temp, "weak", bearer(first.token())), 400, "weak_password")
		changed := e.changePassword(temp, newPw, bearer(first.token()))
		must(t, changed, 200, "")
		must(t, e.current(cookie(changed.token())), 200, "")
		must(t, e.current(bearer(first.token())), 401, "unauthenticated")
		must(t, e.logout(bearer(changed.token())), 204, "")
		secrets = append(secrets, first.token(), changed.token(), e.credential(u).Hash)

		logs := e.logs.String()
		for _, want := range []string{`"msg":"signed in"`, `"msg":"sign-in refused"`, `"msg":"password changed"`, `"user":"` + string(u.ID) + `"`} {
			if !strings.Contains(logs, want) {
				t.Errorf("the log lacks %s, so this test proves little:\n%s", want, logs)
			}
		}
		for _, s := range secrets {
			if strings.Contains(logs, s) {
				t.Errorf("a secret (%d chars) appears in the log", len(s))
			}
		}
		evs, err := db.AuditEvent.Query().All(allow())
		if err != nil || len(evs) != 5 { // failed ×2 (no tenant for the unknown org), sign-in, change, sign-out
			t.Fatalf("%d audit events (%v)", len(evs), err)
		}
		for _, ev := range evs {
			b, _ := json.Marshal(ev.Details)
			for _, s := range secrets {
				if strings.Contains(string(b), s) {
					t.Errorf("a secret appears in the %s audit event", ev.Action)
				}
			}
		}
	})
}

// A sign-in where MFA is required starts a session in state mfa_required,
// which GET /auth/session reports too; the organization's setting applies
// at once to a session already open.
func TestSignInReportsTheSessionState(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		o := e.org("mfa", organization.SignInMethodAny)
		e.user(o, account{email: "ana@mfa.example", password: rightPw})
		open := e.login("mfa", "ana@mfa.example", rightPw)
		must(t, open, 200, "")
		if open.str("state") != "active" {
			t.Fatalf("state = %q before MFA is required", open.str("state"))
		}
		db.Organization.UpdateOne(o).SetRequireMfa(true).ExecX(privacy.DecisionContext(context.Background(), privacy.Allow))
		if cur := e.current(bearer(open.token())); cur.str("state") != "mfa_required" {
			t.Errorf("open session after MFA became required: state = %q", cur.str("state"))
		}
		r := e.login("mfa", "ana@mfa.example", rightPw)
		must(t, r, 200, "")
		if r.str("state") != "mfa_required" {
			t.Errorf("sign-in with MFA required: state = %q", r.str("state"))
		}
	})
}

// A role that requires single sign-on refuses its holders' passwords, as
// the organization's and the user's own setting do; once the role allows
// passwords again, the same password signs in.
func TestARoleRequiringSSORefusesPasswords(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		allow := privacy.DecisionContext(context.Background(), privacy.Allow)
		o := e.org("rolesso", organization.SignInMethodAny)
		u := e.user(o, account{email: "ana@rolesso.example", password: rightPw})
		r := db.Role.Create().SetOrganizationID(o.ID).SetName("Contractors").SetSignInMethod("SSO").AddUsers(u).SaveX(allow)
		must(t, e.login("rolesso", "ana@rolesso.example", rightPw), 403, "sso_required")
		if n := db.AuditEvent.Query().Where(auditevent.Action("auth.sign_in_failed")).CountX(allow); n != 1 {
			t.Errorf("refusals audited: %d", n)
		}
		db.Role.UpdateOne(r).SetSignInMethod("ANY").ExecX(allow)
		must(t, e.login("rolesso", "ana@rolesso.example", rightPw), 200, "")
	})
}
