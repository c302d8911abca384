package main

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/clinicgate/clinicgate/internal/mail/mailtest"
)

// secret returns a value no log line could hold by chance.
func secret(prefix string) string {
	b := make([]byte, 12)
	rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

var inviteLink = regexp.MustCompile(`/accept-invitation\?token=([A-Za-z0-9_%-]+)`)

// A whole run, logged at debug level, uses every kind of secret the server
// handles: the server key, the database and SMTP passwords, the metrics
// token, an SSO client secret, passwords
// (right, wrong, new, provisioned by SCIM), session tokens, an
// authenticator app's secret and codes, recovery codes, a SCIM token, the
// tokens of a password-reset and an invitation link. Not one of them
// appears anywhere in the log.
func TestNoSecretIsEverLogged(t *testing.T) {
	eachDialect(t, func(t *testing.T, kv map[string]string) {
		smtpPassword := secret("smtp-password")
		smtp := mailtest.Start(t, mailtest.Options{Username: "relay", Password: smtpPassword, PlainAuth: true})
		key := make([]byte, 32)
		rand.Read(key)
		demoPw, metricsTok := secret("demo-password"), secret("metrics-token-0123456789abcdef")
		kv["SECRET_KEY"] = hex.EncodeToString(key)
		kv["LOG_LEVEL"], kv["LOG_FORMAT"] = "debug", "json"
		kv["DEMO_PASSWORD"], kv["METRICS_TOKEN"] = demoPw, metricsTok
		kv["SMTP_HOST"], kv["SMTP_PORT"], kv["SMTP_TLS"] = smtp.Host, strconv.Itoa(smtp.Port), "none"
		kv["SMTP_USERNAME"], kv["SMTP_PASSWORD"] = "relay", smtpPassword
		dbPassword := ""
		if dsn := kv["DATABASE_URL"]; dsn != "" {
			// The test server trusts its clients: a password in the URL is
			// never asked for, but the server must not log it either.
			u, err := url.Parse(dsn)
			if err != nil {
				t.Fatal(err)
			}
			dbPassword = secret("db-password")
			u.User = url.UserPassword(u.User.Username(), dbPassword)
			kv["DATABASE_URL"] = u.String()
		}
		s := start(t, kv, "--demo")
		secrets := map[string]string{
			"SECRET_KEY": kv["SECRET_KEY"], "SMTP_PASSWORD": smtpPassword, "METRICS_TOKEN": metricsTok, "the demo password": demoPw,
		}
		if dbPassword != "" {
			secrets["the database password"] = dbPassword
		}

		signIn := func(email, pw string) (int, string) {
			status, out := postJSON(t, s.base+"/auth/login", "", map[string]string{"organization": "demo", "email": email, "password": pw})
			tok, _ := out["token"].(string)
			return status, tok
		}
		gql := func(tok, q string, vars map[string]any) map[string]any {
			t.Helper()
			status, out := postJSON(t, s.base+"/graphql", tok, map[string]any{"query": q, "variables": vars})
			if status != http.StatusOK || out["errors"] != nil {
				t.Fatalf("%s: %d %v", q, status, out)
			}
			return out["data"].(map[string]any)
		}

		// Passwords, wrong and right; the session token.
		wrong := secret("wrong-guess")
		if status, _ := signIn("admin@demo.clinic", wrong); status != http.StatusUnauthorized {
			t.Fatalf("a wrong password: %d", status)
		}
		secrets["a wrong password"] = wrong
		_, admin := signIn("admin@demo.clinic", demoPw)
		secrets["a session token"] = admin

		// An authenticator app: its secret, a code, the recovery codes.
		e := gql(admin, mEnrol, nil)["enrollAuthenticatorApp"].(map[string]any)
		totpSecret := e["secret"].(string)
		code, err := totp.GenerateCode(totpSecret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		c := gql(admin, mConfirm, map[string]any{"f": e["factorId"], "c": code})["confirmAuthenticatorApp"].(map[string]any)
		secrets["the TOTP secret"], secrets["the otpauth URI"] = totpSecret, e["otpauthUri"].(string)
		secrets["a TOTP code"] = `"` + code + `"`
		codes := c["recoveryCodes"].([]any)
		for i, rc := range codes {
			secrets["recovery code "+strconv.Itoa(i)] = rc.(string)
		}
		// The next sign-in passes its second factor with a recovery code.
		_, second := signIn("admin@demo.clinic", demoPw)
		gql(second, mVerify, map[string]any{"c": codes[0]})
		secrets["a second session token"] = second

		// An SSO connection's client secret.
		clientSecret := secret("oidc-client-secret")
		gql(admin, `mutation($s: String!) { createSsoConnection(input: {name: "Okta", issuer: "https://idp.example.org",
			clientId: "clinicgate", clientSecret: $s, emailDomains: ["demo.clinic"]}) { ssoConnection { id } } }`, map[string]any{"s": clientSecret})
		secrets["the SSO client secret"] = clientSecret

		// A SCIM token, used to provision a user with a password.
		scimTok := gql(admin, mIssueTok, nil)["createScimToken"].(map[string]any)["token"].(string)
		secrets["the SCIM token"] = scimTok
		scimPw := secret("scim-password")
		secrets["a password provisioned by SCIM"] = scimPw
		res := send(t, http.MethodPost, s.base+"/scim/v2/Users", map[string]string{
			"Authorization": "Bearer " + scimTok, "Content-Type": "application/scim+json",
		}, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@demo.clinic",`+
			`"emails":[{"primary":true,"value":"ada@demo.clinic","type":"work"}],"password":"`+scimPw+`","active":true}`)
		if res.status != http.StatusCreated {
			t.Fatalf("SCIM create: %d %s", res.status, res.raw)
		}
		if res := send(t, http.MethodGet, s.base+"/scim/v2/Users?filter=userName%20eq%20%22ada@demo.clinic%22",
			map[string]string{"Authorization": "Bearer " + scimTok}, ""); res.status != http.StatusOK {
			t.Fatalf("SCIM filter: %d %s", res.status, res.raw)
		}

		// A password reset by its emailed link; the demo's invitation link.
		if r := request(t, http.MethodPost, s.base+"/auth/password/reset/request", "", map[string]string{"organization": "demo", "email": "clinician@demo.clinic"}); r.status != http.StatusAccepted {
			t.Fatalf("reset request: %d %s", r.status, r.raw)
		}
		var resetTok, inviteTok string
		waitFor(t, 20*time.Second, "the reset and invitation mails are delivered", func() bool {
			for _, m := range smtp.Messages() {
				body := decoded(t, m.Data)
				if x := resetLink.FindStringSubmatch(body); x != nil {
					resetTok = x[1]
				}
				if x := inviteLink.FindStringSubmatch(body); x != nil {
					inviteTok = x[1]
				}
			}
			return resetTok != "" && inviteTok != ""
		})
		secrets["the reset token"], secrets["the invitation token"] = resetTok, inviteTok
		fresh := secret("new-password")
		// The mail leaves inside the outbox transaction that stores the
		// link's token, just before it commits: a reader as quick as this
		// test can hold the link a moment before it works (410 until the
		// commit). A person cannot.
		var reset response
		waitFor(t, 5*time.Second, "the reset link works", func() bool {
			reset = request(t, http.MethodPost, s.base+"/auth/password/reset", "", map[string]string{"token": resetTok, "password": fresh})
			return reset.status != http.StatusGone
		})
		if reset.status != http.StatusOK {
			t.Fatalf("reset: %d %s", reset.status, reset.raw)
		}
		secrets["a new password"] = fresh
		if status, tok := signIn("clinician@demo.clinic", fresh); status != http.StatusOK {
			t.Fatalf("sign-in with the new password: %d", status)
		} else {
			secrets["a third session token"] = tok
		}

		// A scrape with the metrics token.
		if status, body := get(t, s.base+"/metrics", metricsTok); status != http.StatusOK {
			t.Fatalf("/metrics: %d %.200s", status, body)
		}

		logs := s.logs.String()
		for _, path := range []string{"/auth/login", "/graphql", "/scim/v2/Users", "/auth/password/reset", "/metrics"} {
			if !strings.Contains(logs, `"path":"`+path+`"`) {
				t.Fatalf("the log lacks the requests to %s: is it the server's?\n%.2000s", path, logs)
			}
		}
		for what, v := range secrets {
			if v == "" || v == `""` {
				t.Fatalf("%s is empty: the flow did not run", what)
			}
			if i := strings.Index(logs, v); i >= 0 {
				line := logs[strings.LastIndex(logs[:i], "\n")+1:]
				line, _, _ = strings.Cut(line, "\n")
				t.Errorf("%s is in the log: %.400s", what, line)
			}
		}
		t.Logf("%d log lines checked for %d secrets", strings.Count(logs, "\n"), len(secrets))
	})
}
