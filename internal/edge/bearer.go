package edge

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// RequireBearer lets through only requests carrying
// "Authorization: Bearer <token>", as a Prometheus scrape configured with
// authorization credentials (or bearer_token_file) sends; any other
// request gets 401 with a WWW-Authenticate challenge for realm. It guards
// endpoints meant for machines, such as /metrics, whose contents (the
// process start time, request rates) are no business of the public.
//
// The comparison takes the same time whatever the token sent, so that its
// bytes cannot be guessed one at a time.
func RequireBearer(token, realm string) func(http.Handler) http.Handler {
	want := sha256.Sum256([]byte(token))
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " ")
			sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
			if !ok || !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="`+realm+`"`)
				WriteError(w, r, nil, errBearer)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
