package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/clinicgate/clinicgate/auth/login"
	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/graph"
	"github.com/clinicgate/clinicgate/internal/config"
	"github.com/clinicgate/clinicgate/internal/console"
	"github.com/clinicgate/clinicgate/internal/demo"
	"github.com/clinicgate/clinicgate/internal/edge"
	"github.com/clinicgate/clinicgate/internal/store"
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	return serveWith(ctx, args, stdout, stderr, getenv, nil)
}

// serveWith serves on ln, or on LISTEN_ADDR when ln is nil (tests pass a
// listener on port 0).
func serveWith(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, ln net.Listener) error {
	cfg, log, err := setup("serve", args, stderr, getenv, nil)
	if err != nil {
		return err
	}
	log.Info("starting", slog.Any("config", cfg))
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
	h := newHandler(db, cfg, log)
	srv := edge.NewServer(cfg.ListenAddr, h)
	srv.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	if ln == nil {
		var err error
		ln, err = net.Listen("tcp", cfg.ListenAddr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", cfg.ListenAddr, err)
		}
	}
	log.Info("serving", slog.String("addr", ln.Addr().String()), slog.String("public_url", cfg.PublicURL))
	return edge.ServeListener(ctx, srv, ln, cfg.ShutdownTimeout, log)
}

// newHandler wires every route behind the edge middleware.
func newHandler(db *store.DB, cfg config.Config, log *slog.Logger) http.Handler {
	reg := edge.NewRegistry()
	metrics := edge.NewMetrics(reg)
	sessions := session.New(db.Client, session.Config{
		TTL:           cfg.SessionTTL,
		IdleTimeout:   cfg.SessionIdleTimeout,
		SecureCookies: cfg.SecureCookies(),
		TrustProxy:    cfg.TrustProxyHeaders,
	})
	mux := http.NewServeMux()

	gql := graph.NewHandler(db.Client, graph.HandlerConfig{
		Introspection:    cfg.Introspection,
		ComplexityLimit:  cfg.ComplexityLimit,
		DepthLimit:       cfg.DepthLimit,
		Documents:        graph.DocumentLimit{MaxBytes: cfg.MaxQueryBytes, MaxTokens: cfg.MaxTokens, MaxFields: cfg.MaxFields},
		QueryCacheBytes:  int64(cfg.QueryCacheBytes),
		APQCacheSize:     cfg.APQCacheSize,
		TrustedDocuments: cfg.TrustedDocuments,
		Logger:           log,
	})
	mux.Handle("POST /graphql", metrics.Instrument("graphql", edge.LimitBody(edge.DefaultBodyLimit)(gql)))

	auth := login.NewHandler(db.Client, sessions, login.Config{
		PublicOrigin: cfg.PublicURL,
		Hasher:       password.Hasher{},
		Logger:       log,
	})
	authMux := http.NewServeMux()
	auth.Routes(authMux)
	mux.Handle("/auth/", metrics.Instrument("auth", edge.LimitBody(64<<10)(authMux)))

	if cfg.GraphiQL {
		console.Routes(mux, "/graphql")
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := db.Ping(ctx); err != nil {
			log.Warn("readiness: database unreachable", slog.String("error", err.Error()))
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unreachable"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	mux.Handle("GET /metrics", edge.Handler(reg))

	return edge.Chain(mux,
		edge.RequestID,
		edge.AccessLog(log, cfg.TrustProxyHeaders),
		edge.Recover(log),
		sessions.Middleware,
	)
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
