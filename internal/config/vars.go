package config

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Var describes one configuration variable.
type Var struct {
	Env     string // environment variable, e.g. "LISTEN_ADDR"
	Flag    string // command-line flag without dashes, e.g. "listen-addr"; "" when there is none
	Default string // default value as text, also the flag's; "" when empty or derived
	Usage   string // one line
}

// Describe returns every configuration variable, in the order of the
// README's configuration table, which TestREADMETableMatchesDescribe checks
// against it.
func Describe() []Var {
	ps := params(new(Config), new(keySources))
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
	set    func(raw string) error
}

// keySources collects the secret key settings, which are resolved together
// once all others are known.
type keySources struct {
	key, file    string
	fileSource   string // where file came from, to name in errors
	fileFromFlag bool   // then the file wins over SECRET_KEY
	// SMTP_PASSWORD and SMTP_PASSWORD_FILE.
	smtpPassword, smtpPasswordFile string
}

// params returns the table of variables Load reads into c, and keys. Both
// the flags and [Describe] come from it, so the defaults shown are the
// defaults applied.
func params(c *Config, keys *keySources) []param {
	return []param{
		text(&c.DatabaseURL, "DATABASE_URL", "",
			"database: postgres://… for PostgreSQL, sqlite:PATH or file:PATH for SQLite; empty for <DATA_DIR>/clinicgate.db",
			checkDatabaseURL),
		newParam("READ_DATABASE_URLS", "",
			"comma-separated postgres:// URLs of hot standbys of DATABASE_URL; read-only GraphQL queries go to one that has replayed the reader's access changes and own writes, else to DATABASE_URL",
			func(raw string) (err error) {
				c.ReadDatabaseURLs, err = parseReadURLs(raw)
				return err
			}),
		text(&c.DataDir, "DATA_DIR", "./data",
			"directory for the embedded SQLite database and the generated development secret key",
			func(raw string) error {
				if strings.TrimSpace(raw) == "" {
					return errors.New("must not be empty")
				}
				return nil
			}),
		text(&c.ListenAddr, "LISTEN_ADDR", "127.0.0.1:8080", "host:port to listen on", checkListenAddr),
		newParam("PUBLIC_URL", "",
			"absolute http(s) URL clients reach the server at; https makes cookies Secure (default http://<LISTEN_ADDR>)",
			func(raw string) (err error) {
				if raw != "" { // else derived from ListenAddr once that is known
					c.PublicURL, err = checkPublicURL(raw)
				}
				return err
			}),
		noFlag(newParam("SECRET_KEY", "",
			"base64 or hex of at least 32 random bytes that encrypt secrets at rest (TOTP, SSO); required with PostgreSQL (no flag: command lines are visible to other users)",
			func(raw string) error { keys.key = raw; return nil })),
		newParam("SECRET_KEY_FILE", "",
			"file holding SECRET_KEY; with neither set and SQLite, a key is generated in <DATA_DIR>/secret.key",
			func(raw string) error { keys.file = raw; return nil }),
		newParam("LOG_LEVEL", "info", "lowest level logged: debug, info, warn or error",
			func(raw string) error {
				l, ok := logLevels[strings.ToLower(raw)]
				if !ok {
					return fmt.Errorf("%q is not one of debug, info, warn, error", raw)
				}
				c.LogLevel = l
				return nil
			}),
		newParam("LOG_FORMAT", "json", "log line format: json or text",
			func(raw string) error {
				c.LogFormat = strings.ToLower(raw)
				if c.LogFormat != "json" && c.LogFormat != "text" {
					return fmt.Errorf("%q is not one of json, text", raw)
				}
				return nil
			}),
		boolean(&c.GraphiQL, "GRAPHIQL", true,
			"serve the developer console: GraphiQL at / and a sign-in page at /signin"),
		boolean(&c.Introspection, "GRAPHQL_INTROSPECTION", true, "allow GraphQL schema introspection"),
		integer(&c.ComplexityLimit, "GRAPHQL_COMPLEXITY_LIMIT", 5000, 1,
			"most a GraphQL operation may cost: one per field, times first or last through connections"),
		integer(&c.MaxQueryBytes, "GRAPHQL_MAX_QUERY_BYTES", 65536, 1,
			"longest GraphQL document a signed-in caller may send, in bytes (callers not signed in: 4096 at most)"),
		integer(&c.MaxTokens, "GRAPHQL_MAX_TOKENS", 10000, 1,
			"most tokens in a signed-in caller's GraphQL document, counted before parsing (callers not signed in: 1000 at most)"),
		integer(&c.MaxFields, "GRAPHQL_MAX_FIELDS", 2000, 1,
			"most fields a signed-in caller's GraphQL document selects, fragments counted where spread (callers not signed in: 500 at most)"),
		integer(&c.QueryCacheBytes, "GRAPHQL_QUERY_CACHE_BYTES", 32<<20, 1,
			"memory for parsed GraphQL documents kept per signed-in user, in bytes"),
		integer(&c.DepthLimit, "GRAPHQL_DEPTH_LIMIT", 12, 1, "deepest a GraphQL operation's fields may nest"),
		integer(&c.APQCacheSize, "GRAPHQL_APQ_CACHE_SIZE", 1000, 0,
			"automatic persisted queries remembered; 0 turns them off (unused with GRAPHQL_TRUSTED_DOCUMENTS)"),
		newParam("GRAPHQL_TRUSTED_DOCUMENTS", "",
			`JSON file {"<sha256 hex>": "<document>"}; when set, only these GraphQL documents run`,
			func(raw string) (err error) {
				if raw != "" {
					c.TrustedDocumentsFile = raw
					c.TrustedDocuments, err = readTrustedDocuments(raw)
				}
				return err
			}),
		boolean(&c.MigrateOnStart, "MIGRATE_ON_START", true, "apply database migrations at startup"),
		duration(&c.SessionTTL, "SESSION_TTL", 12*time.Hour, false, "absolute lifetime of a sign-in session"),
		duration(&c.SessionIdleTimeout, "SESSION_IDLE_TIMEOUT", 30*time.Minute, false,
			"inactivity after which a session ends (HIPAA automatic log-off); at most SESSION_TTL"),
		duration(&c.TempPasswordTTL, "TEMP_PASSWORD_TTL", 72*time.Hour, false,
			"how long a temporary password stays valid"),
		duration(&c.ShutdownTimeout, "SHUTDOWN_TIMEOUT", 20*time.Second, false,
			"how long in-flight requests may take to finish on SIGTERM or SIGINT"),

		// Bounds on a slow database: a request gives up (503 unavailable)
		// rather than wait as long as a lock is held.
		duration(&c.RequestTimeout, "REQUEST_TIMEOUT", 10*time.Second, false,
			"longest a request may take; what it waits on then gives up and it is answered 503 (at most 55s)"),
		duration(&c.DBStatementTimeout, "DB_STATEMENT_TIMEOUT", 5*time.Second, true,
			"PostgreSQL statement_timeout on every connection: longest one statement may run, lock waits included; 0 leaves the server's"),
		duration(&c.DBLockTimeout, "DB_LOCK_TIMEOUT", 3*time.Second, true,
			"PostgreSQL lock_timeout on every connection: longest one statement may wait for a lock; 0 leaves the server's"),
		integer(&c.DBMaxConns, "DB_MAX_CONNS", 25, 1,
			"most open PostgreSQL connections per process; requests beyond wait for one, up to REQUEST_TIMEOUT (SQLite: at most 8)"),

		// The HTTP server's own bounds on slow or greedy clients.
		duration(&c.HTTPReadHeaderTimeout, "HTTP_READ_HEADER_TIMEOUT", 10*time.Second, false,
			"longest a client may take to send a request's headers"),
		duration(&c.HTTPReadTimeout, "HTTP_READ_TIMEOUT", 60*time.Second, false,
			"longest a client may take to send a whole request, body included"),
		duration(&c.HTTPWriteTimeout, "HTTP_WRITE_TIMEOUT", 60*time.Second, false,
			"longest from the end of a request's headers to the end of its answer; at least REQUEST_TIMEOUT + 5s"),
		duration(&c.HTTPIdleTimeout, "HTTP_IDLE_TIMEOUT", 120*time.Second, false,
			"how long an idle keep-alive connection stays open"),
		integer(&c.HTTPMaxHeaderBytes, "HTTP_MAX_HEADER_BYTES", 1<<20, 4096,
			"most bytes of request line and headers a request may have"),
		integer(&c.MaxBodyBytes, "MAX_BODY_BYTES", 1<<20, 1024,
			"largest request body of POST /graphql and /scim/v2, in bytes; larger is answered 413 (/auth/* allows 64 KiB)"),
		newParam("CORS_ALLOWED_ORIGINS", "",
			"comma-separated browser origins (https://app.example.org) that may call /graphql with a bearer token; empty allows none",
			func(raw string) (err error) {
				c.CORSAllowedOrigins, err = parseOrigins(raw)
				return err
			}),
		duration(&c.SSOProviderTimeout, "SSO_PROVIDER_TIMEOUT", 5*time.Second, false,
			"longest one call to an identity provider may take (discovery, keys, token, userinfo)"),
		duration(&c.SMTPTimeout, "SMTP_TIMEOUT", 30*time.Second, false,
			"longest one mail delivery may take: connecting, the conversation and the message"),

		boolean(&c.Demo, "DEMO", false, "create a demo organization on first start"),
		boolean(&c.TrustProxyHeaders, "TRUST_PROXY_HEADERS", false,
			"take the client IP from X-Forwarded-For; only behind a reverse proxy that sets it"),

		// Metrics: never open to the public. Served on a listener of their
		// own, behind a bearer token, or both; with neither, not at all.
		text(&c.MetricsAddr, "METRICS_ADDR", "",
			"host:port of a separate listener serving only GET /metrics; empty serves it on LISTEN_ADDR, and only with METRICS_TOKEN",
			func(raw string) error {
				if raw == "" {
					return nil
				}
				return checkListenAddr(raw)
			}),
		noFlag(newParam("METRICS_TOKEN", "",
			"bearer token /metrics requires (at least 32 characters), wherever it is served (no flag: command lines are visible to other users)",
			func(raw string) error {
				c.MetricsToken = strings.TrimSpace(raw)
				if raw != "" && len(c.MetricsToken) < minMetricsToken {
					return fmt.Errorf("must be at least %d characters", minMetricsToken)
				}
				return nil
			})),

		// Mail: where the outbox worker submits it.
		text(&c.SMTPHost, "SMTP_HOST", "",
			"SMTP server mail is submitted to; empty prints every mail on standard output instead (development)",
			func(raw string) error {
				if strings.ContainsAny(raw, " /") {
					return fmt.Errorf("%q is not a host name or address", raw)
				}
				return nil
			}),
		integer(&c.SMTPPort, "SMTP_PORT", 587, 1, "SMTP server port: 587 for submission with STARTTLS, 465 with SMTP_TLS=tls"),
		newParam("SMTP_TLS", "starttls",
			"starttls (STARTTLS required: a server without it is refused), tls (TLS from the first byte) or none (plain text; credentials only to a loopback host)",
			func(raw string) error {
				c.SMTPTLS = strings.ToLower(strings.TrimSpace(raw))
				switch c.SMTPTLS {
				case "starttls", "tls", "none":
					return nil
				}
				return fmt.Errorf("%q is not one of starttls, tls, none", raw)
			}),
		text(&c.SMTPUsername, "SMTP_USERNAME", "", "user name for SMTP authentication (PLAIN, or LOGIN); empty sends without authenticating",
			func(string) error { return nil }),
		noFlag(newParam("SMTP_PASSWORD", "",
			"password for SMTP authentication (no flag: command lines are visible to other users)",
			func(raw string) error { keys.smtpPassword = raw; return nil })),
		newParam("SMTP_PASSWORD_FILE", "", "file holding SMTP_PASSWORD (a trailing newline is dropped)",
			func(raw string) error { keys.smtpPasswordFile = raw; return nil }),
		text(&c.MailFrom, "MAIL_FROM", "clinicgate <no-reply@localhost>", `sender of every mail: "Name <address>" or an address`,
			func(raw string) error {
				if _, err := mail.ParseAddress(raw); err != nil {
					return fmt.Errorf("%q is not an email address", raw)
				}
				return nil
			}),

		// SCIM: a token bucket per token.
		newParam("SCIM_RATE_PER_SECOND", "1000",
			"SCIM requests per second one token may sustain (fractions allowed); beyond its burst, requests are answered 429 with Retry-After",
			func(raw string) error {
				f, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
				if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
					return fmt.Errorf("%q is not a number", raw)
				}
				if f <= 0 {
					return fmt.Errorf("%v must be more than 0", f)
				}
				c.SCIMRatePerSecond = f
				return nil
			}),
		integer(&c.SCIMRateBurst, "SCIM_RATE_BURST", 1000, 1,
			"SCIM requests one token may send at once before SCIM_RATE_PER_SECOND paces it"),
	}
}

