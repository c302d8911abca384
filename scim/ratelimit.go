package scim

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	scimerrors "github.com/elimity-com/scim/errors"
	"golang.org/x/time/rate"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Defaults of RateLimitConfig (and of SCIM_RATE_PER_SECOND and
// SCIM_RATE_BURST in internal/config).
const (
	DefaultRatePerSecond = 1000
	DefaultRateBurst     = 1000
)

// RateLimitConfig paces each SCIM token: a token bucket of Burst requests
// refilled at PerSecond. Zero values take the defaults.
type RateLimitConfig struct {
	PerSecond float64
	Burst     int
}

// RateLimit returns the middleware that answers a token's requests beyond
// its rate 429 in the SCIM error schema, with Retry-After in whole seconds.
// It goes behind Authenticator.Middleware: the bucket is the SCIM viewer's
// token (requests without one share a single bucket). Time is clock.Now of
// the request's context.
//
// Memory stays bounded: a bucket left alone long enough to refill to its
// burst is indistinguishable from a new one, so buckets idle that long are
// dropped (swept at most once per refill time); what is kept is at most one
// bucket per token used within the last Burst/PerSecond seconds.
func RateLimit(cfg RateLimitConfig) func(http.Handler) http.Handler {
	l := newLimiters(cfg)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var key pulid.ID
			if v := viewer.FromContext(r.Context()); v != nil {
				key = v.TokenID
			}
			if wait := l.take(key, clock.Now(r.Context())); wait > 0 {
				secs := int(math.Ceil(wait.Seconds()))
				w.Header().Set("Retry-After", strconv.Itoa(secs))
				writeError(w, scimerrors.ScimError{
					Status: http.StatusTooManyRequests,
					Detail: fmt.Sprintf("too many requests for this token; retry after %d s", secs),
				})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// limiters holds one bucket per token.
type limiters struct {
	limit     rate.Limit
	burst     int
	refill    time.Duration // an idle bucket is full again after this long
	mu        sync.Mutex
	buckets   map[pulid.ID]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiters(cfg RateLimitConfig) *limiters {
	if cfg.PerSecond <= 0 || math.IsNaN(cfg.PerSecond) || math.IsInf(cfg.PerSecond, 0) {
		cfg.PerSecond = DefaultRatePerSecond
	}
	if cfg.Burst <= 0 {
		cfg.Burst = DefaultRateBurst
	}
	refill := time.Duration(float64(cfg.Burst) / cfg.PerSecond * float64(time.Second))
	if refill < time.Second {
		refill = time.Second
	}
	return &limiters{
		limit:   rate.Limit(cfg.PerSecond),
		burst:   cfg.Burst,
		refill:  refill,
		buckets: map[pulid.ID]*bucket{},
	}
}

// take spends one request of key's bucket at now, or reports how long to
// wait for one (spending nothing).
func (l *limiters) take(key pulid.ID, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	res := b.lim.ReserveN(now, 1)
	if !res.OK() {
		return l.refill
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d
	}
	return 0
}

// sweep drops the buckets idle for a whole refill time, at most once per
// refill time.
func (l *limiters) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < l.refill {
		return
	}
	l.lastSweep = now
	for k, b := range l.buckets {
		if now.Sub(b.seen) >= l.refill {
			delete(l.buckets, k)
		}
	}
}

// size is the number of buckets kept (for tests).
func (l *limiters) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
