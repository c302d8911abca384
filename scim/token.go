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
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/scimtoken"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/logging"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// TokenPrefix starts every SCIM bearer token ("scim_…").
const TokenPrefix = "scim"

// Audit actions of this package.
const (
	TokenIssued  = "scim.token_issued"
	TokenRevoked = "scim.token_revoked"
)

// IssueToken creates a SCIM token for the viewer's organization and returns
// it in clear — the only time it exists in clear; only its SHA-256 is
// stored. The viewer needs org.settings.manage. c should be the request's
// transaction: the audit event is written with it.
func IssueToken(ctx context.Context, c *ent.Client, name string, expiresAt *time.Time) (string, *ent.SCIMToken, error) {
	v := viewer.FromContext(ctx)
	if v == nil || v.Kind != viewer.User {
		return "", nil, apperr.New(apperr.Unauthenticated, "sign in first")
	}
	if !v.Has(string(authz.OrgSettingsManage)) {
		return "", nil, apperr.New(apperr.Forbidden, "managing provisioning needs org.settings.manage")
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return "", nil, apperr.InvalidField("name", "give the token a name of 1 to 100 characters")
	}
	now := authz.Now(ctx)
	if expiresAt != nil && !expiresAt.After(now) {
		return "", nil, apperr.InvalidField("expiresAt", "the expiry must be in the future")
	}
	plain, err := token.New(TokenPrefix)
	if err != nil {
		return "", nil, err
	}
	t, err := c.SCIMToken.Create().
		SetOrganizationID(v.OrgID).
		SetName(name).
		SetTokenHash(token.Hash(plain)).
		SetCreatedByID(v.UserID).
		SetCreatedAt(now).
		SetNillableExpiresAt(expiresAt).
		Save(ctx)
	if err != nil {
		return "", nil, err
	}
	if err := audit.Record(ctx, c, audit.Event{
		Action: TokenIssued, TargetType: "scim_token", TargetID: string(t.ID),
		Details: map[string]any{"name": name},
	}); err != nil {
		return "", nil, err
	}
	return plain, t, nil
}

// RevokeToken ends a SCIM token of the viewer's organization at once.
func RevokeToken(ctx context.Context, c *ent.Client, id pulid.ID) error {
	v := viewer.FromContext(ctx)
	if v == nil || v.Kind != viewer.User || !v.Has(string(authz.OrgSettingsManage)) {
		return apperr.New(apperr.Forbidden, "managing provisioning needs org.settings.manage")
	}
	n, err := c.SCIMToken.Update().
		Where(scimtoken.ID(id), scimtoken.RevokedAtIsNil()).
		SetRevokedAt(authz.Now(ctx)).
		Save(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return apperr.New(apperr.NotFound, "no such active token")
	}
	return audit.Record(ctx, c, audit.Event{Action: TokenRevoked, TargetType: "scim_token", TargetID: string(id)})
}

// Errors of Authenticate.
var (
	ErrNoToken      = errors.New("scim: no bearer token")
	ErrTokenInvalid = errors.New("scim: unknown, revoked or expired token")
)

// Authenticator turns a SCIM bearer token into a SCIM viewer of its
// organization.
type Authenticator struct {
	Client *ent.Client
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// TouchInterval bounds how often last_used_at is written (default a
	// minute): not a write per request.
	TouchInterval time.Duration
}

func (a *Authenticator) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// Authenticate resolves the token in an Authorization header value.
func (a *Authenticator) Authenticate(ctx context.Context, authorization string) (*viewer.Viewer, error) {
	plain, ok := strings.CutPrefix(authorization, "Bearer ")
	if !ok || plain == "" {
		return nil, ErrNoToken
	}
	// Refuse garbage before any database lookup.
	if !token.Valid(plain, TokenPrefix) {
		return nil, ErrTokenInvalid
	}
	// Before the organization is known, only the hash can find it.
	t, err := a.Client.SCIMToken.Query().
		Where(scimtoken.TokenHash(token.Hash(plain))).
		Only(privacy.DecisionContext(ctx, privacy.Allow))
	switch {
	case ent.IsNotFound(err):
		return nil, ErrTokenInvalid
	case err != nil:
		return nil, fmt.Errorf("scim: look up token: %w", err)
	}
	now := a.now()
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
	return &viewer.Viewer{Kind: viewer.SCIM, OrgID: t.OrganizationID}, nil
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
