// Package logtest gives tests a place to read what the server logged.
package logtest

import (
	"bytes"
	"sync"
)

// Buffer is an io.Writer safe for the concurrent writes of a server under
// test (handlers log from their own goroutines), read with String.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write implements io.Writer.
func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
