package login

import (
	"net/http"

	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/passwordreset"
)

// Self-service password reset (internal/passwordreset), served beside
// sign-in so that it shares its per-address throttle and hashing slots.
const (
	RoutePasswordResetRequest = "/auth/password/reset/request" // POST: mail me a reset link
	RoutePasswordReset        = "/auth/password/reset"         // POST: set a new password with the link's token
)

type resetRequest struct {
	Organization string `json:"organization"`
	Email        string `json:"email"`
}

func (r *resetRequest) texts() []string { return []string{r.Organization, r.Email} }

type resetComplete struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

func (r *resetComplete) texts() []string { return []string{r.Token, r.Password} }

// requestReset answers 202 whether or not the account exists: the mail
// goes (through the outbox) only to an active account that may have a
// password.
func (h *Handler) requestReset(w http.ResponseWriter, r *http.Request) {
	if ok, retry := h.perIP.allow(audit.MetaFrom(r.Context()).IP); !ok {
		h.fail(w, r, tooManyAttempts(retry))
		return
	}
	var req resetRequest
	if err := decode(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	if req.Organization == "" || req.Email == "" {
		h.fail(w, r, invalidRequest("organization and email are required."))
		return
	}
	if err := passwordreset.Request(r.Context(), h.flow.client, req.Organization, req.Email); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{
		"status": "If the account exists and uses a password, a reset link is on its way to its email.",
	})
}

// completeReset sets the new password; the user signs in next.
func (h *Handler) completeReset(w http.ResponseWriter, r *http.Request) {
	if ok, retry := h.perIP.allow(audit.MetaFrom(r.Context()).IP); !ok {
		h.fail(w, r, tooManyAttempts(retry))
		return
	}
	var req resetComplete
	if err := decode(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.flow.acquire(r.Context()); err != nil {
		h.fail(w, r, err)
		return
	}
	defer h.flow.release()
	if err := passwordreset.Complete(r.Context(), h.flow.client, req.Token, req.Password, h.flow.hasher); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "Your password was changed. Sign in with it."})
}
