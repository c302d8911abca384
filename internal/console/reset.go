package console

import (
	_ "embed"
	"net/http"
)

// ResetPasswordPath is the page password-reset emails link to (with the
// token as its "token" query parameter); without a token it asks for the
// email to send a link to. A frontend may serve its own page at the same
// path instead.
const ResetPasswordPath = "/reset-password"

//go:embed reset.html
var resetPage []byte

// ResetRoutes registers GET /reset-password. Like the invitation page it
// is always served: every reset email links to it.
func ResetRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+ResetPasswordPath, func(w http.ResponseWriter, _ *http.Request) {
		page(w, resetPage)
	})
}
