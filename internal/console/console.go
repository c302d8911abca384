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

//go:embed accept.html
var acceptPage []byte

// AcceptInvitationPath is the page invitation emails link to (with the
// token as its "token" query parameter): it posts the chosen password to
// POST /auth/invitation/accept. A frontend may serve its own page at the
// same path instead.
const AcceptInvitationPath = "/accept-invitation"

// AcceptRoutes registers GET /accept-invitation. Unlike the console it is
// always served: every invitation email links to it.
func AcceptRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+AcceptInvitationPath, func(w http.ResponseWriter, _ *http.Request) {
		page(w, acceptPage)
	})
}

func page(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; form-action 'none'; frame-ancestors 'none'")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Referrer-Policy", "no-referrer") // the token is in the URL
	_, _ = w.Write(body)
}

// graphiqlCSP lets GraphiQL load its scripts and styles from the CDN gqlgen
// pins them on (with subresource integrity) and run its inline bootstrap,
// and call only this server; it may not be framed.
const graphiqlCSP = "default-src 'none'; script-src https://cdn.jsdelivr.net 'unsafe-inline'; " +
	"style-src https://cdn.jsdelivr.net 'unsafe-inline'; font-src https://cdn.jsdelivr.net data:; " +
	"img-src 'self' data: https://cdn.jsdelivr.net; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Routes registers GET / (GraphiQL, or a redirect to the sign-in page for an
// anonymous visitor) and GET /signin.
func Routes(mux *http.ServeMux, endpoint string) {
	graphiql := playground.Handler("clinicgate GraphiQL", endpoint)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if viewer.FromContext(r.Context()) == nil {
			http.Redirect(w, r, "/signin", http.StatusSeeOther)
			return
		}
		w.Header().Set("Content-Security-Policy", graphiqlCSP)
		graphiql.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /signin", func(w http.ResponseWriter, _ *http.Request) {
		page(w, signinPage)
	})
}
