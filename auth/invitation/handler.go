package invitation

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"runtime"

	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/edge"
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

type orgJSON struct {
	ID   string `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

type acceptResponse struct {
	User         userJSON `json:"user"`
	Organization orgJSON  `json:"organization"`
}

// errBadRequest is the answer to a body that is not {"token", "password"}.
var errBadRequest = &apperr.Error{Kind: apperr.Invalid, Code: "invalid_request", Message: "Send JSON {\"token\", \"password\"}."}

func (h *Handler) accept(w http.ResponseWriter, r *http.Request) {
	switch session.CrossSiteRefusal(r, h.origin) {
	case session.CodeForbiddenOrigin:
		edge.WriteError(w, r, h.cfg.Logger, session.ErrForbiddenOrigin)
		return
	case session.CodeUnsupportedMediaType:
		edge.WriteError(w, r, h.cfg.Logger, session.ErrUnsupportedMediaType)
		return
	}
	var in acceptRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || in.Token == "" || dec.More() {
		edge.WriteError(w, r, h.cfg.Logger, errBadRequest)
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
	if err != nil {
		// Refusals are apperr errors (404 invalid_invitation, 410 expired,
		// revoked or used, 409 sso_required or already_member, 400
		// weak_password); anything else is logged and answered 500.
		edge.WriteError(w, r.WithContext(ctx), h.cfg.Logger, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(acceptResponse{
		User:         userJSON{ID: string(out.User.ID), Email: out.User.Email},
		Organization: orgJSON{ID: string(out.Organization.ID), Slug: out.Organization.Slug, Name: out.Organization.Name},
	})
}
