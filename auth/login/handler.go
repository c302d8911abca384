package login

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/edge"
	"github.com/clinicgate/clinicgate/internal/store/unavailable"
)

// Routes served by Handler.
const (
	RouteLogin          = "/auth/login"           // POST: sign in with a password
	RoutePasswordChange = "/auth/password/change" // POST: change the password (session)
	RouteLogout         = "/auth/logout"          // POST: end the session
	RouteSession        = "/auth/session"         // GET: the current session
)

// Defaults for the zero fields of Config (Throttle's are in ratelimit.go).
const (
	DefaultMaxBodyBytes      = 16 << 10
	DefaultAttemptsPerMinute = 20
	DefaultAttemptsBurst     = 20
)

// Config configures a Handler. Zero fields take the defaults.
type Config struct {
	// PublicOrigin is the origin ("https://app.example.org") browsers reach
	// the server at; a path is ignored. A POST carrying an Origin header
	// that differs is refused with 403. When empty, every POST carrying an
	// Origin header is refused.
	PublicOrigin string
	// Hasher hashes and verifies passwords; the zero Hasher uses
	// password.DefaultParams.
	Hasher password.Hasher
	// Clock is the server's one clock; the session Manager's when nil.
	Clock clock.Clock
	// Logger receives unexpected errors and sign-in outcomes (never a
	// password or token); slog.Default when nil.
	Logger *slog.Logger

	// Throttle slows guessing per account and client address, and per
	// account over all addresses (429 too_many_attempts with
	// Retry-After); it never locks an account. See ratelimit.go.
	Throttle Throttle
	// MaxConcurrentHashes bounds password hashes and verifications running
	// at once (each holds the hasher's memory, 64 MiB by default);
	// GOMAXPROCS when zero. Further requests wait their turn.
	MaxConcurrentHashes int
	// MaxBodyBytes bounds a request body.
	MaxBodyBytes int64
	// AttemptsPerMinute and AttemptsBurst throttle sign-in attempts per
	// client address (429 too_many_attempts with Retry-After).
	AttemptsPerMinute int
	AttemptsBurst     int
}

// Handler serves the password sign-in endpoints as JSON.
type Handler struct {
	flow     *flow
	sessions *session.Manager
	perIP    *ipLimiter
	origin   string // normalized PublicOrigin, "" to refuse all
	maxBody  int64
	log      *slog.Logger
}

// NewHandler returns a Handler over client (the root client) and sessions.
func NewHandler(client *ent.Client, sessions *session.Manager, cfg Config) *Handler {
	if cfg.Clock == nil {
		cfg.Clock = sessions.Clock()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxConcurrentHashes <= 0 {
		cfg.MaxConcurrentHashes = runtime.GOMAXPROCS(0)
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.AttemptsPerMinute <= 0 {
		cfg.AttemptsPerMinute = DefaultAttemptsPerMinute
	}
	if cfg.AttemptsBurst <= 0 {
		cfg.AttemptsBurst = DefaultAttemptsBurst
	}
	return &Handler{
		flow: &flow{
			client:    client,
			sessions:  sessions,
			hasher:    cfg.Hasher,
			now:       cfg.Clock.Now,
			log:       cfg.Logger,
			throttle:  newThrottle(cfg.Throttle, cfg.Clock.Now),
			hashSlots: make(chan struct{}, cfg.MaxConcurrentHashes),
		},
		sessions: sessions,
		perIP:    newIPLimiter(cfg.AttemptsPerMinute, cfg.AttemptsBurst, cfg.Clock.Now),
		origin:   session.NormalizeOrigin(cfg.PublicOrigin),
		maxBody:  cfg.MaxBodyBytes,
		log:      cfg.Logger,
	}
}

// Routes registers the endpoints on mux. Each runs behind the session
// middleware (which does nothing more if the server already applies it), so
// the audit origin and the caller are always known.
func (h *Handler) Routes(mux *http.ServeMux) {
	mux.Handle("POST "+RouteLogin, h.post(h.login))
	mux.Handle("POST "+RoutePasswordChange, h.post(h.changePassword))
	mux.Handle("POST "+RouteLogout, h.post(h.logout))
	mux.Handle("POST "+RoutePasswordResetRequest, h.post(h.requestReset))
	mux.Handle("POST "+RoutePasswordReset, h.post(h.completeReset))
	mux.Handle("GET "+RouteSession, h.sessions.Middleware(http.HandlerFunc(h.current)))
}

// post guards a state-changing endpoint against cross-site requests
// (session.CrossSiteRefusal), whether or not a cookie came with it: a forged
// sign-in would put the victim's browser in the forger's account.
func (h *Handler) post(next http.HandlerFunc) http.Handler {
	return h.sessions.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch session.CrossSiteRefusal(r, h.origin) {
		case session.CodeForbiddenOrigin:
			h.fail(w, r, ErrForbiddenOrigin)
			return
		case session.CodeUnsupportedMediaType:
			h.fail(w, r, ErrUnsupportedMediaType)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, h.maxBody)
		next(w, r)
	}))
}

