package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"

	entmigrate "github.com/clinicgate/clinicgate/ent/migrate"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/internal/config"
	"github.com/clinicgate/clinicgate/internal/logging/logtest"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// env returns a getenv over a fixed map: tests never read the process
// environment.
func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func sqliteEnv(t *testing.T) map[string]string {
	dir := t.TempDir()
	return map[string]string{"DATA_DIR": dir, "LOG_LEVEL": "warn"}
}

func postgresEnv(t *testing.T) map[string]string {
	return map[string]string{
		"DATABASE_URL": testdb.PostgresDSN(t),
		"SECRET_KEY":   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"DATA_DIR":     t.TempDir(),
		"LOG_LEVEL":    "warn",
	}
}

func eachDialect(t *testing.T, f func(t *testing.T, kv map[string]string)) {
	t.Run("sqlite", func(t *testing.T) { f(t, sqliteEnv(t)) })
	t.Run("postgres", func(t *testing.T) { f(t, postgresEnv(t)) })
}

func runCmd(t *testing.T, kv map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb, env(kv))
	return code, out.String(), errb.String()
}

// serveInBackground starts `server serve` on a free port and returns its
// base URL and what it printed; the server stops at the end of the test.
func serveInBackground(t *testing.T, kv map[string]string, args ...string) (string, *syncBuffer) {
	t.Helper()
	s := start(t, kv, args...)
	return s.base, s.out
}

// started is a server running in the background.
type started struct {
	base    string      // of the API
	metrics string      // base URL of the metrics listener, when METRICS_ADDR is set
	out     *syncBuffer // what it printed on stdout
	logs    *syncBuffer // its log
}

