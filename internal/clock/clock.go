// Package clock is the one source of time: the server builds one Clock in
// cmd/server, installs it in every request's context first of all
// (Middleware), and every expiry, window, audit time and row timestamp reads
// it from there (Now). A test or an acceptance harness sets it once — a
// Fake — and sessions, break-glass windows, audit events and link grant
// times all follow, without sleeping.
package clock

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// Clock tells the time.
type Clock interface {
	Now() time.Time
}

// System is the wall clock.
func System() Clock { return systemClock{} }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Func adapts a function to a Clock.
type Func func() time.Time

// Now implements Clock.
func (f Func) Now() time.Time { return f() }

type ctxKey struct{}

// NewContext returns ctx whose time is c's.
func NewContext(ctx context.Context, c Clock) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// FromContext returns the clock of ctx, the wall clock when none was
// installed.
func FromContext(ctx context.Context) Clock {
	if c, ok := ctx.Value(ctxKey{}).(Clock); ok && c != nil {
		return c
	}
	return systemClock{}
}

// Now is the time in ctx.
func Now(ctx context.Context) time.Time { return FromContext(ctx).Now() }

// Middleware installs c in every request's context.
func Middleware(c Clock) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), c)))
		})
	}
}

// Fake is a clock that moves only when told, safe for concurrent use: the
// one fake clock of the tests.
type Fake struct {
	mu  sync.Mutex
	now time.Time
}

// NewFake returns a Fake showing t.
func NewFake(t time.Time) *Fake { return &Fake{now: t} }

// Now implements Clock.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Set moves the clock to t.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	f.now = t
	f.mu.Unlock()
}

// Advance moves the clock on by d.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}
