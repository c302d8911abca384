package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Var describes one configuration variable.
type Var struct {
	Env     string // environment variable, e.g. "LISTEN_ADDR"
	Flag    string // command-line flag without dashes; "" when there is none
	Default string // default value as text; "" when empty or derived
	Usage   string // one line
}

// Describe returns every configuration variable, in the order of the README.
func Describe() []Var {
	ps := params(nil)
	vs := make([]Var, len(ps))
	for i, p := range ps {
		vs[i] = p.Var
	}
	return vs
}

// param is a Var with how to parse it into a Config.
type param struct {
	Var
	isBool bool
	set    func(c *Config, raw string) error
}

// keySources collects the secret key settings, which are resolved together
// once all others are known.
type keySources struct {
	key, file    string
	fileFromFlag bool // then the file wins over SECRET_KEY
}

// params returns the variables Load reads; keys receives the secret key
// settings and may be nil when only the descriptions are wanted.
func params(keys *keySources) []param {
	return []param{
		{Var: Var{"DATABASE_URL", "database-url", "",
			"database: postgres://… for PostgreSQL, sqlite:PATH or file:PATH for SQLite; empty for <DATA_DIR>/clinicgate.db"},
			set: func(c *Config, raw string) error {
				if err := checkDatabaseURL(raw); err != nil {
					return err
				}
				c.DatabaseURL = raw
				return nil
			}},
		{Var: Var{"DATA_DIR", "data-dir", "./data",
			"directory for the embedded SQLite database and the generated development secret key"},
			set: func(c *Config, raw string) error {
				if strings.TrimSpace(raw) == "" {
					return errors.New("must not be empty")
				}
				c.DataDir = raw
				return nil
			}},
		{Var: Var{"LISTEN_ADDR", "listen-addr", "127.0.0.1:8080",
			"host:port to listen on"},
			set: func(c *Config, raw string) error {
				if err := checkListenAddr(raw); err != nil {
					return err
				}
				c.ListenAddr = raw
				return nil
			}},
		{Var: Var{"PUBLIC_URL", "public-url", "",
			"absolute http(s) URL clients reach the server at; https makes cookies Secure (default http://<LISTEN_ADDR>)"},
			set: func(c *Config, raw string) error {
				if raw == "" {
					return nil // derived from ListenAddr once that is known
				}
				u, err := checkPublicURL(raw)
				c.PublicURL = u
				return err
			}},
		{Var: Var{"SECRET_KEY", "", "",
			"base64 or hex of at least 32 random bytes that encrypt secrets at rest (TOTP, SSO); required with PostgreSQL (no flag: command lines are visible to other users)"},
			set: func(_ *Config, raw string) error {
				if keys != nil {
					keys.key = raw
				}
				return nil
			}},
		{Var: Var{"SECRET_KEY_FILE", "secret-key-file", "",
			"file holding SECRET_KEY; with neither set and SQLite, a key is generated in <DATA_DIR>/secret.key"},
			set: func(_ *Config, raw string) error {
				if keys != nil {
					keys.file = raw
				}
				return nil
			}},
		{Var: Var{"LOG_LEVEL", "log-level", "info",
			"lowest level logged: debug, info, warn or error"},
			set: func(c *Config, raw string) error {
				switch strings.ToLower(raw) {
				case "debug":
					c.LogLevel = slog.LevelDebug
				case "info":
					c.LogLevel = slog.LevelInfo
				case "warn", "warning":
					c.LogLevel = slog.LevelWarn
				case "error":
					c.LogLevel = slog.LevelError
				default:
					return fmt.Errorf("%q is not one of debug, info, warn, error", raw)
				}
				return nil
			}},
		{Var: Var{"LOG_FORMAT", "log-format", "json",
			"log line format: json or text"},
			set: func(c *Config, raw string) error {
				f := strings.ToLower(raw)
				if f != "json" && f != "text" {
					return fmt.Errorf("%q is not one of json, text", raw)
				}
				c.LogFormat = f
				return nil
			}},
		boolParam("GRAPHIQL", "graphiql", true,
			"serve the developer console: GraphiQL at / and a sign-in page at /signin",
			func(c *Config) *bool { return &c.GraphiQL }),
		boolParam("GRAPHQL_INTROSPECTION", "graphql-introspection", true,
			"allow GraphQL schema introspection",
			func(c *Config) *bool { return &c.Introspection }),
		intParam("GRAPHQL_COMPLEXITY_LIMIT", "graphql-complexity-limit", 5000, 1,
			"most a GraphQL operation may cost: one per field, times first or last through connections",
			func(c *Config) *int { return &c.ComplexityLimit }),
		intParam("GRAPHQL_DEPTH_LIMIT", "graphql-depth-limit", 12, 1,
			"deepest a GraphQL operation's fields may nest",
			func(c *Config) *int { return &c.DepthLimit }),
		intParam("GRAPHQL_MAX_QUERY_BYTES", "graphql-max-query-bytes", 65536, 1,
			"longest GraphQL document a signed-in caller may send, in bytes (callers not signed in: 4096 at most)",
			func(c *Config) *int { return &c.MaxQueryBytes }),
		intParam("GRAPHQL_MAX_TOKENS", "graphql-max-tokens", 10000, 1,
			"most tokens in a signed-in caller's GraphQL document, counted before parsing (callers not signed in: 1000 at most)",
			func(c *Config) *int { return &c.MaxTokens }),
		intParam("GRAPHQL_MAX_FIELDS", "graphql-max-fields", 2000, 1,
			"most fields a signed-in caller's GraphQL document selects, fragments counted where spread (callers not signed in: 500 at most)",
			func(c *Config) *int { return &c.MaxFields }),
		intParam("GRAPHQL_QUERY_CACHE_BYTES", "graphql-query-cache-bytes", 32<<20, 1,
			"memory for parsed GraphQL documents kept per signed-in user, in bytes",
			func(c *Config) *int { return &c.QueryCacheBytes }),
		intParam("GRAPHQL_APQ_CACHE_SIZE", "graphql-apq-cache-size", 1000, 0,
			"automatic persisted queries remembered; 0 turns them off (unused with GRAPHQL_TRUSTED_DOCUMENTS)",
			func(c *Config) *int { return &c.APQCacheSize }),
		{Var: Var{"GRAPHQL_TRUSTED_DOCUMENTS", "graphql-trusted-documents", "",
			`JSON file {"<sha256 hex>": "<document>"}; when set, only these GraphQL documents run`},
			set: func(c *Config, raw string) error {
				if raw == "" {
					return nil
				}
				docs, err := readTrustedDocuments(raw)
				c.TrustedDocumentsFile, c.TrustedDocuments = raw, docs
				return err
			}},
		boolParam("MIGRATE_ON_START", "migrate-on-start", true,
			"apply database migrations at startup",
			func(c *Config) *bool { return &c.MigrateOnStart }),
		durationParam("SESSION_TTL", "session-ttl", 12*time.Hour,
			"absolute lifetime of a sign-in session",
			func(c *Config) *time.Duration { return &c.SessionTTL }),
		durationParam("SESSION_IDLE_TIMEOUT", "session-idle-timeout", 30*time.Minute,
			"inactivity after which a session ends (HIPAA automatic log-off); at most SESSION_TTL",
			func(c *Config) *time.Duration { return &c.SessionIdleTimeout }),
		durationParam("TEMP_PASSWORD_TTL", "temp-password-ttl", 72*time.Hour,
			"how long a temporary password stays valid",
			func(c *Config) *time.Duration { return &c.TempPasswordTTL }),
		durationParam("SHUTDOWN_TIMEOUT", "shutdown-timeout", 20*time.Second,
			"how long in-flight requests may take to finish on SIGTERM or SIGINT",
			func(c *Config) *time.Duration { return &c.ShutdownTimeout }),

		// Bounds on a slow database: a request gives up (503 unavailable)
		// rather than wait as long as a lock is held.
		durationParam("REQUEST_TIMEOUT", "request-timeout", 10*time.Second,
			"longest a request may take; what it waits on then gives up and it is answered 503 (at most 55s)",
			func(c *Config) *time.Duration { return &c.RequestTimeout }),
		durationOrOffParam("DB_STATEMENT_TIMEOUT", "db-statement-timeout", 5*time.Second,
			"PostgreSQL statement_timeout on every connection: longest one statement may run, lock waits included; 0 leaves the server's",
			func(c *Config) *time.Duration { return &c.DBStatementTimeout }),
		durationOrOffParam("DB_LOCK_TIMEOUT", "db-lock-timeout", 3*time.Second,
			"PostgreSQL lock_timeout on every connection: longest one statement may wait for a lock; 0 leaves the server's",
			func(c *Config) *time.Duration { return &c.DBLockTimeout }),
		boolParam("DEMO", "demo", false,
			"create a demo organization on first start",
			func(c *Config) *bool { return &c.Demo }),
		boolParam("TRUST_PROXY_HEADERS", "trust-proxy-headers", false,
			"take the client IP from X-Forwarded-For; only behind a reverse proxy that sets it",
			func(c *Config) *bool { return &c.TrustProxyHeaders }),

		// Metrics: never open to the public. Served on a listener of their
		// own, behind a bearer token, or both; with neither, not at all.
		{Var: Var{"METRICS_ADDR", "metrics-addr", "",
			"host:port of a separate listener serving only GET /metrics; empty serves it on LISTEN_ADDR, and only with METRICS_TOKEN"},
			set: func(c *Config, raw string) error {
				if raw == "" {
					return nil
				}
				if err := checkListenAddr(raw); err != nil {
					return err
				}
				c.MetricsAddr = raw
				return nil
			}},
		{Var: Var{"METRICS_TOKEN", "", "",
			"bearer token /metrics requires (at least 32 characters), wherever it is served (no flag: command lines are visible to other users)"},
			set: func(c *Config, raw string) error {
				if raw != "" && len(strings.TrimSpace(raw)) < minMetricsToken {
					return fmt.Errorf("must be at least %d characters", minMetricsToken)
				}
				c.MetricsToken = strings.TrimSpace(raw)
				return nil
			}},
	}
}