// start is serveInBackground with everything: when kv sets METRICS_ADDR,
// the metrics listener too is opened on a free port.
func start(t *testing.T, kv map[string]string, args ...string) started {
	t.Helper()
	listen := func() net.Listener {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return ln
	}
	lns := listeners{main: listen()}
	s := started{base: "http://" + lns.main.Addr().String(), out: &syncBuffer{}, logs: &syncBuffer{}}
	if kv["METRICS_ADDR"] != "" {
		lns.metrics = listen()
		s.metrics = "http://" + lns.metrics.Addr().String()
	}
	kv["PUBLIC_URL"] = s.base
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveWith(ctx, args, s.out, s.logs, env(kv), lns) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(s.base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready: %v\n%s", err, s.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func postJSON(t *testing.T, url, bearer string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func TestDemoSignInAndViewer(t *testing.T) {
	eachDialect(t, func(t *testing.T, kv map[string]string) {
		kv["DEMO_PASSWORD"] = "correct horse battery staple"
		base, out := serveInBackground(t, kv, "--demo")
		if !strings.Contains(out.String(), "Demo organization created") || !strings.Contains(out.String(), "correct horse battery staple") {
			t.Fatalf("serve did not print how to sign in:\n%s", out)
		}
		status, login := postJSON(t, base+"/auth/login", "", map[string]string{
			"organization": "demo", "email": "admin@demo.clinic", "password": "correct horse battery staple",
		})
		tok, _ := login["token"].(string)
		if status != 200 || tok == "" {
			t.Fatalf("login: %d %v", status, login)
		}
		status, res := postJSON(t, base+"/graphql", tok, map[string]any{
			"query": `{ viewer { user { email } organization { slug } privileges } clients { totalCount } }`,
		})
		if status != 200 || res["errors"] != nil {
			t.Fatalf("graphql: %d %v", status, res)
		}
		data := res["data"].(map[string]any)
		if email := data["viewer"].(map[string]any)["user"].(map[string]any)["email"]; email != "admin@demo.clinic" {
			t.Errorf("viewer email = %v", email)
		}
		if n := data["clients"].(map[string]any)["totalCount"].(float64); n < 10 {
			t.Errorf("admin sees %v demo clients, want the demo's dozen", n)
		}
		// The access rules apply end to end: a clinician reaches only the
		// clients linked to them, the parent only their child.
		counts := map[string]float64{}
		for _, who := range []string{"clinician", "parent"} {
			_, login := postJSON(t, base+"/auth/login", "", map[string]string{
				"organization": "demo", "email": who + "@demo.clinic", "password": "correct horse battery staple",
			})
			tok, _ := login["token"].(string)
			_, res := postJSON(t, base+"/graphql", tok, map[string]any{"query": `{ clients { totalCount } }`})
			counts[who], _ = res["data"].(map[string]any)["clients"].(map[string]any)["totalCount"].(float64)
		}
		admin := data["clients"].(map[string]any)["totalCount"].(float64)
		if c := counts["clinician"]; c < 1 || c >= admin {
			t.Errorf("clinician sees %v clients of the administrator's %v", c, admin)
		}
		if c := counts["parent"]; c != 1 {
			t.Errorf("parent sees %v clients, want their child", c)
		}
		// Without the token: no data.
		_, res = postJSON(t, base+"/graphql", "", map[string]any{"query": `{ viewer { user { email } } }`})
		errs, _ := res["errors"].([]any)
		if len(errs) != 1 || !strings.Contains(mustJSON(errs), "UNAUTHENTICATED") {
			t.Errorf("anonymous viewer: %v", res)
		}
		// The console redirects anonymous visitors to the sign-in page.
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		r, err := client.Get(base + "/")
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/signin" {
			t.Errorf("GET / anonymous = %d %s", r.StatusCode, r.Header.Get("Location"))
		}
		for _, p := range []string{"/healthz", "/signin"} {
			r, err := http.Get(base + p)
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			if r.StatusCode != 200 {
				t.Errorf("GET %s = %d", p, r.StatusCode)
			}
		}
	})
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestDemoSeedsOnlyOnce(t *testing.T) {
	kv := sqliteEnv(t)
	kv["DEMO_PASSWORD"] = "correct horse battery staple"
	func() {
		_, out := serveInBackground(t, kv, "--demo")
		if !strings.Contains(out.String(), "Demo organization created") {
			t.Fatalf("first start: %s", out)
		}
	}()
	_, out := serveInBackground(t, kv, "--demo")
	if !strings.Contains(out.String(), "already exists") {
		t.Fatalf("second start: %s", out)
	}
}

func TestBootstrapThenTemporaryPasswordFlow(t *testing.T) {
	eachDialect(t, func(t *testing.T, kv map[string]string) {
		code, out, errOut := runCmd(t, kv, "bootstrap", "--org", "Sunrise Therapy", "--owner-email", "Owner@Sunrise.example")
		if code != 0 {
			t.Fatalf("bootstrap exit %d: %s %s", code, out, errOut)
		}
		if !strings.Contains(out, "slug: sunrise-therapy") {
			t.Fatalf("bootstrap output: %s", out)
		}
		var temp string
		for _, line := range strings.Split(out, "\n") {
			if v, ok := strings.CutPrefix(line, "temporary password: "); ok {
				temp = v
			}
		}
		if temp == "" {
			t.Fatalf("no temporary password printed: %s", out)
		}

		// Twice for the same slug: refused, with a clear message.
		code, _, errOut = runCmd(t, kv, "bootstrap", "--org", "Sunrise Therapy", "--owner-email", "x@sunrise.example")
		if code != 2 || !strings.Contains(errOut, "already exists") {
			t.Fatalf("second bootstrap: exit %d, %s", code, errOut)
		}

		base, _ := serveInBackground(t, kv)
		status, login := postJSON(t, base+"/auth/login", "", map[string]string{
			"organization": "sunrise-therapy", "email": "owner@sunrise.example", "password": temp,
		})
		tok, _ := login["token"].(string)
		if status != 200 || login["passwordChangeRequired"] != true {
			t.Fatalf("login with temporary password: %d %v", status, login)
		}
		_, res := postJSON(t, base+"/graphql", tok, map[string]any{"query": `{ viewer { user { email } } }`})
		if !strings.Contains(mustJSON(res["errors"]), "PASSWORD_CHANGE_REQUIRED") {
			t.Fatalf("restricted session reached GraphQL: %v", res)
		}
		status, changed := postJSON(t, base+"/auth/password/change", tok, map[string]string{
			"currentPassword": temp, "newPassword": "a much better passphrase",
		})
		newTok, _ := changed["token"].(string)
		if status != 200 || newTok == "" {
			t.Fatalf("change password: %d %v", status, changed)
		}
		_, res = postJSON(t, base+"/graphql", newTok, map[string]any{"query": `{ viewer { user { email } roles { name } } }`})
		if res["errors"] != nil || !strings.Contains(mustJSON(res["data"]), "Owner@Sunrise.example") {
			t.Fatalf("viewer after change: %v", res)
		}
	})
}

func TestBootstrapWithPasswordFile(t *testing.T) {
	kv := sqliteEnv(t)
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("owner chose this passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, kv, "bootstrap", "--org", "Kids First", "--slug", "kids", "--owner-email", "boss@kids.example", "--owner-password-file", pw)
	if code != 0 || strings.Contains(out, "temporary password") || !strings.Contains(out, "slug: kids") {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	code, _, errOut = runCmd(t, kv, "bootstrap", "--org", "No Owner")
	if code != 2 || !strings.Contains(errOut, "required") {
		t.Fatalf("missing flags: exit %d %s", code, errOut)
	}
}

func TestMigrateTwice(t *testing.T) {
	eachDialect(t, func(t *testing.T, kv map[string]string) {
		for i := 0; i < 2; i++ {
			if code, _, errOut := runCmd(t, kv, "migrate"); code != 0 {
				t.Fatalf("migrate #%d: exit %d: %s", i+1, code, errOut)
			}
		}
	})
}

func TestUnknownCommandAndBadConfig(t *testing.T) {
	if code, _, _ := runCmd(t, sqliteEnv(t), "frobnicate"); code != 2 {
		t.Errorf("unknown command exit = %d", code)
	}
	kv := sqliteEnv(t)
	kv["LISTEN_ADDR"] = "not an address"
	if code, _, errOut := runCmd(t, kv, "migrate"); code != 2 || !strings.Contains(errOut, "LISTEN_ADDR") {
		t.Errorf("bad LISTEN_ADDR: exit %d %s", code, errOut)
	}
	pg := map[string]string{"DATABASE_URL": "postgres://u@127.0.0.1:1/x", "DATA_DIR": t.TempDir()}
	if code, _, errOut := runCmd(t, pg, "migrate"); code != 2 || !strings.Contains(errOut, "SECRET_KEY") {
		t.Errorf("postgres without key: exit %d %s", code, errOut)
	}
}

// response is an HTTP answer with its body.
type response struct {
	status int
	header http.Header
	raw    string
}

// code is the error code of an error body {"error":{"code":…}}.
func (r response) code() string {
	var b struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal([]byte(r.raw), &b)
	return b.Error.Code
}

// request sends a request with an optional bearer token and JSON body.
func request(t *testing.T, method, url, bearer string, body any) response {
	t.Helper()
	return requestAs(t, method, url, bearer, "application/json", body)
}

// requestAs is request with the body sent as contentType.
func requestAs(t *testing.T, method, url, bearer, contentType string, body any) response {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	// Bounded, so that a server that never answers fails the test
	// instead of hanging it.
	res, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(res.Body)
	return response{status: res.StatusCode, header: res.Header, raw: buf.String()}
}

// `server migrate` adopts a database made by the auto-migration of earlier
// releases: the baseline is recorded as applied, the data is kept, and a
// second run finds nothing to do.
func TestMigrateAdoptsAutoMigratedDatabase(t *testing.T) {
	eachDialect(t, func(t *testing.T, kv map[string]string) {
		ctx := context.Background()
		cfg, _, err := setup("migrate", nil, io.Discard, env(kv), nil)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Dialect() == config.SQLite {
			if err := cfg.EnsureDataDir(); err != nil {
				t.Fatal(err)
			}
		}
		driver, dsn := cfg.DriverDSN()
		old, err := store.Open(ctx, driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		if err := old.Client.Schema.Create(ctx, entmigrate.WithForeignKeys(true)); err != nil {
			t.Fatalf("auto-migrate: %v", err)
		}
		if _, err := old.Organization.Create().SetName("Old Clinic").SetSlug("old").Save(privacy.DecisionContext(ctx, privacy.Allow)); err != nil {
			t.Fatal(err)
		}
		old.Close()

		dir, err := store.MigrationDir(old.Dialect)
		if err != nil {
			t.Fatal(err)
		}
		files, err := dir.Files()
		if err != nil || len(files) == 0 {
			t.Fatalf("migration files: %v", err)
		}
		latest := files[len(files)-1].Version()

		kv["LOG_LEVEL"] = "info"
		for i := 0; i < 2; i++ {
			code, _, errOut := runCmd(t, kv, "migrate")
			if code != 0 {
				t.Fatalf("migrate #%d: exit %d: %s", i+1, code, errOut)
			}
			if !strings.Contains(errOut, "schema up to date") || !strings.Contains(errOut, latest) {
				t.Errorf("migrate #%d: log lacks the schema version: %s", i+1, errOut)
			}
		}
		db, err := store.Open(ctx, driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		revs, err := db.Revisions(ctx)
		if err != nil || len(revs) == 0 || revs[0].Type != atlasmigrate.RevisionTypeBaseline {
			t.Fatalf("revisions: %v %v, want the baseline first, marked baseline", revs, err)
		}
		if n, err := db.Organization.Query().Count(privacy.DecisionContext(ctx, privacy.Allow)); err != nil || n != 1 {
			t.Errorf("organizations after migrate: %d %v", n, err)
		}
	})
}

// syncBuffer collects what the server under test logs.
type syncBuffer = logtest.Buffer
