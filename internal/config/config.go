// Package config reads the server's configuration from command-line flags,
// environment variables and, optionally, a configuration file named by
// --config.
//
// A flag given on the command line wins over its environment variable,
// which wins over the configuration file, which wins over the default.
// Flags and the file are parsed with github.com/peterbourgon/ff/v3; the
// environment is read through the getenv given to [Load]. [Describe] lists
// every variable; a test checks the README's configuration table against it.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/peterbourgon/ff/v3"
)

// Config is the server's configuration. Build it with [Load]: the zero value
// is not valid.
type Config struct {
	// DatabaseURL selects the store: empty for the embedded SQLite file
	// <DataDir>/clinicgate.db, postgres:// or postgresql:// for PostgreSQL,
	// sqlite:PATH or file:PATH for a SQLite file elsewhere.
	DatabaseURL string `env:"DATABASE_URL"`
	// ReadDatabaseURLs are hot standbys of the PostgreSQL DatabaseURL that
	// read-only queries may read from (internal/store: standby.go).
	ReadDatabaseURLs []string `env:"READ_DATABASE_URLS"`
	DataDir          string   `env:"DATA_DIR"`
	ListenAddr       string   `env:"LISTEN_ADDR"`
	// PublicURL is the absolute base URL clients reach the server at,
	// without a trailing slash. Its scheme decides the cookies' Secure flag
	// and it is the base of OIDC redirect URIs.
	PublicURL string `env:"PUBLIC_URL"`

	// SecretKey, at least 32 bytes, is the key internal/seal derives its
	// keys from, to encrypt secrets at rest (TOTP secrets, SSO client
	// secrets and state cookies) and to key recovery-code hashes. Sessions
	// and SCIM tokens do not use it: they are random tokens stored as SHA-256 hashes. It is
	// never logged nor printed: see [Config.LogValue].
	SecretKey []byte `env:"SECRET_KEY" json:"-"`
	// SecretKeySource tells where SecretKey came from, for the startup log:
	// "SECRET_KEY", the file it was read from, or "generated <path>".
	SecretKeySource string

	LogLevel  slog.Level `env:"LOG_LEVEL"`
	LogFormat string     `env:"LOG_FORMAT"` // "json" or "text"

	GraphiQL      bool `env:"GRAPHIQL"`
	Introspection bool `env:"GRAPHQL_INTROSPECTION"`
	// GraphQL limits, passed to graph.HandlerConfig.
	ComplexityLimit int `env:"GRAPHQL_COMPLEXITY_LIMIT"`
	DepthLimit      int `env:"GRAPHQL_DEPTH_LIMIT"`
	APQCacheSize    int `env:"GRAPHQL_APQ_CACHE_SIZE"` // 0: off
	// Document limits of signed-in callers (graph.DocumentLimit) and the
	// query cache's memory.
	MaxQueryBytes   int `env:"GRAPHQL_MAX_QUERY_BYTES"`
	MaxTokens       int `env:"GRAPHQL_MAX_TOKENS"`
	MaxFields       int `env:"GRAPHQL_MAX_FIELDS"`
	QueryCacheBytes int `env:"GRAPHQL_QUERY_CACHE_BYTES"`
	// TrustedDocumentsFile, when set, names a JSON object mapping the hex
	// SHA-256 of each trusted GraphQL document to its text; Load reads it
	// into TrustedDocuments, and only those documents may then run.
	TrustedDocumentsFile string            `env:"GRAPHQL_TRUSTED_DOCUMENTS"`
	TrustedDocuments     map[string]string `json:"-"`
	MigrateOnStart       bool              `env:"MIGRATE_ON_START"`

	// SessionTTL is a session's absolute lifetime; SessionIdleTimeout ends
	// it earlier after inactivity (HIPAA automatic log-off).
	SessionTTL         time.Duration `env:"SESSION_TTL"`
	SessionIdleTimeout time.Duration `env:"SESSION_IDLE_TIMEOUT"`
	TempPasswordTTL    time.Duration `env:"TEMP_PASSWORD_TTL"`
	ShutdownTimeout    time.Duration `env:"SHUTDOWN_TIMEOUT"`

	// RequestTimeout ends every request's context (edge.Deadline);
	// DBStatementTimeout and DBLockTimeout are PostgreSQL's
	// statement_timeout and lock_timeout on every pooled connection, 0 for
	// the server's own (store.Options).
	RequestTimeout     time.Duration `env:"REQUEST_TIMEOUT"`
	DBStatementTimeout time.Duration `env:"DB_STATEMENT_TIMEOUT"`
	DBLockTimeout      time.Duration `env:"DB_LOCK_TIMEOUT"`
	// DBMaxConns bounds the PostgreSQL connection pool (store.Options):
	// a flood of requests waits for a connection, up to RequestTimeout,
	// rather than exhausting the server's max_connections.
	DBMaxConns int `env:"DB_MAX_CONNS"`

	// Limits of the HTTP server (see edge.NewServer) and of request
	// bodies: MaxBodyBytes bounds /graphql and /scim/v2 (/auth/* has a
	// fixed 64 KiB).
	HTTPReadHeaderTimeout time.Duration `env:"HTTP_READ_HEADER_TIMEOUT"`
	HTTPReadTimeout       time.Duration `env:"HTTP_READ_TIMEOUT"`
	HTTPWriteTimeout      time.Duration `env:"HTTP_WRITE_TIMEOUT"`
	HTTPIdleTimeout       time.Duration `env:"HTTP_IDLE_TIMEOUT"`
	HTTPMaxHeaderBytes    int           `env:"HTTP_MAX_HEADER_BYTES"`
	MaxBodyBytes          int           `env:"MAX_BODY_BYTES"`

	// CORSAllowedOrigins are the browser origins (scheme://host[:port])
	// other than PublicURL's that may call /graphql with a bearer token;
	// empty allows none.
	CORSAllowedOrigins []string `env:"CORS_ALLOWED_ORIGINS"`

	// SSOProviderTimeout bounds one call to an identity provider
	// (discovery, keys, token, userinfo); SMTPTimeout one whole delivery.
	SSOProviderTimeout time.Duration `env:"SSO_PROVIDER_TIMEOUT"`
	SMTPTimeout        time.Duration `env:"SMTP_TIMEOUT"`

	// Demo creates a demo organization on first start.
	Demo bool `env:"DEMO"`
	// TrustProxyHeaders makes the client IP come from X-Forwarded-For; only
	// safe behind a reverse proxy that sets it.
	TrustProxyHeaders bool `env:"TRUST_PROXY_HEADERS"`

	// MetricsAddr, when set, is a listener of its own serving only
	// /metrics; otherwise /metrics is on ListenAddr, and served there only
	// when MetricsToken is set. MetricsToken, when set, is the bearer token
	// every scrape must present. It is never logged: see [Config.LogValue].
	MetricsAddr  string `env:"METRICS_ADDR"`
	MetricsToken string `env:"METRICS_TOKEN" json:"-"`

	// Mail. SMTPHost empty: mail is printed on standard output (the
	// console sender, for development) rather than sent. SMTPPassword is
	// never logged nor printed: see [Config.LogValue]; it comes from
	// SMTP_PASSWORD or the file SMTP_PASSWORD_FILE names.
	SMTPHost     string `env:"SMTP_HOST"`
	SMTPPort     int    `env:"SMTP_PORT"`
	SMTPTLS      string `env:"SMTP_TLS"` // "starttls", "tls" or "none"
	SMTPUsername string `env:"SMTP_USERNAME"`
	SMTPPassword string `env:"SMTP_PASSWORD" json:"-"`
	MailFrom     string `env:"MAIL_FROM"`

	// SCIM: each token's request rate (a token bucket of SCIMRateBurst
	// refilled at SCIMRatePerSecond), beyond which requests are answered
	// 429 with Retry-After.
	SCIMRatePerSecond float64 `env:"SCIM_RATE_PER_SECOND"`
	SCIMRateBurst     int     `env:"SCIM_RATE_BURST"`
}

