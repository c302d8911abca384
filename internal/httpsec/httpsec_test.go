package httpsec

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func serve(h http.Handler, r *http.Request) *http.Response {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

var ok = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{}`))
})

func TestEveryResponseGetsTheSecurityHeaders(t *testing.T) {
	res := serve(Headers(Config{})(ok), httptest.NewRequest(http.MethodGet, "/graphql", nil))
	want := map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Content-Security-Policy": DefaultCSP,
		"Referrer-Policy":         "no-referrer",
		"Cache-Control":           "no-store",
	}
	for k, v := range want {
		if got := res.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if !strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Error("the default policy must deny framing")
	}
	if got := res.Header.Get("Strict-Transport-Security"); got != "" {
		t.Errorf("HSTS over plain HTTP without the option: %q", got)
	}
}

func TestAHandlerMaySetItsOwnPolicy(t *testing.T) {
	page := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'")
	})
	res := serve(Headers(Config{})(page), httptest.NewRequest(http.MethodGet, "/signin", nil))
	if got := res.Header.Values("Content-Security-Policy"); len(got) != 1 || got[0] != "default-src 'self'" {
		t.Errorf("CSP = %q, want the page's own, once", got)
	}
}

func TestHSTSIsSentUnderHTTPSOnly(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  Config
		tls  bool
		want string
	}{
		{"a public https URL", Config{HSTS: true}, false, HSTS},
		{"a request over TLS", Config{}, true, HSTS},
		{"plain http", Config{}, false, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if got := serve(Headers(tt.cfg)(ok), r).Header.Get("Strict-Transport-Security"); got != tt.want {
				t.Errorf("HSTS = %q, want %q", got, tt.want)
			}
		})
	}
}

func preflight(origin, path string) *http.Request {
	r := httptest.NewRequest(http.MethodOptions, path, nil)
	r.Header.Set("Origin", origin)
	r.Header.Set("Access-Control-Request-Method", "POST")
	r.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
	return r
}

// reached records whether the wrapped handler ran.
type reached struct{ n int }

func (h *reached) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.n++; ok(w, r) }

func TestAPreflightFromAnAllowedOriginIsAnsweredBeforeTheAPI(t *testing.T) {
	api := &reached{}
	h := CORS([]string{"https://app.example.org"}, "/graphql")(api)
	res := serve(h, preflight("https://app.example.org", "/graphql"))
	if res.StatusCode != http.StatusNoContent || api.n != 0 {
		t.Fatalf("preflight: %d, API reached %d times", res.StatusCode, api.n)
	}
	for k, v := range map[string]string{
		"Access-Control-Allow-Origin":  "https://app.example.org",
		"Access-Control-Allow-Methods": "POST",
		"Access-Control-Allow-Headers": "authorization,content-type",
		"Access-Control-Max-Age":       "600",
	} {
		if got := res.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if got := res.Header.Get("Access-Control-Allow-Credentials"); got != "" {
		t.Errorf("credentials allowed across origins: %q", got)
	}
	if !strings.Contains(strings.Join(res.Header.Values("Vary"), ","), "Origin") {
		t.Errorf("Vary = %q, want Origin in it", res.Header.Values("Vary"))
	}
}

func TestADisallowedOriginGetsNoCORSHeaders(t *testing.T) {
	h := CORS([]string{"https://app.example.org"}, "/graphql")(&reached{})
	for _, r := range []*http.Request{
		preflight("https://evil.example", "/graphql"),
		// A header the API does not take.
		func() *http.Request {
			r := preflight("https://app.example.org", "/graphql")
			r.Header.Set("Access-Control-Request-Headers", "x-forwarded-for")
			return r
		}(),
		// A method it does not take.
		func() *http.Request {
			r := preflight("https://app.example.org", "/graphql")
			r.Header.Set("Access-Control-Request-Method", "DELETE")
			return r
		}(),
	} {
		res := serve(h, r)
		for k := range res.Header {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Errorf("%s from %s: %s = %q", r.Header.Get("Access-Control-Request-Method"), r.Header.Get("Origin"), k, res.Header.Get(k))
			}
		}
	}
	post := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	post.Header.Set("Origin", "https://evil.example")
	res := serve(h, post)
	if got := res.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("a POST from a disallowed origin: Access-Control-Allow-Origin %q", got)
	}
	if !strings.Contains(strings.Join(res.Header.Values("Vary"), ","), "Origin") {
		t.Errorf("Vary = %q, want Origin", res.Header.Values("Vary"))
	}
}

func TestAnActualRequestFromAnAllowedOriginMayReadTheAnswer(t *testing.T) {
	api := &reached{}
	h := CORS([]string{"https://app.example.org"}, "/graphql")(api)
	r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	r.Header.Set("Origin", "https://app.example.org")
	res := serve(h, r)
	if api.n != 1 || res.Header.Get("Access-Control-Allow-Origin") != "https://app.example.org" ||
		!strings.Contains(res.Header.Get("Access-Control-Expose-Headers"), "X-Request-Id") {
		t.Errorf("reached %d, headers %v", api.n, res.Header)
	}
}

func TestOtherPathsAndNoOriginsAreLeftAlone(t *testing.T) {
	api := &reached{}
	// /auth/login is not a CORS route: its preflight reaches the mux,
	// which answers OPTIONS as it answers any method it does not route.
	res := serve(CORS([]string{"https://app.example.org"}, "/graphql")(api), preflight("https://app.example.org", "/auth/login"))
	if api.n != 1 || res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("/auth/login preflight: reached %d, headers %v", api.n, res.Header)
	}
	api.n = 0
	res = serve(CORS(nil, "/graphql")(api), preflight("https://app.example.org", "/graphql"))
	if api.n != 1 || res.Header.Get("Access-Control-Allow-Origin") != "" || res.Header.Get("Vary") != "" {
		t.Errorf("no origins: reached %d, headers %v", api.n, res.Header)
	}
}
