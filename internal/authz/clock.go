package authz

import (
	"context"
	"time"
)

type clockKey struct{}

// WithClock returns ctx whose access decisions use now instead of the wall
// clock, so that expiry and break-glass windows are testable without
// sleeping.
func WithClock(ctx context.Context, now func() time.Time) context.Context {
	return context.WithValue(ctx, clockKey{}, now)
}

// Now is the time access decisions in ctx are made at.
func Now(ctx context.Context) time.Time {
	if f, ok := ctx.Value(clockKey{}).(func() time.Time); ok {
		return f()
	}
	return time.Now()
}
