package edge

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/clinicgate/clinicgate/internal/logging"
)

// maxUserAgent bounds the user agent logged: it is client-controlled.
const maxUserAgent = 256

// AccessLog writes one line per request when it ends: method, path, status,
// bytes, duration, request id, client IP and user agent, and whatever inner
// layers added to the request's log fields (org and user, after
// authentication).
//
// It installs log and a [logging.Fields] holder, seeded with the request id,
// in the request's context, so that [logging.FromContext] works further in.
// Put it inside [RequestID].
//
// The query string is left out: it can carry tokens and codes.
func AccessLog(log *slog.Logger, trustProxy bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			var seed []slog.Attr
			if id := RequestIDFrom(r.Context()); id != "" {
				seed = append(seed, slog.String(logging.RequestIDKey, id))
			}
			ctx := logging.NewContext(r.Context(), log, seed...)
			rec := &recorder{ResponseWriter: w}
			returned := false
			defer func() {
				status := rec.finalStatus()
				if !returned && !rec.started() {
					status = http.StatusInternalServerError // a panic going up: net/http closes the connection
				}
				ua := r.UserAgent()
				if len(ua) > maxUserAgent {
					ua = ua[:maxUserAgent]
				}
				attrs := []slog.Attr{
					slog.String("method", r.Method),
					slog.String("path", r.URL.Path),
					slog.Int("status", status),
					slog.Int64("bytes", rec.bytes),
					slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
					slog.String("remote_ip", ClientIP(r, trustProxy)),
					slog.String("user_agent", ua),
				}
				if !returned {
					attrs = append(attrs, slog.Bool("aborted", true))
				}
				attrs = append(attrs, logging.Attrs(ctx)...)
				log.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
			}()
			next.ServeHTTP(rec, r.WithContext(ctx))
			returned = true
		})
	}
}

// requestAttrs returns the request's log fields, or only its id when no
// holder is installed.
func requestAttrs(r *http.Request) []slog.Attr {
	if attrs := logging.Attrs(r.Context()); attrs != nil {
		return attrs
	}
	if id := RequestIDFrom(r.Context()); id != "" {
		return []slog.Attr{slog.String(logging.RequestIDKey, id)}
	}
	return nil
}
