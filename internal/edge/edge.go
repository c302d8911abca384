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

import "net/http"

// Chain wraps h in mws so that the first of mws is outermost: it sees the
// request first and the response last.
func Chain(h http.Handler, mws ...func(http.Handler) http.Handler) http.Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}
