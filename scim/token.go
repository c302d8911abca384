package scim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/clinicgate/clinicgate/auth/token"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/privacy"
	entscimtoken "github.com/clinicgate/clinicgate/ent/scimtoken"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/logging"
	"github.com/clinicgate/clinicgate/internal/scimtoken"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Errors of Authenticate.
var (
	ErrNoToken      = errors.New("scim: no bearer token")
	ErrTokenInvalid = errors.New("scim: unknown, revoked or expired token")
)

// Authenticator turns a SCIM bearer token into a SCIM viewer of its
// organization.
type Authenticator struct {
	Client *ent.Client
	// TouchInterval bounds how often last_used_at is written (default a
	// minute): not a write per request.
	TouchInterval time.Duration
}

// Authenticate resolves the token in an Authorization header value.
func (a *Authenticator) Authenticate(ctx context.Context, authorization string) (*viewer.Viewer, error) {
	plain, ok := strings.CutPrefix(authorization, "Bearer ")
	if !ok || plain == "" {
		return nil, ErrNoToken
	}
	// Refuse garbage before any database lookup.
	if !token.Valid(plain, scimtoken.Prefix) {
		return nil, ErrTokenInvalid
	}
	// Before the organization is known, only the hash can find it.
	t, err := a.Client.SCIMToken.Query().
		Where(entscimtoken.TokenHash(token.Hash(plain))).
		Only(privacy.DecisionContext(ctx, privacy.Allow))
	switch {
	case ent.IsNotFound(err):
		return nil, ErrTokenInvalid
	case err != nil:
		return nil, fmt.Errorf("scim: look up token: %w", err)
	}
	now := clock.Now(ctx)
	if t.RevokedAt != nil || (t.ExpiresAt != nil && !now.Before(*t.ExpiresAt)) {
		return nil, ErrTokenInvalid
	}
	every := a.TouchInterval
	if every <= 0 {
		every = time.Minute
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= every {
		if err := t.Update().SetLastUsedAt(now).Exec(viewer.ForSystem(ctx, t.OrganizationID)); err != nil {
			return nil, fmt.Errorf("scim: touch token: %w", err)
		}
	}
	return &viewer.Viewer{Kind: viewer.SCIM, OrgID: t.OrganizationID, TokenID: t.ID}, nil
}

// Middleware admits only requests with a valid SCIM token, answering
// others 401 in the SCIM error schema, and puts the SCIM viewer in the
// request's context.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := a.Authenticate(r.Context(), r.Header.Get("Authorization"))
		switch {
		case errors.Is(err, ErrNoToken), errors.Is(err, ErrTokenInvalid):
			writeError(w, Error(r.Context(), apperr.New(apperr.Unauthenticated, "a valid SCIM bearer token is required")))
			return
		case err != nil:
			writeError(w, Error(r.Context(), err))
			return
		}
		ctx := viewer.NewContext(r.Context(), v)
		logging.Set(ctx, slog.String(logging.OrgKey, string(v.OrgID)))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
