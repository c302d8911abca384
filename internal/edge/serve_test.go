package edge

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"
)

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

var quiet = slog.New(slog.DiscardHandler)

func TestGracefulShutdownFinishesAnInFlightRequest(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	srv := NewServer("", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		w.Write([]byte("done"))
	}))
	ln := listen(t)
	addr := ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- ServeListener(ctx, srv, ln, 5*time.Second, quiet) }()

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{string(b), err}
	}()

	<-started
	cancel() // as on SIGTERM
	// New connections are refused once shutdown has begun.
	deadline := time.Now().Add(2 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the server still accepts connections after shutdown began")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v before the in-flight request finished", err)
	default:
	}

	close(release)
	if r := <-got; r.err != nil || r.body != "done" {
		t.Fatalf("in-flight request got %q, %v; want it to finish", r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve = %v, want nil after a clean shutdown", err)
	}
}

func TestShutdownGivesUpAfterTheTimeout(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	srv := NewServer("", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		close(started)
		<-release
	}))
	ln := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- ServeListener(ctx, srv, ln, 50*time.Millisecond, quiet) }()
	go http.Get("http://" + ln.Addr().String())
	<-started
	cancel()
	select {
	case err := <-served:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Serve = %v, want a shutdown deadline error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not give up on the stuck request")
	}
}

func TestServeReportsAnAddressInUse(t *testing.T) {
	ln := listen(t)
	defer ln.Close()
	err := Serve(context.Background(), NewServer(ln.Addr().String(), http.NotFoundHandler()), time.Second, quiet)
	if err == nil {
		t.Fatal("Serve on a taken address succeeded")
	}
}

func TestServeStopsCleanlyWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	cancel() // even before it starts
	go func() { done <- Serve(ctx, NewServer("127.0.0.1:0", http.NotFoundHandler()), time.Second, quiet) }()
	if err := <-done; err != nil {
		t.Fatalf("Serve = %v, want nil", err)
	}
}

func TestNewServerSetsTimeouts(t *testing.T) {
	s := NewServer(":1", http.NotFoundHandler())
	if s.ReadHeaderTimeout != 10*time.Second || s.ReadTimeout != time.Minute || s.WriteTimeout != time.Minute ||
		s.IdleTimeout != 2*time.Minute || s.MaxHeaderBytes != 1<<20 {
		t.Fatalf("server = %+v", s)
	}
}
