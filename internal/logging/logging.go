// Package logging builds the server's structured logger and carries
// per-request log attributes through a request's context.
//
// The edge middleware installs a [Fields] holder at the start of a request;
// layers further in (authentication, for one) add the organization and user
// to it once they know them, and every line logged through [FromContext]
// afterwards, including the access-log line written when the request ends,
// carries them.
package logging

import (
	"io"
	"log/slog"
	"strings"
)

// Keys of the attributes that several packages set, kept here so that they
// are spelled the same in every log line.
const (
	RequestIDKey = "request_id"
	OrgKey       = "org"
	UserKey      = "user"
)

// Redacted replaces the value of an attribute whose key names a secret.
const Redacted = "[redacted]"

// New returns a logger that writes lines at level and above to w, as JSON
// when format is "json" and as logfmt-like text when it is "text". Any other
// format gets JSON: configuration is validated before this point, and a
// server that logs in the wrong format is better than one that logs nothing.
//
// Attributes whose keys name secrets (password, token, secret, cookie,
// authorization and their *_password, *_token, *_secret forms) are replaced
// by [Redacted], as a last line of defence: code should not log them at all.
func New(w io.Writer, level slog.Leveler, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: redact}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// redact is a slog ReplaceAttr function hiding the values of secret keys.
func redact(_ []string, a slog.Attr) slog.Attr {
	if IsSecretKey(a.Key) {
		return slog.String(a.Key, Redacted)
	}
	return a
}

// IsSecretKey reports whether an attribute, header or field named key
// holds a secret whose value must not be logged.
func IsSecretKey(key string) bool {
	k := strings.ToLower(key)
	switch k {
	case "password", "passwd", "secret", "token", "authorization",
		"cookie", "set-cookie", "api_key", "apikey", "private_key", "secret_key":
		return true
	}
	for _, s := range []string{"_password", "_secret", "_token", "-token", "-secret"} {
		if strings.HasSuffix(k, s) {
			return true
		}
	}
	return false
}
