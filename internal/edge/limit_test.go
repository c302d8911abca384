package edge

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestLimitBody(t *testing.T) {
	const limit = 16
	// echo answers 413 for an oversized body, as handlers behind LimitBody should.
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			return
		}
		w.Write(b)
	})
	tests := []struct {
		name    string
		body    string
		chunked bool // no Content-Length: the limit bites while reading
		status  int
	}{
		{"a body at the limit passes", strings.Repeat("a", limit), false, 200},
		{"a declared oversized body is refused before the handler", strings.Repeat("a", limit+1), false, 413},
		{"an undeclared oversized body fails the read", strings.Repeat("a", limit+1), true, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/graphql", strings.NewReader(tt.body))
			if tt.chunked {
				req.ContentLength = -1
			}
			rr := httptest.NewRecorder()
			Chain(echo, RequestID, LimitBody(limit)).ServeHTTP(rr, req)
			if rr.Code != tt.status {
				t.Fatalf("status = %d, want %d", rr.Code, tt.status)
			}
			if tt.status == 200 && rr.Body.String() != tt.body {
				t.Fatalf("body = %q, want it intact", rr.Body)
			}
			if tt.status == 413 && !tt.chunked {
				var body ErrorBody
				json.Unmarshal(rr.Body.Bytes(), &body)
				if body.Error.Code != "request_too_large" || body.Error.RequestID == "" {
					t.Fatalf("body = %s, want a JSON error with the request id", rr.Body)
				}
			}
		})
	}
}
