// Package httpsec sets the security headers of every response and answers
// cross-origin (CORS) requests on the routes that admit them.
//
//	h = edge.Chain(mux,
//		httpsec.Headers(httpsec.Config{HSTS: publicURLIsHTTPS}),
//		httpsec.CORS(allowedOrigins, "/graphql"),
//	)
package httpsec

import "net/http"

// Config configures Headers.
type Config struct {
	// HSTS sends Strict-Transport-Security on every response: set it when
	// clients reach the server over HTTPS (PUBLIC_URL is https, TLS ended
	// at a proxy). A request that arrived over TLS gets it regardless.
	HSTS bool
}

// The header values Headers sets.
const (
	// DefaultCSP is the policy of every response that sets none itself:
	// nothing loads, nothing frames it. It suits JSON, which is what the
	// API answers; HTML pages (the console) set their own policy.
	DefaultCSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
	// HSTS is a year: long enough that a browser that once reached the
	// server over HTTPS never tries plain HTTP, as browsers' preload
	// lists expect. Subdomains are not included: they may be other
	// services.
	HSTS = "max-age=31536000"
)

// Headers sets, on every response and before the handler runs (so that a
// handler may override one, and every error answer has them too):
//
//   - X-Content-Type-Options: nosniff, so a browser never renders a JSON
//     answer that echoes input as HTML;
//   - X-Frame-Options: DENY and, unless the handler sets its own policy,
//     Content-Security-Policy DefaultCSP with frame-ancestors 'none'
//     (clickjacking);
//   - Referrer-Policy: no-referrer, since links carry tokens (invitations,
//     password reset);
//   - Cache-Control: no-store, since answers carry patient data and
//     tokens; a handler serving something cacheable may override it;
//   - Strict-Transport-Security when cfg.HSTS or the request came over TLS.
func Headers(cfg Config) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Content-Security-Policy", DefaultCSP)
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("Cache-Control", "no-store")
			if cfg.HSTS || r.TLS != nil {
				h.Set("Strict-Transport-Security", HSTS)
			}
			next.ServeHTTP(w, r)
		})
	}
}