type loginRequest struct {
	Organization string `json:"organization"`
	Email        string `json:"email"`
	Password     string `json:"password"`
}

func (r *loginRequest) texts() []string { return []string{r.Organization, r.Email, r.Password} }

type changePasswordRequest struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
}

func (r *changePasswordRequest) texts() []string { return []string{r.CurrentPassword, r.NewPassword} }

// sessionBody is the answer of sign-in, password change and GET session.
type sessionBody struct {
	Token                  string    `json:"token,omitempty"`
	ExpiresAt              time.Time `json:"expiresAt"`
	IdleTimeoutSeconds     int       `json:"idleTimeoutSeconds"`
	Method                 string    `json:"method"`
	PasswordChangeRequired bool      `json:"passwordChangeRequired"`
	// State is what the session may do: active, password_change_required
	// or mfa_required (viewer.State).
	State          string     `json:"state"`
	MFASatisfiedAt *time.Time `json:"mfaSatisfiedAt"`
	User           userBody   `json:"user"`
	Organization   orgBody    `json:"organization"`
}

type userBody struct {
	ID          string `json:"id"`
	Email       string `json:"email"`
	DisplayName string `json:"displayName"`
}

type orgBody struct {
	ID   string `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	if ok, retry := h.perIP.allow(audit.MetaFrom(r.Context()).IP); !ok {
		h.fail(w, r, tooManyAttempts(retry))
		return
	}
	var req loginRequest
	if err := decode(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	out, err := h.flow.signIn(r.Context(), credentials(req))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.sessions.SetCookie(w, out.Token, out.Session.ExpiresAt)
	writeJSON(w, http.StatusOK, bodyOf(out))
}

func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request) {
	var req changePasswordRequest
	if err := decode(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	out, err := h.flow.changePassword(r.Context(), req.CurrentPassword, req.NewPassword)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.sessions.SetCookie(w, out.Token, out.Session.ExpiresAt)
	writeJSON(w, http.StatusOK, bodyOf(out))
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if err := h.flow.signOut(r.Context()); err != nil {
		h.fail(w, r, err)
		return
	}
	h.sessions.ClearCookie(w)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) current(w http.ResponseWriter, r *http.Request) {
	out, err := h.flow.current(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, bodyOf(out))
}

func bodyOf(s *signedIn) sessionBody {
	b := sessionBody{
		Token:                  s.Token,
		ExpiresAt:              s.Session.ExpiresAt.UTC(),
		IdleTimeoutSeconds:     s.Session.IdleTimeoutSeconds,
		Method:                 string(s.Session.Method),
		PasswordChangeRequired: s.Session.PasswordChangeRequired,
		State:                  string(s.State),
		User: userBody{
			ID:          string(s.User.ID),
			Email:       s.User.Email,
			DisplayName: s.User.DisplayName,
		},
	}
	if t := s.Session.MfaSatisfiedAt; t != nil {
		u := t.UTC()
		b.MFASatisfiedAt = &u
	}
	if s.Org != nil {
		b.Organization = orgBody{ID: string(s.Org.ID), Slug: s.Org.Slug, Name: s.Org.Name}
	}
	return b
}

// request is a JSON request body; texts are its string fields.
type request interface{ texts() []string }

// decode reads one JSON object into dst. The body must be UTF-8 and no
// field may hold a NUL character: encoding/json would pass invalid bytes on
// as U+FFFD and NUL as is, and PostgreSQL refuses NUL in text, which would
// make a malformed request a server error.
func decode(r *http.Request, dst request) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return invalidRequest("The request body is too large.")
		}
		return invalidRequest("The request body could not be read.")
	}
	if !utf8.Valid(body) {
		return invalidRequest("The request body must be UTF-8.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(dst); err != nil {
		return invalidRequest("The request body must be a JSON object.")
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalidRequest("The request body must hold a single JSON object.")
	}
	for _, s := range dst.texts() {
		if strings.IndexByte(s, 0) >= 0 {
			return invalidRequest("Fields must not contain NUL characters.")
		}
	}
	return nil
}

// fail answers err with edge.WriteError: an *apperr.Error (the Err…
// values of error.go) with its code and status; a database that could not
// answer in time with 503 unavailable (logged as a warning); any other
// unexpected err is logged and answered with a bare 500: driver errors
// never reach the client.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var e *apperr.Error
	if !errors.As(err, &e) && unavailable.Is(err) {
		u := *ErrUnavailable
		u.Err = err
		err = &u
	}
	edge.WriteError(w, r, h.log, err)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil { // only our own types are encoded; cannot happen
		status, body = http.StatusInternalServerError, []byte(`{"error":{"code":"internal"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}
