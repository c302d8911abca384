package main

import (
	"log/slog"
	"net/http"

	"github.com/clinicgate/clinicgate/auth/login"
	"github.com/clinicgate/clinicgate/auth/oidc"
	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/config"
	"github.com/clinicgate/clinicgate/internal/seal"
	"github.com/clinicgate/clinicgate/internal/sso"
	"github.com/clinicgate/clinicgate/internal/store"
)

// ssoRoutes registers single sign-on (/auth/oidc/…) on authMux and returns
// the middleware that gives every request the SSO service (the GraphQL
// resolvers of SSO connections use it).
func ssoRoutes(authMux *http.ServeMux, db *store.DB, cfg config.Config, log *slog.Logger, clk clock.Clock,
	sessions *session.Manager, signIn *login.Handler) func(http.Handler) http.Handler {
	box, err := seal.New(cfg.SecretKey)
	if err != nil {
		// config.Load refuses a SECRET_KEY shorter than seal.MinKeyLen.
		panic("server: SECRET_KEY cannot seal: " + err.Error())
	}
	svc := &sso.Service{
		Client: db.Client, Box: box, PublicURL: cfg.PublicURL, Log: log,
		Providers: sso.NewProviders(sso.ProvidersConfig{Timeout: cfg.SSOProviderTimeout, Now: clk.Now, Logger: log}),
	}
	oidc.NewHandler(svc, signIn, sessions, oidc.Config{SecureCookies: cfg.SecureCookies(), Logger: log}).Routes(authMux)
	return svc.Middleware
}
