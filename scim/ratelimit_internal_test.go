package scim

import (
	"fmt"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
)

func TestIdleBucketsAreDropped(t *testing.T) {
	l := newLimiters(RateLimitConfig{PerSecond: 10, Burst: 20}) // full again after 2 s
	t0 := time.Date(2031, 5, 6, 7, 0, 0, 0, time.UTC)
	for i := range 1000 {
		l.take(pulid.ID(fmt.Sprintf("sct_%d", i)), t0)
	}
	if n := l.size(); n != 1000 {
		t.Fatalf("%d buckets after 1000 tokens", n)
	}
	// One token stays busy; the others are left alone until full again.
	l.take("sct_busy", t0.Add(1900*time.Millisecond))
	l.take("sct_busy", t0.Add(2*time.Second))
	if n := l.size(); n != 1 {
		t.Errorf("%d buckets after the idle ones refilled, want the busy one", n)
	}
	// A dropped bucket comes back full: nothing was lost by dropping it.
	for i := range 20 {
		if wait := l.take("sct_0", t0.Add(2*time.Second)); wait != 0 {
			t.Fatalf("request %d of a dropped token's burst waits %s", i+1, wait)
		}
	}
	if wait := l.take("sct_0", t0.Add(2*time.Second)); wait != 100*time.Millisecond {
		t.Errorf("beyond the burst: wait %s", wait)
	}
}

func TestBadSettingsTakeTheDefaults(t *testing.T) {
	l := newLimiters(RateLimitConfig{PerSecond: -1})
	if float64(l.limit) != DefaultRatePerSecond || l.burst != DefaultRateBurst {
		t.Errorf("limit %v burst %d", l.limit, l.burst)
	}
}
