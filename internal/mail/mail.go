// Package mail is what leaves the server by email: a Message, and the
// Sender that delivers it (SMTP in production, the console in
// development). Messages are never sent from a request: they leave through
// the outbox (internal/outbox), whose worker renders and sends them.
package mail

import "context"

// Message is one email, rendered. Its text may hold a secret (an
// invitation link, a temporary password): it is never stored nor logged,
// except by the console Sender whose whole point is to show it in
// development.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string // optional
}

// Sender delivers a message. An error means it was not (or may not have
// been) delivered; the outbox tries again later.
type Sender interface {
	Send(ctx context.Context, m Message) error
}