// MetricsServed reports whether /metrics is served at all: on a listener of
// its own, or behind a token on the main one.
func (c Config) MetricsServed() bool { return c.MetricsAddr != "" || c.MetricsToken != "" }

// Dialects returned by [Config.Dialect].
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// configFlag names the flag of the configuration file.
const configFlag = "config"

// Load registers the configuration flags on fs, parses args and resolves
// every setting from the flags, then getenv, then the file named by
// --config, then the defaults. It checks the result, naming the offending
// flag, variable or file in its error.
//
// The configuration file has one setting a line, "NAME value", NAME a
// variable or its flag (DATA_DIR or data-dir); blank lines and lines
// starting with # are skipped, and " #" starts a comment after a value. It cannot hold the variables that have no
// flag, SECRET_KEY, METRICS_TOKEN and SMTP_PASSWORD.
//
// When no secret key is configured and the store is the embedded SQLite
// database, Load creates DataDir and keeps a generated key in
// <DataDir>/secret.key, so that a development server needs no setup.
func Load(fs *flag.FlagSet, args []string, getenv func(string) string) (Config, error) {
	var c Config
	var keys keySources
	ps := params(&c, &keys)
	vals := make([]*rawValue, len(ps))
	byName := map[string]int{} // flag and variable names of the params with a flag
	for i, p := range ps {
		if p.Flag != "" {
			vals[i] = &rawValue{val: p.Default, isBool: p.isBool}
			fs.Var(vals[i], p.Flag, p.Usage+"; env "+p.Env)
			byName[p.Flag], byName[p.Env] = i, i
		}
	}
	file := fs.String(configFlag, "", "read settings from `FILE`, one \"NAME value\" a line, NAME a variable or flag name; flags and the environment win")

	fromFile := make([]bool, len(ps))
	parseFile := func(r io.Reader, set func(name, value string) error) error {
		return ff.PlainParser(r, func(name, value string) error {
			i, ok := byName[strings.TrimLeft(name, "-")]
			switch {
			case !ok:
				return fmt.Errorf("%s: %s is not a setting a configuration file may hold", *file, name)
			case vals[i].set && !fromFile[i], getenv(ps[i].Env) != "":
				return nil // the command line or the environment wins
			}
			fromFile[i] = true
			return set(ps[i].Flag, value)
		})
	}
	if err := ff.Parse(fs, args, ff.WithConfigFileFlag(configFlag), ff.WithConfigFileParser(parseFile)); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}

	for i, p := range ps {
		raw, name := p.Default, p.Env
		switch {
		case fromFile[i]:
			raw, name = vals[i].val, *file+": "+p.Env
		case vals[i] != nil && vals[i].set:
			raw, name = vals[i].val, "--"+p.Flag
		case getenv(p.Env) != "":
			raw = getenv(p.Env)
		}
		if err := p.set(raw); err != nil {
			return Config{}, fmt.Errorf("%s: %w", name, err)
		}
		if p.Env == "SECRET_KEY_FILE" {
			keys.fileSource, keys.fileFromFlag = name, name == "--"+p.Flag
		}
	}
	if err := c.finish(keys); err != nil {
		return Config{}, err
	}
	return c, nil
}

