package login

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/internal/edge"
)

// TestRefusalsKeepTheirWireCodesAndStatuses holds the sign-in endpoints'
// error table (README, "Errors are JSON …"): each refusal's code and HTTP
// status, as edge.WriteError answers them.
func TestRefusalsKeepTheirWireCodesAndStatuses(t *testing.T) {
	for _, tc := range []struct {
		err    error
		code   string
		status int
		match  error
	}{
		{ErrInvalidRequest, "invalid_request", 400, nil},
		{invalidRequest("organization is required."), "invalid_request", 400, ErrInvalidRequest},
		{ErrWeakPassword, "weak_password", 400, nil},
		{weakPassword(&password.PolicyError{Code: password.CodeTooShort, Reason: "short"}), "weak_password", 400, ErrWeakPassword},
		{ErrPasswordReused, "password_reused", 400, nil},
		{ErrInvalidCredentials, "invalid_credentials", 401, nil},
		{ErrTemporaryPasswordExpired, "temporary_password_expired", 401, nil},
		{ErrUnauthenticated, "unauthenticated", 401, nil},
		{ErrAccountDisabled, "account_disabled", 403, nil},
		{ErrSSORequired, "sso_required", 403, nil},
		{ErrForbiddenOrigin, "forbidden_origin", 403, nil},
		{ErrUnsupportedMediaType, "unsupported_media_type", 415, nil},
		{ErrTooManyAttempts, "too_many_attempts", 429, nil},
		{tooManyAttempts(3 * time.Second), "too_many_attempts", 429, ErrTooManyAttempts},
		{ErrUnavailable, "unavailable", 503, nil},
		{errors.New("driver"), "internal", 500, nil},
	} {
		t.Run(tc.code, func(t *testing.T) {
			w := httptest.NewRecorder()
			edge.WriteError(w, httptest.NewRequest("POST", RouteLogin, nil), slog.New(slog.DiscardHandler), tc.err)
			var body struct {
				Error struct{ Code, Message, Policy string }
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if w.Code != tc.status || body.Error.Code != tc.code {
				t.Errorf("%v: %d %s, want %d %s", tc.err, w.Code, w.Body, tc.status, tc.code)
			}
			if tc.match != nil && !errors.Is(tc.err, tc.match) {
				t.Errorf("errors.Is(%v, %v) is false", tc.err, tc.match)
			}
		})
	}
	if errors.Is(ErrInvalidRequest, ErrWeakPassword) || errors.Is(ErrInvalidCredentials, ErrUnauthenticated) {
		t.Error("refusals of one kind and different codes match")
	}
	e := weakPassword(&password.PolicyError{Code: password.CodeCommon, Reason: "common"})
	w := httptest.NewRecorder()
	edge.WriteError(w, httptest.NewRequest("POST", RoutePasswordChange, nil), slog.New(slog.DiscardHandler), e)
	if !json.Valid(w.Body.Bytes()) || !strings.Contains(w.Body.String(), `"policy":"`+password.CodeCommon+`"`) {
		t.Errorf("weak_password body %s lacks the policy", w.Body)
	}
}
