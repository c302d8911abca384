package edge

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/clinicgate/clinicgate/internal/logging"
)

// logLines decodes the JSON lines written to buf.
func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	return lines
}

func jsonLogger(buf *bytes.Buffer) *slog.Logger {
	return logging.New(buf, slog.LevelDebug, "json")
}

func TestChainRunsTheFirstMiddlewareOutermost(t *testing.T) {
	var order []string
	mw := func(name string) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				order = append(order, name+" in")
				next.ServeHTTP(w, r)
				order = append(order, name+" out")
			})
		}
	}
	h := Chain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { order = append(order, "handler") }),
		mw("a"), mw("b"))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if got := strings.Join(order, ", "); got != "a in, b in, handler, b out, a out" {
		t.Fatalf("order = %s", got)
	}
}

func TestRequestID(t *testing.T) {
	tests := []struct {
		name     string
		incoming string
		keep     bool
	}{
		{"a sane incoming id is kept", "abc-123_X.y", true},
		{"an id of 64 characters is kept", strings.Repeat("a", 64), true},
		{"a missing id is generated", "", false},
		{"an id of 65 characters is replaced", strings.Repeat("a", 65), false},
		{"an id with spaces is replaced", "a b", false},
		{"an id that could forge log lines is replaced", `x","level":"ERROR`, false},
		{"an id with non-ASCII letters is replaced", "ид", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen string
			h := RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen = RequestIDFrom(r.Context())
			}))
			req := httptest.NewRequest("GET", "/", nil)
			if tt.incoming != "" {
				req.Header.Set(RequestIDHeader, tt.incoming)
			}
			rr := httptest.NewRecorder()
			h.ServeHTTP(rr, req)
			got := rr.Header().Get(RequestIDHeader)
			if got != seen {
				t.Fatalf("response header %q differs from context %q", got, seen)
			}
			if tt.keep {
				if got != tt.incoming {
					t.Fatalf("id = %q, want the incoming %q", got, tt.incoming)
				}
				return
			}
			if _, err := uuid.Parse(got); err != nil {
				t.Fatalf("id = %q, want a generated UUID", got)
			}
		})
	}
}

func TestRecoverAnswersAPanicWithJSON500AndLogsTheStack(t *testing.T) {
	var buf bytes.Buffer
	log := jsonLogger(&buf)
	h := Chain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panicky() }),
		RequestID, Recover(log))
	req := httptest.NewRequest("GET", "/x", nil)
	req.Header.Set(RequestIDHeader, "req-1")
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, req)

	if rr.Code != 500 || rr.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("got %d %s, want a JSON 500", rr.Code, rr.Header().Get("Content-Type"))
	}
	var body ErrorBody
	if err := json.Unmarshal(rr.Body.Bytes(), &body); err != nil || body.Error != (ErrorDetail{Code: "internal", RequestID: "req-1"}) {
		t.Fatalf("body = %s, want {error: {code: internal, requestId: req-1}}", rr.Body)
	}
	lines := logLines(t, &buf)
	if len(lines) != 1 {
		t.Fatalf("want one log line, got %d", len(lines))
	}
	l := lines[0]
	if l["level"] != "ERROR" || l["request_id"] != "req-1" || l["panic"] != "kaboom" {
		t.Errorf("log line = %v", l)
	}
	if s, _ := l["stack"].(string); !strings.Contains(s, "edge.panicky") {
		t.Errorf("stack does not show the panicking function:\n%s", s)
	}
	if strings.Contains(rr.Body.String(), "kaboom") {
		t.Error("the panic value leaked into the response")
	}
}

func panicky() { panic("kaboom") }

func TestRecoverPassesOnErrAbortHandler(t *testing.T) {
	var buf bytes.Buffer
	h := Recover(jsonLogger(&buf))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Fatalf("recovered %v, want http.ErrAbortHandler", v)
		}
		if buf.Len() != 0 {
			t.Errorf("an abort was logged as a panic: %s", &buf)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
}

