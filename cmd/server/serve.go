package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/clinicgate/clinicgate/auth/invitation"
	"github.com/clinicgate/clinicgate/auth/login"
	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/graph"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/config"
	"github.com/clinicgate/clinicgate/internal/console"
	"github.com/clinicgate/clinicgate/internal/demo"
	"github.com/clinicgate/clinicgate/internal/directory"
	"github.com/clinicgate/clinicgate/internal/edge"
	"github.com/clinicgate/clinicgate/internal/httpsec"
	"github.com/clinicgate/clinicgate/internal/invite"
	"github.com/clinicgate/clinicgate/internal/mail"
	"github.com/clinicgate/clinicgate/internal/mfa"
	"github.com/clinicgate/clinicgate/internal/outbox"
	"github.com/clinicgate/clinicgate/internal/passkey"
	"github.com/clinicgate/clinicgate/internal/passwordreset"
	"github.com/clinicgate/clinicgate/internal/seal"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/unavailable"
	"github.com/clinicgate/clinicgate/scim"
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	return serveWith(ctx, args, stdout, stderr, getenv, listeners{})
}

// listeners are what the server serves on; a nil one is opened on its
// configured address (tests pass listeners on port 0).
type listeners struct {
	main    net.Listener // LISTEN_ADDR
	metrics net.Listener // METRICS_ADDR, when set
}

// listening is one HTTP server of the process.
type listening struct {
	name, addr string
	ln         net.Listener
	h          http.Handler
}

