package edge

import (
	"bufio"
	"net"
	"net/http"
)

// recorder wraps a ResponseWriter to learn the status and size of the
// response. It passes Flush and Hijack through, and Unwrap lets
// http.ResponseController reach the rest, so wrapping breaks neither
// streaming nor WebSocket upgrades.
type recorder struct {
	http.ResponseWriter
	status   int // 0 until the final header is written
	bytes    int64
	hijacked bool
}

func (r *recorder) WriteHeader(code int) {
	// 1xx other than 101 are interim responses: the final one follows.
	if r.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols || code < 100) {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Flush implements http.Flusher; like net/http's, it ignores a writer that
// cannot flush.
func (r *recorder) Flush() {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	http.NewResponseController(r.ResponseWriter).Flush()
}

func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(r.ResponseWriter).Hijack()
	if err == nil {
		r.hijacked = true
		if r.status == 0 {
			r.status = http.StatusSwitchingProtocols
		}
	}
	return c, rw, err
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// started reports whether the response has been committed, after which its
// status can no longer change.
func (r *recorder) started() bool { return r.status != 0 || r.hijacked }

// finalStatus is the status the client got: net/http sends 200 for a
// handler that wrote nothing.
func (r *recorder) finalStatus() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}
