package oidc_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/useridentity"
	"github.com/clinicgate/clinicgate/internal/sso"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

const providerDir = "testdata/oidcprovider"

// npmProvider is npm oidc-provider running as a child process.
type npmProvider struct {
	issuer, clientID, secret string
}

// startNPMProvider starts testdata/oidcprovider/provider.mjs on a free
// port, once, for the redirect URIs of the servers on apps. It installs
// nothing: .ci/run installs the package (npm ci).
func startNPMProvider(t *testing.T, apps []string) *npmProvider {
	t.Helper()
	if _, err := os.Stat(filepath.Join(providerDir, "node_modules", "oidc-provider", "package.json")); err != nil {
		t.Fatalf("npm oidc-provider is not installed in auth/oidc/%s: run `npm ci --prefix auth/oidc/%s` (the install step of .ci/run): %v",
			providerDir, providerDir, err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node (Node.js 20 or newer) is needed to run npm oidc-provider: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	p := &npmProvider{issuer: "http://127.0.0.1:" + itoa(port), clientID: "clinicgate", secret: "npm-provider-secret-" + itoa(port)}
	var redirects, logouts []string
	for _, a := range apps {
		redirects = append(redirects, a+sso.CallbackPath)
		logouts = append(logouts, a+"/")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, node, "provider.mjs")
	cmd.Dir = providerDir
	cmd.Env = append(os.Environ(), "PORT="+itoa(port), "CLIENT_ID="+p.clientID, "CLIENT_SECRET="+p.secret,
		"REDIRECT_URIS="+strings.Join(redirects, ","), "POST_LOGOUT_REDIRECT_URIS="+strings.Join(logouts, ","),
		"EMAIL_DOMAIN=npm.example", "NODE_NO_WARNINGS=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node provider.mjs: %v", err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "listening ") {
				ready <- true
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("npm oidc-provider exited before listening: %s", stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("npm oidc-provider did not start within 20 s: %s", stderr.String())
	}
	return p
}

func itoa(n int) string { return formatInt(n) }

func formatInt(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

var formAction = regexp.MustCompile(`<form[^>]*action="([^"]+)"`)

// TestTheWholeFlowWorksWithNPMOIDCProvider signs in and out through a
// certified provider implementation, driving its login and consent
// interactions over HTTP with the browser's cookie jar.
func TestTheWholeFlowWorksWithNPMOIDCProvider(t *testing.T) {
	// One provider for both dialects: their servers' ports are chosen
	// first, to register their redirect URIs.
	var listeners []net.Listener
	var apps []string
	for range 2 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		listeners = append(listeners, ln)
		apps = append(apps, "http://"+ln.Addr().String())
	}
	p := startNPMProvider(t, apps)

	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if len(listeners) == 0 {
			t.Fatal("more dialects than listeners")
		}
		ln := listeners[0]
		listeners = listeners[1:]
		e := newEnvOn(t, db, ln)
		org := e.org("npm", organization.SignInMethodAny)
		id := pulid.New("sso")
		sealed, err := sso.SealClientSecret(e.box, id, p.secret)
		if err != nil {
			t.Fatal(err)
		}
		conn := db.SSOConnection.Create().SetID(id).SetOrganizationID(org.ID).SetName("npm oidc-provider").
			SetIssuer(p.issuer).SetClientID(p.clientID).SetClientSecretSealed(sealed).
			SetEmailDomains([]string{"npm.example"}).SaveX(allow())
		u := e.user(org, "ada@npm.example", nil)

		provider, _ := url.Parse(p.issuer)
		jar, _ := cookiejar.New(nil)
		b := &browser{e: e, client: &http.Client{Jar: jar, Timeout: 15 * time.Second,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if req.URL.Host == provider.Host || req.URL.Path == sso.CallbackPath {
					return nil
				}
				return http.ErrUseLastResponse
			}}}

		// To the provider's login form, then its consent form.
		r := b.login(conn, "/after")
		for i, form := range []url.Values{
			{"prompt": {"login"}, "login": {"ada"}, "password": {"any"}},
			{"prompt": {"consent"}},
		} {
			m := formAction.FindStringSubmatch(r.raw)
			if r.status != http.StatusOK || m == nil {
				t.Fatalf("step %d: no interaction form (%d %s): %.500s", i, r.status, r.location, r.raw)
			}
			action, err := provider.Parse(m[1])
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest(http.MethodPost, action.String(), strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r = b.do(req)
		}
		if st := b.signedIn(r, "/after"); st != "active" {
			t.Fatalf("state %q", st)
		}
		link, err := db.UserIdentity.Query().Where(useridentity.UserID(u.ID)).Only(allow())
		if err != nil || link.Issuer != p.issuer || link.Subject != "ada" || link.Email != "ada@npm.example" {
			t.Fatalf("identity %+v %v", link, err)
		}

		// Logout: the provider's end-session endpoint accepts our hint
		// and post-logout redirect.
		req, _ := http.NewRequest(http.MethodPost, e.app.URL+"/auth/oidc/logout", strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		r = b.do(req)
		next, _ := r.body["redirect"].(string)
		if r.status != http.StatusOK || !strings.HasPrefix(next, p.issuer) {
			t.Fatalf("logout: %d %s", r.status, r.raw)
		}
		if s := b.session(); s.status != http.StatusUnauthorized {
			t.Fatalf("session after logout: %d", s.status)
		}
		r = b.get(next)
		if r.status != http.StatusOK || !strings.Contains(r.raw, "<form") {
			t.Fatalf("the provider refused the end-session request: %d %.500s", r.status, r.raw)
		}
	})
}
