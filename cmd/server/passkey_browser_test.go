package main

import (
	"context"
	"errors"
	"flag"
	"github.com/pquerna/otp/totp"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/ent/webauthncredential"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/config"
	"github.com/clinicgate/clinicgate/internal/demo"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// chromium finds the browser the console test drives. It is a dependency
// of the test suite like the database: .ci/run installs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium found on PATH (chromium, chromium-browser, google-chrome): install it, e.g. apt-get install -y chromium (.ci/run does when it is missing)")
	return ""
}

// A person at a real browser: the organization requires MFA, so the first
// password sign-in on the console asks for a passkey and registers one
// with the browser's authenticator (Chrome's virtual authenticator, CTAP2,
// user verification on); signed out and in again, the console verifies
// the session with that passkey, and GraphQL answers with data.
func TestTheConsoleEnrolsAndVerifiesAPasskeyInABrowser(t *testing.T) {
	browser := chromium(t)
	alloc, stopAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(browser), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	defer stopAlloc()
	browserCtx, stopBrowser := chromedp.NewContext(alloc)
	defer stopBrowser()
	if err := chromedp.Do(browserCtx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium (%s): %v", browser, err)
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const pw = "correct horse battery staple"
		cheap := password.Hasher{Params: password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32}}
		if _, err := demo.Seed(ctx, db.Client, demo.Params{Password: pw, Clock: clock.System(), Hasher: cheap}); err != nil {
			t.Fatal(err)
		}
		db.Client.Organization.Update().Where(organization.Slug("demo")).SetRequireMfa(true).ExecX(allowCtx())
		admin := db.Client.User.Query().Where(user.Email("admin@demo.clinic")).OnlyX(allowCtx())

		// WebAuthn needs a secure context and a domain for RP id:
		// http://localhost is both.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		base := "http://localhost:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
		cfg, err := config.Load(flag.NewFlagSet("serve", flag.ContinueOnError), nil, env(sqliteEnv(t)))
		if err != nil {
			t.Fatal(err)
		}
		cfg.PublicURL = base
		api, _ := newHandlers(db, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), clock.System())
		srv := httptest.NewUnstartedServer(api)
		srv.Listener.Close()
		srv.Listener = ln
		srv.Start()
		defer srv.Close()

		// A browser context of its own per dialect: fresh cookies and
		// authenticators, one Chromium process.
		bctx, stopTab := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
		defer stopTab()
		if err := chromedp.Do(bctx, chromedp.Navigate(base+"/signin")); err != nil {
			t.Fatalf("open a tab: %v", err)
		}
		// Every step below is bounded; the browser lives as long as bctx.
		step, stopSteps := context.WithTimeout(bctx, 60*time.Second)
		defer stopSteps()
		if _, err := chromedp.Call(step, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Call(step, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
			Options: &webauthn.VirtualAuthenticatorOptions{
				Protocol:                    webauthn.AuthenticatorProtocolCtap2,
				Ctap2version:                webauthn.Ctap2versionCtap21,
				Transport:                   webauthn.AuthenticatorTransportInternal,
				HasResidentKey:              true,
				HasUserVerification:         true,
				IsUserVerified:              true,
				AutomaticPresenceSimulation: true,
			},
		}); err != nil {
			t.Fatal(err)
		}

		do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
			t.Helper()
			if err := chromedp.Do(step, steps...); err != nil {
				msgs, _ := chromedp.Run(step, chromedp.Evaluate[string](`[...document.querySelectorAll(".msg")].map(e => e.textContent).join(" | ")`))
				t.Fatalf("%s: %v (page messages: %q)", what, err, msgs)
			}
		}
		// graphql runs a query from the page, with the session cookie.
		graphql := func(query string) string {
			t.Helper()
			out, err := chromedp.Run(step, chromedp.Evaluate[string](`fetch("/graphql", {method: "POST", credentials: "same-origin",
				headers: {"Content-Type": "application/json"}, body: JSON.stringify({query: `+strconv.Quote(query)+`})}).then(r => r.text())`,
				chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatalf("graphql from the page: %v", err)
			}
			return out
		}
		signOut := func() {
			t.Helper()
			if out, err := chromedp.Run(step, chromedp.Evaluate[int](`fetch("/auth/logout", {method: "POST", credentials: "same-origin",
				headers: {"Content-Type": "application/json"}, body: "{}"}).then(r => r.status)`, chromedp.EvalAwaitPromise)); err != nil || out >= 300 {
				t.Fatalf("sign out: %d %v", out, err)
			}
		}
		// signInAs signs in on the console's page, then runs then.
		signInAs := func(email string, then ...chromedp.Action[chromedp.Void]) {
			t.Helper()
			do("sign in as "+email, append([]chromedp.Action[chromedp.Void]{
				chromedp.Navigate(base + "/signin"),
				chromedp.WaitVisible(chromedp.ID("signin")),
				chromedp.SendKeys(chromedp.ID("org"), "demo"),
				chromedp.SendKeys(chromedp.ID("email"), email),
				chromedp.SendKeys(chromedp.ID("password"), pw),
				chromedp.Click(chromedp.CSS("#signin button")),
			}, then...)...)
		}
		signIn := func() { t.Helper(); signInAs("admin@demo.clinic") }
		const data = `{ viewer { user { email } } clients { totalCount } }`
		// atConsole waits for the page to have gone on to the console;
		// evaluating fails while the page navigates, so it asks again.
		atConsole := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				if path, err := chromedp.Evaluate[string](`location.pathname`)(ctx, t); err == nil && path == "/" {
					return nil
				}
			}
			return errors.New("the page did not go on to the console")
		})

		// First sign-in: no factor yet, so the console offers to add one.
		signIn()
		do("the enrolment step", chromedp.WaitVisible(chromedp.ID("enrol")))
		if out := graphql(data); !strings.Contains(out, "MFA_REQUIRED") {
			t.Fatalf("data before the second factor: %s", out)
		}
		do("add a passkey", chromedp.SendKeys(chromedp.ID("pkname"), "Chromium"), chromedp.Click(chromedp.ID("add-passkey")), atConsole)
		if out := graphql(data); strings.Contains(out, `"errors"`) || !strings.Contains(out, "admin@demo.clinic") {
			t.Fatalf("data after enrolment: %s", out)
		}
		keys := db.Client.WebAuthnCredential.Query().Where(webauthncredential.UserID(admin.ID)).AllX(allowCtx())
		if len(keys) != 1 || keys[0].Name != "Chromium" || !keys[0].UserVerified {
			t.Fatalf("registered %+v", keys)
		}

		// Signed out, then in again: the passkey verifies the session.
		signOut()
		if out := graphql(data); !strings.Contains(out, "UNAUTHENTICATED") {
			t.Fatalf("data after sign-out: %s", out)
		}
		signIn()
		do("the verification step", chromedp.WaitVisible(chromedp.ID("verify")))
		if out := graphql(data); !strings.Contains(out, "MFA_REQUIRED") {
			t.Fatalf("data before verification: %s", out)
		}
		do("verify with the passkey", chromedp.Click(chromedp.ID("use-passkey")), atConsole)
		if out := graphql(data); strings.Contains(out, `"errors"`) || !strings.Contains(out, "admin@demo.clinic") || !strings.Contains(out, "totalCount") {
			t.Fatalf("data after verification: %s", out)
		}
		key := db.Client.WebAuthnCredential.GetX(allowCtx(), keys[0].ID)
		if key.LastUsedAt == nil {
			t.Errorf("the passkey's use was not recorded: %+v", key)
		}

		// Another user enrols an authenticator app instead: the page shows
		// the QR code and key, takes a code computed from that key, shows
		// the recovery codes; at the next sign-in one of them verifies.
		text := func(js string) string {
			t.Helper()
			out, err := chromedp.Run(step, chromedp.Evaluate[string](js))
			if err != nil {
				t.Fatalf("%s: %v", js, err)
			}
			return out
		}
		signOut()
		signInAs("clinician@demo.clinic",
			chromedp.WaitVisible(chromedp.ID("enrol")),
			chromedp.Click(chromedp.ID("add-app")),
			chromedp.WaitVisible(chromedp.ID("qr")),
		)
		if qr := text(`document.getElementById("qr").src`); !strings.HasPrefix(qr, "data:image/png;base64,") {
			t.Fatalf("QR code %.40q", qr)
		}
		if loaded := text(`String(document.getElementById("qr").naturalWidth > 0)`); loaded != "true" {
			t.Errorf("the QR code image did not render (CSP?)")
		}
		code, err := totp.GenerateCode(text(`document.getElementById("secret").textContent`), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		do("confirm the app", chromedp.SendKeys(chromedp.ID("appcode"), code), chromedp.Click(chromedp.CSS("#app-form button")),
			chromedp.WaitVisible(chromedp.ID("codes")))
		recovery := strings.Fields(text(`document.getElementById("codelist").textContent`))
		if len(recovery) != 10 {
			t.Fatalf("recovery codes shown: %v", recovery)
		}
		do("go on", chromedp.Click(chromedp.ID("codes-done")), atConsole)
		signOut()
		signInAs("clinician@demo.clinic",
			chromedp.WaitVisible(chromedp.ID("verify")),
			chromedp.SendKeys(chromedp.ID("code"), recovery[0]),
			chromedp.Click(chromedp.CSS("#code-form button")),
			atConsole,
		)
		if out := graphql(data); strings.Contains(out, `"errors"`) || !strings.Contains(out, "clinician@demo.clinic") {
			t.Fatalf("data after the recovery code: %s", out)
		}
	})
}

func allowCtx() context.Context { return privacy.DecisionContext(context.Background(), privacy.Allow) }
