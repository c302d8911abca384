package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"entgo.io/ent/dialect"
)

// The tamper-evident trail. Events are inserted unsealed by Record and
// RecordBatch, in the transaction of the change they describe, so that
// audited requests of one organization never wait for each other on a
// chain head. The sealer links them afterwards: per organization, in a
// short transaction of its own under a lock (PostgreSQL: an advisory
// transaction lock per organization; SQLite: the one writer), it takes the
// unsealed events in (occurred_at, id) order and gives each the next
// chain_seq and chain_hash = SHA-256(previous chain_hash || the event's
// canonical encoding). Verify walks a chain and names the first event that
// does not fit.
//
// The database refuses every other change to an event (triggers of the
// audit_chain migration) and ent refuses every update and delete; the
// sealer writes with its own SQL.

// chainLockKey is the first key of the sealer's PostgreSQL advisory lock
// (the second is the hash of the organization id): "aud" in ASCII.
const chainLockKey = 0x617564

// sealBatch bounds the events one sealing transaction links, so that a
// backlog (the first run after the upgrade) is sealed in short
// transactions.
const sealBatch = 2000

// encodingVersion starts every canonical encoding: a later encoding can be
// told apart. v2 is v1 followed by client_ids; an event without client_ids
// is encoded as v1, so events sealed before the column existed verify as
// they were sealed.
const (
	encodingVersion   = "clinicgate.audit.v1"
	encodingVersionV2 = "clinicgate.audit.v2"
)

// ChainEvent is an event as the chain sees it: its immutable fields and,
// once sealed, its place and hash.
type ChainEvent struct {
	Seq            int64           `json:"seq"`
	Hash           string          `json:"hash"`
	PrevHash       string          `json:"prev_hash"`
	ID             string          `json:"id"`
	OrganizationID string          `json:"organization_id"`
	OccurredAt     time.Time       `json:"occurred_at"`
	ActorKind      string          `json:"actor_kind"`
	ActorID        *string         `json:"actor_id"`
	Action         string          `json:"action"`
	TargetType     string          `json:"target_type"`
	TargetID       string          `json:"target_id"`
	ClientID       *string         `json:"client_id"`
	ClientIDs      json.RawMessage `json:"client_ids,omitempty"`
	IP             string          `json:"ip"`
	UserAgent      string          `json:"user_agent"`
	RequestID      string          `json:"request_id"`
	Details        json.RawMessage `json:"details"`
}

// zeroHash is the previous hash of an organization's first event.
var zeroHash = strings.Repeat("0", 64)

// Canonical returns the bytes the event's hash covers: every immutable
// field, each as a presence byte (0 for null) and a length-prefixed value,
// after a version tag. Lengths make the encoding unambiguous whatever the
// fields contain; times are UTC RFC 3339 with nanoseconds as the database
// returns them; details are canonical JSON (keys sorted, numbers as
// written), so that an exported copy hashes the same; so are client_ids,
// which only a v2 encoding has.
func (e *ChainEvent) Canonical() ([]byte, error) {
	details, err := canonicalJSON(e.Details)
	if err != nil {
		return nil, fmt.Errorf("audit: event %s: details: %w", e.ID, err)
	}
	clients, err := canonicalJSON(e.ClientIDs)
	if err != nil {
		return nil, fmt.Errorf("audit: event %s: client_ids: %w", e.ID, err)
	}
	var b bytes.Buffer
	put := func(s *string) {
		if s == nil {
			b.WriteByte(0)
			return
		}
		b.WriteByte(1)
		b.Write(binary.BigEndian.AppendUint32(nil, uint32(len(*s))))
		b.WriteString(*s)
	}
	str := func(s string) { put(&s) }
	if clients == nil {
		str(encodingVersion)
	} else {
		str(encodingVersionV2)
	}
	str(e.OrganizationID)
	str(e.ID)
	str(e.OccurredAt.UTC().Format(time.RFC3339Nano))
	str(e.ActorKind)
	put(e.ActorID)
	str(e.Action)
	str(e.TargetType)
	str(e.TargetID)
	put(e.ClientID)
	str(e.IP)
	str(e.UserAgent)
	str(e.RequestID)
	if details == nil {
		put(nil)
	} else {
		str(string(details))
	}
	if clients != nil {
		str(string(clients))
	}
	return b.Bytes(), nil
}

