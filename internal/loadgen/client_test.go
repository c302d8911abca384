package loadgen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// How answers are judged: what fails the run (the server failed) and what
// is only a refused request.
func TestAnswersAreJudgedServerFailuresApartFromRefusals(t *testing.T) {
	answers := map[string]func(w http.ResponseWriter){
		"ok": func(w http.ResponseWriter) { w.Write([]byte(`{"data":{"x":1}}`)) },
		"forbidden": func(w http.ResponseWriter) {
			w.Write([]byte(`{"errors":[{"message":"no","extensions":{"code":"FORBIDDEN"}}],"data":null}`))
		},
		"internal": func(w http.ResponseWriter) {
			w.Write([]byte(`{"errors":[{"extensions":{"code":"INTERNAL"}}],"data":null}`))
		},
		"503": func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"errors":[{"extensions":{"code":"UNAVAILABLE"}}]}`))
		},
		"dropped": func(w http.ResponseWriter) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		answers[r.Header.Get("X-Forwarded-For")](w)
	}))
	t.Cleanup(srv.Close)
	a := &api{base: srv.URL, http: srv.Client()}
	for name, want := range map[string]outcome{
		"ok":        {},
		"forbidden": {class: "graphql FORBIDDEN"},
		"internal":  {class: "graphql INTERNAL", serverError: true},
		"503":       {class: "http 503 UNAVAILABLE", serverError: true},
		"dropped":   {class: "transport", serverError: true, unknown: true},
	} {
		var out struct{ X int }
		got := graphql(context.Background(), a, &session{token: "t", addr: name}, "{x}", nil, &out)
		if got != want {
			t.Errorf("%s: got %+v, want %+v", name, got, want)
		}
		if name == "ok" && out.X != 1 {
			t.Errorf("ok: data not decoded: %+v", out)
		}
	}
}

func TestARunWithAnEmptyMixIsRefused(t *testing.T) {
	_, err := Run(context.Background(), Config{Server: "http://127.0.0.1:1", Database: "postgres://127.0.0.1:1/x", Duration: time.Second, Concurrency: 1})
	if err == nil || !strings.Contains(err.Error(), "the mix weighs no operation") {
		t.Fatalf("got %v", err)
	}
}