// rawValue is a flag's text, parsed once every source is known; it
// remembers whether it was set, so that an explicit flag wins over the
// environment even when it repeats the default.
type rawValue struct {
	val         string
	set, isBool bool
}

func (v *rawValue) String() string {
	if v == nil {
		return ""
	}
	return v.val
}

func (v *rawValue) Set(s string) error { v.val, v.set = s, true; return nil }

// IsBoolFlag lets boolean flags be given without a value: --demo.
func (v *rawValue) IsBoolFlag() bool { return v.isBool }

// finish derives defaults that depend on other settings and checks the
// settings against each other.
func (c *Config) finish(keys keySources) error {
	if c.PublicURL == "" {
		c.PublicURL = defaultPublicURL(c.ListenAddr)
	}
	if len(c.ReadDatabaseURLs) > 0 && c.Dialect() != Postgres {
		return errors.New("READ_DATABASE_URLS: read standbys need a PostgreSQL DATABASE_URL")
	}
	for i, u := range c.ReadDatabaseURLs {
		if u == c.DatabaseURL {
			return fmt.Errorf("READ_DATABASE_URLS: URL %d is DATABASE_URL itself", i+1)
		}
	}
	if c.SessionIdleTimeout > c.SessionTTL {
		return errors.New("SESSION_IDLE_TIMEOUT: must not exceed SESSION_TTL")
	}
	// The 503 of a request that ran out of time must still be written
	// before the write timeout cuts the connection.
	if most := c.HTTPWriteTimeout - writeMargin; c.RequestTimeout > most {
		return fmt.Errorf("REQUEST_TIMEOUT: must not exceed %s (HTTP_WRITE_TIMEOUT %s, less %s to write the answer)",
			formatDuration(most), formatDuration(c.HTTPWriteTimeout), formatDuration(writeMargin))
	}
	if c.MetricsAddr != "" && c.MetricsAddr == c.ListenAddr {
		return errors.New("METRICS_ADDR: must differ from LISTEN_ADDR")
	}
	if err := c.loadSMTPPassword(keys); err != nil {
		return err
	}
	return c.loadSecretKey(keys)
}

