package graph

import (
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/outbox"
)

// outboxPage turns a page of internal/outbox into its GraphQL connection.
func outboxPage(p outbox.Page, err error) (*OutboxMessageConnection, error) {
	if err != nil {
		return nil, err
	}
	c := &OutboxMessageConnection{Edges: make([]*OutboxMessageEdge, len(p.Messages)), TotalCount: p.TotalCount,
		PageInfo: &ent.PageInfo{}}
	for i, m := range p.Messages {
		c.Edges[i] = &OutboxMessageEdge{Node: m, Cursor: ent.Cursor{ID: m.ID}}
	}
	c.PageInfo.HasNextPage = p.HasNextPage
	if n := len(c.Edges); n > 0 {
		c.PageInfo.StartCursor, c.PageInfo.EndCursor = &c.Edges[0].Cursor, &c.Edges[n-1].Cursor
	}
	return c, nil
}

// outboxStatus is the domain's status of a GraphQL one ("" for none).
func outboxStatus(s *OutboxStatus) outbox.Status {
	if s == nil {
		return ""
	}
	return outbox.Status(*s)
}

// afterID is the message id of an after cursor ("" for none).
func afterID(c *ent.Cursor) pulid.ID {
	if c == nil {
		return ""
	}
	return c.ID
}

// intOr is *n, or 0 when nil.
func intOr(n *int) int {
	if n == nil {
		return 0
	}
	return *n
}

// nextAttempt is when a pending message is next tried; nil otherwise.
func nextAttempt(m *ent.OutboxMessage) *time.Time {
	if outbox.StatusOf(m) != outbox.Pending {
		return nil
	}
	t := m.AvailableAt
	return &t
}

// orNil is s, or nil when empty.
func orNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
