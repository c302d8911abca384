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