// minMetricsToken is the shortest METRICS_TOKEN accepted: a scrape token is
// generated, never remembered (openssl rand -hex 32 makes 64 characters).
const minMetricsToken = 32

// writeMargin is what REQUEST_TIMEOUT leaves of HTTP_WRITE_TIMEOUT to
// write the 503 of a request that ran out of time.
const writeMargin = 5 * time.Second

// parseOrigins parses a comma-separated list of origins, each an absolute
// http(s) URL without a path, query or user, returned as NormalizeOrigin
// would: scheme://host[:port] in lower case. "*" is refused: a wildcard
// would let any site's script spend a token it got hold of.
func parseOrigins(raw string) ([]string, error) {
	var out []string
	for _, o := range strings.Split(raw, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if o == "*" {
			return nil, errors.New("* is not allowed: list the origins")
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			(u.Path != "" && u.Path != "/") || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("%q is not an origin such as https://app.example.org", o)
		}
		out = append(out, strings.ToLower(u.Scheme+"://"+u.Host))
	}
	return out, nil
}

var logLevels = map[string]slog.Level{
	"debug": slog.LevelDebug, "info": slog.LevelInfo,
	"warn": slog.LevelWarn, "warning": slog.LevelWarn, "error": slog.LevelError,
}

// newParam returns a variable whose flag is its name in lower case with
// dashes, FLAG_NAME ↔ --flag-name: the mapping github.com/peterbourgon/ff
// uses between flags and environment variables.
func newParam(env, def, usage string, set func(raw string) error) param {
	return param{Var: Var{env, strings.ToLower(strings.ReplaceAll(env, "_", "-")), def, usage}, set: set}
}

