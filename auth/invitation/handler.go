package invitation

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"runtime"

	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/invite"
)

// RouteAccept accepts an invitation.
const RouteAccept = "/auth/invitation/accept"

// DefaultMaxBodyBytes bounds a request body.
const DefaultMaxBodyBytes = 16 << 10

// Config configures a Handler. Zero fields take the defaults.
type Config struct {
	// PublicOrigin is the origin browsers reach the server at: a POST
	// carrying another Origin header is refused (as auth/login does).
	PublicOrigin string
	// Hasher hashes the new password.
	Hasher password.Hasher
	// Clock tells expiry; the system clock when nil.
	Clock clock.Clock
	// Logger receives unexpected errors (never a token or password).
	Logger *slog.Logger
	// MaxConcurrentHashes bounds password hashes running at once;
	// GOMAXPROCS when zero.
	MaxConcurrentHashes int
	MaxBodyBytes        int64
}

// Handler serves the invitation endpoints as JSON.
type Handler struct {
	client *ent.Client
	cfg    Config
	origin string
	slots  chan struct{}
}

// NewHandler returns a Handler over client (the root client).
func NewHandler(client *ent.Client, cfg Config) *Handler {
	if cfg.Clock == nil {
		cfg.Clock = clock.System()
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
	return &Handler{client: client, cfg: cfg, origin: session.NormalizeOrigin(cfg.PublicOrigin),
		slots: make(chan struct{}, cfg.MaxConcurrentHashes)}
}

// Routes registers the endpoints on mux.
func (h *Handler) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST "+RouteAccept, h.accept)
}

type acceptRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

type userJSON struct {
	ID    string `json:"id"`
	Email string `json:"email"`
}

type acceptResponse struct {
	User         userJSON `json:"user"`
	Organization string   `json:"organization"`
}

func (h *Handler) accept(w http.ResponseWriter, r *http.Request) {
	switch session.CrossSiteRefusal(r, h.origin) {
	case session.CodeForbiddenOrigin:
		h.fail(w, http.StatusForbidden, "forbidden_origin", "Requests from this origin are not accepted.", "")
		return
	case session.CodeUnsupportedMediaType:
		h.fail(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type must be application/json.", "")
		return
	}
	var in acceptRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || in.Token == "" || dec.More() {
		h.fail(w, http.StatusBadRequest, "invalid_request", "Send JSON {\"token\", \"password\"}.", "")
		return
	}
	select {
	case h.slots <- struct{}{}:
		defer func() { <-h.slots }()
	case <-r.Context().Done():
		return
	}
	ctx := clock.NewContext(r.Context(), h.cfg.Clock)
	out, err := invite.Accept(ctx, h.client, in.Token, in.Password, h.cfg.Hasher)
	var ae *invite.AcceptError
	switch {
	case errors.As(err, &ae):
		h.fail(w, statusOf(ae.Code), ae.Code, ae.Message, ae.Policy)
		return
	case err != nil:
		h.cfg.Logger.ErrorContext(ctx, "invitation: accept", "err", err)
		h.fail(w, http.StatusInternalServerError, "internal", "Something went wrong. Try again.", "")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(acceptResponse{
		User:         userJSON{ID: string(out.User.ID), Email: out.User.Email},
		Organization: string(out.Organization),
	})
}

// statusOf is the HTTP status of each refusal code, in one place.
func statusOf(code string) int {
	switch code {
	case invite.CodeWeakPassword:
		return http.StatusBadRequest
	case invite.CodeInvalid:
		return http.StatusNotFound
	case invite.CodeExpired, invite.CodeRevoked, invite.CodeUsed:
		return http.StatusGone
	case invite.CodeSSORequired, invite.CodeAlreadyMember:
		return http.StatusConflict
	}
	return http.StatusBadRequest
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Policy  string `json:"policy,omitempty"`
	} `json:"error"`
}

func (h *Handler) fail(w http.ResponseWriter, status int, code, msg, policy string) {
	var b errorBody
	b.Error.Code, b.Error.Message, b.Error.Policy = code, msg, policy
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(b)
}
