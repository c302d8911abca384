package edge

import (
	"context"
	"net/http"
	"time"
)

// Deadline ends every request's context d after the request arrives, so
// that a slow or locked database cannot hold a client, a goroutine and a
// pooled connection for as long as the lock lasts: what the handler waits
// on (a query, a free connection, a hashing slot) gives up, and the edges
// answer 503 unavailable with Retry-After (see internal/store/unavailable).
//
// It writes nothing itself, so streaming and hijacking keep working and a
// handler that does not wait on the context is not cut off mid-response.
// Put it before the session middleware, the first layer that touches the
// database; d should stay below the server's write timeout, or the answer
// could no longer be written.
func Deadline(d time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), d)
			defer cancel()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}
