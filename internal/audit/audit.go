// Package audit writes the audit trail: who did what to whom, when and from
// where. Callers record events with the same ent client (transaction) as
// the change they describe, so an event exists exactly when its change does.
package audit

import (
	"context"
	"fmt"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/textlimit"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Actions. Kept as constants so that queries and dashboards can rely on them.
const (
	OrgBootstrapped      = "org.bootstrapped"
	SignIn               = "auth.sign_in"
	SignInFailed         = "auth.sign_in_failed"
	SignOut              = "auth.sign_out"
	PasswordChanged      = "auth.password_changed"
	PasswordChangeFailed = "auth.password_change_failed"
	SessionRevoked       = "auth.session_revoked"
	ClientRecordRead     = "client.record_read"
	AccessGranted        = "access.granted"
	AccessRevoked        = "access.revoked"
	UserProvisioned      = "scim.user_provisioned"
	UserDeprovisioned    = "scim.user_deprovisioned"
)

// Meta is where a request came from.
type Meta struct {
	IP        string
	UserAgent string
	RequestID string
}

type metaKey struct{}

// WithMeta returns ctx carrying the request's origin for audit events.
func WithMeta(ctx context.Context, m Meta) context.Context {
	return context.WithValue(ctx, metaKey{}, m)
}

// MetaFrom returns the request origin in ctx, if any.
func MetaFrom(ctx context.Context) Meta {
	m, _ := ctx.Value(metaKey{}).(Meta)
	return m
}

// Event is one audit record. Org is required; Actor defaults to the viewer.
type Event struct {
	Org        pulid.ID
	Action     string
	ActorKind  auditevent.ActorKind
	ActorID    pulid.ID
	TargetType string
	TargetID   string
	ClientID   pulid.ID
	// ClientIDs are the clients whose records the event concerns, when
	// there are several (a request's reads); nil for none.
	ClientIDs []pulid.ID
	Details   map[string]any
}

// Record writes e with c, which should be the transaction of the change e
// describes. The actor is taken from the viewer in ctx unless e names one.
func Record(ctx context.Context, c *ent.Client, e Event) error {
	b, err := builder(ctx, c, e)
	if err != nil {
		return err
	}
	if err := b.Exec(ctx); err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Action, err)
	}
	return nil
}

// RecordBatch writes several events in one statement (reads of a request are
// collected and written once; see insert.go).
func RecordBatch(ctx context.Context, c *ent.Client, events []Event) error {
	return writeRows(ctx, events, func(rows []row) error { return insertRows(ctx, c, rows) })
}

// writeRows completes events from ctx into rows and writes them with write.
func writeRows(ctx context.Context, events []Event, write func([]row) error) error {
	if len(events) == 0 {
		return nil
	}
	rows := make([]row, len(events))
	for i, e := range events {
		r, err := toRow(ctx, e)
		if err != nil {
			return err
		}
		rows[i] = r
	}
	if err := write(rows); err != nil {
		return fmt.Errorf("audit: record %d events: %w", len(events), err)
	}
	return nil
}

// complete fills in what an event leaves to the context: its organization
// and actor from the viewer.
func complete(ctx context.Context, e Event) (Event, error) {
	if e.Org == "" {
		if v := viewer.FromContext(ctx); v != nil {
			e.Org = v.OrgID
		}
	}
	if e.Org == "" || e.Action == "" {
		return e, fmt.Errorf("audit: event needs an organization and an action")
	}
	if e.ActorKind == "" {
		e.ActorKind, e.ActorID = actorOf(ctx)
	}
	return e, nil
}

// toRow is e as RecordBatch stores it: the columns builder sets.
func toRow(ctx context.Context, e Event) (row, error) {
	e, err := complete(ctx, e)
	if err != nil {
		return row{}, err
	}
	details, err := encodeDetails(e.Details)
	if err != nil {
		return row{}, err
	}
	m := MetaFrom(ctx)
	return row{
		id:         pulid.New(idPrefix),
		occurredAt: authz.Now(ctx),
		org:        e.Org,
		action:     e.Action,
		actorKind:  e.ActorKind,
		actorID:    e.ActorID,
		clientID:   e.ClientID,
		targetType: e.TargetType,
		targetID:   e.TargetID,
		ip:         textlimit.Bytes(m.IP, 64),
		userAgent:  textlimit.Bytes(m.UserAgent, 512),
		requestID:  textlimit.Bytes(m.RequestID, 64),
		details:    details,
		clientIDs:  encodeClientIDs(e.ClientIDs),
	}, nil
}

// idPrefix is the prefix of audit event ids (ent/schema/audit.go).
const idPrefix = "aud"

func builder(ctx context.Context, c *ent.Client, e Event) (*ent.AuditEventCreate, error) {
	e, err := complete(ctx, e)
	if err != nil {
		return nil, err
	}
	m := MetaFrom(ctx)
	b := c.AuditEvent.Create().
		SetOccurredAt(authz.Now(ctx)).
		SetOrganizationID(e.Org).
		SetAction(e.Action).
		SetActorKind(e.ActorKind).
		SetTargetType(e.TargetType).
		SetTargetID(e.TargetID).
		SetIP(textlimit.Bytes(m.IP, 64)).
		SetUserAgent(textlimit.Bytes(m.UserAgent, 512)).
		SetRequestID(textlimit.Bytes(m.RequestID, 64))
	if e.ActorID != "" {
		b.SetActorID(e.ActorID)
	}
	if e.ClientID != "" {
		b.SetClientID(e.ClientID)
	}
	if e.Details != nil {
		b.SetDetails(e.Details)
	}
	if e.ClientIDs != nil {
		b.SetClientIds(e.ClientIDs)
	}
	return b, nil
}

func actorOf(ctx context.Context) (auditevent.ActorKind, pulid.ID) {
	v := viewer.FromContext(ctx)
	switch {
	case v == nil:
		return auditevent.ActorKindAnonymous, ""
	case v.Kind == viewer.User:
		return auditevent.ActorKindUser, v.UserID
	case v.Kind == viewer.SCIM:
		return auditevent.ActorKindSCIM, v.TokenID
	default:
		return auditevent.ActorKindSystem, ""
	}
}
