package config

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Every typed configuration value (durations, booleans, whole numbers,
// URLs, addresses, enumerations, the rate), one variable at a time as the
// environment gives it. Properties: no panic; a refusal is an error that
// never repeats a secret; an accepted value lands in the Config within
// its bounds (durations positive or 0 where allowed, numbers at least
// their least, PUBLIC_URL an http(s) URL that checks again unchanged).
func FuzzConfigValues(f *testing.F) {
	for _, s := range []struct {
		env, raw string
	}{
		{"SESSION_TTL", "12h"}, {"SESSION_TTL", "-1s"}, {"SESSION_TTL", "9223372036854775807ns"},
		{"DB_STATEMENT_TIMEOUT", " 0 "}, {"DB_LOCK_TIMEOUT", "1.5µs"}, {"REQUEST_TIMEOUT", "1e3s"},
		{"GRAPHIQL", "yes"}, {"DEMO", "TRUE"}, {"MIGRATE_ON_START", "2"},
		{"GRAPHQL_COMPLEXITY_LIMIT", " 5000 "}, {"GRAPHQL_APQ_CACHE_SIZE", "0"}, {"SMTP_PORT", "99999999999999999999"},
		{"GRAPHQL_MAX_QUERY_BYTES", "-0"}, {"SCIM_RATE_BURST", "+7"},
		{"SCIM_RATE_PER_SECOND", "0.5"}, {"SCIM_RATE_PER_SECOND", "NaN"}, {"SCIM_RATE_PER_SECOND", "1e309"}, {"SCIM_RATE_PER_SECOND", "0x1p-2"},
		{"PUBLIC_URL", "https://id.example.org/"}, {"PUBLIC_URL", "http://[::1]:8080"}, {"PUBLIC_URL", "https://u:p@x/?q#f"},
		{"PUBLIC_URL", "HTTP://Example.ORG/a/../b"}, {"PUBLIC_URL", "https://%zz"},
		{"DATABASE_URL", "postgres://u:s3cret@db:5432/cg?sslmode=require"}, {"DATABASE_URL", "postgresql://u:s3cret@/cg"},
		{"DATABASE_URL", "sqlite:./data/x.db?_pragma=busy_timeout(1)"}, {"DATABASE_URL", "file:"}, {"DATABASE_URL", "mysql://x"},
		{"READ_DATABASE_URLS", "postgres://u:s3cret@standby-1/cg, postgres://u:s3cret@standby-2/cg"},
		{"READ_DATABASE_URLS", "postgres://u:pw@a/cg,,"}, {"READ_DATABASE_URLS", "sqlite:x.db"},
		{"LISTEN_ADDR", ":8080"}, {"LISTEN_ADDR", "[::]:65536"}, {"METRICS_ADDR", "127.0.0.1:-1"},
		{"LOG_LEVEL", "WARNING"}, {"LOG_FORMAT", "Text"}, {"SMTP_TLS", " StartTLS "}, {"SMTP_HOST", "mail example"},
		{"MAIL_FROM", "clinicgate <no-reply@localhost>"}, {"MAIL_FROM", "=?utf-8?q?caf=C3=A9?= <a@b.c>"},
		{"METRICS_TOKEN", "short"}, {"METRICS_TOKEN", strings.Repeat("x", 32)},
		{"DATA_DIR", " "}, {"GRAPHQL_TRUSTED_DOCUMENTS", ""},
	} {
		f.Add(s.env, s.raw)
	}
	f.Fuzz(func(t *testing.T, env, raw string) {
		var c Config
		var keys keySources
		ps := params(&c, &keys)
		var p *param
		for i := range ps {
			if ps[i].Env == env {
				p = &ps[i]
			}
		}
		if p == nil {
			p = &ps[int(uint(len(env)))%len(ps)] // any string still reaches a variable
		}
		if p.Env == "GRAPHQL_TRUSTED_DOCUMENTS" || p.Env == "SECRET_KEY_FILE" || p.Env == "SMTP_PASSWORD_FILE" {
			raw = "" // file names: FuzzTrustedDocumentsFile reads the files' text
		}
		err := p.set(raw)
		if err != nil {
			if (p.Env == "DATABASE_URL" || p.Env == "READ_DATABASE_URLS") && strings.Contains(raw, "@") && len(raw) > 12 && strings.Contains(err.Error(), raw) {
				t.Fatalf("%s: the error %q repeats the URL, which may hold a password", p.Env, err)
			}
			return
		}
		check := func(what string, ok bool) {
			t.Helper()
			if !ok {
				t.Fatalf("%s %q accepted: %s (%+v)", p.Env, raw, what, c)
			}
		}
		switch p.Env {
		case "SESSION_TTL", "SESSION_IDLE_TIMEOUT", "TEMP_PASSWORD_TTL", "SHUTDOWN_TIMEOUT", "REQUEST_TIMEOUT":
			d := map[string]time.Duration{"SESSION_TTL": c.SessionTTL, "SESSION_IDLE_TIMEOUT": c.SessionIdleTimeout,
				"TEMP_PASSWORD_TTL": c.TempPasswordTTL, "SHUTDOWN_TIMEOUT": c.ShutdownTimeout, "REQUEST_TIMEOUT": c.RequestTimeout}[p.Env]
			check("a positive duration", d > 0)
		case "DB_STATEMENT_TIMEOUT", "DB_LOCK_TIMEOUT":
			d := c.DBStatementTimeout
			if p.Env == "DB_LOCK_TIMEOUT" {
				d = c.DBLockTimeout
			}
			check("a duration, at least 0", d >= 0)
		case "GRAPHQL_COMPLEXITY_LIMIT", "GRAPHQL_MAX_QUERY_BYTES", "GRAPHQL_MAX_TOKENS", "GRAPHQL_MAX_FIELDS",
			"GRAPHQL_QUERY_CACHE_BYTES", "GRAPHQL_DEPTH_LIMIT", "SMTP_PORT", "SCIM_RATE_BURST":
			n := map[string]int{"GRAPHQL_COMPLEXITY_LIMIT": c.ComplexityLimit, "GRAPHQL_MAX_QUERY_BYTES": c.MaxQueryBytes,
				"GRAPHQL_MAX_TOKENS": c.MaxTokens, "GRAPHQL_MAX_FIELDS": c.MaxFields, "GRAPHQL_QUERY_CACHE_BYTES": c.QueryCacheBytes,
				"GRAPHQL_DEPTH_LIMIT": c.DepthLimit, "SMTP_PORT": c.SMTPPort, "SCIM_RATE_BURST": c.SCIMRateBurst}[p.Env]
			check("a whole number of at least 1", n >= 1)
		case "GRAPHQL_APQ_CACHE_SIZE":
			check("a whole number of at least 0", c.APQCacheSize >= 0)
		case "SCIM_RATE_PER_SECOND":
			f := c.SCIMRatePerSecond
			check("a finite rate above 0", f > 0 && !math.IsInf(f, 0) && !math.IsNaN(f))
		case "PUBLIC_URL":
			if raw != "" {
				again, err := checkPublicURL(c.PublicURL)
				check("an http(s) URL without a trailing slash that checks again unchanged",
					err == nil && again == c.PublicURL && !strings.HasSuffix(c.PublicURL, "/") &&
						(strings.HasPrefix(c.PublicURL, "http://") || strings.HasPrefix(c.PublicURL, "https://")))
			}
		case "LOG_FORMAT":
			check("json or text", c.LogFormat == "json" || c.LogFormat == "text")
		case "SMTP_TLS":
			check("starttls, tls or none", c.SMTPTLS == "starttls" || c.SMTPTLS == "tls" || c.SMTPTLS == "none")
		case "METRICS_TOKEN":
			check("empty or at least 32 characters", c.MetricsToken == "" || len(c.MetricsToken) >= minMetricsToken)
		case "READ_DATABASE_URLS":
			// Each accepted standby is a PostgreSQL URL with a host, and
			// the log line never shows its password.
			for _, u := range c.ReadDatabaseURLs {
				check("postgres URLs with a host", hasPostgresScheme(u) && checkDatabaseURL(u) == nil)
				if pw := urlPassword(u); len(pw) >= 4 && !strings.Contains(strings.Replace(raw, pw, "", 1), pw) {
					check("a log line without the password", !strings.Contains(logField(c.String(), "read_database_urls"), pw))
				}
			}
		case "DATABASE_URL":
			// Whatever was accepted opens as one of the two dialects, and
			// the log line never shows its password.
			driver, _ := c.DriverDSN()
			check("a pgx or sqlite DSN", driver == "pgx" || driver == "sqlite")
			// Only a password that appears nowhere else in the URL can
			// be looked for (a host of zeros holds a password of zeros).
			if pw := urlPassword(raw); len(pw) >= 4 && !strings.Contains(strings.Replace(raw, pw, "", 1), pw) {
				// Only the URL's own field: the rest of the line has
				// words of its own ("secret_key" holds "cret").
				check("a log line without the password", !strings.Contains(logField(c.String(), "database_url"), pw))
			}
		}
	})
}

// urlPassword is the password in a postgres:// URL's user info, as a
// person would read it ("" when there is none).
func urlPassword(raw string) string {
	if !hasPostgresScheme(raw) {
		return ""
	}
	rest := raw[strings.Index(raw, "://")+3:]
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return ""
	}
	if slash := strings.IndexAny(rest, "/?#"); slash >= 0 && slash < at {
		return ""
	}
	_, pw, ok := strings.Cut(rest[:at], ":")
	if !ok {
		return ""
	}
	return pw
}

