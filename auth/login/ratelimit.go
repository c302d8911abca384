package login

import (
	"math"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Sign-in throttling: three limits, each decided in memory before the
// database is asked anything, and keyed by what the client sent (its
// address, the organization and email it typed), never by whether an
// account exists. So an unknown account is throttled exactly like a real
// one, and a refusal looks and takes the same whichever it is.
//
//  1. Per client address, whatever the accounts (ipLimiter): stops
//     spraying one password over many accounts.
//  2. Per account and client address (throttle, pairs): some consecutive
//     failures are free, then each further one makes that address wait
//     twice as long before its next attempt on that account, up to a
//     ceiling. The right password from that address clears it. It stops
//     guessing from one address without touching the owner anywhere else:
//     there is no lock to trip.
//  3. Per account, over all addresses (throttle, accounts): a bucket of
//     failures that refills slowly. Once a distributed guess has emptied
//     it, attempts on the account are checked at the refill rate and the
//     others told to retry within one refill interval: it slows, it never
//     locks. An address the owner has signed in from recently is exempt.
//
// Every limit is per process: behind several replicas each keeps its own.

// Throttle sets limits 2 and 3. Zero fields take the defaults.
type Throttle struct {
	// FreeFailures consecutive failures from one address on one account
	// cost nothing.
	FreeFailures int
	// BackoffBase is the wait after the last free failure; it doubles
	// with every further failure, up to BackoffMax.
	BackoffBase, BackoffMax time.Duration
	// AccountBurst failures over all addresses may come at once; the
	// bucket then refills by one per AccountInterval, which is also the
	// longest a refusal by this limit asks to wait.
	AccountBurst    int
	AccountInterval time.Duration
	// TrustFor is how long a successful sign-in exempts its address from
	// the account's bucket.
	TrustFor time.Duration
}

// Defaults for the zero fields of Throttle.
const (
	DefaultFreeFailures    = 5
	DefaultBackoffBase     = time.Second
	DefaultBackoffMax      = 15 * time.Minute
	DefaultAccountBurst    = 20
	DefaultAccountInterval = 30 * time.Second
	DefaultTrustFor        = 30 * 24 * time.Hour
)

func (p Throttle) withDefaults() Throttle {
	if p.FreeFailures <= 0 {
		p.FreeFailures = DefaultFreeFailures
	}
	if p.BackoffBase <= 0 {
		p.BackoffBase = DefaultBackoffBase
	}
	if p.BackoffMax <= 0 {
		p.BackoffMax = DefaultBackoffMax
	}
	if p.AccountBurst <= 0 {
		p.AccountBurst = DefaultAccountBurst
	}
	if p.AccountInterval <= 0 {
		p.AccountInterval = DefaultAccountInterval
	}
	if p.TrustFor <= 0 {
		p.TrustFor = DefaultTrustFor
	}
	return p
}

// backoff is the wait after n consecutive failures from one address.
func (p Throttle) backoff(n int) time.Duration {
	if n < p.FreeFailures {
		return 0
	}
	shift := n - p.FreeFailures
	if shift >= 62 || p.BackoffBase > p.BackoffMax>>shift {
		return p.BackoffMax
	}
	return p.BackoffBase << shift
}

// outcome is what a checked attempt turned out to be.
type outcome int

const (
	// unchecked: the password was not checked (an organization that
	// requires single sign-on, a failure of the server). Costs nothing.
	unchecked outcome = iota
	// failed: a wrong password, or no such account.
	failed
	// succeeded: the right password, whatever happens next.
	succeeded
)

// throttle keeps limits 2 and 3.
type throttle struct {
	mu       sync.Mutex
	p        Throttle
	now      func() time.Time
	pairs    map[pairKey]*pair
	accounts map[string]*bucket
}

type pairKey struct{ account, client string }

// pair is one address's record on one account.
type pair struct {
	failures int       // consecutive
	until    time.Time // no attempt before
	trusted  time.Time // exempt from the account's bucket until
	inflight int       // admitted, not yet settled
	last     time.Time
}

// bucket is one account's allowance of failures over all addresses.
type bucket struct {
	tokens float64
	at     time.Time // when tokens was last brought up to date
}

// ticket is an admitted attempt, to settle once its outcome is known.
type ticket struct {
	key     pairKey
	charged bool // took a token from the account's bucket
}

// Bounds on the throttle's memory. Entries that carry nothing (a full
// bucket, an address long idle) go first, so that filling the tables does
// not hand a throttled address a fresh start.
const (
	maxTrackedPairs    = 100000
	maxTrackedAccounts = 100000
	// forgetPairAfter is how long an address's failures on an account
	// are remembered without a new attempt.
	forgetPairAfter = 24 * time.Hour
)

func newThrottle(p Throttle, now func() time.Time) *throttle {
	return &throttle{
		p:        p.withDefaults(),
		now:      now,
		pairs:    map[pairKey]*pair{},
		accounts: map[string]*bucket{},
	}
}

// accountKey names the account a client asked for, existing or not.
func accountKey(orgSlug, normalizedEmail string) string {
	return orgSlug + "\x00" + normalizedEmail
}

// admit decides whether an attempt on account from addr may be checked.
// When it may not, it says how long to wait; otherwise the returned ticket
// must be settled.
func (t *throttle) admit(account, addr string) (ticket, time.Duration) {
	now := t.now()
	k := pairKey{account, clientKey(addr)}
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.pairs[k]
	if p != nil {
		if now.Before(p.until) {
			return ticket{}, p.until.Sub(now)
		}
		// Past the free failures attempts go one at a time: otherwise
		// a burst of concurrent guesses would all pass before the first
		// of them set the wait.
		if p.inflight > 0 && p.failures+p.inflight >= t.p.FreeFailures {
			return ticket{}, t.p.BackoffBase
		}
	}
	charged := false
	if p == nil || !now.Before(p.trusted) {
		b := t.bucket(account, now)
		if b.tokens < 1 {
			return ticket{}, time.Duration(math.Ceil((1 - b.tokens) * float64(t.p.AccountInterval)))
		}
		b.tokens--
		charged = true
	}
	if p == nil {
		if len(t.pairs) >= maxTrackedPairs {
			t.forgetPairs(now)
		}
		p = &pair{}
		t.pairs[k] = p
	}
	p.inflight++
	p.last = now
	return ticket{key: k, charged: charged}, 0
}

// settle records how an admitted attempt ended. It returns the wait the
// attempt imposed on its address, if it started one.
func (t *throttle) settle(tk ticket, o outcome) time.Duration {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.pairs[tk.key] // never forgotten while in flight
	p.inflight--
	p.last = now
	if o != failed && tk.charged {
		if b := t.accounts[tk.key.account]; b != nil {
			b.tokens = min(float64(t.p.AccountBurst), b.tokens+1)
		}
	}
	switch o {
	case failed:
		p.failures++
		if d := t.p.backoff(p.failures); d > 0 {
			p.until = now.Add(d)
			return d
		}
	case succeeded:
		p.failures, p.until = 0, time.Time{}
		p.trusted = now.Add(t.p.TrustFor)
	}
	return 0
}

// bucket returns account's bucket refilled up to now, creating a full one.
func (t *throttle) bucket(account string, now time.Time) *bucket {
	b := t.accounts[account]
	if b == nil {
		if len(t.accounts) >= maxTrackedAccounts {
			t.forgetAccounts(now)
		}
		b = &bucket{tokens: float64(t.p.AccountBurst), at: now}
		t.accounts[account] = b
		return b
	}
	if now.After(b.at) {
		b.tokens = min(float64(t.p.AccountBurst), b.tokens+float64(now.Sub(b.at))/float64(t.p.AccountInterval))
		b.at = now
	}
	return b
}

// forgetPairs drops what an address's record no longer holds (idle past
// forgetPairAfter, no wait pending, not trusted), then if that freed too
// little a random tenth of the untrusted rest, and only then of the
// trusted. Records in flight are kept: their attempt still has to settle.
func (t *throttle) forgetPairs(now time.Time) {
	for k, p := range t.pairs {
		if p.inflight == 0 && now.Sub(p.last) > forgetPairAfter && !now.Before(p.until) && !now.Before(p.trusted) {
			delete(t.pairs, k)
		}
	}
	for _, trustedToo := range []bool{false, true} {
		for k, p := range t.pairs { // map order is random
			if len(t.pairs) < maxTrackedPairs*9/10 {
				return
			}
			if p.inflight == 0 && (trustedToo || !now.Before(p.trusted)) {
				delete(t.pairs, k)
			}
		}
	}
}

// forgetAccounts drops buckets that have refilled (they hold nothing a new
// bucket would not), then a random tenth of the rest.
func (t *throttle) forgetAccounts(now time.Time) {
	full := time.Duration(t.p.AccountBurst) * t.p.AccountInterval
	for k, b := range t.accounts {
		if now.Sub(b.at) >= full {
			delete(t.accounts, k)
		}
	}
	for k := range t.accounts {
		if len(t.accounts) < maxTrackedAccounts*9/10 {
			return
		}
		delete(t.accounts, k)
	}
}

// ipLimiter throttles sign-in attempts per client address, whatever the
// account (limit 1 above).
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
