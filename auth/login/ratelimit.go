package login

import (
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

// forget drops addresses idle long enough to have a full bucket again, or
// every address if none is.
func (l *ipLimiter) forget(now time.Time) {
	full := time.Duration(float64(l.burst)/float64(l.limit)) * time.Second
	for ip, e := range l.clients {
		if now.Sub(e.last) > full {
			delete(l.clients, ip)
		}
	}
	if len(l.clients) >= maxTrackedIPs {
		clear(l.clients)
	}
}