// A configuration file (--config FILE: one "NAME value" a line) with
// everything else at its defaults. Properties: no panic; a file is loaded
// or refused with an error naming the file, and neither the error nor the
// loaded configuration's log line repeats a secret of the environment.
func FuzzConfigFile(f *testing.F) {
	for _, s := range []string{
		"LISTEN_ADDR 127.0.0.1:9090\n# a comment\nsession-ttl 1h\n",
		"listen-addr nope\n",
		"SECRET_KEY abc\n",
		"--graphiql false\nGRAPHIQL\n",
		"  LOG_LEVEL   debug  # trailing comment\n\r\n",
		"public-url https://id.example.org/\nsmtp-tls tls\nmail-from a@b.c\n",
		"session-idle-timeout 13h\n",
		"NAME\x00 value\n",
		"config other.conf\n",
	} {
		f.Add(s)
	}
	dir := f.TempDir()
	secret := strings.Repeat("Zq", 24) // the environment's SECRET_KEY (base64 of 36 bytes)
	n := 0
	f.Fuzz(func(t *testing.T, content string) {
		n++
		file := filepath.Join(dir, fmt.Sprintf("c%d.conf", n))
		if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(file)
		env := map[string]string{"SECRET_KEY": secret, "DATA_DIR": dir}
		fs := flag.NewFlagSet("clinicgate", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		c, err := Load(fs, []string{"--config", file}, func(k string) string { return env[k] })
		if err != nil {
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error %q repeats SECRET_KEY", err)
			}
			return
		}
		if strings.Contains(c.String(), secret) {
			t.Fatalf("the configuration's log line repeats SECRET_KEY: %s", c)
		}
		if c.SessionIdleTimeout > c.SessionTTL || c.RequestTimeout > c.HTTPWriteTimeout-writeMargin {
			t.Fatalf("loaded an inconsistent configuration: %s", c)
		}
	})
}

