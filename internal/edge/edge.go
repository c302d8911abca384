// Package edge holds the HTTP middleware every request passes through
// before it reaches an API, and the server's start and graceful stop.
//
// A typical chain, outermost first:
//
//	h := edge.Chain(mux,
//		edge.RequestID,                    // first, so every line has the id
//		edge.AccessLog(log, trustProxy),   // installs the per-request log fields
//		edge.Recover(log),                 // inside AccessLog, which then logs the 500
//	)
//
// with routes wrapped as m.Instrument("graphql", edge.LimitBody(edge.DefaultBodyLimit)(gql)).
package edge

import (
	"encoding/json"
	"net/http"
)

// Chain wraps h in mws so that the first of mws is outermost: it sees the
// request first and the response last.
func Chain(h http.Handler, mws ...func(http.Handler) http.Handler) http.Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// writeError answers with the JSON error body used by the edge layers:
// {"error":code,"requestId":id}. The request id lets a user's report be
// matched to the server's log without the response telling anything else.
func writeError(w http.ResponseWriter, r *http.Request, status int, code string) {
	body, _ := json.Marshal(struct {
		Error     string `json:"error"`
		RequestID string `json:"requestId,omitempty"`
	}{code, RequestIDFrom(r.Context())})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Length")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}