// loadSMTPPassword sets SMTPPassword from SMTP_PASSWORD or the file
// SMTP_PASSWORD_FILE names. Errors never quote the password.
func (c *Config) loadSMTPPassword(k keySources) error {
	switch {
	case k.smtpPassword != "" && k.smtpPasswordFile != "":
		return errors.New("SMTP_PASSWORD and SMTP_PASSWORD_FILE are both set; set only one")
	case k.smtpPasswordFile != "":
		b, err := os.ReadFile(k.smtpPasswordFile)
		if err != nil {
			return fmt.Errorf("SMTP_PASSWORD_FILE: %w", err)
		}
		c.SMTPPassword = strings.TrimRight(string(b), "\r\n")
	default:
		c.SMTPPassword = k.smtpPassword
	}
	return nil
}

// Dialect returns [Postgres] or [SQLite].
func (c Config) Dialect() string {
	if hasPostgresScheme(c.DatabaseURL) {
		return Postgres
	}
	return SQLite
}

// SQLitePath returns the SQLite database file, or "" for PostgreSQL.
func (c Config) SQLitePath() string {
	if c.Dialect() != SQLite {
		return ""
	}
	p, _ := splitSQLite(c.DatabaseURL)
	if p == "" {
		return filepath.Join(c.DataDir, "clinicgate.db")
	}
	return p
}

// DriverDSN returns the database/sql driver name and data source name to
// open the store with: "pgx" (github.com/jackc/pgx/v5/stdlib) and the URL as
// given for PostgreSQL; "sqlite" (the name modernc.org/sqlite registers) and
// a DSN turning on foreign keys, a busy timeout and WAL for SQLite.
func (c Config) DriverDSN() (driver, dsn string) {
	if c.Dialect() == Postgres {
		return "pgx", c.DatabaseURL
	}
	_, query := splitSQLite(c.DatabaseURL)
	// The driver hands the DSN to SQLite as a URI filename, in which %, ?
	// and # are special.
	path := strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(c.SQLitePath())
	dsn = "file:" + path + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"
	if query != "" {
		// Given after ours, the user's pragmas win.
		dsn += "&" + query
	}
	return "sqlite", dsn
}

// EnsureDataDir creates DataDir, and the SQLite database's directory, with
// mode 0700 where they are missing: both hold patient data or the key to it.
func (c Config) EnsureDataDir() error {
	dirs := []string{c.DataDir}
	if p := c.SQLitePath(); p != "" && p != ":memory:" && !strings.HasPrefix(p, ":memory:") {
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("create data directory: %w", err)
		}
	}
	return nil
}

// SecureCookies reports whether cookies must carry the Secure flag: whether
// clients reach the server over HTTPS.
func (c Config) SecureCookies() bool {
	return strings.HasPrefix(c.PublicURL, "https://")
}

