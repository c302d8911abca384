// Package oidc is the HTTP face of single sign-on (internal/sso): the
// login redirect, the callback, the logout redirect and home-realm
// discovery. The session itself is started by auth/login's sign-in flow,
// so that account gates and audit events are the password sign-in's.
package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/clinicgate/clinicgate/auth/login"
	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/edge"
	"github.com/clinicgate/clinicgate/internal/sso"
)

// Routes served by Handler.
const (
	RouteLogin    = "/auth/oidc/{connection}/login" // GET: redirect to the provider
	RouteCallback = sso.CallbackPath                // GET: the provider's redirect back
	RouteLogout   = "/auth/oidc/logout"             // POST: end the session, and at the provider
	RouteDiscover = "/auth/oidc/discover"           // GET: home-realm discovery
)

// Cookies of the flow, besides the session's.
const (
	StateCookie  = "cg_oidc_state"  // sealed state, nonce, PKCE verifier; path /auth/oidc
	LogoutCookie = "cg_oidc_logout" // sealed ID token for id_token_hint; path /auth/oidc
)

// Config configures a Handler.
type Config struct {
	// SecureCookies sets the Secure flag (PUBLIC_URL is https).
	SecureCookies bool
	Logger        *slog.Logger
}

// Handler serves the single sign-on endpoints.
type Handler struct {
	sso      *sso.Service
	login    *login.Handler
	sessions *session.Manager
	secure   bool
	origin   string
	log      *slog.Logger
}

// NewHandler returns a Handler signing in through signIn (the password
// sign-in's flow) with the sessions of sessions.
func NewHandler(s *sso.Service, signIn *login.Handler, sessions *session.Manager, cfg Config) *Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Handler{sso: s, login: signIn, sessions: sessions, secure: cfg.SecureCookies,
		origin: session.NormalizeOrigin(s.PublicURL), log: cfg.Logger}
}

// Routes registers the endpoints on mux, behind the session middleware.
func (h *Handler) Routes(mux *http.ServeMux) {
	mux.Handle("GET "+RouteLogin, h.sessions.Middleware(http.HandlerFunc(h.begin)))
	mux.Handle("GET "+RouteCallback, h.sessions.Middleware(http.HandlerFunc(h.callback)))
	mux.Handle("POST "+RouteLogout, h.sessions.Middleware(http.HandlerFunc(h.logout)))
	mux.Handle("GET "+RouteDiscover, h.sessions.Middleware(http.HandlerFunc(h.discover)))
}

func (h *Handler) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: name, Value: value, Path: "/auth/oidc", MaxAge: maxAge,
		HttpOnly: true, Secure: h.secure,
		// Lax: the provider's redirect back is a top-level GET from
		// another site, which must carry the cookie.
		SameSite: http.SameSiteLaxMode,
	}
}

