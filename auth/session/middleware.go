package session

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/edge"
	"github.com/clinicgate/clinicgate/internal/logging"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

type sessionKey struct{}

// resolvedKey marks a request the middleware has already seen, so that it
// can be applied both around the whole server and around single routes
// without authenticating twice.
type resolvedKey struct{}

// SessionFrom returns the session the request was authenticated with, or
// nil for an anonymous request.
func SessionFrom(ctx context.Context) *ent.Session {
	s, _ := ctx.Value(sessionKey{}).(*ent.Session)
	return s
}

// TokenFrom returns the session token a request carries and whether it came
// from the cookie: the "Authorization: Bearer" header wins over the cookie.
// It returns "" when there is neither.
func (m *Manager) TokenFrom(r *http.Request) (tok string, fromCookie bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, rest, ok := strings.Cut(h, " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(rest), false
		}
	}
	if c, err := r.Cookie(m.cfg.CookieName); err == nil && c.Value != "" {
		return c.Value, true
	}
	return "", false
}

// Middleware resolves the request's caller. It installs the audit origin
// (client IP, user agent, request id) for every request; then, when the
// request carries a valid session token, it puts the viewer and the session
// in the context (viewer.FromContext, SessionFrom) and the organization and
// user in the request's log fields.
//
// A request without a valid token passes through anonymous: the API behind
// decides what an anonymous caller gets (GraphQL answers UNAUTHENTICATED).
// When the invalid token came from the cookie, the cookie is also cleared.
// A state-changing request authenticated by the cookie (any method but
// GET, HEAD and OPTIONS, on any route: /graphql as much as /auth/*) is
// refused first when another site may have sent it: 403 forbidden_origin
// or 415 unsupported_media_type (CrossSiteRefusal).
//
// A failure of the database is answered, not turned into an anonymous
// request: 503 {"error":{"code":"unavailable",…}} with Retry-After when the
// database could not answer in time or at all (unavailable.Is), a bare 500
// otherwise (edge.WriteError).
//
// Applying it twice to one request (around the server and around a route)
// authenticates once.
func (m *Manager) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if ctx.Value(resolvedKey{}) != nil {
			next.ServeHTTP(w, r)
			return
		}
		ctx = context.WithValue(ctx, resolvedKey{}, true)
		// One clock for the request: access decisions and audit events
		// use the session's.
		ctx = clock.NewContext(ctx, m.cfg.Clock)
		ctx = audit.WithMeta(ctx, audit.Meta{
			IP: edge.ClientIP(r, m.cfg.TrustProxy),
			// Headers may carry any bytes; PostgreSQL refuses invalid
			// UTF-8 in the session and audit rows this ends up in.
			UserAgent: strings.ToValidUTF8(r.UserAgent(), "\uFFFD"),
			RequestID: edge.RequestIDFrom(ctx),
		})

		tok, fromCookie := m.TokenFrom(r)
		if fromCookie && stateChanging(r.Method) {
			// Refused before the session is looked up: whatever the
			// cookie is worth, another site must not spend it.
			if err := CrossSiteError(CrossSiteRefusal(r, m.origin)); err != nil {
				edge.WriteError(w, r, nil, err)
				return
			}
		}
		if tok != "" {
			v, s, err := m.Authenticate(ctx, tok)
			switch {
			case err == nil:
				ctx = viewer.NewContext(ctx, v)
				ctx = context.WithValue(ctx, sessionKey{}, s)
				logging.Set(ctx,
					slog.String(logging.OrgKey, string(v.OrgID)),
					slog.String(logging.UserKey, string(v.UserID)))
			case refused(err):
				if fromCookie {
					m.ClearCookie(w)
				}
			default:
				// Logged by WriteError: a warning and 503 when the
				// database could not answer (unavailable.Is), an error
				// and a bare 500 otherwise.
				edge.WriteError(w, r.WithContext(ctx), nil, fmt.Errorf("session: authenticate: %w", err))
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// SetCookie sets the session cookie to tok until expires: HttpOnly,
// SameSite=Lax, Path=/, and Secure when Config.SecureCookies.
func (m *Manager) SetCookie(w http.ResponseWriter, tok string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name:     m.cfg.CookieName,
		Value:    tok,
		Path:     "/",
		Expires:  expires.UTC(),
		HttpOnly: true,
		Secure:   m.cfg.SecureCookies,
		SameSite: http.SameSiteLaxMode,
	})
}

// ClearCookie tells the browser to drop the session cookie.
func (m *Manager) ClearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name:     m.cfg.CookieName,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   m.cfg.SecureCookies,
		SameSite: http.SameSiteLaxMode,
	})
}

// CookieName is the name of the session cookie.
func (m *Manager) CookieName() string { return m.cfg.CookieName }

// CodeUnavailable is the error code of a 503: the database could not
// answer in time; try again after Retry-After.
const CodeUnavailable = "unavailable"