func TestRecoverAbortsAResponseThatHadStarted(t *testing.T) {
	var buf bytes.Buffer
	h := Recover(jsonLogger(&buf))(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("partial"))
		panic("late")
	}))
	func() {
		defer func() {
			if v := recover(); v != http.ErrAbortHandler {
				t.Fatalf("recovered %v, want http.ErrAbortHandler so that net/http cuts the connection", v)
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	}()
	if !strings.Contains(buf.String(), `"panic":"late"`) {
		t.Errorf("the panic was not logged: %s", &buf)
	}

	// Over a real connection, the client sees a failed response, not a
	// short one that looks complete.
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err == nil {
		_, err = bytes.NewBuffer(nil).ReadFrom(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Fatal("the client read the truncated response without error")
	}
}

func TestAccessLogIncludesFieldsSetByInnerLayers(t *testing.T) {
	var buf bytes.Buffer
	log := jsonLogger(&buf)
	auth := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			logging.Set(r.Context(), slog.String(logging.OrgKey, "org_1"), slog.String(logging.UserKey, "usr_1"))
			next.ServeHTTP(w, r)
		})
	}
	h := Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logging.FromContext(r.Context()).Info("inner")
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte("hello"))
	}), RequestID, AccessLog(log, false), Recover(log), auth)

	req := httptest.NewRequest("POST", "/scim/v2/Users?access_token=s3cr3t", nil)
	req.RemoteAddr = "192.0.2.7:5555"
	req.Header.Set("User-Agent", "tester/1")
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, req)

	if strings.Contains(buf.String(), "s3cr3t") {
		t.Fatalf("the query string was logged: %s", &buf)
	}
	lines := logLines(t, &buf)
	if len(lines) != 2 {
		t.Fatalf("want the inner line and the access line, got %d lines", len(lines))
	}
	id := rr.Header().Get(RequestIDHeader)
	inner, access := lines[0], lines[1]
	for k, want := range map[string]any{"msg": "inner", "request_id": id, "org": "org_1", "user": "usr_1"} {
		if inner[k] != want {
			t.Errorf("inner line %s = %v, want %v", k, inner[k], want)
		}
	}
	for k, want := range map[string]any{
		"msg": "request", "method": "POST", "path": "/scim/v2/Users", "status": 201.0, "bytes": 5.0,
		"request_id": id, "remote_ip": "192.0.2.7", "user_agent": "tester/1", "org": "org_1", "user": "usr_1",
	} {
		if access[k] != want {
			t.Errorf("access line %s = %v, want %v", k, access[k], want)
		}
	}
	if _, ok := access["duration_ms"].(float64); !ok {
		t.Errorf("access line lacks duration_ms: %v", access)
	}
	if _, ok := access["aborted"]; ok {
		t.Errorf("a normal request was marked aborted: %v", access)
	}
}

func TestAccessLogRecordsTheRecoveredStatus(t *testing.T) {
	var buf bytes.Buffer
	log := jsonLogger(&buf)
	h := Chain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("x") }),
		RequestID, AccessLog(log, false), Recover(log))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	lines := logLines(t, &buf)
	if len(lines) != 2 || lines[1]["msg"] != "request" || lines[1]["status"] != 500.0 {
		t.Fatalf("lines = %v, want the panic and an access line with status 500", lines)
	}
	if lines[0]["request_id"] != lines[1]["request_id"] || lines[0]["request_id"] == nil {
		t.Errorf("the panic and access lines do not share the request id: %v", lines)
	}
}

func TestAccessLogStillLogsARequestWhosePanicGoesPast(t *testing.T) {
	var buf bytes.Buffer
	h := AccessLog(jsonLogger(&buf), false)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("x") }))
	func() {
		defer func() { recover() }()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	}()
	lines := logLines(t, &buf)
	if len(lines) != 1 || lines[0]["status"] != 500.0 || lines[0]["aborted"] != true {
		t.Fatalf("lines = %v, want one aborted 500", lines)
	}
}

func TestClientIP(t *testing.T) {
	tests := []struct {
		name   string
		remote string
		xff    []string
		trust  bool
		want   string
	}{
		{"the connection's address without proxies", "203.0.113.9:4000", nil, false, "203.0.113.9"},
		{"X-Forwarded-For is ignored unless trusted", "10.0.0.2:4000", []string{"198.51.100.1"}, false, "10.0.0.2"},
		{"a trusted proxy's entry is used", "10.0.0.2:4000", []string{"198.51.100.1"}, true, "198.51.100.1"},
		{"the proxy's appended entry wins over the client's", "10.0.0.2:4000", []string{"6.6.6.6, 198.51.100.1"}, true, "198.51.100.1"},
		{"the last of several headers counts", "10.0.0.2:4000", []string{"6.6.6.6", "198.51.100.1"}, true, "198.51.100.1"},
		{"an entry with a port", "10.0.0.2:4000", []string{"198.51.100.1:999"}, true, "198.51.100.1"},
		{"an IPv6 entry", "10.0.0.2:4000", []string{"2001:db8::1"}, true, "2001:db8::1"},
		{"a garbage entry falls back to the connection", "10.0.0.2:4000", []string{"1.1.1.1, unknown"}, true, "10.0.0.2"},
		{"an IPv6 connection", "[2001:db8::2]:4000", nil, false, "2001:db8::2"},
		{"an IPv4-mapped IPv6 connection", "[::ffff:192.0.2.1]:4000", nil, false, "192.0.2.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := ClientIP(r, tt.trust); got != tt.want {
				t.Fatalf("ClientIP = %q, want %q", got, tt.want)
			}
		})
	}
}
