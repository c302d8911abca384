package edge

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// sample finds the value of a counter or a histogram's count in reg with
// exactly the given labels.
func sample(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue metrics
				}
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue(), true
			case m.GetHistogram() != nil:
				return float64(m.GetHistogram().GetSampleCount()), true
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue(), true
			}
		}
	}
	return 0, false
}

func TestMetricsCountRequestsByRouteNotPath(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	h := m.Instrument("scim", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/missing") {
			http.NotFound(w, r)
		}
	}))
	for _, req := range []*http.Request{
		httptest.NewRequest("GET", "/scim/v2/Users/usr_1", nil),
		httptest.NewRequest("GET", "/scim/v2/Users/usr_2", nil),
		httptest.NewRequest("GET", "/scim/v2/Users/missing", nil),
		httptest.NewRequest("BREW", "/scim/v2/Users/usr_3", nil),
	} {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	tests := []struct {
		name   string
		metric string
		labels map[string]string
		want   float64
	}{
		{"successes of both paths share one series", "http_requests_total",
			map[string]string{"method": "GET", "route": "scim", "code": "200"}, 2},
		{"status codes are told apart", "http_requests_total",
			map[string]string{"method": "GET", "route": "scim", "code": "404"}, 1},
		{"unknown methods are folded into OTHER", "http_requests_total",
			map[string]string{"method": "OTHER", "route": "scim", "code": "200"}, 1},
		{"durations are observed per method and route", "http_request_duration_seconds",
			map[string]string{"method": "GET", "route": "scim"}, 3},
		{"nothing is left in flight", "http_requests_in_flight", map[string]string{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := sample(t, reg, tt.metric, tt.labels)
			if !ok || got != tt.want {
				t.Fatalf("%s%v = %v (found %v), want %v", tt.metric, tt.labels, got, ok, tt.want)
			}
		})
	}
}

func TestMetricsCountAPanicAsA500(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	h := m.Instrument("graphql", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("x") }))
	func() {
		defer func() { recover() }()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/graphql", nil))
	}()
	if got, _ := sample(t, reg, "http_requests_total", map[string]string{"method": "POST", "route": "graphql", "code": "500"}); got != 1 {
		t.Fatalf("panicking requests counted as 500: %v, want 1", got)
	}
	if got, _ := sample(t, reg, "http_requests_in_flight", map[string]string{}); got != 0 {
		t.Fatalf("in flight = %v after a panic, want 0", got)
	}
}

func TestMetricsHandlerServesTheRegistry(t *testing.T) {
	reg := NewRegistry()
	m := NewMetrics(reg)
	m.Instrument("graphql", http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/graphql", nil))

	rr := httptest.NewRecorder()
	Handler(reg).ServeHTTP(rr, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rr.Body)
	for _, want := range []string{
		`http_requests_total{code="404",method="GET",route="graphql"} 1`,
		"go_goroutines",
		"process_start_time_seconds",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestNewMetricsPanicsWhenRegisteredTwice(t *testing.T) {
	reg := prometheus.NewRegistry()
	NewMetrics(reg)
	defer func() {
		if recover() == nil {
			t.Fatal("a second registration went unnoticed")
		}
	}()
	NewMetrics(reg)
}
