package login

import (
	"fmt"
	"testing"
	"time"
)

func TestIPLimiter(t *testing.T) {
	now := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newIPLimiter(60, 2, func() time.Time { return now })
	for _, ip := range []string{"192.0.2.1", "192.0.2.1"} {
		if ok, _ := l.allow(ip); !ok {
			t.Fatalf("within the burst %s refused", ip)
		}
	}
	if ok, retry := l.allow("192.0.2.1"); ok || retry != time.Second {
		t.Errorf("over the burst: %v, retry %v", ok, retry)
	}
	// Another address has its own bucket.
	if ok, _ := l.allow("192.0.2.2"); !ok {
		t.Error("a second address is refused")
	}
	// Addresses of one IPv6 /64 share a bucket; another /64 does not.
	l.allow("2001:db8:1:1::1")
	l.allow("2001:db8:1:1::2")
	if ok, _ := l.allow("2001:db8:1:1:ffff::3"); ok {
		t.Error("a third address of the same /64 was allowed past the burst")
	}
	if ok, _ := l.allow("2001:db8:1:2::1"); !ok {
		t.Error("another /64 is refused")
	}
	// Filling the table never hands a throttled address a fresh bucket
	// while it is busy.
	for i := range maxTrackedIPs + 10 {
		now = now.Add(time.Microsecond)
		l.allow(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
	}
	if len(l.clients) > maxTrackedIPs {
		t.Errorf("tracking %d addresses", len(l.clients))
	}
}

func TestBackoff(t *testing.T) {
	p := Throttle{}.withDefaults()
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{0, 0}, {4, 0},
		{5, time.Second}, {6, 2 * time.Second}, {14, 512 * time.Second},
		{15, 15 * time.Minute}, {70, 15 * time.Minute}, {1 << 30, 15 * time.Minute},
	}
	for _, tt := range tests {
		if got := p.backoff(tt.failures); got != tt.want {
			t.Errorf("backoff(%d) = %v, want %v", tt.failures, got, tt.want)
		}
	}
}

// Concurrent guesses from one address get no more than the free failures
// between them: past those, one attempt at a time.
func TestConcurrentGuessesDoNotOutrunTheBackoff(t *testing.T) {
	now := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	th := newThrottle(Throttle{}, func() time.Time { return now })
	var tickets []ticket
	for range DefaultFreeFailures {
		tk, wait := th.admit("org\x00ana@x.example", "192.0.2.1")
		if wait != 0 {
			t.Fatalf("within the free failures: wait %v", wait)
		}
		tickets = append(tickets, tk)
	}
	if _, wait := th.admit("org\x00ana@x.example", "192.0.2.1"); wait != DefaultBackoffBase {
		t.Errorf("one more while %d are in flight: wait %v, want %v", len(tickets), wait, DefaultBackoffBase)
	}
	if _, wait := th.admit("org\x00ana@x.example", "192.0.2.2"); wait != 0 {
		t.Errorf("another address waits %v", wait)
	}
	for _, tk := range tickets {
		th.settle(tk, failed)
	}
	if _, wait := th.admit("org\x00ana@x.example", "192.0.2.1"); wait != time.Second {
		t.Errorf("after %d failures: wait %v, want 1s", len(tickets), wait)
	}
}

// The throttle's tables stay bounded however many accounts and addresses
// are tried, and an attempt in flight still settles.
func TestThrottleMemoryIsBounded(t *testing.T) {
	now := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	th := newThrottle(Throttle{}, func() time.Time { return now })
	inflight, _ := th.admit("org\x00first@x.example", "192.0.2.1")
	for i := range maxTrackedPairs + 10 {
		tk, wait := th.admit(fmt.Sprintf("org\x00user%d@x.example", i), "198.51.100.7")
		if wait != 0 {
			t.Fatalf("attempt %d: wait %v", i, wait)
		}
		th.settle(tk, failed)
	}
	if len(th.pairs) > maxTrackedPairs || len(th.accounts) > maxTrackedAccounts {
		t.Errorf("tracking %d pairs and %d accounts", len(th.pairs), len(th.accounts))
	}
	th.settle(inflight, succeeded) // must not panic: it was kept
}