// serveWith serves until ctx is done: the API on LISTEN_ADDR and, when
// METRICS_ADDR is set, /metrics on a listener of its own. If either stops,
// both do.
func serveWith(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, lns listeners) error {
	cfg, log, err := setup("serve", args, stderr, getenv, nil)
	if err != nil {
		return err
	}
	log.Info("starting", slog.Any("config", cfg))
	tuneGC(getenv, log)
	db, err := open(ctx, cfg, log, cfg.MigrateOnStart)
	if err != nil {
		return err
	}
	defer db.Close()
	if cfg.Demo {
		if err := seedDemo(ctx, db, cfg, stdout, getenv); err != nil {
			return err
		}
	}
	clk := clock.System()
	sender, err := newSender(cfg, stdout, log)
	if err != nil {
		return err
	}
	worker := outbox.NewWorker(db.Client, renderers(cfg), sender, clk, log, outbox.Options{})
	// Mail leaves as soon as the transaction that enqueued it commits.
	db.Client.OutboxMessage.Use(outbox.WakeHook(worker.Wake))
	h, metrics := newHandlers(db, cfg, log, clk)
	chain, err := audit.NewChain(db.SQL, db.Dialect)
	if err != nil {
		return err
	}
	servers := []listening{{"api", cfg.ListenAddr, lns.main, h}}
	switch {
	case cfg.MetricsAddr != "":
		servers = append(servers, listening{"metrics", cfg.MetricsAddr, lns.metrics, metrics})
	case cfg.MetricsToken == "":
		log.Info("metrics not served: set METRICS_ADDR or METRICS_TOKEN to serve /metrics")
	}
	for i := range servers {
		if servers[i].ln != nil {
			continue
		}
		if servers[i].ln, err = net.Listen("tcp", servers[i].addr); err != nil {
			for _, s := range servers[:i] {
				s.ln.Close()
			}
			return fmt.Errorf("listen on %s: %w", servers[i].addr, err)
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, len(servers))
	for _, s := range servers {
		srv := edge.NewServer(s.addr, s.h)
		srv.ReadHeaderTimeout, srv.ReadTimeout = cfg.HTTPReadHeaderTimeout, cfg.HTTPReadTimeout
		srv.WriteTimeout, srv.IdleTimeout = cfg.HTTPWriteTimeout, cfg.HTTPIdleTimeout
		srv.MaxHeaderBytes = cfg.HTTPMaxHeaderBytes
		srv.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
		log.Info("serving", slog.String("server", s.name), slog.String("addr", s.ln.Addr().String()), slog.String("public_url", cfg.PublicURL))
		go func() { errc <- edge.ServeListener(ctx, srv, s.ln, cfg.ShutdownTimeout, log) }()
	}
	workerDone := make(chan struct{})
	go func() { defer close(workerDone); worker.Run(ctx) }()
	// Audit events are written unsealed; the sealer links them into their
	// organization's chain within about a second (internal/audit).
	sealerDone := make(chan struct{})
	go func() { defer close(sealerDone); chain.RunSealer(ctx, audit.SealInterval, log) }()
	var errs []error
	for range servers {
		errs = append(errs, <-errc)
		cancel() // one stopped: stop the other, and the outbox worker
	}
	<-workerDone // it finishes the message in hand
	<-sealerDone
	return errors.Join(errs...)
}

// defaultGCPercent is the garbage collector's target when GOGC is not set.
// A request allocates about a megabyte that dies with it, against a live
// heap of a few tens of megabytes (caches, pools): at Go's default of 100
// the collector ran every few requests and took 15-20 % of the CPU of a
// page. 400 lets the heap grow to five times what is live before a cycle.
// GOGC, and GOMEMLIMIT for a hard ceiling, override it.
const defaultGCPercent = 400

func tuneGC(getenv func(string) string, log *slog.Logger) {
	if getenv("GOGC") != "" {
		return // the runtime has read it
	}
	debug.SetGCPercent(defaultGCPercent)
	log.Debug("garbage collector target set", slog.Int("gogc", defaultGCPercent))
}

// renderers are the outbox's kinds of mail, each with the Renderer that
// builds it at delivery (minting its secret then): the domain packages
// export theirs and they are registered here. A message of a kind missing
// here is marked dead by the worker.
func renderers(cfg config.Config) map[string]outbox.Renderer {
	temporary := directory.TemporaryPasswordRenderer(directory.TemporaryPasswordConfig{
		SignInURL: cfg.PublicURL + "/signin",
		TTL:       cfg.TempPasswordTTL,
	})
	return map[string]outbox.Renderer{
		invite.MailKind:                invite.Renderer(invite.RenderConfig{AcceptURL: cfg.PublicURL + console.AcceptInvitationPath}),
		"temporary_password":           temporary,
		directory.PortalInvitationKind: temporary,
		passwordreset.MailKind:         passwordreset.Renderer(passwordreset.RenderConfig{ResetURL: cfg.PublicURL + console.ResetPasswordPath}),
	}
}

// newSender is the SMTP sender of SMTP_HOST, or without one the console
// sender, which prints every mail (secrets included) on stdout for
// development: make run shows the invitation links there.
func newSender(cfg config.Config, stdout io.Writer, log *slog.Logger) (mail.Sender, error) {
	if cfg.SMTPHost == "" {
		log.Warn("mail is printed on standard output, not sent: set SMTP_HOST to send it")
		return mail.NewConsole(stdout), nil
	}
	s, err := mail.NewSMTP(mail.SMTPConfig{
		Host: cfg.SMTPHost, Port: cfg.SMTPPort, TLS: cfg.SMTPTLS,
		Username: cfg.SMTPUsername, Password: cfg.SMTPPassword, From: cfg.MailFrom,
		Timeout: cfg.SMTPTimeout,
	})
	if err != nil {
		return nil, err
	}
	log.Info("mail is sent by SMTP", slog.String("host", cfg.SMTPHost), slog.Int("port", cfg.SMTPPort),
		slog.String("tls", cfg.SMTPTLS), slog.Bool("authenticated", cfg.SMTPUsername != ""))
	return s, nil
}

// readinessTimeout bounds the readiness probe's query: a database that
// cannot answer it this fast is in no state to serve requests.
const readinessTimeout = time.Second

// newHandlers wires every route behind the edge middleware, and returns the
// API's handler and the metrics handler (guarded by METRICS_TOKEN when it
// is set), for the listener of its own when METRICS_ADDR is set. clk is the
// server's one clock: installed first in every request and given to every
// constructor that reads the time.
func newHandlers(db *store.DB, cfg config.Config, log *slog.Logger, clk clock.Clock) (api, metrics http.Handler) {
	reg := edge.NewRegistry()
	instrument := edge.NewMetrics(reg)
	registerReadMetrics(reg, db)
	metrics = edge.Handler(reg)
	if cfg.MetricsToken != "" {
		metrics = edge.RequireBearer(cfg.MetricsToken, "metrics")(metrics)
	}
	sessions := session.New(db.Client, session.Config{
		TTL:           cfg.SessionTTL,
		IdleTimeout:   cfg.SessionIdleTimeout,
		SecureCookies: cfg.SecureCookies(),
		TrustProxy:    cfg.TrustProxyHeaders,
		PublicOrigin:  cfg.PublicURL,
		Clock:         clk,
	})
	// The WebAuthn relying party is PUBLIC_URL (validated by config): its
	// host is the RP id, its origin the only one passkeys answer.
	passkeys, err := passkey.New(passkey.Config{PublicURL: cfg.PublicURL})
	if err != nil {
		log.Warn("passkeys are off", slog.String("error", err.Error()))
	}
	mux := http.NewServeMux()
	auth := login.NewHandler(db.Client, sessions, login.Config{
		PublicOrigin: cfg.PublicURL,
		Hasher:       password.Hasher{},
		Logger:       log,
		Clock:        clk,
	})
	box, err := seal.New(cfg.SecretKey)
	if err != nil {
		// config.Load checks the key; without one second factors
		// cannot be sealed and their operations answer INTERNAL.
		log.Error("serve: no usable server key: second factors are disabled", slog.String("error", err.Error()))
		box = nil
	}
	mfaService := mfa.New(db.Client, mfa.Config{Box: box, Limiter: auth.SecondFactorLimiter(), Logger: log})
	gql := graph.NewHandler(db.Client, graph.HandlerConfig{
		Introspection:    cfg.Introspection,
		ComplexityLimit:  cfg.ComplexityLimit,
		DepthLimit:       cfg.DepthLimit,
		Documents:        graph.DocumentLimit{MaxBytes: cfg.MaxQueryBytes, MaxTokens: cfg.MaxTokens, MaxFields: cfg.MaxFields},
		QueryCacheBytes:  int64(cfg.QueryCacheBytes),
		APQCacheSize:     cfg.APQCacheSize,
		TrustedDocuments: cfg.TrustedDocuments,
		Logger:           log,
		Services:         graph.Services{MFA: mfaService, Passkeys: passkeys},
		Reads:            db,
	})
	mux.Handle("POST /graphql", instrument.Instrument("graphql", edge.LimitBody(int64(cfg.MaxBodyBytes))(gql)))
	authMux := http.NewServeMux()
	auth.Routes(authMux)
	withSSO := ssoRoutes(authMux, db, cfg, log, clk, sessions, auth)
	invitation.NewHandler(db.Client, invitation.Config{PublicOrigin: cfg.PublicURL, Hasher: password.Hasher{}, Logger: log, Clock: clk}).Routes(authMux)
	mux.Handle("/auth/", instrument.Instrument("auth", edge.LimitBody(64<<10)(authMux)))
	scimHandler := scim.NewHandler(db.Client, scim.Config{
		BaseURL:   strings.TrimSuffix(cfg.PublicURL, "/") + "/scim/v2",
		RateLimit: scim.RateLimitConfig{PerSecond: cfg.SCIMRatePerSecond, Burst: cfg.SCIMRateBurst},
		// The SCIM handler bounds its bodies itself, to answer in the SCIM
		// error schema.
		MaxBodyBytes: int64(cfg.MaxBodyBytes),
	})
	mux.Handle("/scim/", instrument.Instrument("scim", http.StripPrefix("/scim", scimHandler)))
	if cfg.GraphiQL {
		console.Routes(mux, "/graphql")
	}
	console.AcceptRoutes(mux)
	console.ResetRoutes(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readinessTimeout)
		defer cancel()
		if err := db.Ready(ctx); err != nil {
			log.Warn("readiness: database cannot serve", slog.String("error", err.Error()))
			w.Header().Set("Retry-After", strconv.Itoa(int(unavailable.RetryAfter/time.Second)))
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	if cfg.MetricsAddr == "" && cfg.MetricsToken != "" {
		mux.Handle("GET /metrics", metrics)
	}
	api = edge.Chain(mux,
		// The one clock, first: everything below reads the time from the
		// request's context (internal/clock).
		clock.Middleware(clk),
		edge.RequestID,
		// Before anything that can answer, so every answer has them.
		httpsec.Headers(httpsec.Config{HSTS: cfg.SecureCookies()}),
		edge.AccessLog(log, cfg.TrustProxyHeaders),
		edge.Recover(log),
		// Preflights are answered before the session is looked up. Only
		// /graphql: /auth/* refuses other origins by design (sign-in
		// CSRF) and SCIM is called server to server.
		httpsec.CORS(cfg.CORSAllowedOrigins, "/graphql"),
		edge.Deadline(cfg.RequestTimeout), // before the first database access
		sessions.Middleware,
		withSSO,
	)
	metricsMux := http.NewServeMux()
	metricsMux.Handle("GET /metrics", metrics)
	return api, edge.Chain(metricsMux, edge.Recover(log))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// seedDemo creates the demo organization on first start and says how to
// sign in. The dev password is DEMO_PASSWORD, or generated and printed once.
func seedDemo(ctx context.Context, db *store.DB, cfg config.Config, stdout io.Writer, getenv func(string) string) error {
	pw := getenv("DEMO_PASSWORD")
	if pw == "" {
		var err error
		if pw, err = password.Temporary(); err != nil {
			return err
		}
	}
	info, err := demo.Seed(ctx, db.Client, demo.Params{Password: pw})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if !info.Created {
		fmt.Fprintf(stdout, "\nDemo organization %q already exists; its password was printed when it was created.\n"+
			"(Delete %s to start over.)\nSign in at %s/signin\n\n", info.OrgSlug, cfg.DataDir, cfg.PublicURL)
		return nil
	}
	fmt.Fprintf(stdout, "\nDemo organization created. Sign in at %s/signin with\n  organization: %s\n  password:     %s   (every demo user)\n  users:\n",
		cfg.PublicURL, info.OrgSlug, pw)
	for _, u := range info.Users {
		fmt.Fprintf(stdout, "    %-28s %s\n", u.Email, u.Role)
	}
	fmt.Fprintf(stdout, "Then open %s/ for GraphiQL and run: { viewer { user { email } privileges } }\n"+
		"API clients: POST %s/auth/login with JSON {\"organization\",\"email\",\"password\"} and send the returned token as \"Authorization: Bearer <token>\".\n\n",
		cfg.PublicURL, cfg.PublicURL)
	return nil
}
