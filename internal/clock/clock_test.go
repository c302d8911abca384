package clock_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/internal/clock"
)

func TestAContextWithoutAClockTellsWallTime(t *testing.T) {
	before := time.Now()
	got := clock.Now(context.Background())
	if got.Before(before) || got.After(time.Now()) {
		t.Errorf("Now = %v, outside [%v, now]", got, before)
	}
}

func TestTheMiddlewareInstallsTheClockInEveryRequest(t *testing.T) {
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	fake := clock.NewFake(t0)
	var seen time.Time
	h := clock.Middleware(fake)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = clock.Now(r.Context())
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	if !seen.Equal(t0) {
		t.Fatalf("request time %v, want %v", seen, t0)
	}
	fake.Advance(time.Hour)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	if !seen.Equal(t0.Add(time.Hour)) {
		t.Fatalf("after Advance: %v", seen)
	}
	fake.Set(t0)
	if !clock.Now(clock.NewContext(context.Background(), fake)).Equal(t0) {
		t.Fatal("Set did not move the clock")
	}
	if !clock.Now(clock.NewContext(context.Background(), clock.Func(func() time.Time { return t0 }))).Equal(t0) {
		t.Fatal("Func clock")
	}
}
