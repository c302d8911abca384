package edge

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
)

// Recover turns a panic in a handler into a logged error, with its stack,
// and a JSON 500 {"error":{"code":"internal","requestId":…}}, so that one bad request
// neither kills the connection silently nor goes unnoticed.
//
// Two panics are not answered. http.ErrAbortHandler is passed on: it is how
// a handler asks net/http to abort the response. And when the response had
// already started, a 500 can no longer be sent, and ending it normally would
// pass a truncated body off as complete; the panic is logged and the
// response aborted with http.ErrAbortHandler instead.
func Recover(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := &recorder{ResponseWriter: w}
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler {
					panic(v)
				}
				attrs := append(requestAttrs(r),
					slog.String("panic", fmt.Sprint(v)),
					slog.String("method", r.Method),
					slog.String("path", r.URL.Path),
					slog.String("stack", string(debug.Stack())),
				)
				log.LogAttrs(r.Context(), slog.LevelError, "panic in handler", attrs...)
				switch {
				case rec.hijacked:
					// The connection belongs to the handler now.
				case rec.started():
					panic(http.ErrAbortHandler)
				default:
					WriteError(rec, r, log, errPanic)
				}
			}()
			next.ServeHTTP(rec, r)
		})
	}
}
