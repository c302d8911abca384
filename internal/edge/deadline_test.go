package edge

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestDeadlineEndsTheRequestsContext(t *testing.T) {
	const d = 3 * time.Second
	var deadline time.Time
	var has bool
	h := Deadline(d)(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		deadline, has = r.Context().Deadline()
	}))
	before := time.Now()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if !has {
		t.Fatal("the request's context has no deadline")
	}
	if deadline.Before(before.Add(d)) || deadline.After(time.Now().Add(d)) {
		t.Errorf("deadline %v is not %v after the request arrived (%v)", deadline, d, before)
	}
}

func TestDeadlineKeepsAnEarlierOne(t *testing.T) {
	var left time.Duration
	inner := Deadline(time.Hour)(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		dl, _ := r.Context().Deadline()
		left = time.Until(dl)
	}))
	Deadline(time.Minute)(inner).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if left > time.Minute {
		t.Errorf("an inner, longer deadline extended the outer one: %v left", left)
	}
}
