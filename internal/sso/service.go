package sso

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/seal"
)

// CallbackPath is the redirect URI's path, under PUBLIC_URL: one for every
// connection (the state cookie tells them apart).
const CallbackPath = "/auth/oidc/callback"

// Service holds what single sign-on needs besides the database: the
// server's sealing key, the providers' cache and the public URL.
type Service struct {
	Client    *ent.Client // the root client
	Box       *seal.Box
	Providers *Providers
	// PublicURL is the server's absolute base URL (PUBLIC_URL): the base
	// of the redirect URI and the only place a sign-in returns to.
	PublicURL string
	Log       *slog.Logger
	// AllowLoopbackHTTP lets administrators set an http issuer on a
	// loopback address (tests and local development only): otherwise an
	// issuer is https, so that the server is not made to fetch its own
	// plain-HTTP services.
	AllowLoopbackHTTP bool
}

// RedirectURI is the callback URL to register at the provider.
func (s *Service) RedirectURI() string {
	return strings.TrimSuffix(s.PublicURL, "/") + CallbackPath
}

type serviceKey struct{}

// WithService returns ctx carrying s, for the transports (GraphQL
// resolvers) that reach single sign-on through the request.
func WithService(ctx context.Context, s *Service) context.Context {
	return context.WithValue(ctx, serviceKey{}, s)
}

// Middleware installs s in every request's context.
func (s *Service) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(WithService(r.Context(), s)))
	})
}

// FromContext returns the Service in ctx, or an internal error when the
// server was wired without one.
func FromContext(ctx context.Context) (*Service, error) {
	s, _ := ctx.Value(serviceKey{}).(*Service)
	if s == nil {
		return nil, apperr.New(apperr.Internal, "single sign-on is not configured")
	}
	return s, nil
}
