package main

import (
	"bytes"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/config"
	"github.com/clinicgate/clinicgate/internal/httpsec"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// send makes one request with the given headers and returns the answer.
func send(t *testing.T, method, url string, headers map[string]string, body string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(res.Body)
	return response{status: res.StatusCode, header: res.Header, raw: buf.String()}
}

// Every answer of the server, pages, API answers and refusals alike,
// carries the security headers; the console pages keep their own content
// security policies; HSTS is sent only when PUBLIC_URL is https.
func TestEveryAnswerCarriesTheSecurityHeaders(t *testing.T) {
	kv := sqliteEnv(t)
	kv["DEMO_PASSWORD"] = demoPassword
	base, _ := serveInBackground(t, kv, "--demo")
	tok := signInDemo(t, base, "admin@demo.clinic")
	json := map[string]string{"Content-Type": "application/json"}
	bearer := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + tok}
	for _, r := range []struct {
		method, path string
		headers      map[string]string
		body         string
		csp          string // a substring of the policy the answer must have
	}{
		{"GET", "/healthz", nil, "", httpsec.DefaultCSP},
		{"GET", "/readyz", nil, "", httpsec.DefaultCSP},
		{"GET", "/no/such/page", nil, "", httpsec.DefaultCSP},
		{"POST", "/graphql", bearer, `{"query":"{ viewer { user { email } } }"}`, httpsec.DefaultCSP},
		{"POST", "/graphql", json, `{"query":"{"}`, httpsec.DefaultCSP},
		{"POST", "/auth/login", json, `{"organization":"demo","email":"admin@demo.clinic","password":"wrong"}`, httpsec.DefaultCSP},
		{"GET", "/auth/session", bearer, "", httpsec.DefaultCSP},
		{"GET", "/scim/v2/Users", nil, "", httpsec.DefaultCSP},
		{"GET", "/signin", nil, "", "form-action 'none'; frame-ancestors 'none'"},
		{"GET", "/accept-invitation?token=x", nil, "", "frame-ancestors 'none'"},
		{"GET", "/", map[string]string{"Authorization": "Bearer " + tok}, "", "script-src https://cdn.jsdelivr.net"},
	} {
		res := send(t, r.method, base+r.path, r.headers, r.body)
		h := res.header
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" ||
			h.Get("Referrer-Policy") != "no-referrer" || h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s %s (%d): headers %v", r.method, r.path, res.status, h)
		}
		if csp := h.Values("Content-Security-Policy"); len(csp) != 1 || !strings.Contains(csp[0], r.csp) || !strings.Contains(csp[0], "frame-ancestors 'none'") {
			t.Errorf("%s %s: Content-Security-Policy %q, want one containing %q", r.method, r.path, csp, r.csp)
		}
		if hsts := h.Get("Strict-Transport-Security"); hsts != "" {
			t.Errorf("%s %s over http: Strict-Transport-Security %q", r.method, r.path, hsts)
		}
	}

	// Under an https PUBLIC_URL (TLS ended at a proxy), HSTS too.
	db := storetest.Open(t, "sqlite")
	https := sqliteEnv(t)
	https["PUBLIC_URL"] = "https://id.clinic.example"
	cfg, err := config.Load(flag.NewFlagSet("serve", flag.ContinueOnError), nil, env(https))
	if err != nil {
		t.Fatal(err)
	}
	api, _ := newHandlers(db, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), clock.System())
	srv := httptest.NewServer(api)
	defer srv.Close()
	for _, path := range []string{"/healthz", "/signin"} {
		if got := send(t, "GET", srv.URL+path, nil, "").header.Get("Strict-Transport-Security"); got != httpsec.HSTS {
			t.Errorf("PUBLIC_URL https, %s: Strict-Transport-Security %q, want %q", path, got, httpsec.HSTS)
		}
	}
}

// signInDemo signs a demo user in and returns the session token.
func signInDemo(t *testing.T, base, email string) string {
	t.Helper()
	status, login := postJSON(t, base+"/auth/login", "", map[string]string{"organization": "demo", "email": email, "password": demoPassword})
	tok, _ := login["token"].(string)
	if status != http.StatusOK || tok == "" {
		t.Fatalf("sign-in of %s: %d %v", email, status, login)
	}
	return tok
}

// A frontend on an origin of CORS_ALLOWED_ORIGINS calls /graphql with a
// bearer token: its preflight is answered and its answer readable; any
// other origin gets no CORS header, and neither /auth/* nor /scim/v2
// answers cross-origin preflights.
func TestCORSAllowsOnlyTheListedOriginsOnGraphQL(t *testing.T) {
	kv := sqliteEnv(t)
	kv["DEMO_PASSWORD"] = demoPassword
	kv["CORS_ALLOWED_ORIGINS"] = "https://app.clinic.example"
	base, _ := serveInBackground(t, kv, "--demo")
	tok := signInDemo(t, base, "admin@demo.clinic")
	preflight := func(origin, path string) response {
		return send(t, http.MethodOptions, base+path, map[string]string{
			"Origin": origin, "Access-Control-Request-Method": "POST",
			"Access-Control-Request-Headers": "authorization,content-type",
		}, "")
	}
	corsHeaders := func(h http.Header) []string {
		var out []string
		for k := range h {
			if strings.HasPrefix(k, "Access-Control-") {
				out = append(out, k)
			}
		}
		return out
	}

	res := preflight("https://app.clinic.example", "/graphql")
	if res.status != http.StatusNoContent || res.header.Get("Access-Control-Allow-Origin") != "https://app.clinic.example" ||
		res.header.Get("Access-Control-Allow-Methods") != "POST" || res.header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("allowed preflight: %d %v", res.status, res.header)
	}
	res = send(t, http.MethodPost, base+"/graphql", map[string]string{
		"Origin": "https://app.clinic.example", "Content-Type": "application/json", "Authorization": "Bearer " + tok,
	}, `{"query":"{ viewer { user { email } } }"}`)
	if res.status != http.StatusOK || !strings.Contains(res.raw, "admin@demo.clinic") ||
		res.header.Get("Access-Control-Allow-Origin") != "https://app.clinic.example" ||
		!strings.Contains(strings.Join(res.header.Values("Vary"), ","), "Origin") {
		t.Errorf("allowed POST: %d %v %s", res.status, res.header, res.raw)
	}

	if res := preflight("https://evil.example", "/graphql"); len(corsHeaders(res.header)) > 0 {
		t.Errorf("preflight from another origin: %v", res.header)
	}
	res = send(t, http.MethodPost, base+"/graphql", map[string]string{
		"Origin": "https://evil.example", "Content-Type": "application/json", "Authorization": "Bearer " + tok,
	}, `{"query":"{ viewer { user { email } } }"}`)
	if len(corsHeaders(res.header)) > 0 {
		t.Errorf("POST from another origin: its script may read the answer: %v", res.header)
	}
	for _, path := range []string{"/auth/login", "/scim/v2/Users"} {
		if res := preflight("https://app.clinic.example", path); len(corsHeaders(res.header)) > 0 || res.status < 400 {
			t.Errorf("preflight of %s: %d %v", path, res.status, res.header)
		}
	}
}