// minMetricsToken is the shortest METRICS_TOKEN accepted: a scrape token is
// generated, never remembered (openssl rand -hex 32 makes 64 characters).
const minMetricsToken = 32

// maxRequestTimeout keeps REQUEST_TIMEOUT under the server's 60 s write
// timeout (edge.NewServer), leaving time to write the 503.
const maxRequestTimeout = 55 * time.Second

func boolParam(env, flag string, def bool, usage string, field func(*Config) *bool) param {
	return param{
		Var:    Var{env, flag, strconv.FormatBool(def), usage},
		isBool: true,
		set: func(c *Config, raw string) error {
			v, err := parseBool(raw)
			*field(c) = v
			return err
		},
	}
}

func intParam(env, flag string, def, least int, usage string, field func(*Config) *int) param {
	return param{
		Var: Var{env, flag, strconv.Itoa(def), usage},
		set: func(c *Config, raw string) error {
			n, err := strconv.Atoi(strings.TrimSpace(raw))
			if err != nil {
				return fmt.Errorf("%q is not a whole number", raw)
			}
			if n < least {
				return fmt.Errorf("%d is less than %d", n, least)
			}
			*field(c) = n
			return nil
		},
	}
}

func durationParam(env, flag string, def time.Duration, usage string, field func(*Config) *time.Duration) param {
	return param{
		Var: Var{env, flag, formatDuration(def), usage},
		set: func(c *Config, raw string) error {
			d, err := time.ParseDuration(raw)
			if err != nil {
				return fmt.Errorf("%q is not a duration such as 90s, 30m or 12h", raw)
			}
			if d <= 0 {
				return fmt.Errorf("%q must be positive", raw)
			}
			*field(c) = d
			return nil
		},
	}
}

