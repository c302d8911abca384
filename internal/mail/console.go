package mail

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
)

// Console is the development Sender: it prints each message, secrets
// included (that is its point: an invitation link to click), to its
// writer. Never use it in production.
type Console struct {
	mu sync.Mutex
	w  io.Writer
}

// NewConsole returns a Sender printing to w (make run: standard output).
func NewConsole(w io.Writer) *Console { return &Console{w: w} }

// Send implements Sender.
func (c *Console) Send(_ context.Context, m Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "\n----- mail (console sender: set SMTP_HOST to send it) -----\nTo:      %s\nSubject: %s\n\n%s\n", m.To, m.Subject, strings.TrimRight(m.Text, "\n"))
	if m.HTML != "" {
		fmt.Fprintf(&b, "\n(and an HTML part of %d bytes)\n", len(m.HTML))
	}
	b.WriteString("-----------------------------------------------------------\n\n")
	_, err := io.WriteString(c.w, b.String())
	return err
}