// canonicalJSON re-encodes a JSON value with sorted object keys and
// numbers kept as written; nil and JSON null stay nil.
func canonicalJSON(raw []byte) ([]byte, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if v == nil {
		return nil, nil
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n")), nil
}

// link returns the chain hash of e after prev (hex).
func link(prev string, e *ChainEvent) (string, error) {
	p, err := hex.DecodeString(prev)
	if err != nil || len(p) != sha256.Size {
		return "", fmt.Errorf("audit: previous hash %q is not a hex SHA-256", prev)
	}
	c, err := e.Canonical()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	h.Write(p)
	h.Write(c)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Chain seals, verifies and exports organizations' audit chains. It
// speaks SQL to the database directly: the sealer's update is the one ent
// refuses, and verification reads events as stored, without privacy rules
// (it is the server's, run by an operator).
type Chain struct {
	db      *sql.DB
	dialect string
}

// NewChain returns the chain of the database db of dialect d
// (dialect.Postgres or dialect.SQLite).
func NewChain(db *sql.DB, d string) (*Chain, error) {
	if d != dialect.Postgres && d != dialect.SQLite {
		return nil, fmt.Errorf("audit: no chain for dialect %q", d)
	}
	return &Chain{db: db, dialect: d}, nil
}

// q rewrites ? placeholders for PostgreSQL.
func (c *Chain) q(query string) string {
	if c.dialect != dialect.Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

const eventColumns = "id, organization_id, occurred_at, actor_kind, actor_id, action, target_type, target_id, client_id, ip, user_agent, request_id, details, chain_seq, chain_hash, client_ids"

type scanner interface{ Scan(...any) error }

func scanEvent(s scanner) (*ChainEvent, error) {
	var (
		e             ChainEvent
		actor, client sql.NullString
		details       []byte
		clients       []byte
		seq           sql.NullInt64
		hash          sql.NullString
	)
	if err := s.Scan(&e.ID, &e.OrganizationID, &e.OccurredAt, &e.ActorKind, &actor, &e.Action,
		&e.TargetType, &e.TargetID, &client, &e.IP, &e.UserAgent, &e.RequestID, &details, &seq, &hash, &clients); err != nil {
		return nil, err
	}
	if actor.Valid {
		e.ActorID = &actor.String
	}
	if client.Valid {
		e.ClientID = &client.String
	}
	if details != nil {
		e.Details = json.RawMessage(bytes.Clone(details))
	}
	if clients != nil {
		e.ClientIDs = json.RawMessage(bytes.Clone(clients))
	}
	e.Seq, e.Hash = seq.Int64, hash.String
	return &e, nil
}

// unsealedOrgs lists the organizations with unsealed events by jumping
// from one to the next through the unsealed index (a loose index scan, one
// probe per organization, each an ORDER BY … LIMIT 1 so that no estimate
// turns it into a scan), where SELECT DISTINCT read every unsealed event
// each tick: a backlog made every round slower. Both dialects.
const unsealedOrgs = `WITH RECURSIVE o(id) AS (
	SELECT (SELECT organization_id FROM audit_events WHERE chain_seq IS NULL ORDER BY organization_id LIMIT 1)
	UNION ALL
	SELECT (SELECT organization_id FROM audit_events WHERE chain_seq IS NULL AND organization_id > o.id
		ORDER BY organization_id LIMIT 1)
	FROM o WHERE o.id IS NOT NULL
)
SELECT id FROM o WHERE id IS NOT NULL`

// Seal links every organization's unsealed events into its chain and
// returns how many it sealed. An organization whose chain another sealer
// (another replica) holds is skipped: that one seals it.
func (c *Chain) Seal(ctx context.Context) (int, error) {
	rows, err := c.db.QueryContext(ctx, unsealedOrgs)
	if err != nil {
		return 0, fmt.Errorf("audit: seal: %w", err)
	}
	var orgs []string
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			rows.Close()
			return 0, fmt.Errorf("audit: seal: %w", err)
		}
		orgs = append(orgs, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("audit: seal: %w", err)
	}
	total := 0
	var errs []error
	for _, o := range orgs {
		n, err := c.sealOrg(ctx, o, false)
		total += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return total, errors.Join(errs...)
}

// SealOrg links the organization's unsealed events into its chain,
// waiting for any other sealer of it, and returns how many it sealed.
func (c *Chain) SealOrg(ctx context.Context, org string) (int, error) {
	return c.sealOrg(ctx, org, true)
}

func (c *Chain) sealOrg(ctx context.Context, org string, wait bool) (int, error) {
	total := 0
	for {
		n, more, err := c.sealBatch(ctx, org, wait)
		total += n
		if err != nil {
			return total, fmt.Errorf("audit: seal the chain of %s: %w", org, err)
		}
		if !more {
			return total, nil
		}
	}
}

// sealUpdatePostgres seals a batch in one statement, each event found by
// its primary key. "coalesce(chain_seq, 0) = 0" is "chain_seq IS NULL" (a
// sequence starts at 1) written so that it does not match the unsealed
// index's predicate: with that form the planner read the whole backlog of
// unsealed events through that index for every batch (a hash join against
// all of them, 430 ms a batch with a backlog of 330,000), so the further
// the sealer fell behind the slower it went; a batch needs only its own
// rows (TestTheSealerFindsABatchByPrimaryKey holds the plan).
const sealUpdatePostgres = `UPDATE audit_events AS a SET chain_seq = v.seq, chain_hash = v.hash
FROM unnest($1::text[], $2::bigint[], $3::text[]) AS v(id, seq, hash)
WHERE a.id = v.id AND coalesce(a.chain_seq, 0) = 0`

// sealBatch seals up to sealBatch events of org in one transaction; more
// says some may be left.
func (c *Chain) sealBatch(ctx context.Context, org string, wait bool) (n int, more bool, err error) {
	// On SQLite the store's transactions begin IMMEDIATE: this one holds
	// the database's write lock from its first statement, so the head read
	// below is the head when it commits.
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if c.dialect == dialect.Postgres {
		if wait {
			_, err = tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1, hashtext($2))", chainLockKey, org)
		} else {
			var got bool
			err = tx.QueryRowContext(ctx, "SELECT pg_try_advisory_xact_lock($1, hashtext($2))", chainLockKey, org).Scan(&got)
			if err == nil && !got {
				// Another replica's sealer has it.
				return 0, false, tx.Rollback()
			}
		}
		if err != nil {
			return 0, false, err
		}
	}
	seq, prev := int64(0), zeroHash
	var head sql.NullString
	err = tx.QueryRowContext(ctx, c.q("SELECT chain_seq, chain_hash FROM audit_events WHERE organization_id = ? AND chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1"), org).Scan(&seq, &head)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		err = nil
	case err != nil:
		return 0, false, err
	default:
		prev = head.String
	}
	rows, err := tx.QueryContext(ctx, c.q("SELECT "+eventColumns+" FROM audit_events WHERE organization_id = ? AND chain_seq IS NULL ORDER BY occurred_at, id LIMIT ?"), org, sealBatch)
	if err != nil {
		return 0, false, err
	}
	var (
		ids    []string
		seqs   []int64
		hashes []string
	)
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			rows.Close()
			return 0, false, err
		}
		seq++
		h, err := link(prev, e)
		if err != nil {
			rows.Close()
			return 0, false, err
		}
		ids, seqs, hashes = append(ids, e.ID), append(seqs, seq), append(hashes, h)
		prev = h
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, false, err
	}
	if len(ids) == 0 {
		return 0, false, tx.Rollback()
	}
	var sealed int64
	if c.dialect == dialect.Postgres {
		res, err := tx.ExecContext(ctx, sealUpdatePostgres, ids, seqs, hashes)
		if err != nil {
			return 0, false, err
		}
		if sealed, err = res.RowsAffected(); err != nil {
			return 0, false, err
		}
	} else {
		st, err := tx.PrepareContext(ctx, "UPDATE audit_events SET chain_seq = ?, chain_hash = ? WHERE id = ? AND chain_seq IS NULL")
		if err != nil {
			return 0, false, err
		}
		defer st.Close()
		for i := range ids {
			res, err := st.ExecContext(ctx, seqs[i], hashes[i], ids[i])
			if err != nil {
				return 0, false, err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return 0, false, err
			}
			sealed += k
		}
	}
	if sealed != int64(len(ids)) {
		// Only another sealer could have sealed them meanwhile, which
		// the lock excludes: refuse rather than leave a broken chain.
		return 0, false, fmt.Errorf("sealed %d of %d events: the chain changed under the sealer", sealed, len(ids))
	}
	if err := tx.Commit(); err != nil {
		return 0, false, err
	}
	return len(ids), len(ids) == sealBatch, nil
}
