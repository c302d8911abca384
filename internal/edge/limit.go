package edge

import "net/http"

// DefaultBodyLimit bounds request bodies where nothing larger is expected,
// such as GraphQL operations: 1 MiB.
const DefaultBodyLimit = 1 << 20

// LimitBody refuses request bodies larger than n bytes, so that a client
// cannot make the server buffer an unbounded body. A declared Content-Length
// over n is answered with 413 request_too_large (apperr.TooLarge) at once; a body without one fails the
// handler's read past n with an *http.MaxBytesError, which handlers should
// answer with 413.
func LimitBody(n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > n {
				WriteError(w, r, nil, errTooLarge)
				return
			}
			r2 := new(http.Request)
			*r2 = *r // shallow copy: handlers must not modify the caller's request
			r2.Body = http.MaxBytesReader(w, r.Body, n)
			next.ServeHTTP(w, r2)
		})
	}
}
