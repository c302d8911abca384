package apperr_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/graph"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/edge"
	"github.com/clinicgate/clinicgate/scim"
)

// edges is the contract of every kind on the three edges: the HTTP status
// and body code (edge.WriteError: /auth/*, the session and edge
// middleware), GraphQL extensions.code (graph.PresentError), and the SCIM
// status and scimType (scim.Error).
var edges = map[apperr.Kind]struct {
	status   int
	code     string
	scim     int
	scimType string
}{
	apperr.Internal:               {500, "internal", 500, ""},
	apperr.Unauthenticated:        {401, "unauthenticated", 401, ""},
	apperr.Forbidden:              {403, "forbidden", 403, ""},
	apperr.NotFound:               {404, "not_found", 404, ""},
	apperr.Invalid:                {400, "bad_user_input", 400, "invalidValue"},
	apperr.Conflict:               {409, "conflict", 409, "uniqueness"},
	apperr.MFARequired:            {403, "mfa_required", 403, ""},
	apperr.MFAStepUpRequired:      {403, "mfa_step_up_required", 403, ""},
	apperr.PasswordChangeRequired: {403, "password_change_required", 403, ""},
	apperr.Unavailable:            {503, "unavailable", 503, ""},
	apperr.TooManyRequests:        {429, "too_many_requests", 429, ""},
	apperr.UnsupportedMediaType:   {415, "unsupported_media_type", 415, ""},
	apperr.TooLarge:               {413, "request_too_large", 413, ""},
	apperr.Gone:                   {410, "gone", 410, ""},
}

// errorBody is the documented HTTP error shape, decoded strictly.
type errorBody struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		Policy    string `json:"policy"`
		Field     string `json:"field"`
		RequestID string `json:"requestId"`
	} `json:"error"`
}

func writeHTTP(t *testing.T, err error) (*httptest.ResponseRecorder, errorBody, string) {
	t.Helper()
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	r := httptest.NewRequest("POST", "/auth/login", nil)
	r = r.WithContext(edge.WithRequestID(r.Context(), "req-1"))
	w := httptest.NewRecorder()
	edge.WriteError(w, r, log, err)
	var body errorBody
	dec := json.NewDecoder(bytes.NewReader(w.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("body %q: %v", w.Body, err)
	}
	return w, body, logs.String()
}

func TestEveryKindOnEveryEdge(t *testing.T) {
	for _, k := range apperr.Kinds() {
		t.Run(string(k), func(t *testing.T) {
			want, ok := edges[k]
			if !ok {
				t.Fatalf("no expected mapping for %s: add it to the table", k)
			}
			err := &apperr.Error{Kind: k, Message: "shown " + string(k)}
			if k == apperr.TooManyRequests {
				err.RetryAfter = 2500 * time.Millisecond
			}

			// HTTP.
			if got := apperr.Status(k); got != want.status {
				t.Errorf("Status = %d, want %d", got, want.status)
			}
			w, body, _ := writeHTTP(t, err)
			if w.Code != want.status || body.Error.Code != want.code || body.Error.RequestID != "req-1" {
				t.Errorf("HTTP %d %s, want %d with code %q and the request id", w.Code, w.Body, want.status, want.code)
			}
			if k == apperr.Internal {
				if body.Error.Message != "" {
					t.Errorf("a 500 shows a message: %s", w.Body)
				}
			} else if body.Error.Message != err.Message {
				t.Errorf("message %q, want %q", body.Error.Message, err.Message)
			}
			for h, v := range map[string]string{"Content-Type": "application/json",
				"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
				if got := w.Header().Get(h); got != v {
					t.Errorf("%s: %q, want %q", h, got, v)
				}
			}
			wantRetry := map[apperr.Kind]string{apperr.TooManyRequests: "3", apperr.Unavailable: "5"}[k]
			if got := w.Header().Get("Retry-After"); got != wantRetry {
				t.Errorf("Retry-After %q, want %q", got, wantRetry)
			}

			// GraphQL.
			g := graph.PresentError(context.Background(), err)
			if got := g.Extensions["code"]; got != string(k) {
				t.Errorf("GraphQL extensions.code = %v, want %s", got, k)
			}
			if k == apperr.TooManyRequests && g.Extensions["retryAfter"] != int64(3) {
				t.Errorf("GraphQL extensions.retryAfter = %v, want 3", g.Extensions["retryAfter"])
			}

			// SCIM.
			s := scim.Error(context.Background(), err)
			if s.Status != want.scim || string(s.ScimType) != want.scimType {
				t.Errorf("SCIM %d %q, want %d %q", s.Status, s.ScimType, want.scim, want.scimType)
			}
		})
	}
}

// The HTTP writer's answers to what is not a plain kind: a code of its own,
// a password policy, a raw driver error, a database that did not answer.
func TestHTTPErrorWriter(t *testing.T) {
	t.Run("an error's own code and policy are sent", func(t *testing.T) {
		w, body, _ := writeHTTP(t, &apperr.Error{Kind: apperr.Invalid, Code: "weak_password", Message: "too short", Policy: "too_short"})
		if w.Code != 400 || body.Error.Code != "weak_password" || body.Error.Policy != "too_short" || body.Error.Message != "too short" {
			t.Errorf("%d %s", w.Code, w.Body)
		}
	})
	t.Run("an unexpected error is logged and answered with a bare 500", func(t *testing.T) {
		w, body, logs := writeHTTP(t, fmt.Errorf("query: %w", errors.New("pq: secret detail")))
		if w.Code != 500 || body.Error.Code != "internal" || body.Error.Message != "" || strings.Contains(w.Body.String(), "secret") {
			t.Errorf("%d %s", w.Code, w.Body)
		}
		if !strings.Contains(logs, "request failed") || !strings.Contains(logs, "secret detail") || !strings.Contains(logs, "req-1") {
			t.Errorf("not logged with its cause and request id:\n%s", logs)
		}
	})
	t.Run("a database that did not answer in time is 503 with Retry-After", func(t *testing.T) {
		w, body, logs := writeHTTP(t, fmt.Errorf("query: %w", context.DeadlineExceeded))
		if w.Code != 503 || body.Error.Code != "unavailable" || body.Error.Message == "" || w.Header().Get("Retry-After") != "5" {
			t.Errorf("%d %s Retry-After %q", w.Code, w.Body, w.Header().Get("Retry-After"))
		}
		if !strings.Contains(logs, "database unavailable") {
			t.Errorf("not logged:\n%s", logs)
		}
	})
	t.Run("Content-Length set before is dropped", func(t *testing.T) {
		r := httptest.NewRequest("GET", "/", nil)
		w := httptest.NewRecorder()
		w.Header().Set("Content-Length", "1")
		edge.WriteError(w, r, nil, apperr.New(apperr.NotFound, "x"))
		if w.Header().Get("Content-Length") != "" || w.Code != http.StatusNotFound {
			t.Errorf("%d %v", w.Code, w.Header())
		}
	})
}