// begin redirects to the provider of the connection in the path.
func (h *Handler) begin(w http.ResponseWriter, r *http.Request) {
	id := pulid.ID(r.PathValue("connection"))
	b, err := h.sso.Begin(r.Context(), id, r.URL.Query().Get("return_to"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	http.SetCookie(w, h.cookie(StateCookie, b.Cookie, int(sso.StateTTL/time.Second)))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, b.AuthURL, http.StatusFound)
}

// callback finishes the sign-in the provider sent back, then redirects to
// where it started (on PUBLIC_URL).
func (h *Handler) callback(w http.ResponseWriter, r *http.Request) {
	// The state cookie serves once, whatever happens next.
	http.SetCookie(w, h.cookie(StateCookie, "", -1))
	w.Header().Set("Cache-Control", "no-store")
	var state string
	if c, err := r.Cookie(StateCookie); err == nil {
		state = c.Value
	}
	var ident *sso.Identity
	out, err := h.login.SignInSSO(r.Context(), func(ctx context.Context) (*login.SSOProof, error) {
		id, err := h.sso.Finish(ctx, state, r.URL.Query())
		if err != nil {
			return nil, refusal(err)
		}
		ident = id
		acct, err := h.sso.Resolve(ctx, id)
		if err != nil {
			return nil, refusal(err)
		}
		return &login.SSOProof{Org: acct.Org, User: acct.User, Email: acct.Email,
			MFASatisfied: acct.MFASatisfied, MFADetails: acct.MFADetails, Details: acct.Details,
			Record: acct.Record}, nil
	})
	if err != nil {
		if ident == nil {
			// Refused before any organization was known (no or bad state
			// cookie): nothing to audit in, so it is logged.
			h.log.LogAttrs(r.Context(), slog.LevelInfo, "sso: callback refused", slog.String("code", apperr.CodeOf(err)))
		}
		h.fail(w, r, err)
		return
	}
	h.sessions.SetCookie(w, out.Token, out.Session.ExpiresAt)
	if hint, err := h.sso.LogoutHint(ident); err == nil {
		http.SetCookie(w, h.cookie(LogoutCookie, hint, int(out.Session.ExpiresAt.Sub(clock.Now(r.Context()))/time.Second)))
	}
	http.Redirect(w, r, ident.ReturnTo, http.StatusSeeOther)
}

// refusal turns internal/sso's refusal into the sign-in flow's.
func refusal(err error) error {
	var r *sso.Refusal
	if errors.As(err, &r) {
		return &login.SSORefusal{Org: r.Org, User: r.User, Email: r.Email, Reason: r.Reason, Details: r.Details, Err: r.Err}
	}
	return err
}

type logoutBody struct {
	// Redirect is where to send the browser next: the provider's
	// end-session endpoint, or PUBLIC_URL's page.
	Redirect string `json:"redirect"`
}

// logout ends the session (as POST /auth/logout does) and answers where
// to go next: the provider's end_session_endpoint with id_token_hint and a
// checked post_logout_redirect_uri, when it advertises one.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	switch session.CrossSiteRefusal(r, h.origin) {
	case session.CodeForbiddenOrigin:
		h.fail(w, r, session.ErrForbiddenOrigin)
		return
	case session.CodeUnsupportedMediaType:
		h.fail(w, r, session.ErrUnsupportedMediaType)
		return
	}
	var req struct {
		ReturnTo string `json:"returnTo"`
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		h.fail(w, r, apperr.New(apperr.Invalid, "the request body must be a JSON object"))
		return
	}
	back, err := sso.SafeReturn(h.sso.PublicURL, req.ReturnTo)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.login.SignOut(r.Context()); err != nil {
		h.fail(w, r, err)
		return
	}
	h.sessions.ClearCookie(w)
	var hint string
	if c, err := r.Cookie(LogoutCookie); err == nil {
		hint = c.Value
	}
	http.SetCookie(w, h.cookie(LogoutCookie, "", -1))
	next, err := h.sso.EndSessionURL(r.Context(), hint, back)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if next == "" {
		next = strings.TrimSuffix(h.sso.PublicURL, "/") + back
	}
	writeJSON(w, http.StatusOK, logoutBody{Redirect: next})
}

type discoverBody struct {
	// SSORequired: the organization signs in by SSO only.
	SSORequired bool            `json:"ssoRequired"`
	Connection  *connectionBody `json:"connection"`
}

type connectionBody struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	LoginURL string `json:"loginUrl"`
}

// discover answers home-realm discovery: ?organization=<slug>&email=<address>.
func (h *Handler) discover(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	org, email := strings.TrimSpace(q.Get("organization")), q.Get("email")
	if org == "" || len(org) > 100 || len(email) > 320 {
		h.fail(w, r, apperr.InvalidField("organization", "organization (its slug) and email are required"))
		return
	}
	realm, err := h.sso.Discover(r.Context(), org, email)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	body := discoverBody{SSORequired: realm.SSORequired}
	if c := realm.Connection; c != nil {
		body.Connection = &connectionBody{ID: string(c.ID), Name: c.Name,
			LoginURL: strings.TrimSuffix(h.sso.PublicURL, "/") + strings.Replace(RouteLogin, "{connection}", string(c.ID), 1)}
	}
	writeJSON(w, http.StatusOK, body)
}

// fail answers err: JSON (edge.WriteError) to API clients, a short page to
// a browser (Accept: text/html), with the same status and code.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apperr.Error
	isApp := errors.As(err, &ae)
	if !strings.Contains(r.Header.Get("Accept"), "text/html") || !isApp || ae.Kind == apperr.Internal {
		edge.WriteError(w, r, h.log, err)
		return
	}
	if ae.Err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "sso: sign-in refused", slog.String("code", ae.WireCode()), slog.String("error", err.Error()))
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(apperr.Status(ae.Kind))
	_ = errorPage.Execute(w, map[string]string{"Code": ae.WireCode(), "Message": apperr.Message(err), "RequestID": edge.RequestIDFrom(r.Context())})
}

var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign-in failed</title></head>
<body><h1>Sign-in failed</h1><p>{{.Message}}</p><p><code>{{.Code}}</code>{{if .RequestID}} · request {{.RequestID}}{{end}}</p>
<p><a href="/">Back to sign-in</a></p></body></html>
`))

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
