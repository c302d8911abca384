package loadgen

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// outcome is how one operation ended. A zero outcome is a success.
type outcome struct {
	// class names a failure: "http 503", "graphql FORBIDDEN",
	// "transport"; empty on success.
	class string
	// serverError marks a 5xx, a GraphQL INTERNAL or UNAVAILABLE
	// (answered inside a 200), or no answer at all: the server failed,
	// not the request.
	serverError bool
	// unknown marks a write whose fate the client cannot know (the
	// connection failed or timed out): verification does not count it as
	// either acknowledged or refused.
	unknown bool
}

func (o outcome) ok() bool { return o.class == "" }

// opStats holds every latency of one operation: exact samples, sorted once
// at the end (a 30 s run at a few thousand operations a second is a few
// hundred thousand durations, so no histogram is needed for exact
// percentiles).
type opStats struct {
	mu      sync.Mutex
	samples []time.Duration
	errors  map[string]int
}

// Stats collects the outcomes of a run, and counts for the progress line.
type Stats struct {
	ops     map[string]*opStats
	total   atomic.Int64
	failed  atomic.Int64
	server  atomic.Int64
	started time.Time
}

func newStats(names []string) *Stats {
	s := &Stats{ops: map[string]*opStats{}}
	for _, n := range names {
		s.ops[n] = &opStats{errors: map[string]int{}}
	}
	return s
}

func (s *Stats) record(op string, d time.Duration, o outcome) {
	st := s.ops[op]
	st.mu.Lock()
	st.samples = append(st.samples, d)
	if !o.ok() {
		st.errors[o.class]++
	}
	st.mu.Unlock()
	s.total.Add(1)
	if !o.ok() {
		s.failed.Add(1)
	}
	if o.serverError {
		s.server.Add(1)
	}
}

// OpReport is the summary of one operation.
type OpReport struct {
	Name          string
	Count         int
	PerSecond     float64
	P50, P95, P99 time.Duration
	Max           time.Duration
	Errors        map[string]int // by class
}

// Failed is how many of the operation's requests failed.
func (r OpReport) Failed() int {
	n := 0
	for _, c := range r.Errors {
		n += c
	}
	return n
}

func (s *Stats) reports(elapsed time.Duration) []OpReport {
	var out []OpReport
	for name, st := range s.ops {
		st.mu.Lock()
		xs := slices.Clone(st.samples)
		errs := make(map[string]int, len(st.errors))
		for k, v := range st.errors {
			errs[k] = v
		}
		st.mu.Unlock()
		slices.Sort(xs)
		r := OpReport{Name: name, Count: len(xs), Errors: errs}
		if len(xs) > 0 {
			r.PerSecond = float64(len(xs)) / elapsed.Seconds()
			r.P50, r.P95, r.P99 = quantile(xs, 0.50), quantile(xs, 0.95), quantile(xs, 0.99)
			r.Max = xs[len(xs)-1]
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// quantile is the nearest-rank quantile q of sorted xs.
func quantile(xs []time.Duration, q float64) time.Duration {
	i := int(float64(len(xs))*q+0.999999) - 1
	return xs[max(0, min(i, len(xs)-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }

// writeTable prints the per-operation table.
func writeTable(w io.Writer, ops []OpReport) {
	fmt.Fprintf(w, "%-14s %9s %9s %8s %8s %8s %8s  %s\n", "operation", "count", "per s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors")
	for _, r := range ops {
		var errs []string
		for k, v := range r.Errors {
			errs = append(errs, fmt.Sprintf("%s ×%d", k, v))
		}
		sort.Strings(errs)
		e := "-"
		if len(errs) > 0 {
			e = strings.Join(errs, ", ")
		}
		fmt.Fprintf(w, "%-14s %9d %9.1f %8s %8s %8s %8s  %s\n", r.Name, r.Count, r.PerSecond, ms(r.P50), ms(r.P95), ms(r.P99), ms(r.Max), e)
	}
}
