package sso

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
)

// logoutAD binds sealed logout hints to their purpose.
var logoutAD = []byte("oidc-logout:v1")

// logoutHint is what signing out at the provider needs, kept by the
// browser (sealed) from the sign-in on: the connection and the ID token.
type logoutHint struct {
	Connection pulid.ID `json:"c"`
	IDToken    string   `json:"t"`
}

// LogoutHint seals what ending the session at the provider of id needs.
func (s *Service) LogoutHint(id *Identity) (string, error) {
	b, err := json.Marshal(logoutHint{Connection: id.Conn.ID, IDToken: id.RawIDToken})
	if err != nil {
		return "", err
	}
	sealed, err := s.Box.Seal(b, logoutAD)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

// EndSessionURL returns where to send the browser to end its session at
// the provider too: the provider's end_session_endpoint with id_token_hint
// and a post_logout_redirect_uri on PUBLIC_URL (returnTo, checked), or ""
// when the hint is missing or unreadable or the provider advertises no
// endpoint. The endpoint comes from the cached discovery document; an
// unreachable provider yields "" (the local sign-out stands).
func (s *Service) EndSessionURL(ctx context.Context, hint, returnTo string) (string, error) {
	back, err := SafeReturn(s.PublicURL, returnTo)
	if err != nil {
		return "", err
	}
	raw, err := base64.RawURLEncoding.DecodeString(hint)
	if err != nil || hint == "" {
		return "", nil
	}
	b, err := s.Box.Open(raw, logoutAD)
	if err != nil {
		return "", nil
	}
	var h logoutHint
	if json.Unmarshal(b, &h) != nil {
		return "", nil
	}
	conn, err := s.connection(ctx, h.Connection)
	if err != nil {
		return "", nil
	}
	e, err := s.Providers.get(ctx, conn.Issuer)
	if err != nil || e.meta.EndSession == "" {
		return "", nil
	}
	u, err := url.Parse(e.meta.EndSession)
	if err != nil {
		return "", nil
	}
	q := u.Query()
	q.Set("id_token_hint", h.IDToken)
	q.Set("client_id", conn.ClientID)
	q.Set("post_logout_redirect_uri", strings.TrimSuffix(s.PublicURL, "/")+back)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