// LogValue implements [slog.LogValuer], leaving out the secret key and the
// database password.
func (c Config) LogValue() slog.Value {
	key := "none"
	if len(c.SecretKey) > 0 {
		key = fmt.Sprintf("[redacted %d bytes]", len(c.SecretKey))
	}
	return slog.GroupValue(
		slog.String("database_url", redactURL(c.DatabaseURL)),
		slog.Any("read_database_urls", redactURLs(c.ReadDatabaseURLs)),
		slog.String("dialect", c.Dialect()),
		slog.String("data_dir", c.DataDir),
		slog.String("listen_addr", c.ListenAddr),
		slog.String("public_url", c.PublicURL),
		slog.String("secret_key", key),
		slog.String("secret_key_source", c.SecretKeySource),
		slog.String("log_level", c.LogLevel.String()),
		slog.String("log_format", c.LogFormat),
		slog.Bool("graphiql", c.GraphiQL),
		slog.Bool("introspection", c.Introspection),
		slog.Int("complexity_limit", c.ComplexityLimit),
		slog.Int("depth_limit", c.DepthLimit),
		slog.Int("apq_cache_size", c.APQCacheSize),
		slog.Int("max_query_bytes", c.MaxQueryBytes),
		slog.Int("max_tokens", c.MaxTokens),
		slog.Int("max_fields", c.MaxFields),
		slog.Int("query_cache_bytes", c.QueryCacheBytes),
		slog.String("trusted_documents_file", c.TrustedDocumentsFile),
		slog.Int("trusted_documents", len(c.TrustedDocuments)),
		slog.Bool("migrate_on_start", c.MigrateOnStart),
		slog.Duration("session_ttl", c.SessionTTL),
		slog.Duration("session_idle_timeout", c.SessionIdleTimeout),
		slog.Duration("temp_password_ttl", c.TempPasswordTTL),
		slog.Duration("shutdown_timeout", c.ShutdownTimeout),
		slog.Bool("demo", c.Demo),
		slog.Bool("trust_proxy_headers", c.TrustProxyHeaders),
		slog.Duration("request_timeout", c.RequestTimeout),
		slog.Duration("db_statement_timeout", c.DBStatementTimeout),
		slog.Duration("db_lock_timeout", c.DBLockTimeout),
		slog.Int("db_max_conns", c.DBMaxConns),
		slog.Duration("http_read_header_timeout", c.HTTPReadHeaderTimeout),
		slog.Duration("http_read_timeout", c.HTTPReadTimeout),
		slog.Duration("http_write_timeout", c.HTTPWriteTimeout),
		slog.Duration("http_idle_timeout", c.HTTPIdleTimeout),
		slog.Int("http_max_header_bytes", c.HTTPMaxHeaderBytes),
		slog.Int("max_body_bytes", c.MaxBodyBytes),
		slog.Any("cors_allowed_origins", c.CORSAllowedOrigins),
		slog.Duration("sso_provider_timeout", c.SSOProviderTimeout),
		slog.Duration("smtp_timeout", c.SMTPTimeout),
		slog.String("metrics_addr", c.MetricsAddr),
		slog.String("metrics_token", redactedOrNone(c.MetricsToken)),
		slog.String("smtp_host", c.SMTPHost),
		slog.Int("smtp_port", c.SMTPPort),
		slog.String("smtp_tls", c.SMTPTLS),
		slog.String("smtp_username", c.SMTPUsername),
		slog.String("smtp_password", redactedOrNone(c.SMTPPassword)),
		slog.String("mail_from", c.MailFrom),
		slog.Float64("scim_rate_per_second", c.SCIMRatePerSecond),
		slog.Int("scim_rate_burst", c.SCIMRateBurst),
	)
}

func redactedOrNone(secret string) string {
	if secret == "" {
		return "none"
	}
	return "[redacted]"
}

// String describes c without its secrets, so that printing a Config with
// fmt cannot leak them either.
func (c Config) String() string {
	var b strings.Builder
	b.WriteString("config{")
	for i, a := range c.LogValue().Group() {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(a.String())
	}
	b.WriteByte('}')
	return b.String()
}

// GoString is [Config.String], for the %#v verb.
func (c Config) GoString() string { return c.String() }

func redactURLs(us []string) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = redactURL(u)
	}
	return out
}

// redactURL hides the password of a database URL. It returns a fixed text
// for a URL that does not parse, which may hold a password in any place.
func redactURL(s string) string {
	if !hasPostgresScheme(s) {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "[unparsable, redacted]"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "redacted")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "redacted")
		u.RawQuery = q.Encode()
	}
	return u.String()
}
