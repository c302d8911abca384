package login

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ipLimiter throttles sign-in attempts per client address, whatever the
// account: the per-account lockout stops guessing one password, this stops
// spraying one password over many accounts. It is per process; behind
// several replicas each allows its own share.
type ipLimiter struct {
	mu      sync.Mutex
	limit   rate.Limit
	burst   int
	now     func() time.Time
	clients map[string]*ipEntry
}

type ipEntry struct {
	lim  *rate.Limiter
	last time.Time
}

// maxTrackedIPs bounds the limiter's memory; idle addresses are forgotten
// first.
const maxTrackedIPs = 10000

func newIPLimiter(perMinute, burst int, now func() time.Time) *ipLimiter {
	return &ipLimiter{
		limit:   rate.Limit(float64(perMinute) / 60),
		burst:   burst,
		now:     now,
		clients: map[string]*ipEntry{},
	}
}

// allow takes one attempt for ip; when none is left it says how long until
// the next one.
func (l *ipLimiter) allow(ip string) (bool, time.Duration) {
	ip = clientKey(ip)
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.clients[ip]
	if !ok {
		if len(l.clients) >= maxTrackedIPs {
			l.forget(now)
		}
		e = &ipEntry{lim: rate.NewLimiter(l.limit, l.burst)}
		l.clients[ip] = e
	}
	e.last = now
	r := e.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// forget drops addresses idle long enough to have a full bucket again
// (forgetting them loses nothing), and if that frees too little, a random
// tenth of the rest: never every address at once, which would hand a
// throttled address a fresh bucket.
func (l *ipLimiter) forget(now time.Time) {
	full := time.Duration(float64(l.burst)/float64(l.limit)) * time.Second
	for ip, e := range l.clients {
		if now.Sub(e.last) > full {
			delete(l.clients, ip)
		}
	}
	for ip := range l.clients { // map order is random
		if len(l.clients) < maxTrackedIPs*9/10 {
			break
		}
		delete(l.clients, ip)
	}
}

// clientKey is what one client is throttled by: an IPv4 address, or an
// IPv6 /64 (a single host commonly owns a whole /64).
func clientKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil || addr.Is4() || addr.Is4In6() {
		return ip
	}
	p, err := addr.Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}
