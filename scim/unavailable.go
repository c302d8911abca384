package scim

import (
	"context"
	"net/http"
	"strconv"

	scimerrors "github.com/elimity-com/scim/errors"

	"github.com/clinicgate/clinicgate/internal/store/unavailable"
)

// The library answers a status it does not expect for the method (503
// among them) with a 500. A database that cannot answer is a 503 with
// Retry-After, so that Okta and Entra retry rather than record a failure:
// Error notes the unavailability in the request's context, and
// answerUnavailable turns the library's 500 for that request into our
// 503 before anything is written.

type unavailableKey struct{}

// unavailableNote is set by Error when the request met an unavailable
// database.
type unavailableNote struct{ err *scimerrors.ScimError }

func withUnavailableNote(ctx context.Context) (context.Context, *unavailableNote) {
	n := &unavailableNote{}
	return context.WithValue(ctx, unavailableKey{}, n), n
}

func noteUnavailable(ctx context.Context, e scimerrors.ScimError) {
	if n, ok := ctx.Value(unavailableKey{}).(*unavailableNote); ok && n.err == nil {
		n.err = &e
	}
}

// answerUnavailable serves next, answering 503 with Retry-After (and the
// SCIM error body) when the library would answer a 500 for a request
// whose handler met an unavailable database.
func answerUnavailable(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, note := withUnavailableNote(r.Context())
		next.ServeHTTP(&unavailableWriter{ResponseWriter: w, note: note}, r.WithContext(ctx))
	})
}

type unavailableWriter struct {
	http.ResponseWriter
	note     *unavailableNote
	replaced bool
}

func (w *unavailableWriter) WriteHeader(code int) {
	if code == http.StatusInternalServerError && w.note.err != nil {
		w.replaced = true
		writeError(w.ResponseWriter, *w.note.err)
		return
	}
	if code == http.StatusServiceUnavailable {
		retryAfter(w.ResponseWriter, scimerrors.ScimError{Status: code})
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *unavailableWriter) Write(b []byte) (int, error) {
	if w.replaced {
		return len(b), nil // the library's 500 body, replaced
	}
	return w.ResponseWriter.Write(b)
}

// retryAfter sets Retry-After on a 503 answer.
func retryAfter(w http.ResponseWriter, e scimerrors.ScimError) {
	if e.Status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", strconv.Itoa(int(unavailable.RetryAfter.Seconds())))
	}
}
