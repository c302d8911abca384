package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
)

// A batch of events (the reads of a request: fifty for a page of clients)
// is written as one INSERT … VALUES statement built here rather than by
// ent's bulk builder, which spent more CPU on the page than the page
// itself: a spec, a hook pass and a RETURNING of ids we already hold, per
// row. The rows are exactly what builder would have set; the columns come
// from the generated schema constants, and $n placeholders bind on both
// dialects. It goes through ent's ExecContext, which ent's SQL driver (and
// its transactions) provide; a driver wrapped for a test must forward it.
// An event of a batch is as append-only as any other: only the
// hooks that refuse updates and deletes exist, and inserting needs none.

// insertColumns are the columns every batched event sets, in order.
var insertColumns = []string{
	auditevent.FieldID, auditevent.FieldOccurredAt, auditevent.FieldOrganizationID, auditevent.FieldAction,
	auditevent.FieldActorKind, auditevent.FieldActorID, auditevent.FieldTargetType, auditevent.FieldTargetID,
	auditevent.FieldClientID, auditevent.FieldIP, auditevent.FieldUserAgent, auditevent.FieldRequestID,
	auditevent.FieldDetails, auditevent.FieldClientIds,
}

// insertChunk bounds the rows of one statement: 14 parameters a row stays
// far inside PostgreSQL's 65,535 and SQLite's 32,766.
const insertChunk = 500

// row is one event as stored.
type row struct {
	id                       pulid.ID
	occurredAt               time.Time
	org                      pulid.ID
	action                   string
	actorKind                auditevent.ActorKind
	actorID, clientID        pulid.ID // empty: NULL
	targetType, targetID     string
	ip, userAgent, requestID string
	details                  []byte // nil: NULL
	clientIDs                []byte // a JSON array; nil: NULL
}

func insertRows(ctx context.Context, c *ent.Client, rows []row) error {
	if c.Dialect() == dialect.Postgres {
		return insertArrays(ctx, c, rows)
	}
	for start := 0; start < len(rows); start += insertChunk {
		chunk := rows[start:min(start+insertChunk, len(rows))]
		var b strings.Builder
		b.Grow(128 + len(chunk)*len(insertColumns)*6)
		b.WriteString("INSERT INTO ")
		b.WriteString(auditevent.Table)
		b.WriteString(" (")
		b.WriteString(strings.Join(insertColumns, ", "))
		b.WriteString(") VALUES ")
		args := make([]any, 0, len(chunk)*len(insertColumns))
		for i, r := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for j := range insertColumns {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(len(args) + j + 1))
			}
			b.WriteByte(')')
			args = append(args, r.values()...)
		}
		if _, err := c.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// insertArraysSQL inserts the rows of one array per column, in
// insertColumns' order: fourteen parameters whatever the batch's size. The
// VALUES form binds fourteen per row, and for a batch of fifty events
// encoding and parsing 700 parameters cost more than the insert itself, on
// both sides of the wire. details and client_ids travel as text and become
// jsonb here.
var insertArraysSQL = func() string {
	params := make([]string, len(insertColumns))
	exprs := make([]string, len(insertColumns))
	for i, col := range insertColumns {
		typ := "text[]"
		exprs[i] = col
		switch col {
		case auditevent.FieldOccurredAt:
			typ = "timestamptz[]"
		case auditevent.FieldDetails, auditevent.FieldClientIds:
			exprs[i] = col + "::jsonb"
		}
		params[i] = "$" + strconv.Itoa(i+1) + "::" + typ
	}
	cols := strings.Join(insertColumns, ", ")
	return "INSERT INTO " + auditevent.Table + " (" + cols + ") SELECT " + strings.Join(exprs, ", ") +
		" FROM unnest(" + strings.Join(params, ", ") + ") AS r(" + cols + ")"
}()

// insertArrays binds column j of every row as one array: timestamps as
// such, everything else as text with NULL for a nil value.
func insertArrays(ctx context.Context, c *ent.Client, rows []row) error {
	texts := make([][]*string, len(insertColumns))
	var at []time.Time
	for j := range insertColumns {
		texts[j] = make([]*string, len(rows))
	}
	for i, r := range rows {
		for j, v := range r.values() {
			switch v := v.(type) {
			case time.Time:
				at = append(at, v)
			case string:
				texts[j][i] = &v
			}
		}
	}
	args := make([]any, len(insertColumns))
	for j, col := range insertColumns {
		args[j] = texts[j]
		if col == auditevent.FieldOccurredAt {
			args[j] = at
		}
	}
	_, err := c.ExecContext(ctx, insertArraysSQL, args...)
	return err
}

// values is r's value of each of insertColumns, in order; nil is NULL.
func (r row) values() []any {
	return []any{string(r.id), r.occurredAt, string(r.org), r.action, string(r.actorKind),
		nullable(r.actorID), r.targetType, r.targetID, nullable(r.clientID), r.ip, r.userAgent, r.requestID,
		nullableJSON(r.details), nullableJSON(r.clientIDs)}
}

func nullable(id pulid.ID) any {
	if id == "" {
		return nil
	}
	return string(id)
}

func nullableJSON(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// encodeDetails is the stored form of an event's details (ent stores JSON
// fields with encoding/json too).
func encodeDetails(d map[string]any) ([]byte, error) {
	if d == nil {
		return nil, nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("audit: details: %w", err)
	}
	return b, nil
}

// encodeClientIDs is the stored form of an event's client_ids: nil for
// none, as ent leaves an unset JSON field NULL.
func encodeClientIDs(ids []pulid.ID) []byte {
	if ids == nil {
		return nil
	}
	b, _ := json.Marshal(ids) // strings: cannot fail
	return b
}
