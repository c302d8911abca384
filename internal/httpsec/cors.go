package httpsec

import (
	"net/http"
	"slices"

	"github.com/rs/cors"
)

// CORS answers cross-origin requests to the given paths (exact matches)
// from origins, each scheme://host[:port]: a preflight (OPTIONS with
// Access-Control-Request-Method) is answered here, before any
// authentication or database work, and allows POST with the Authorization
// and Content-Type headers; an actual request gets
// Access-Control-Allow-Origin. Responses on those paths carry Vary: Origin.
// An origin not listed gets no CORS header at all, so the browser keeps
// the answer from its script.
//
// Credentials (cookies) are not allowed across origins: a frontend on
// another origin signs in for a bearer token and sends it in
// Authorization. With no origins, CORS does nothing.
func CORS(origins []string, paths ...string) func(http.Handler) http.Handler {
	if len(origins) == 0 {
		return func(next http.Handler) http.Handler { return next }
	}
	c := cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodPost},
		AllowedHeaders: []string{"Authorization", "Content-Type", "X-Request-Id"},
		// What a script may read of an answer beyond the simple headers:
		// the id to quote in a report, and when to retry a 429 or 503.
		ExposedHeaders:   []string{"X-Request-Id", "Retry-After"},
		AllowCredentials: false,
		MaxAge:           600,
	})
	return func(next http.Handler) http.Handler {
		withCORS := c.Handler(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if slices.Contains(paths, r.URL.Path) {
				withCORS.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