// durationOrOffParam is a durationParam that also accepts 0, for "off".
func durationOrOffParam(env, flag string, def time.Duration, usage string, field func(*Config) *time.Duration) param {
	return param{
		Var: Var{env, flag, formatDuration(def), usage},
		set: func(c *Config, raw string) error {
			if strings.TrimSpace(raw) == "0" {
				*field(c) = 0
				return nil
			}
			d, err := time.ParseDuration(raw)
			if err != nil {
				return fmt.Errorf("%q is not a duration such as 500ms, 5s or 1m, nor 0", raw)
			}
			if d < 0 {
				return fmt.Errorf("%q must not be negative", raw)
			}
			*field(c) = d
			return nil
		},
	}
}

// formatDuration writes d the way a person would, "12h" rather than
// time.Duration's "12h0m0s".
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

func parseBool(raw string) (bool, error) {
	switch strings.ToLower(raw) {
	case "1", "t", "true", "yes", "y", "on":
		return true, nil
	case "0", "f", "false", "no", "n", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (true or false)", raw)
}

// flagValue is a flag that remembers whether it was given, so that an
// explicit flag can win over the environment even when it repeats the
// default.
type flagValue struct {
	def, val string
	set      bool
	isBool   bool
}

func (v *flagValue) String() string {
	if v == nil {
		return ""
	}
	if v.set {
		return v.val
	}
	return v.def
}

func (v *flagValue) Set(s string) error {
	v.val, v.set = s, true
	return nil
}

// IsBoolFlag lets boolean flags be given without a value: --demo.
func (v *flagValue) IsBoolFlag() bool { return v.isBool }

func hasPostgresScheme(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// splitSQLite returns the path and query of a sqlite:PATH or file:PATH URL.
func splitSQLite(s string) (path, query string) {
	for _, prefix := range []string{"sqlite:", "file:"} {
		if rest, ok := strings.CutPrefix(s, prefix); ok {
			path, query, _ = strings.Cut(rest, "?")
			return path, query
		}
	}
	return "", ""
}

func checkDatabaseURL(s string) error {
	switch {
	case s == "":
		return nil
	case hasPostgresScheme(s):
		// The value is not quoted in errors: it may hold a password.
		u, err := url.Parse(s)
		if err != nil {
			return errors.New("not a valid postgres:// URL")
		}
		if u.Host == "" {
			return errors.New("postgres URL has no host")
		}
		return nil
	case strings.HasPrefix(s, "sqlite:"), strings.HasPrefix(s, "file:"):
		p, _ := splitSQLite(s)
		if p == "" {
			return errors.New("SQLite URL has no path; use sqlite:PATH")
		}
		return nil
	}
	scheme, _, _ := strings.Cut(s, ":")
	if len(scheme) > 20 || scheme == s {
		scheme = "(none)"
	}
	return fmt.Errorf("unsupported scheme %s; use postgres://, postgresql://, sqlite:PATH or file:PATH", scheme)
}

func checkListenAddr(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("%q is not host:port: %w", s, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("%q has no valid port number", s)
	}
	return nil
}

// checkPublicURL returns s without a trailing slash if it is an absolute
// http(s) URL fit to prefix paths with.
func checkPublicURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%q is not a URL: %w", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("%q must start with http:// or https://", s)
	}
	if u.Host == "" {
		return "", fmt.Errorf("%q has no host", s)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return "", fmt.Errorf("%q must not have user info, a query or a fragment", s)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// defaultPublicURL is http:// and the listen address, with a host a browser
// can reach when the server listens on all interfaces.
func defaultPublicURL(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://" + listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}
