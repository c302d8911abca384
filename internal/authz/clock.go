package authz

import (
	"context"
	"time"

	"github.com/clinicgate/clinicgate/internal/clock"
)

// WithClock returns ctx whose time is now's (internal/clock).
func WithClock(ctx context.Context, now func() time.Time) context.Context {
	return clock.NewContext(ctx, clock.Func(now))
}

// Now is the time access decisions in ctx are made at: the request's
// clock (internal/clock).
func Now(ctx context.Context) time.Time { return clock.Now(ctx) }
