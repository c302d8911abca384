// Package console serves the developer console: a sign-in page and GraphiQL.
// It is a convenience for humans exploring the API; frontends talk to
// /auth and /graphql directly.
package console

import (
	_ "embed"
	"net/http"

	"github.com/99designs/gqlgen/graphql/playground"

	"github.com/clinicgate/clinicgate/internal/viewer"
)

//go:embed signin.html
var signinPage []byte

// Routes registers GET / (GraphiQL, or a redirect to the sign-in page for an
// anonymous visitor) and GET /signin.
func Routes(mux *http.ServeMux, endpoint string) {
	graphiql := playground.Handler("clinicgate GraphiQL", endpoint)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if viewer.FromContext(r.Context()) == nil {
			http.Redirect(w, r, "/signin", http.StatusSeeOther)
			return
		}
		graphiql.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /signin", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'")
		w.Header().Set("X-Frame-Options", "DENY")
		_, _ = w.Write(signinPage)
	})
}
