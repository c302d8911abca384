package outbox

import (
	"context"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/outboxmessage"
	"github.com/clinicgate/clinicgate/ent/predicate"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/apperr"
)

// Status is where a message stands.
type Status string

// Statuses of a message.
const (
	// Pending: not sent yet, due now or after a failure's backoff.
	Pending Status = "PENDING"
	// Delivered: sent, or dropped unsent as obsolete.
	Delivered Status = "DELIVERED"
	// Dead: given up on (attempts exhausted, or no renderer for its kind).
	Dead Status = "DEAD"
)

// StatusOf tells where m stands.
func StatusOf(m *ent.OutboxMessage) Status {
	switch {
	case m.DeliveredAt != nil:
		return Delivered
	case m.DeadAt != nil:
		return Dead
	}
	return Pending
}

func (s Status) where() (predicate.OutboxMessage, error) {
	switch s {
	case Pending:
		return outboxmessage.And(outboxmessage.DeliveredAtIsNil(), outboxmessage.DeadAtIsNil()), nil
	case Delivered:
		return outboxmessage.DeliveredAtNotNil(), nil
	case Dead:
		return outboxmessage.And(outboxmessage.DeliveredAtIsNil(), outboxmessage.DeadAtNotNil()), nil
	}
	return nil, apperr.InvalidField("status", "%q is not PENDING, DELIVERED or DEAD", s)
}

// Page is one page of the outbox, newest first.
type Page struct {
	Messages    []*ent.OutboxMessage
	HasNextPage bool
	TotalCount  int // with the status filter, every page together
}

// DefaultPageSize and MaxPageSize bound List's first.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// List returns the viewer's organization's outbox messages, newest first:
// first of them (DefaultPageSize when 0) after the message after (none:
// from the newest), with the given status ("" for all). Reading the outbox
// is for administrators (authz.OutboxRule, enforced by the read policy).
func List(ctx context.Context, c *ent.Client, status Status, first int, after pulid.ID) (Page, error) {
	switch {
	case first < 0:
		return Page{}, apperr.InvalidField("first", "must not be negative")
	case first > MaxPageSize:
		return Page{}, apperr.InvalidField("first", "at most %d", MaxPageSize)
	case first == 0:
		first = DefaultPageSize
	}
	q := c.OutboxMessage.Query()
	if status != "" {
		p, err := status.where()
		if err != nil {
			return Page{}, err
		}
		q.Where(p)
	}
	total, err := q.Clone().Count(ctx)
	if err != nil {
		return Page{}, err
	}
	if after != "" {
		q.Where(outboxmessage.IDLT(after))
	}
	ms, err := q.Order(ent.Desc(outboxmessage.FieldID)).Limit(first + 1).All(ctx)
	if err != nil {
		return Page{}, err
	}
	p := Page{Messages: ms, TotalCount: total}
	if len(ms) > first {
		p.Messages, p.HasNextPage = ms[:first], true
	}
	return p, nil
}
