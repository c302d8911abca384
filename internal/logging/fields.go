package logging

import (
	"context"
	"log/slog"
	"sync"
)

// Fields is a request's set of log attributes. It is created by the
// outermost middleware and shared by pointer through the request's context,
// so that attributes added by inner layers are seen by outer ones after the
// inner ones return. It is safe for concurrent use; the methods of a nil
// *Fields do nothing, so callers need not check whether one was installed.
type Fields struct {
	mu    sync.Mutex
	attrs []slog.Attr
}

// Set adds attrs, replacing any attribute already held under the same key:
// a request has one user, however often it is set.
func (f *Fields) Set(attrs ...slog.Attr) {
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
next:
	for _, a := range attrs {
		for i := range f.attrs {
			if f.attrs[i].Key == a.Key {
				f.attrs[i] = a
				continue next
			}
		}
		f.attrs = append(f.attrs, a)
	}
}

// Attrs returns a copy of the attributes held, in the order first set.
func (f *Fields) Attrs() []slog.Attr {
	if f == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.attrs) == 0 {
		return nil
	}
	return append([]slog.Attr(nil), f.attrs...)
}

type ctxKey struct{}

type ctxValue struct {
	log    *slog.Logger
	fields *Fields
}

// NewContext returns a copy of ctx carrying log as the request's base logger
// and a new [Fields] holding attrs.
func NewContext(ctx context.Context, log *slog.Logger, attrs ...slog.Attr) context.Context {
	f := &Fields{}
	f.Set(attrs...)
	return context.WithValue(ctx, ctxKey{}, ctxValue{log: log, fields: f})
}

// FieldsFrom returns the holder installed in ctx by [NewContext], or nil.
func FieldsFrom(ctx context.Context) *Fields {
	v, _ := ctx.Value(ctxKey{}).(ctxValue)
	return v.fields
}

// Set adds attrs to the holder in ctx, replacing those with the same keys.
// Without a holder it does nothing: logging context is best effort and must
// not fail a request.
func Set(ctx context.Context, attrs ...slog.Attr) {
	FieldsFrom(ctx).Set(attrs...)
}

// Attrs returns the attributes held in ctx, or nil.
func Attrs(ctx context.Context) []slog.Attr {
	return FieldsFrom(ctx).Attrs()
}

// FromContext returns the base logger installed in ctx enriched with the
// request's current attributes. The attributes are copied at the call, so
// call it again after they change. Without a logger in ctx it returns
// [slog.Default], so that code run outside a request (tests, jobs) still
// logs somewhere visible.
func FromContext(ctx context.Context) *slog.Logger {
	v, ok := ctx.Value(ctxKey{}).(ctxValue)
	if !ok || v.log == nil {
		return slog.Default()
	}
	attrs := v.fields.Attrs()
	if len(attrs) == 0 {
		return v.log
	}
	args := make([]any, len(attrs))
	for i, a := range attrs {
		args[i] = a
	}
	return v.log.With(args...)
}