// A trusted documents file (GRAPHQL_TRUSTED_DOCUMENTS). Properties: no
// panic; a file is refused, or every entry it gives maps the lower-case
// hex SHA-256 of a non-blank document to that document, and there is at
// least one.
func FuzzTrustedDocumentsFile(f *testing.F) {
	entry := func(doc string) string {
		sum := sha256.Sum256([]byte(doc))
		return fmt.Sprintf("%q: %q", hex.EncodeToString(sum[:]), doc)
	}
	upper := func(doc string) string {
		sum := sha256.Sum256([]byte(doc))
		return fmt.Sprintf("%q: %q", strings.ToUpper(hex.EncodeToString(sum[:])), doc)
	}
	for _, s := range []string{
		"{" + entry("{ viewer { user { id } } }") + "}",
		"{" + entry("query Me { viewer { user { email } } }") + ", " + upper("{ __typename }") + "}",
		"{" + entry("{ a }") + ", " + upper("{ a }") + "}",
		"{" + entry("  ") + "}",
		`{"00": "{ a }"}`,
		`{}`,
		`[]`,
		`{"a": 1}`,
		"{" + entry("{ a }") + "} {}",
		"\xef\xbb\xbf{" + entry("{ a }") + "}",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	n := 0
	f.Fuzz(func(t *testing.T, data []byte) {
		n++
		path := filepath.Join(dir, fmt.Sprintf("docs%d.json", n))
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(path)
		docs, err := readTrustedDocuments(path)
		if err != nil {
			if docs != nil {
				t.Fatalf("refused (%v) but returned %d documents", err, len(docs))
			}
			return
		}
		if len(docs) == 0 {
			t.Fatal("accepted a file with no documents")
		}
		for h, doc := range docs {
			sum := sha256.Sum256([]byte(doc))
			if h != hex.EncodeToString(sum[:]) || strings.TrimSpace(doc) == "" {
				t.Fatalf("accepted %q for document %q", h, doc)
			}
		}
	})
}

// logField is the value of key in a configuration log line (key=value
// pairs separated by spaces), "" when absent.
func logField(line, key string) string {
	_, rest, ok := strings.Cut(line, key+"=")
	if !ok {
		return ""
	}
	value, _, _ := strings.Cut(rest, " ")
	return value
}
