package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testKey is a valid secret key; its encodings must never show up in output.
var testKey = bytes.Repeat([]byte{0xA5, 0x5A, 0x3C, 0xC3}, 8)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// load runs Load with a fresh flag set and the given environment.
func load(t *testing.T, env map[string]string, args ...string) (Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("clinicgate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return Load(fs, args, func(k string) string { return env[k] })
}

func mustLoad(t *testing.T, env map[string]string, args ...string) Config {
	t.Helper()
	c, err := load(t, env, args...)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func TestDefaultsApplyWhenNothingIsSet(t *testing.T) {
	c := mustLoad(t, map[string]string{"SECRET_KEY": b64(testKey)})
	want := Config{
		DataDir:               "./data",
		ListenAddr:            "127.0.0.1:8080",
		PublicURL:             "http://127.0.0.1:8080",
		SecretKey:             testKey,
		SecretKeySource:       "SECRET_KEY",
		LogLevel:              slog.LevelInfo,
		LogFormat:             "json",
		GraphiQL:              true,
		Introspection:         true,
		ComplexityLimit:       5000,
		DepthLimit:            12,
		APQCacheSize:          1000,
		MaxQueryBytes:         65536,
		MaxTokens:             10000,
		MaxFields:             2000,
		QueryCacheBytes:       32 << 20,
		MigrateOnStart:        true,
		SessionTTL:            12 * time.Hour,
		SessionIdleTimeout:    30 * time.Minute,
		TempPasswordTTL:       72 * time.Hour,
		ShutdownTimeout:       20 * time.Second,
		RequestTimeout:        10 * time.Second,
		DBStatementTimeout:    5 * time.Second,
		DBLockTimeout:         3 * time.Second,
		DBMaxConns:            25,
		HTTPReadHeaderTimeout: 10 * time.Second,
		HTTPReadTimeout:       60 * time.Second,
		HTTPWriteTimeout:      60 * time.Second,
		HTTPIdleTimeout:       120 * time.Second,
		HTTPMaxHeaderBytes:    1 << 20,
		MaxBodyBytes:          1 << 20,
		SSOProviderTimeout:    5 * time.Second,
		SMTPTimeout:           30 * time.Second,
		SMTPPort:              587,
		SMTPTLS:               "starttls",
		MailFrom:              "clinicgate <no-reply@localhost>",
		SCIMRatePerSecond:     1000,
		SCIMRateBurst:         1000,
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got  %#v\nwant %#v", fields(c), fields(want))
	}
	if c.Dialect() != SQLite || c.SQLitePath() != filepath.Join("data", "clinicgate.db") {
		t.Errorf("default store = %s %s, want embedded SQLite in data/", c.Dialect(), c.SQLitePath())
	}
}

// fields shows a Config's values for a failure message; tests may print keys.
func fields(c Config) string {
	v := reflect.ValueOf(c)
	var b strings.Builder
	for i := range v.NumField() {
		fmt.Fprintf(&b, "%s=%v ", v.Type().Field(i).Name, v.Field(i).Interface())
	}
	return b.String()
}

func TestEnvironmentVariablesOverrideDefaults(t *testing.T) {
	dir := t.TempDir()
	docs := writeTrustedDocuments(t, dir, "{ viewer { user { email } } }")
	c := mustLoad(t, map[string]string{
		"DATABASE_URL":              "postgres://app:pw@db.internal:5432/clinicgate?sslmode=require",
		"READ_DATABASE_URLS":        " postgres://app:pw@standby-1.internal:5432/clinicgate , postgresql://app:pw@standby-2.internal/clinicgate",
		"DATA_DIR":                  dir,
		"LISTEN_ADDR":               ":9000",
		"PUBLIC_URL":                "https://id.example.org/",
		"SECRET_KEY":                hex.EncodeToString(testKey),
		"LOG_LEVEL":                 "DEBUG",
		"LOG_FORMAT":                "text",
		"GRAPHIQL":                  "false",
		"GRAPHQL_INTROSPECTION":     "0",
		"GRAPHQL_COMPLEXITY_LIMIT":  "800",
		"GRAPHQL_DEPTH_LIMIT":       " 7 ",
		"GRAPHQL_APQ_CACHE_SIZE":    "0",
		"GRAPHQL_MAX_QUERY_BYTES":   "4096",
		"GRAPHQL_MAX_TOKENS":        "800",
		"GRAPHQL_MAX_FIELDS":        "300",
		"GRAPHQL_QUERY_CACHE_BYTES": "1048576",
		"GRAPHQL_TRUSTED_DOCUMENTS": docs,
		"MIGRATE_ON_START":          "no",
		"SESSION_TTL":               "8h",
		"SESSION_IDLE_TIMEOUT":      "15m",
		"TEMP_PASSWORD_TTL":         "24h",
		"SHUTDOWN_TIMEOUT":          "5s",
		"DEMO":                      "true",
		"TRUST_PROXY_HEADERS":       "1",
		"REQUEST_TIMEOUT":           "30s",
		"DB_STATEMENT_TIMEOUT":      "0",
		"DB_LOCK_TIMEOUT":           "750ms",
		"DB_MAX_CONNS":              "40",
		"HTTP_READ_HEADER_TIMEOUT":  "2s",
		"HTTP_READ_TIMEOUT":         "20s",
		"HTTP_WRITE_TIMEOUT":        "35s",
		"HTTP_IDLE_TIMEOUT":         "30s",
		"HTTP_MAX_HEADER_BYTES":     "65536",
		"MAX_BODY_BYTES":            "524288",
		"CORS_ALLOWED_ORIGINS":      " https://App.example.org, http://localhost:5173/ ,",
		"SSO_PROVIDER_TIMEOUT":      "3s",
		"SMTP_TIMEOUT":              "10s",
		"METRICS_ADDR":              "127.0.0.1:9464",
		"METRICS_TOKEN":             "  0123456789abcdef0123456789abcdef\n",
		"SMTP_HOST":                 "smtp.example.org",
		"SMTP_PORT":                 "465",
		"SMTP_TLS":                  "TLS",
		"SMTP_USERNAME":             "relay@example.org",
		"SMTP_PASSWORD":             "p4ss word",
		"MAIL_FROM":                 "Example Clinic <no-reply@example.org>",
		"SCIM_RATE_PER_SECOND":      "2.5",
		"SCIM_RATE_BURST":           "10",
	})
	want := Config{
		DatabaseURL: "postgres://app:pw@db.internal:5432/clinicgate?sslmode=require",
		ReadDatabaseURLs: []string{"postgres://app:pw@standby-1.internal:5432/clinicgate",
			"postgresql://app:pw@standby-2.internal/clinicgate"},
		DataDir:              dir,
		ListenAddr:           ":9000",
		PublicURL:            "https://id.example.org",
		SecretKey:            testKey,
		SecretKeySource:      "SECRET_KEY",
		LogLevel:             slog.LevelDebug,
		LogFormat:            "text",
		ComplexityLimit:      800,
		DepthLimit:           7,
		MaxQueryBytes:        4096,
		MaxTokens:            800,
		MaxFields:            300,
		QueryCacheBytes:      1 << 20,
		TrustedDocumentsFile: docs,
		TrustedDocuments: map[string]string{
			sha256Hex("{ viewer { user { email } } }"): "{ viewer { user { email } } }",
		},
		SessionTTL:            8 * time.Hour,
		SessionIdleTimeout:    15 * time.Minute,
		TempPasswordTTL:       24 * time.Hour,
		ShutdownTimeout:       5 * time.Second,
		RequestTimeout:        30 * time.Second,
		DBStatementTimeout:    0,
		DBLockTimeout:         750 * time.Millisecond,
		DBMaxConns:            40,
		HTTPReadHeaderTimeout: 2 * time.Second,
		HTTPReadTimeout:       20 * time.Second,
		HTTPWriteTimeout:      35 * time.Second,
		HTTPIdleTimeout:       30 * time.Second,
		HTTPMaxHeaderBytes:    65536,
		MaxBodyBytes:          524288,
		CORSAllowedOrigins:    []string{"https://app.example.org", "http://localhost:5173"},
		SSOProviderTimeout:    3 * time.Second,
		SMTPTimeout:           10 * time.Second,
		Demo:                  true,
		TrustProxyHeaders:     true,
		MetricsAddr:           "127.0.0.1:9464",
		MetricsToken:          "0123456789abcdef0123456789abcdef",
		SMTPHost:              "smtp.example.org",
		SMTPPort:              465,
		SMTPTLS:               "tls",
		SMTPUsername:          "relay@example.org",
		SMTPPassword:          "p4ss word",
		MailFrom:              "Example Clinic <no-reply@example.org>",
		SCIMRatePerSecond:     2.5,
		SCIMRateBurst:         10,
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got  %s\nwant %s", fields(c), fields(want))
	}
	if !c.SecureCookies() {
		t.Error("an https public URL must make cookies Secure")
	}
}

func TestFlagsBeatEnvironmentVariables(t *testing.T) {
	env := map[string]string{
		"SECRET_KEY":  b64(testKey),
		"LISTEN_ADDR": "127.0.0.1:1111",
		"GRAPHIQL":    "false",
		"LOG_LEVEL":   "error",
		"DEMO":        "false",
	}
	c := mustLoad(t, env,
		"--listen-addr", "127.0.0.1:2222",
		"--graphiql=true", // repeats the default, and still wins
		"-log-level=warn",
		"--demo", // a bare boolean flag means true
	)
	if c.ListenAddr != "127.0.0.1:2222" || !c.GraphiQL || c.LogLevel != slog.LevelWarn || !c.Demo {
		t.Fatalf("flags did not win: %s", fields(c))
	}
	if c.PublicURL != "http://127.0.0.1:2222" {
		t.Errorf("PublicURL = %q, want it derived from the flag's address", c.PublicURL)
	}
}

func TestPublicURLDefaultsToAReachableAddress(t *testing.T) {
	tests := []struct{ listen, want string }{
		{"127.0.0.1:8080", "http://127.0.0.1:8080"},
		{":8080", "http://localhost:8080"},
		{"0.0.0.0:80", "http://localhost:80"},
		{"[::]:8443", "http://localhost:8443"},
		{"[::1]:8080", "http://[::1]:8080"},
	}
	for _, tt := range tests {
		c := mustLoad(t, map[string]string{"SECRET_KEY": b64(testKey), "LISTEN_ADDR": tt.listen})
		if c.PublicURL != tt.want {
			t.Errorf("LISTEN_ADDR=%s: PublicURL = %q, want %q", tt.listen, c.PublicURL, tt.want)
		}
	}
}

func TestInvalidValuesGiveErrorsNamingTheVariable(t *testing.T) {
	key := b64(testKey)
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string // substring of the error
	}{
		{"listen address without port", map[string]string{"LISTEN_ADDR": "localhost"}, nil, "LISTEN_ADDR:"},
		{"listen address with a bad port", map[string]string{"LISTEN_ADDR": "localhost:http2"}, nil, "LISTEN_ADDR:"},
		{"a bad flag is named as the flag", nil, []string{"--listen-addr", "nope"}, "--listen-addr:"},
		{"public URL with another scheme", map[string]string{"PUBLIC_URL": "ftp://x"}, nil, "PUBLIC_URL:"},
		{"relative public URL", map[string]string{"PUBLIC_URL": "/clinic"}, nil, "PUBLIC_URL:"},
		{"public URL with a query", map[string]string{"PUBLIC_URL": "https://x/?a=b"}, nil, "PUBLIC_URL:"},
		{"unknown log level", map[string]string{"LOG_LEVEL": "verbose"}, nil, "LOG_LEVEL:"},
		{"unknown log format", map[string]string{"LOG_FORMAT": "xml"}, nil, "LOG_FORMAT:"},
		{"boolean that is not", map[string]string{"GRAPHIQL": "maybe"}, nil, "GRAPHIQL:"},
		{"duration without unit", map[string]string{"SESSION_TTL": "12"}, nil, "SESSION_TTL:"},
		{"negative duration", map[string]string{"SHUTDOWN_TIMEOUT": "-1s"}, nil, "SHUTDOWN_TIMEOUT:"},
		{"number that is not", map[string]string{"GRAPHQL_COMPLEXITY_LIMIT": "lots"}, nil, "GRAPHQL_COMPLEXITY_LIMIT:"},
		{"zero complexity limit", map[string]string{"GRAPHQL_COMPLEXITY_LIMIT": "0"}, nil, "GRAPHQL_COMPLEXITY_LIMIT: 0 is less than 1"},
		{"zero depth limit", nil, []string{"--graphql-depth-limit=0"}, "--graphql-depth-limit: 0 is less than 1"},
		{"negative APQ cache size", map[string]string{"GRAPHQL_APQ_CACHE_SIZE": "-1"}, nil, "GRAPHQL_APQ_CACHE_SIZE:"},
		{"missing trusted documents file", map[string]string{"GRAPHQL_TRUSTED_DOCUMENTS": "/nonexistent/docs.json"}, nil, "GRAPHQL_TRUSTED_DOCUMENTS:"},
		{"idle timeout longer than the session", map[string]string{"SESSION_TTL": "1h", "SESSION_IDLE_TIMEOUT": "2h"}, nil, "SESSION_IDLE_TIMEOUT:"},
		{"SCIM rate that is not a number", map[string]string{"SCIM_RATE_PER_SECOND": "fast"}, nil, "SCIM_RATE_PER_SECOND:"},
		{"zero SCIM rate", map[string]string{"SCIM_RATE_PER_SECOND": "0"}, nil, "SCIM_RATE_PER_SECOND:"},
		{"infinite SCIM rate", map[string]string{"SCIM_RATE_PER_SECOND": "Inf"}, nil, "SCIM_RATE_PER_SECOND:"},
		{"zero SCIM burst", map[string]string{"SCIM_RATE_BURST": "0"}, nil, "SCIM_RATE_BURST: 0 is less than 1"},
		{"unsupported database", map[string]string{"DATABASE_URL": "mysql://root:pw@h/db"}, nil, "DATABASE_URL: unsupported scheme mysql"},
		{"postgres URL without host", map[string]string{"DATABASE_URL": "postgres:///db"}, nil, "DATABASE_URL:"},
		{"sqlite URL without path", map[string]string{"DATABASE_URL": "sqlite:"}, nil, "DATABASE_URL:"},
		{"read standbys of SQLite", map[string]string{"READ_DATABASE_URLS": "postgres://u@standby/db"}, nil, "READ_DATABASE_URLS: read standbys need a PostgreSQL DATABASE_URL"},
		{"a read standby that is not PostgreSQL", map[string]string{"DATABASE_URL": "postgres://u@primary/db", "READ_DATABASE_URLS": "postgres://u@a/db, sqlite:x.db"}, nil, "READ_DATABASE_URLS: URL 2: read standbys are PostgreSQL"},
		{"a read standby without host", map[string]string{"DATABASE_URL": "postgres://u@primary/db", "READ_DATABASE_URLS": "postgres:///db"}, nil, "READ_DATABASE_URLS: URL 1: postgres URL has no host"},
		{"a read standby given twice", map[string]string{"DATABASE_URL": "postgres://u@primary/db", "READ_DATABASE_URLS": "postgres://u@a/db,postgres://u@a/db"}, nil, "READ_DATABASE_URLS: URL 2: repeats an earlier one"},
		{"the primary as its own standby", map[string]string{"DATABASE_URL": "postgres://u@primary/db", "READ_DATABASE_URLS": "postgres://u@primary/db"}, nil, "READ_DATABASE_URLS: URL 1 is DATABASE_URL itself"},
		{"empty data dir", map[string]string{"DATA_DIR": " "}, nil, "DATA_DIR:"},
		{"short secret key", map[string]string{"SECRET_KEY": b64(testKey[:16])}, nil, "SECRET_KEY: decodes to 16 bytes"},
		{"secret key that is not encoded", map[string]string{"SECRET_KEY": "not a key!"}, nil, "SECRET_KEY: not base64 or hex"},
		{"missing secret key file", map[string]string{"SECRET_KEY_FILE": "/nonexistent/key"}, nil, "SECRET_KEY_FILE:"},
		{"a request timeout past the write timeout", map[string]string{"REQUEST_TIMEOUT": "1m"}, nil, "REQUEST_TIMEOUT: must not exceed 55s"},
		{"a request timeout past a shorter write timeout", map[string]string{"HTTP_WRITE_TIMEOUT": "20s", "REQUEST_TIMEOUT": "16s"}, nil, "REQUEST_TIMEOUT: must not exceed 15s (HTTP_WRITE_TIMEOUT 20s"},
		{"a zero pool", map[string]string{"DB_MAX_CONNS": "0"}, nil, "DB_MAX_CONNS: 0 is less than 1"},
		{"a tiny header limit", map[string]string{"HTTP_MAX_HEADER_BYTES": "100"}, nil, "HTTP_MAX_HEADER_BYTES:"},
		{"a zero read-header timeout", map[string]string{"HTTP_READ_HEADER_TIMEOUT": "0"}, nil, "HTTP_READ_HEADER_TIMEOUT:"},
		{"a wildcard CORS origin", map[string]string{"CORS_ALLOWED_ORIGINS": "*"}, nil, "CORS_ALLOWED_ORIGINS: * is not allowed"},
		{"a CORS origin with a path", map[string]string{"CORS_ALLOWED_ORIGINS": "https://app.example.org/spa"}, nil, "CORS_ALLOWED_ORIGINS:"},
		{"a CORS origin without scheme", map[string]string{"CORS_ALLOWED_ORIGINS": "app.example.org"}, nil, "CORS_ALLOWED_ORIGINS:"},
		{"a zero SMTP timeout", map[string]string{"SMTP_TIMEOUT": "0s"}, nil, "SMTP_TIMEOUT:"},
		{"a zero request timeout", map[string]string{"REQUEST_TIMEOUT": "0"}, nil, "REQUEST_TIMEOUT:"},
		{"a negative statement timeout", map[string]string{"DB_STATEMENT_TIMEOUT": "-1s"}, nil, "DB_STATEMENT_TIMEOUT:"},
		{"a lock timeout without unit", nil, []string{"--db-lock-timeout=3"}, "--db-lock-timeout:"},
		{"a metrics address without port", map[string]string{"METRICS_ADDR": "localhost"}, nil, "METRICS_ADDR:"},
		{"metrics on the main listener's address", map[string]string{"METRICS_ADDR": "127.0.0.1:8080"}, nil, "METRICS_ADDR: must differ from LISTEN_ADDR"},
		{"a short metrics token", map[string]string{"METRICS_TOKEN": "letmein"}, nil, "METRICS_TOKEN: must be at least 32 characters"},
		{"an unknown SMTP TLS mode", map[string]string{"SMTP_TLS": "ssl"}, nil, "SMTP_TLS:"},
		{"an SMTP port out of range", map[string]string{"SMTP_PORT": "0"}, nil, "SMTP_PORT:"},
		{"an SMTP host that is a URL", map[string]string{"SMTP_HOST": "smtp://mail"}, nil, "SMTP_HOST:"},
		{"a sender that is no address", map[string]string{"MAIL_FROM": "nobody"}, nil, "MAIL_FROM:"},
		{"both SMTP password settings", map[string]string{"SMTP_PASSWORD": "pw1", "SMTP_PASSWORD_FILE": "/x"}, nil, "SMTP_PASSWORD and SMTP_PASSWORD_FILE are both set"},
		{"missing SMTP password file", map[string]string{"SMTP_PASSWORD_FILE": "/nonexistent/pw"}, nil, "SMTP_PASSWORD_FILE:"},
		{"an SMTP password on the command line", nil, []string{"--smtp-password=pw"}, "flag provided but not defined"},
		{"unknown flag", nil, []string{"--listen"}, "flag provided but not defined"},
		{"stray argument", nil, []string{"serve"}, `unexpected argument "serve"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"SECRET_KEY": key}
			for k, v := range tt.env {
				env[k] = v
			}
			if env["SECRET_KEY_FILE"] != "" {
				delete(env, "SECRET_KEY")
			}
			_, err := load(t, env, tt.args...)
			if err == nil {
				t.Fatalf("Load succeeded, want error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "pw@") || strings.Contains(err.Error(), key) {
				t.Fatalf("error %q leaks a secret", err)
			}
		})
	}
}

func TestSecretKeyEncodingsAndFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	other := bytes.Repeat([]byte{7}, 48)
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []byte
		src  string
	}{
		{"standard base64", map[string]string{"SECRET_KEY": b64(testKey)}, nil, testKey, "SECRET_KEY"},
		{"unpadded URL base64", map[string]string{"SECRET_KEY": base64.RawURLEncoding.EncodeToString(other)}, nil, other, "SECRET_KEY"},
		{"hex with surrounding space", map[string]string{"SECRET_KEY": " " + hex.EncodeToString(testKey) + "\n"}, nil, testKey, "SECRET_KEY"},
		{"a file with a trailing newline", map[string]string{"SECRET_KEY_FILE": write("k1", b64(testKey)+"\n")}, nil, testKey, filepath.Join(dir, "k1")},
		{"a file flag beats SECRET_KEY", map[string]string{"SECRET_KEY": b64(testKey)},
			[]string{"--secret-key-file", write("k2", hex.EncodeToString(other))}, other, filepath.Join(dir, "k2")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, tt.env, tt.args...)
			if !bytes.Equal(c.SecretKey, tt.want) || c.SecretKeySource != tt.src {
				t.Fatalf("key from %q = %x, want %x from %q", c.SecretKeySource, c.SecretKey, tt.want, tt.src)
			}
		})
	}
}

func TestSecretKeyAndFileFromTheEnvironmentConflict(t *testing.T) {
	p := filepath.Join(t.TempDir(), "k")
	os.WriteFile(p, []byte(b64(testKey)), 0o600)
	_, err := load(t, map[string]string{"SECRET_KEY": b64(testKey), "SECRET_KEY_FILE": p})
	if err == nil || !strings.Contains(err.Error(), "both set") {
		t.Fatalf("err = %v, want a conflict", err)
	}
}

func TestSQLiteWithoutKeyGeneratesOneAndReusesIt(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data")
	env := map[string]string{"DATA_DIR": dir}
	c1 := mustLoad(t, env)
	path := filepath.Join(dir, "secret.key")
	if len(c1.SecretKey) != MinSecretKeyLen || c1.SecretKeySource != "generated "+path {
		t.Fatalf("generated key: %d bytes from %q", len(c1.SecretKey), c1.SecretKeySource)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, want 0600", fi.Mode().Perm())
	}
	if di, _ := os.Stat(dir); di.Mode().Perm() != 0o700 {
		t.Errorf("data dir mode = %v, want 0700", di.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	if strings.TrimSpace(string(b)) != b64(c1.SecretKey) {
		t.Errorf("key file holds %q, want the key in base64", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("data dir holds %d entries, want only secret.key (no temp files)", len(ents))
	}

	c2 := mustLoad(t, env)
	if !bytes.Equal(c1.SecretKey, c2.SecretKey) {
		t.Fatal("second start generated a new key instead of reusing the first")
	}
}

func TestACorruptGeneratedKeyIsReportedNotReplaced(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secret.key")
	os.WriteFile(path, []byte("short"), 0o600)
	_, err := load(t, map[string]string{"DATA_DIR": dir})
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want one naming %s", err, path)
	}
	if b, _ := os.ReadFile(path); string(b) != "short" {
		t.Fatal("the existing key file was overwritten")
	}
}

func TestPostgresWithoutKeyIsRefused(t *testing.T) {
	dir := t.TempDir()
	_, err := load(t, map[string]string{"DATABASE_URL": "postgresql://u:pw@db/x", "DATA_DIR": dir})
	if err == nil || !strings.HasPrefix(err.Error(), "SECRET_KEY: required with PostgreSQL") {
		t.Fatalf("err = %v, want SECRET_KEY required", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "secret.key")); err == nil {
		t.Fatal("a key was generated for PostgreSQL")
	}
}

func TestDriverDSN(t *testing.T) {
	tests := []struct {
		name, url, dataDir string
		dialect, drv, dsn  string
	}{
		{"embedded SQLite in the data dir", "", "/var/lib/cg", SQLite, "sqlite",
			"file:/var/lib/cg/clinicgate.db?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"},
		{"sqlite: path", "sqlite:/tmp/x.db", "d", SQLite, "sqlite",
			"file:/tmp/x.db?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"},
		{"file: path keeps its own parameters last", "file:rel/x.db?_pragma=busy_timeout(100)", "d", SQLite, "sqlite",
			"file:rel/x.db?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(100)"},
		{"URI characters in the path are escaped", "", "/srv/50%#1", SQLite, "sqlite",
			"file:/srv/50%25%231/clinicgate.db?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"},
		{"postgres URL as is", "postgres://u:p@h:5432/db?sslmode=disable", "d", Postgres, "pgx",
			"postgres://u:p@h:5432/db?sslmode=disable"},
		{"postgresql scheme", "postgresql://h/db", "d", Postgres, "pgx", "postgresql://h/db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Config{DatabaseURL: tt.url, DataDir: tt.dataDir}
			drv, dsn := c.DriverDSN()
			if c.Dialect() != tt.dialect || drv != tt.drv || dsn != tt.dsn {
				t.Fatalf("got %s %s %s\nwant %s %s %s", c.Dialect(), drv, dsn, tt.dialect, tt.drv, tt.dsn)
			}
		})
	}
}

func TestEnsureDataDirCreatesPrivateDirectories(t *testing.T) {
	root := t.TempDir()
	c := Config{DataDir: filepath.Join(root, "data"), DatabaseURL: "sqlite:" + filepath.Join(root, "db", "x.db")}
	if err := c.EnsureDataDir(); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"data", "db"} {
		fi, err := os.Stat(filepath.Join(root, d))
		if err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v, want a 0700 directory", d, fi, err)
		}
	}
}

func TestSecretsNeverAppearInLogsOrPrints(t *testing.T) {
	c := mustLoad(t, map[string]string{
		"SECRET_KEY":         b64(testKey),
		"DATABASE_URL":       "postgres://app:hunter2@db/x?sslmode=require&password=hunter3",
		"READ_DATABASE_URLS": "postgres://app:hunter6@standby/x",
		"METRICS_TOKEN":      "scrape-hunter4-0123456789abcdef0123456789",
		"SMTP_PASSWORD":      "mail-hunter5",
		"SMTP_USERNAME":      "relay",
	})
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "config", c)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "config", c)
	fmt.Fprintf(&buf, "%v %+v %#v %s %x", c, c, c, c, c)
	out := buf.String()
	for _, s := range []string{b64(testKey), hex.EncodeToString(testKey), string(testKey), "hunter2", "hunter3", "hunter4", "hunter5", "hunter6", "165 90 60"} {
		if strings.Contains(out, s) {
			t.Errorf("output leaks %q:\n%s", s, out)
		}
	}
	for _, s := range []string{"app:redacted@db", "app:redacted@standby", "listen_addr", "secret_key", "metrics_token", "smtp_password"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
}

// TestEveryEnvironmentFieldIsDescribed keeps Describe complete: each field
// read from the environment carries an env tag naming a described variable,
// and each described variable is read.
func TestEveryEnvironmentFieldIsDescribed(t *testing.T) {
	described := map[string]Var{}
	flags := map[string]bool{}
	for _, v := range Describe() {
		if _, dup := described[v.Env]; dup {
			t.Errorf("%s described twice", v.Env)
		}
		if v.Flag != "" && flags[v.Flag] {
			t.Errorf("flag %s used twice", v.Flag)
		}
		if v.Usage == "" || strings.Contains(v.Usage, "\n") {
			t.Errorf("%s needs a one-line description", v.Env)
		}
		described[v.Env], flags[v.Flag] = v, true
	}
	// Derived fields, set by Load but from no variable of their own.
	derived := map[string]bool{"SecretKeySource": true, "TrustedDocuments": true}
	// Variables that feed a field tagged with another variable's name.
	indirect := map[string]bool{"SECRET_KEY_FILE": true, "SMTP_PASSWORD_FILE": true}

	tagged := map[string]bool{}
	ct := reflect.TypeFor[Config]()
	for i := range ct.NumField() {
		f := ct.Field(i)
		env := f.Tag.Get("env")
		switch {
		case env == "" && !derived[f.Name]:
			t.Errorf("field %s has no env tag and is not known to be derived", f.Name)
		case env != "":
			tagged[env] = true
			if _, ok := described[env]; !ok {
				t.Errorf("field %s is read from %s, which Describe lacks", f.Name, env)
			}
		}
	}
	for env := range described {
		if !tagged[env] && !indirect[env] {
			t.Errorf("%s is described but sets no field", env)
		}
	}
}

// TestEveryDescribedVariableChangesTheConfig checks Describe against Load's
// behaviour rather than tags: setting any variable to a value other than its
// default changes the result.
func TestEveryDescribedVariableChangesTheConfig(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	os.WriteFile(keyFile, []byte(hex.EncodeToString(bytes.Repeat([]byte{9}, 32))), 0o600)
	smtpPasswordFile := filepath.Join(dir, "smtp-password")
	os.WriteFile(smtpPasswordFile, []byte("from-a-file\n"), 0o600)
	values := map[string]string{
		"DATABASE_URL":              "sqlite:" + filepath.Join(dir, "other.db"),
		"DATA_DIR":                  dir,
		"LISTEN_ADDR":               "127.0.0.1:9999",
		"PUBLIC_URL":                "https://example.org",
		"SECRET_KEY":                b64(bytes.Repeat([]byte{8}, 32)),
		"SECRET_KEY_FILE":           keyFile,
		"READ_DATABASE_URLS":        "postgres://app@standby.internal/cg",
		"LOG_LEVEL":                 "error",
		"LOG_FORMAT":                "text",
		"GRAPHIQL":                  "false",
		"GRAPHQL_INTROSPECTION":     "false",
		"GRAPHQL_COMPLEXITY_LIMIT":  "4999",
		"GRAPHQL_DEPTH_LIMIT":       "13",
		"GRAPHQL_APQ_CACHE_SIZE":    "0",
		"GRAPHQL_MAX_QUERY_BYTES":   "65535",
		"GRAPHQL_MAX_TOKENS":        "9999",
		"GRAPHQL_MAX_FIELDS":        "1999",
		"GRAPHQL_QUERY_CACHE_BYTES": "1048576",
		"GRAPHQL_TRUSTED_DOCUMENTS": writeTrustedDocuments(t, dir, "{ viewer { privileges } }"),
		"MIGRATE_ON_START":          "false",
		"SESSION_TTL":               "13h",
		"SESSION_IDLE_TIMEOUT":      "29m",
		"TEMP_PASSWORD_TTL":         "1h",
		"SHUTDOWN_TIMEOUT":          "1s",
		"DEMO":                      "true",
		"TRUST_PROXY_HEADERS":       "true",
		"REQUEST_TIMEOUT":           "20s",
		"DB_STATEMENT_TIMEOUT":      "0",
		"DB_LOCK_TIMEOUT":           "1s",
		"DB_MAX_CONNS":              "5",
		"HTTP_READ_HEADER_TIMEOUT":  "5s",
		"HTTP_READ_TIMEOUT":         "30s",
		"HTTP_WRITE_TIMEOUT":        "61s",
		"HTTP_IDLE_TIMEOUT":         "1m",
		"HTTP_MAX_HEADER_BYTES":     "8192",
		"MAX_BODY_BYTES":            "2048",
		"CORS_ALLOWED_ORIGINS":      "https://app.example.org",
		"SSO_PROVIDER_TIMEOUT":      "2s",
		"SMTP_TIMEOUT":              "5s",
		"METRICS_ADDR":              "127.0.0.1:9464",
		"METRICS_TOKEN":             strings.Repeat("m", 40),
		"SMTP_HOST":                 "mail.example.org",
		"SMTP_PORT":                 "465",
		"SMTP_TLS":                  "tls",
		"SMTP_USERNAME":             "relay",
		"SMTP_PASSWORD":             "smtp-secret",
		"SMTP_PASSWORD_FILE":        smtpPasswordFile,
		"MAIL_FROM":                 "Clinic <mail@example.org>",
		"SCIM_RATE_PER_SECOND":      "0.5",
		"SCIM_RATE_BURST":           "1",
	}
	// Variables that mean something only with another one set.
	companions := map[string]map[string]string{
		"READ_DATABASE_URLS": {"DATABASE_URL": "postgres://app@primary.internal/cg"},
	}
	base := map[string]string{"SECRET_KEY": b64(testKey), "DATA_DIR": t.TempDir()}
	def := mustLoad(t, base)
	for _, v := range Describe() {
		t.Run(v.Env, func(t *testing.T) {
			val, ok := values[v.Env]
			if !ok {
				t.Fatalf("no test value for %s", v.Env)
			}
			env := map[string]string{}
			for k, x := range base {
				env[k] = x
			}
			ref := def
			if with := companions[v.Env]; with != nil {
				for k, x := range with {
					env[k] = x
				}
				ref = mustLoad(t, env)
			}
			env[v.Env] = val
			if v.Env == "SECRET_KEY_FILE" {
				delete(env, "SECRET_KEY")
			}
			c := mustLoad(t, env)
			if reflect.DeepEqual(c, ref) {
				t.Fatalf("setting %s=%s changed nothing", v.Env, val)
			}
			if v.Flag == "" {
				return
			}
			// The flag must do the same as the variable.
			envNoVar := map[string]string{}
			for k, x := range env {
				if k != v.Env {
					envNoVar[k] = x
				}
			}
			fc := mustLoad(t, envNoVar, "--"+v.Flag+"="+val)
			if !reflect.DeepEqual(c, fc) {
				t.Fatalf("--%s differs from %s:\n%s\n%s", v.Flag, v.Env, fields(fc), fields(c))
			}
		})
	}
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// writeTrustedDocuments writes a trusted documents file listing docs under
// their hashes, and returns its path.
func writeTrustedDocuments(t *testing.T, dir string, docs ...string) string {
	t.Helper()
	m := map[string]string{}
	for _, d := range docs {
		m[sha256Hex(d)] = d
	}
	data, _ := json.Marshal(m)
	p := filepath.Join(dir, "trusted-documents.json")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTrustedDocumentsFile(t *testing.T) {
	const q = "query Me { viewer { user { email } } }"
	h := sha256Hex(q)
	tests := []struct {
		name    string
		content string
		want    string // substring of the error; "" for success
	}{
		{"a map of hashes to documents", `{"` + h + `": "query Me { viewer { user { email } } }"}`, ""},
		{"upper-case hashes are accepted", `{"` + strings.ToUpper(h) + `": "query Me { viewer { user { email } } }"}`, ""},
		{"not JSON", `query Me { viewer { id } }`, "want a JSON object"},
		{"an array", `["` + q + `"]`, "want a JSON object"},
		{"a manifest of objects", `{"operations": [{"id": "` + h + `", "body": "` + q + `"}]}`, "want a JSON object"},
		{"two JSON values", `{"` + h + `": "` + q + `"} {}`, "more than one JSON value"},
		{"no documents", `{}`, "lists no documents"},
		{"a key that is not a hash", `{"Me": "` + q + `"}`, `key "Me" is not a hex SHA-256 hash`},
		{"an MD5 key, as Relay emits", `{"0123456789abcdef0123456789abcdef": "` + q + `"}`, "is not a hex SHA-256 hash"},
		{"the hash of another document", `{"` + sha256Hex("{ other }") + `": "` + q + `"}`, "is not the SHA-256 of its document (that is " + h + ")"},
		{"an empty document", `{"` + sha256Hex(" ") + `": " "}`, "is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "docs.json")
			os.WriteFile(p, []byte(tt.content), 0o600)
			c, err := load(t, map[string]string{"SECRET_KEY": b64(testKey), "GRAPHQL_TRUSTED_DOCUMENTS": p})
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if len(c.TrustedDocuments) != 1 || c.TrustedDocuments[h] != q || c.TrustedDocumentsFile != p {
					t.Fatalf("documents = %v from %q", c.TrustedDocuments, c.TrustedDocumentsFile)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "GRAPHQL_TRUSTED_DOCUMENTS: "+p+": ") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want GRAPHQL_TRUSTED_DOCUMENTS: %s: …%s", err, p, tt.want)
			}
		})
	}
}

// TestREADMETableMatchesDescribe checks the README's configuration table
// against Describe: the same variables in the same order, with the same
// flags and defaults. The meanings may be worded differently.
func TestREADMETableMatchesDescribe(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n## Configuration\n")
	if !ok {
		t.Fatal(`README.md has no "## Configuration" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	// Variables in the table that config does not read.
	outside := map[string]bool{"DEMO_PASSWORD": true} // read by cmd/server when it creates the demo organization
	// Defaults the README spells out where Describe has "" for derived.
	derived := map[string]string{"PUBLIC_URL": "http://<LISTEN_ADDR>"}
	cell := func(s string) string {
		s = strings.Trim(strings.TrimSpace(s), "`")
		if s == "(empty)" || s == "(none)" {
			return ""
		}
		return strings.TrimPrefix(s, "--")
	}
	var rows []Var
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 5 {
			t.Fatalf("README row %q has too few cells", line)
		}
		v := Var{Env: cell(cells[1]), Flag: cell(cells[2]), Default: cell(cells[3])}
		if !outside[v.Env] {
			rows = append(rows, v)
		}
	}
	vars := Describe()
	if len(rows) != len(vars) {
		t.Errorf("README lists %d variables, Describe %d", len(rows), len(vars))
	}
	for i := range min(len(rows), len(vars)) {
		r, v := rows[i], vars[i]
		want := v.Default
		if d, ok := derived[v.Env]; ok && want == "" {
			want = d
		}
		if r.Env != v.Env || r.Flag != v.Flag || r.Default != want {
			t.Errorf("README row %d: %s --%s default %q; Describe: %s --%s default %q",
				i+1, r.Env, r.Flag, r.Default, v.Env, v.Flag, want)
		}
	}
}

func TestAConfigFileRanksBelowTheEnvironment(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "clinicgate.conf")
	os.WriteFile(file, []byte(`# settings, by flag or variable name
listen-addr 127.0.0.1:3000
LOG_LEVEL debug
--graphiql false
demo
SESSION_TTL 2h # a comment
DATA_DIR `+dir+`
`), 0o600)
	env := map[string]string{"SECRET_KEY": b64(testKey), "LOG_LEVEL": "warn"}
	c := mustLoad(t, env, "--config", file, "--graphiql=true")
	if c.ListenAddr != "127.0.0.1:3000" || c.PublicURL != "http://127.0.0.1:3000" ||
		c.SessionTTL != 2*time.Hour || !c.Demo || c.DataDir != dir {
		t.Errorf("file settings not applied: %s", fields(c))
	}
	if c.LogLevel != slog.LevelWarn {
		t.Errorf("LogLevel = %v, want the environment's warn over the file's debug", c.LogLevel)
	}
	if !c.GraphiQL {
		t.Error("the file's graphiql false won over the --graphiql flag")
	}
	if c.MigrateOnStart != true || c.ComplexityLimit != 5000 {
		t.Errorf("settings the file lacks lost their defaults: %s", fields(c))
	}
}

func TestConfigFileErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content string
		env           map[string]string
		want          string // substring of the error
	}{
		{"a variable without a flag", "SECRET_KEY " + b64(testKey), nil, "SECRET_KEY is not a setting a configuration file may hold"},
		{"an unknown name", "listen 127.0.0.1:1", nil, "listen is not a setting"},
		{"another command's flag", "org Acme", nil, "org is not a setting"},
		{"a bad value names the file and the variable", "listen-addr nope", nil, ": LISTEN_ADDR: "},
		{"a key file beside SECRET_KEY in the environment", "SECRET_KEY_FILE " + filepath.Join(dir, "k"), map[string]string{"SECRET_KEY": b64(testKey)}, "both set"},
		{"a missing key file", "secret-key-file /nonexistent/key", map[string]string{}, ": SECRET_KEY_FILE: "},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(dir, fmt.Sprintf("c%d.conf", i))
			os.WriteFile(file, []byte(tt.content+"\n"), 0o600)
			env := map[string]string{"DATA_DIR": dir}
			if tt.env == nil {
				env["SECRET_KEY"] = b64(testKey)
			}
			for k, v := range tt.env {
				env[k] = v
			}
			fs := flag.NewFlagSet("clinicgate", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			fs.String("org", "", "a flag of another command, as cmd/server adds")
			_, err := Load(fs, []string{"--config", file}, func(k string) string { return env[k] })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), b64(testKey)) {
				t.Fatalf("error %q leaks the key", err)
			}
		})
	}
	if _, err := load(t, map[string]string{"SECRET_KEY": b64(testKey)}, "--config", filepath.Join(dir, "missing.conf")); err == nil {
		t.Error("a missing configuration file was not reported")
	}
}

func TestSMTPPasswordComesFromItsFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "smtp-password")
	os.WriteFile(f, []byte("correct horse\n"), 0o600)
	c := mustLoad(t, map[string]string{"SECRET_KEY": b64(testKey), "SMTP_USERNAME": "relay", "SMTP_PASSWORD_FILE": f})
	if c.SMTPPassword != "correct horse" {
		t.Errorf("password %q, want the file's without its newline", c.SMTPPassword)
	}
	if strings.Contains(c.String(), "correct horse") {
		t.Errorf("printed config shows the password: %s", c)
	}
}
