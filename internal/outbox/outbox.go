// Package outbox carries side effects (email now, webhooks later) out of
// the transaction that causes them: a domain operation enqueues a row in
// its own transaction, so that the change and the intent to tell someone
// commit together or not at all, and a worker delivers it afterwards with
// retries, so that a slow or failing mail server neither loses the message
// nor holds up the request.
//
// A row holds no secret. It names its kind and the rows it is about (an
// invitation's id, a user's id); the kind's Renderer builds the message
// when the worker delivers it, minting any secret (an invitation token, a
// temporary password) at that moment and storing only its hash, in the
// worker's transaction.
package outbox

import (
	"context"
	"fmt"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/mail"
)

// Message is what a domain operation enqueues.
type Message struct {
	// Kind names the Renderer that builds the email ("invitation",
	// "temporary_password", …).
	Kind string
	// Org is the organization the message belongs to.
	Org pulid.ID
	// Ref names the rows the message is about, by id: never a secret nor
	// health information.
	Ref map[string]any
}

// Enqueue adds m to the outbox in c (the caller's transaction), available
// for delivery at once. The context must carry a write decision whose
// action writes the outbox (authz), or be the server's.
func Enqueue(ctx context.Context, c *ent.Client, m Message) (*ent.OutboxMessage, error) {
	if m.Kind == "" || m.Org == "" {
		return nil, fmt.Errorf("outbox: a message needs a kind and an organization")
	}
	ref := m.Ref
	if ref == nil {
		ref = map[string]any{}
	}
	now := clock.Now(ctx)
	row, err := c.OutboxMessage.Create().
		SetOrganizationID(m.Org).
		SetKind(m.Kind).
		SetPayload(ref).
		SetCreatedAt(now).
		SetAvailableAt(now).
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("outbox: enqueue %s: %w", m.Kind, err)
	}
	return row, nil
}

// EnqueueBulk adds many messages in one statement (a bulk invite's
// thousand), in c.
func EnqueueBulk(ctx context.Context, c *ent.Client, ms []Message) error {
	if len(ms) == 0 {
		return nil
	}
	now := clock.Now(ctx)
	builders := make([]*ent.OutboxMessageCreate, len(ms))
	for i, m := range ms {
		if m.Kind == "" || m.Org == "" {
			return fmt.Errorf("outbox: a message needs a kind and an organization")
		}
		ref := m.Ref
		if ref == nil {
			ref = map[string]any{}
		}
		builders[i] = c.OutboxMessage.Create().SetOrganizationID(m.Org).SetKind(m.Kind).
			SetPayload(ref).SetCreatedAt(now).SetAvailableAt(now)
	}
	if err := c.OutboxMessage.CreateBulk(builders...).Exec(ctx); err != nil {
		return fmt.Errorf("outbox: enqueue %d messages: %w", len(ms), err)
	}
	return nil
}

// Renderer builds the email of one kind of message when the worker
// delivers it. It runs in the worker's transaction tx, as the server
// within the message's organization; what it writes there (a minted
// token's hash) commits only once the email is sent. A message whose
// subject is gone (a revoked invitation) returns ErrObsolete and is
// dropped.
type Renderer interface {
	Render(ctx context.Context, tx *ent.Client, m *ent.OutboxMessage) (mail.Message, error)
}

// RendererFunc adapts a function to Renderer.
type RendererFunc func(ctx context.Context, tx *ent.Client, m *ent.OutboxMessage) (mail.Message, error)

// Render implements Renderer.
func (f RendererFunc) Render(ctx context.Context, tx *ent.Client, m *ent.OutboxMessage) (mail.Message, error) {
	return f(ctx, tx, m)
}

// ErrObsolete is returned by a Renderer for a message no longer worth
// sending: the worker marks it delivered without sending anything.
var ErrObsolete = fmt.Errorf("outbox: message obsolete")
