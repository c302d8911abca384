package sso

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/apperr"
)

// StateTTL is how long a sign-in may take at the provider: the state
// cookie is refused after it.
const StateTTL = 10 * time.Minute

// stateAD binds sealed state cookies to their purpose.
var stateAD = []byte("oidc-state:v1")

// Refusals of the callback before any provider answer is trusted.
var (
	ErrStateMissing = &apperr.Error{Kind: apperr.Invalid, Code: "sso_state_missing",
		Message: "The sign-in has no state cookie (it expired, or cookies are blocked): start again."}
	ErrStateMismatch = &apperr.Error{Kind: apperr.Invalid, Code: "sso_state_mismatch",
		Message: "The sign-in's state does not match this browser's: start again."}
	ErrUnsafeReturn = &apperr.Error{Kind: apperr.Invalid, Code: "invalid_return_to",
		Message: "The address to return to after sign-in is not on this server.", Field: "return_to"}
)

// loginState is what the browser carries between the redirect to the
// provider and the callback, sealed (encrypted and authenticated) under the
// server key: nobody can read the PKCE verifier or forge the nonce.
type loginState struct {
	Connection pulid.ID `json:"c"`
	State      string   `json:"s"`
	Nonce      string   `json:"n"`
	Verifier   string   `json:"v"`
	ReturnTo   string   `json:"r"`
	Expires    int64    `json:"e"`
}

func (s *Service) sealState(st loginState) (string, error) {
	b, err := json.Marshal(st)
	if err != nil {
		return "", err
	}
	sealed, err := s.Box.Seal(b, stateAD)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

// openState opens a state cookie; any fault (tampered, another key,
// expired) is ErrStateMissing: the sign-in starts again.
func (s *Service) openState(cookie string, now time.Time) (loginState, error) {
	var st loginState
	raw, err := base64.RawURLEncoding.DecodeString(cookie)
	if err != nil || cookie == "" {
		return st, ErrStateMissing
	}
	b, err := s.Box.Open(raw, stateAD)
	if err != nil {
		return st, ErrStateMissing
	}
	if err := json.Unmarshal(b, &st); err != nil || now.Unix() >= st.Expires {
		return st, ErrStateMissing
	}
	return st, nil
}

// SafeReturn returns where a sign-in may send the browser back to: a path
// on this server ("/" when returnTo is empty), or an absolute URL of
// PUBLIC_URL's origin, always as a path. Anything else (another host, a
// scheme-relative "//evil", backslashes) is ErrUnsafeReturn: no open
// redirect.
func SafeReturn(publicURL, returnTo string) (string, error) {
	if returnTo == "" {
		return "/", nil
	}
	if strings.ContainsAny(returnTo, "\\\r\n\t") || len(returnTo) > 2000 {
		return "", ErrUnsafeReturn
	}
	u, err := url.Parse(returnTo)
	if err != nil {
		return "", ErrUnsafeReturn
	}
	if u.Scheme != "" || u.Host != "" || u.User != nil {
		base, err := url.Parse(publicURL)
		if err != nil || !strings.EqualFold(u.Scheme, base.Scheme) || !strings.EqualFold(u.Host, base.Host) || u.User != nil {
			return "", ErrUnsafeReturn
		}
	}
	if !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return "", ErrUnsafeReturn
	}
	out := u.EscapedPath()
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	return out, nil
}
