package authzbench

import (
	"slices"
	"testing"
	"time"
)

// Median runs op b.N times, after a warm-up that brings pgx's statement
// cache and PostgreSQL's plan cache to their steady state, timing each
// operation, and returns the median. It reports allocations per
// operation; a failing op fails the benchmark.
func Median(b *testing.B, op func() error) time.Duration {
	b.Helper()
	for range 10 {
		if err := op(); err != nil {
			b.Fatal(err)
		}
	}
	lat := make([]time.Duration, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		t := time.Now()
		if err := op(); err != nil {
			b.Fatal(err)
		}
		lat[i] = time.Since(t)
	}
	b.StopTimer()
	slices.Sort(lat)
	return lat[len(lat)/2]
}
