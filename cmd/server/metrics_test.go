package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// get fetches url with an optional bearer token and returns the status and
// body.
func get(t *testing.T, url, bearer string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// /metrics is never open to anyone: it is served behind a bearer token, on
// a listener of its own, both, or not at all.
func TestMetricsAccess(t *testing.T) {
	const token = "scrape-0123456789abcdef0123456789abcdef"
	type check struct {
		where  string // "api" or "metrics"
		bearer string
		status int
	}
	tests := []struct {
		name   string
		env    map[string]string
		checks []check
	}{
		{"without METRICS_ADDR nor METRICS_TOKEN nothing is served", nil, []check{
			{"api", "", http.StatusNotFound},
			{"api", token, http.StatusNotFound},
		}},
		{"with a token the main listener serves it to that token only", map[string]string{"METRICS_TOKEN": token}, []check{
			{"api", "", http.StatusUnauthorized},
			{"api", "scrape-wrong-0123456789abcdef0123456789", http.StatusUnauthorized},
			{"api", token, http.StatusOK},
		}},
		{"with an address of its own it is served there and only there", map[string]string{"METRICS_ADDR": "127.0.0.1:9464"}, []check{
			{"metrics", "", http.StatusOK},
			{"api", "", http.StatusNotFound},
		}},
		{"with both the token is asked on its own listener", map[string]string{"METRICS_ADDR": "127.0.0.1:9464", "METRICS_TOKEN": token}, []check{
			{"metrics", "", http.StatusUnauthorized},
			{"metrics", token, http.StatusOK},
			{"api", token, http.StatusNotFound},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kv := sqliteEnv(t)
			for k, v := range tt.env {
				kv[k] = v
			}
			s := start(t, kv)
			// Something worth counting first.
			if status, _ := postJSON(t, s.base+"/graphql", "", map[string]any{"query": "{ __typename }"}); status != http.StatusOK {
				t.Fatalf("graphql: %d", status)
			}
			for _, c := range tt.checks {
				base := s.base
				if c.where == "metrics" {
					base = s.metrics
				}
				status, body := get(t, base+"/metrics", c.bearer)
				if status != c.status {
					t.Errorf("GET %s /metrics with token %v: %d, want %d", c.where, c.bearer != "", status, c.status)
					continue
				}
				if status == http.StatusOK && !strings.Contains(body, `http_requests_total{code="200",method="POST",route="graphql"}`) {
					t.Errorf("metrics do not count graphql requests:\n%.2000s", body)
				}
				if status != http.StatusOK && strings.Contains(body, "process_start_time_seconds") {
					t.Errorf("a refusal shows the metrics:\n%s", body)
				}
			}
		})
	}
}
