package session

import (
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/clinicgate/clinicgate/internal/apperr"
)

// Cross-site refusals, as the wire codes of the README's sign-in table.
const (
	CodeForbiddenOrigin      = "forbidden_origin"       // 403
	CodeUnsupportedMediaType = "unsupported_media_type" // 415
)

// The cross-site refusals as errors, for edge.WriteError; auth/login
// answers with the same values.
var (
	ErrForbiddenOrigin = &apperr.Error{Kind: apperr.Forbidden, Code: CodeForbiddenOrigin,
		Message: "Requests from this origin are not accepted."}
	ErrUnsupportedMediaType = &apperr.Error{Kind: apperr.UnsupportedMediaType, Code: CodeUnsupportedMediaType,
		Message: "Content-Type must be application/json."}
)

// CrossSiteError is the error of a CrossSiteRefusal code, nil for "".
func CrossSiteError(code string) error {
	switch code {
	case "":
		return nil
	case CodeForbiddenOrigin:
		return ErrForbiddenOrigin
	case CodeUnsupportedMediaType:
		return ErrUnsupportedMediaType
	}
	return &apperr.Error{Kind: apperr.Internal, Message: "internal error",
		Err: fmt.Errorf("session: unknown cross-site refusal %q", code)}
}

// CrossSiteRefusal returns why a state-changing request may have been sent
// by another site, or "" when it may not have been: an Origin header that
// is not origin (forbidden_origin), or a body not declared as
// application/json (unsupported_media_type), which an HTML form or a
// "simple" fetch cannot send without a CORS preflight. origin is the
// normalized public origin (NormalizeOrigin); when it is "", every request
// carrying an Origin header is refused.
//
// The browser attaches the session cookie to such requests by itself, so
// every request the cookie authenticates must pass this check; a bearer
// token is sent only by code that holds it, and needs none.
func CrossSiteRefusal(r *http.Request, origin string) string {
	if o := r.Header.Get("Origin"); o != "" && (origin == "" || !strings.EqualFold(o, origin)) {
		return CodeForbiddenOrigin
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return CodeUnsupportedMediaType
	}
	return ""
}

// stateChanging reports whether method may change state; GET, HEAD and
// OPTIONS must not, and are left to the handlers.
func stateChanging(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// NormalizeOrigin returns the scheme://host[:port] of u in lower case, or
// "" when u is not an absolute http(s) URL.
func NormalizeOrigin(u string) string {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	return strings.ToLower(p.Scheme + "://" + p.Host)
}
