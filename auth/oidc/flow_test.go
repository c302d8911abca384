package oidc_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/invitation"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/schema/ssomapping"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/ent/useridentity"
	"github.com/clinicgate/clinicgate/internal/sso"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// TestSingleSignOn drives the flow over HTTP against the in-test provider,
// on both dialects; each case is a sentence.
func TestSingleSignOn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		org := e.org("north", organization.SignInMethodAny)
		conn := e.connection(org, e.idp, nil)

		t.Run("a verified email links an existing user and signs them in", func(t *testing.T) {
			u := e.user(org, "ada@north.example", nil)
			e.signInAs(person("sub-ada", "ada@north.example"))
			b := e.browser()
			if st := b.signedIn(b.login(conn, "/home?tab=1"), "/home?tab=1"); st != "active" {
				t.Fatalf("state %q, want active", st)
			}
			link, err := db.UserIdentity.Query().Where(useridentity.Subject("sub-ada")).Only(allow())
			if err != nil || link.UserID != u.ID || link.Issuer != e.idp.issuer() {
				t.Fatalf("identity link: %+v %v", link, err)
			}
			ev := e.audits(org, "auth.sign_in")
			if len(ev) == 0 || ev[len(ev)-1].Details["method"] != "SSO" || ev[len(ev)-1].Details["connection_id"] != string(conn.ID) {
				t.Fatalf("sign-in audit: %+v", ev)
			}
			if len(e.audits(org, sso.ActionIdentityLinked)) == 0 {
				t.Fatal("linking was not audited")
			}
			// Next time the subject decides, not the email.
			e.signInAs(person("sub-ada", "ada.lovelace@elsewhere.example"))
			b2 := e.browser()
			b2.signedIn(b2.login(conn, ""), "/")
		})

		t.Run("a state that is not the cookie's is refused", func(t *testing.T) {
			e.user(org, "bob@north.example", nil)
			e.signInAs(person("sub-bob", "bob@north.example"))
			b := e.browser()
			cb := b.start(conn)
			q := cb.Query()
			q.Set("state", "forged")
			cb.RawQuery = q.Encode()
			refused(t, b.get(cb.String()), http.StatusBadRequest, "sso_state_mismatch")
			if got := e.lastRefusal(org); got != sso.ReasonStateMismatch {
				t.Fatalf("audited reason %q", got)
			}
		})

		t.Run("a callback without the state cookie is refused", func(t *testing.T) {
			e.signInAs(person("sub-bob", "bob@north.example"))
			cb := e.browser().start(conn)
			refused(t, e.browser().get(cb.String()), http.StatusBadRequest, "sso_state_missing")
		})

		t.Run("a replayed code is refused by the provider and the sign-in fails", func(t *testing.T) {
			e.signInAs(person("sub-bob", "bob@north.example"))
			b := e.browser()
			first := b.start(conn)
			b.signedIn(b.get(first.String()), "/")
			// A new sign-in in the same browser, answered with the old code.
			again := b.start(conn)
			q := again.Query()
			q.Set("code", first.Query().Get("code"))
			again.RawQuery = q.Encode()
			refused(t, b.get(again.String()), http.StatusUnauthorized, "sso_code_rejected")
			if got := e.lastRefusal(org); got != sso.ReasonCodeRejected {
				t.Fatalf("audited reason %q", got)
			}
		})

		for _, c := range []struct {
			name   string
			tamper func(claims map[string]any)
			reason string
		}{
			{"an ID token with another nonce is refused", func(c map[string]any) { c["nonce"] = "other" }, sso.ReasonNonceMismatch},
			{"an ID token for another audience is refused", func(c map[string]any) { c["aud"] = "someone-else" }, sso.ReasonInvalidToken},
			{"an expired ID token is refused", func(c map[string]any) {
				c["iat"] = e.clock.Now().Add(-time.Hour).Unix()
				c["exp"] = e.clock.Now().Add(-time.Minute).Unix()
			}, sso.ReasonInvalidToken},
			{"an ID token of another issuer is refused", func(c map[string]any) { c["iss"] = "https://evil.example" }, sso.ReasonInvalidToken},
			{"an ID token authorized for another party is refused", func(c map[string]any) { c["azp"] = "someone-else" }, sso.ReasonInvalidToken},
		} {
			t.Run(c.name, func(t *testing.T) {
				e.signInAs(person("sub-bob", "bob@north.example"))
				e.idp.set(func(p *idp) { p.tamper = c.tamper })
				b := e.browser()
				refused(t, b.login(conn, ""), http.StatusUnauthorized, "sso_invalid_token")
				if got := e.lastRefusal(org); got != c.reason {
					t.Fatalf("audited reason %q, want %q", got, c.reason)
				}
				if s := b.session(); s.status != http.StatusUnauthorized {
					t.Fatalf("a session exists after a refusal: %d", s.status)
				}
			})
		}

		t.Run("an ID token signed by a key the provider does not publish is refused", func(t *testing.T) {
			e.signInAs(person("sub-bob", "bob@north.example"))
			forger := newKey(t)
			e.idp.set(func(p *idp) { forger.kid = p.keys[0].kid; p.signer = forger })
			refused(t, e.browser().login(conn, ""), http.StatusUnauthorized, "sso_invalid_token")
		})

		t.Run("a key rotation at the provider is picked up", func(t *testing.T) {
			e.signInAs(person("sub-bob", "bob@north.example"))
			before := e.idp.hitCount("/jwks")
			e.idp.rotate()
			b := e.browser()
			b.signedIn(b.login(conn, ""), "/")
			if e.idp.hitCount("/jwks") <= before {
				t.Fatal("the new key set was not fetched")
			}
		})

		t.Run("an unknown user is refused without just-in-time provisioning", func(t *testing.T) {
			e.signInAs(person("sub-nobody", "nobody@north.example"))
			refused(t, e.browser().login(conn, ""), http.StatusForbidden, "sso_unknown_user")
			if got := e.lastRefusal(org); got != sso.ReasonUnknownUser {
				t.Fatalf("audited reason %q", got)
			}
			if n, _ := db.User.Query().Where(user.EmailNormalized("nobody@north.example")).Count(allow()); n != 0 {
				t.Fatal("a user was created")
			}
		})

		t.Run("an unknown user is provisioned with the default role and the mapped ones", func(t *testing.T) {
			o := e.org("jit", organization.SignInMethodAny)
			staff, _ := db.Role.Create().SetOrganizationID(o.ID).SetName("Staff").Save(allow())
			nurses, _ := db.Role.Create().SetOrganizationID(o.ID).SetName("Nurses").Save(allow())
			unit, _ := db.BusinessUnit.Create().SetOrganizationID(o.ID).SetName("Ward 3").Save(allow())
			if staff == nil || nurses == nil || unit == nil {
				t.Fatal("fixtures")
			}
			c := e.connection(o, e.idp, func(c *ent.SSOConnectionCreate) {
				c.SetAutoProvision(true).SetDefaultRoleID(staff.ID).SetDefaultBusinessUnitID(unit.ID).
					SetClaimMappings([]ssomapping.Mapping{{Value: "nurses", RoleID: nurses.ID}, {Value: "admins", RoleID: "rol_unused"}})
			})
			p := person("sub-new", "new@jit.example")
			p["groups"] = []string{"nurses", "other"}
			e.signInAs(p)
			b := e.browser()
			b.signedIn(b.login(c, ""), "/")
			u, err := db.User.Query().Where(user.OrganizationID(o.ID), user.EmailNormalized("new@jit.example")).WithRoles().Only(allow())
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, r := range u.Edges.Roles {
				names = append(names, r.Name)
			}
			if len(names) != 2 || u.PrimaryBusinessUnitID == nil || *u.PrimaryBusinessUnitID != unit.ID || u.SignInMethod != user.SignInMethodSSO {
				t.Fatalf("provisioned %v unit %v method %s", names, u.PrimaryBusinessUnitID, u.SignInMethod)
			}
			if len(e.audits(o, sso.ActionUserProvisioned)) != 1 {
				t.Fatal("provisioning was not audited")
			}
			if n, _ := db.User.Query().Where(user.OrganizationID(org.ID), user.EmailNormalized("new@jit.example")).Count(allow()); n != 0 {
				t.Fatal("the user was provisioned in another organization")
			}
		})

		t.Run("an address outside the connection's domains is refused", func(t *testing.T) {
			o := e.org("domains", organization.SignInMethodAny)
			c := e.connection(o, e.idp, func(c *ent.SSOConnectionCreate) { c.SetEmailDomains([]string{"domains.example"}) })
			e.user(o, "eve@other.example", nil)
			e.signInAs(person("sub-eve", "eve@other.example"))
			refused(t, e.browser().login(c, ""), http.StatusForbidden, "sso_email_domain")
			// Inside the domain, a provider that says nothing about
			// verification is trusted for it, and email only in userinfo
			// is read there (npm oidc-provider's default).
			e.user(o, "dan@domains.example", nil)
			e.signInAs(map[string]any{"sub": "sub-dan", "email": "dan@domains.example"})
			e.idp.set(func(p *idp) { p.userinfoOnly = []string{"email"} })
			b := e.browser()
			b.signedIn(b.login(c, ""), "/")
		})

		t.Run("an unverified email links nobody", func(t *testing.T) {
			e.user(org, "una@north.example", nil)
			p := person("sub-una", "una@north.example")
			p["email_verified"] = false
			e.signInAs(p)
			refused(t, e.browser().login(conn, ""), http.StatusForbidden, "sso_email_unverified")
			// Without email_verified and without a domain the connection
			// claims, neither.
			delete(p, "email_verified")
			e.signInAs(p)
			refused(t, e.browser().login(conn, ""), http.StatusForbidden, "sso_email_unverified")
		})

		t.Run("a portal user's address signs nobody in and provisions nobody", func(t *testing.T) {
			o := e.org("portal", organization.SignInMethodAny)
			c := e.connection(o, e.idp, func(c *ent.SSOConnectionCreate) { c.SetAutoProvision(true) })
			e.user(o, "parent@portal.example", func(c *ent.UserCreate) { c.SetKind(user.KindPortal) })
			e.signInAs(person("sub-parent", "parent@portal.example"))
			refused(t, e.browser().login(c, ""), http.StatusForbidden, "sso_unknown_user")
		})

		t.Run("a user required to use a password is refused", func(t *testing.T) {
			e.user(org, "pat@north.example", func(c *ent.UserCreate) { c.SetSignInMethod(user.SignInMethodPassword) })
			e.signInAs(person("sub-pat", "pat@north.example"))
			refused(t, e.browser().login(conn, ""), http.StatusForbidden, "method_not_allowed")
		})

		t.Run("an organization that requires a password refuses single sign-on", func(t *testing.T) {
			o := e.org("pwonly", organization.SignInMethodPassword)
			c := e.connection(o, e.idp, nil)
			e.user(o, "pia@pwonly.example", nil)
			e.signInAs(person("sub-pia", "pia@pwonly.example"))
			refused(t, e.browser().login(c, ""), http.StatusForbidden, "method_not_allowed")
		})

		t.Run("an organization that requires SSO signs in by SSO", func(t *testing.T) {
			o := e.org("ssoonly", organization.SignInMethodSSO)
			c := e.connection(o, e.idp, nil)
			e.user(o, "sam@ssoonly.example", nil)
			e.signInAs(person("sub-sam", "sam@ssoonly.example"))
			b := e.browser()
			b.signedIn(b.login(c, ""), "/")
		})

		t.Run("a suspended user is refused", func(t *testing.T) {
			e.user(org, "sue@north.example", func(c *ent.UserCreate) { c.SetStatus(user.StatusSuspended) })
			e.signInAs(person("sub-sue", "sue@north.example"))
			refused(t, e.browser().login(conn, ""), http.StatusForbidden, "account_disabled")
			if got := e.lastRefusal(org); got != "account_disabled" {
				t.Fatalf("audited reason %q", got)
			}
		})

		t.Run("a deleted user is refused", func(t *testing.T) {
			e.user(org, "del@north.example", func(c *ent.UserCreate) { c.SetStatus(user.StatusDeleted) })
			e.signInAs(person("sub-del", "del@north.example"))
			refused(t, e.browser().login(conn, ""), http.StatusForbidden, "account_disabled")
		})

		t.Run("MFA stays pending after SSO unless a trusted provider shows a second factor", func(t *testing.T) {
			o := e.org("mfa", organization.SignInMethodAny)
			o = o.Update().SetRequireMfa(true).SaveX(allow())
			plain := e.connection(o, e.idp, nil)
			e.user(o, "mia@mfa.example", nil)
			p := person("sub-mia", "mia@mfa.example")
			p["amr"] = []string{"pwd", "otp"}
			e.signInAs(p)
			b := e.browser()
			if st := b.signedIn(b.login(plain, ""), "/"); st != "mfa_required" {
				t.Fatalf("untrusted provider MFA: state %q", st)
			}
			if _, err := db.SSOConnection.UpdateOne(plain).SetTrustProviderMfa(true).Save(allow()); err != nil {
				t.Fatal(err)
			}
			b = e.browser()
			if st := b.signedIn(b.login(plain, ""), "/"); st != "active" {
				t.Fatalf("trusted amr otp: state %q", st)
			}
			ev := e.audits(o, "auth.mfa_verified")
			if len(ev) != 1 || ev[0].Details["method"] != "identity_provider" {
				t.Fatalf("provider MFA audit: %+v", ev)
			}
			p["amr"] = []string{"pwd"}
			e.signInAs(p)
			b = e.browser()
			if st := b.signedIn(b.login(plain, ""), "/"); st != "mfa_required" {
				t.Fatalf("amr pwd alone: state %q", st)
			}
		})

		t.Run("a return address off this server is refused", func(t *testing.T) {
			e.signInAs(person("sub-ada", "ada@north.example"))
			for _, to := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"} {
				refused(t, e.browser().login(conn, to), http.StatusBadRequest, "invalid_return_to")
			}
			b := e.browser()
			b.signedIn(b.login(conn, e.app.URL+"/patients?x=1"), "/patients?x=1")
		})

		t.Run("a pending SSO invitation is accepted at first sign-in", func(t *testing.T) {
			inv, err := db.Invitation.Create().SetOrganizationID(org.ID).SetEmail("ivy@north.example").
				SetTokenHash(randBytes(32)).SetSignInMethod(invitation.SignInMethodSSO).
				SetExpiresAt(e.clock.Now().Add(time.Hour)).Save(allow())
			if err != nil {
				t.Fatal(err)
			}
			e.signInAs(person("sub-ivy", "ivy@north.example"))
			b := e.browser()
			b.signedIn(b.login(conn, ""), "/")
			inv = db.Invitation.GetX(allow(), inv.ID)
			if inv.Status != invitation.StatusAccepted || inv.UserID == nil {
				t.Fatalf("invitation %s user %v", inv.Status, inv.UserID)
			}
		})

		t.Run("a user of another organization is not signed in by this organization's connection", func(t *testing.T) {
			other := e.org("south", organization.SignInMethodAny)
			e.user(other, "zed@south.example", nil)
			e.signInAs(person("sub-zed", "zed@south.example"))
			refused(t, e.browser().login(conn, ""), http.StatusForbidden, "sso_unknown_user")
		})

		t.Run("logout ends the session and the provider's", func(t *testing.T) {
			e.signInAs(person("sub-ada", "ada@north.example"))
			b := e.browser()
			b.signedIn(b.login(conn, ""), "/")
			req, _ := http.NewRequest(http.MethodPost, e.app.URL+"/auth/oidc/logout", strings.NewReader(`{"returnTo":"/bye"}`))
			req.Header.Set("Content-Type", "application/json")
			r := b.do(req)
			next, _ := r.body["redirect"].(string)
			u, err := url.Parse(next)
			if r.status != http.StatusOK || err != nil || !strings.HasPrefix(next, e.idp.issuer()+"/logout?") {
				t.Fatalf("logout answered %d %s", r.status, r.raw)
			}
			if u.Query().Get("id_token_hint") == "" || u.Query().Get("post_logout_redirect_uri") != e.app.URL+"/bye" {
				t.Fatalf("end-session URL %s", next)
			}
			if s := b.session(); s.status != http.StatusUnauthorized {
				t.Fatalf("session after logout: %d", s.status)
			}
			req, _ = http.NewRequest(http.MethodPost, e.app.URL+"/auth/oidc/logout", strings.NewReader(`{"returnTo":"https://evil.example"}`))
			req.Header.Set("Content-Type", "application/json")
			refused(t, b.do(req), http.StatusBadRequest, "invalid_return_to")
		})

		t.Run("home-realm discovery names the domain's connection whoever asks", func(t *testing.T) {
			o := e.org("realm", organization.SignInMethodSSO)
			c := e.connection(o, e.idp, func(c *ent.SSOConnectionCreate) { c.SetEmailDomains([]string{"realm.example"}) })
			e.user(o, "known@realm.example", nil)
			ask := func(email string) reply {
				return e.browser().get(e.app.URL + "/auth/oidc/discover?organization=" + url.QueryEscape(o.Slug) + "&email=" + url.QueryEscape(email))
			}
			known, unknown := ask("known@realm.example"), ask("unknown@realm.example")
			if known.raw != unknown.raw {
				t.Fatalf("discovery tells members apart: %s vs %s", known.raw, unknown.raw)
			}
			cb, _ := known.body["connection"].(map[string]any)
			if cb["id"] != string(c.ID) || known.body["ssoRequired"] != true ||
				cb["loginUrl"] != e.app.URL+"/auth/oidc/"+string(c.ID)+"/login" {
				t.Fatalf("discovery: %s", known.raw)
			}
			if r := ask("x@gmail.example"); r.body["connection"] != nil {
				t.Fatalf("another domain: %s", r.raw)
			}
			// Another organization's domain is not this one's.
			r := e.browser().get(e.app.URL + "/auth/oidc/discover?organization=" + url.QueryEscape(org.Slug) + "&email=known@realm.example")
			if r.body["connection"] != nil {
				t.Fatalf("discovery crossed organizations: %s", r.raw)
			}
		})

		t.Run("an unreachable provider fails the login quickly with a clear code", func(t *testing.T) {
			down := newIdP(t, e.clock.Now)
			down.set(func(p *idp) { p.down = true })
			c := e.connection(org, down, nil)
			refused(t, e.browser().login(c, ""), http.StatusServiceUnavailable, "provider_unavailable")
		})

		t.Run("a slow provider fails the callback within the bound", func(t *testing.T) {
			e.signInAs(person("sub-ada", "ada@north.example"))
			b := e.browser()
			cb := b.start(conn)
			e.idp.set(func(p *idp) { p.delay = 3 * time.Second })
			start := time.Now()
			r := b.get(cb.String())
			took := time.Since(start)
			e.idp.set(func(p *idp) { p.delay = 0 })
			refused(t, r, http.StatusServiceUnavailable, "provider_unavailable")
			if took > 2*time.Second {
				t.Fatalf("the callback took %s", took)
			}
			if got := e.lastRefusal(org); got != sso.ReasonProviderUnavailable {
				t.Fatalf("audited reason %q", got)
			}
		})

		t.Run("a browser gets an error page", func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, e.app.URL+sso.CallbackPath+"?code=x&state=y", nil)
			req.Header.Set("Accept", "text/html")
			r := e.browser().do(req)
			if r.status != http.StatusBadRequest || !strings.Contains(r.raw, "sso_state_missing") || !strings.Contains(r.raw, "<h1>") {
				t.Fatalf("error page: %d %s", r.status, r.raw)
			}
		})
	})
}
