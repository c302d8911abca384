package edge

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRequireBearer(t *testing.T) {
	const token = "scrape-0123456789abcdef0123456789abcdef"
	h := RequireBearer(token, "metrics")(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("metrics"))
	}))
	tests := []struct {
		name   string
		header string
		want   int
	}{
		{"the right token is let through", "Bearer " + token, http.StatusOK},
		{"the scheme is case-insensitive", "bearer " + token, http.StatusOK},
		{"no credentials are refused", "", http.StatusUnauthorized},
		{"a wrong token is refused", "Bearer scrape-0123456789abcdef0123456789abcdeX", http.StatusUnauthorized},
		{"a prefix of the token is refused", "Bearer " + token[:10], http.StatusUnauthorized},
		{"an empty token is refused", "Bearer ", http.StatusUnauthorized},
		{"the token as Basic credentials is refused", "Basic " + token, http.StatusUnauthorized},
		{"the token without a scheme is refused", token, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/metrics", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d", w.Code, tt.want)
			}
			if tt.want == http.StatusOK {
				if w.Body.String() != "metrics" {
					t.Errorf("body %q", w.Body)
				}
				return
			}
			var body ErrorBody
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code != "unauthenticated" {
				t.Errorf("body %q (%v)", w.Body, err)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != `Bearer realm="metrics"` {
				t.Errorf("WWW-Authenticate = %q", got)
			}
		})
	}
}