// noFlag drops p's flag, for secrets: command lines are visible to other
// users.
func noFlag(p param) param {
	p.Flag = ""
	return p
}

func text(dst *string, env, def, usage string, check func(string) error) param {
	return newParam(env, def, usage, func(raw string) error {
		*dst = raw
		return check(raw)
	})
}

func boolean(dst *bool, env string, def bool, usage string) param {
	p := newParam(env, strconv.FormatBool(def), usage, func(raw string) (err error) {
		*dst, err = parseBool(raw)
		return err
	})
	p.isBool = true
	return p
}

func integer(dst *int, env string, def, least int, usage string) param {
	return newParam(env, strconv.Itoa(def), usage, func(raw string) error {
		n, err := strconv.Atoi(strings.TrimSpace(raw))
		if err != nil {
			return fmt.Errorf("%q is not a whole number", raw)
		}
		if n < least {
			return fmt.Errorf("%d is less than %d", n, least)
		}
		*dst = n
		return nil
	})
}

// duration parses a positive duration, or, with off, also 0.
func duration(dst *time.Duration, env string, def time.Duration, off bool, usage string) param {
	return newParam(env, formatDuration(def), usage, func(raw string) error {
		if off && strings.TrimSpace(raw) == "0" {
			*dst = 0
			return nil
		}
		d, err := time.ParseDuration(raw)
		switch {
		case err != nil && off:
			return fmt.Errorf("%q is not a duration such as 500ms, 5s or 1m, nor 0", raw)
		case err != nil:
			return fmt.Errorf("%q is not a duration such as 90s, 30m or 12h", raw)
		case off && d < 0:
			return fmt.Errorf("%q must not be negative", raw)
		case !off && d <= 0:
			return fmt.Errorf("%q must be positive", raw)
		}
		*dst = d
		return nil
	})
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

// parseReadURLs splits READ_DATABASE_URLS: postgres URLs with a host,
// none repeated. Errors name a URL by its position, never its text (it
// may hold a password).
func parseReadURLs(raw string) ([]string, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	var urls []string
	seen := map[string]bool{}
	for i, part := range strings.Split(raw, ",") {
		u := strings.TrimSpace(part)
		if !hasPostgresScheme(u) {
			return nil, fmt.Errorf("URL %d: read standbys are PostgreSQL: use postgres:// or postgresql://", i+1)
		}
		if err := checkDatabaseURL(u); err != nil {
			return nil, fmt.Errorf("URL %d: %w", i+1, err)
		}
		if seen[u] {
			return nil, fmt.Errorf("URL %d: repeats an earlier one", i+1)
		}
		seen[u] = true
		urls = append(urls, u)
	}
	return urls, nil
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
