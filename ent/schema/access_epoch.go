package schema

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"entgo.io/ent"

	gen "github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/hook"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// The access epoch is a per-organization counter (organizations.
// access_epoch) that moves in the same transaction as every change to
// what a signed-in user's viewer is made of: a user's status, kind,
// ownership, roles, business units, primary unit, schedule level, tabs or
// MFA flag; a role's privileges, MFA flag or holders (any role change); a
// business unit's members or its removal; the organization's MFA policy.
// The session middleware reads it with the session row, in the one query
// every request makes, and keeps viewers built at an epoch only while the
// epoch is unchanged (auth/session): a cached viewer is proven current by
// that read, on every replica, without any message between processes. A
// change therefore reaches the next request that starts after it commits.
//
// What is not in the viewer (links, break-glass windows, a client's unit
// or restriction) is decided in SQL on every request and needs no epoch.
//
// The access sequence (organizations.access_seq) moves with the epoch and,
// besides, with every change of those rows that can take a read away: it
// is the organization's position in the history of who may read what. A
// read standby that shows the primary's access_seq has replayed every such
// change committed before it was read (replay follows commit order), so
// reads sent there cannot see access the primary has revoked
// (internal/store/standby.go). It is a counter read back from the standby
// rather than a WAL position taken inside the transaction:
// pg_current_wal_lsn() there is short of the commit record, and a standby
// past it may not have applied the commit.

// FieldAccessEpoch and FieldAccessSeq are the organizations columns the
// hooks move.
const (
	FieldAccessEpoch = "access_epoch"
	FieldAccessSeq   = "access_seq"
)

// accessRowTypes are the types whose every change can change who may read
// a client, a record or a staff profile, besides what the viewer holds.
var accessRowTypes = []string{gen.TypePatient, gen.TypeClientAccess, gen.TypeStaffProfileAccess,
	gen.TypePortalAccess, gen.TypeEmergencyAccess, gen.TypeStaffProfile}

// sequenceRelevant reports whether m can take away a read: a change or
// removal of an access row, or an update that points a row elsewhere (a
// record moved to another client or provider, a user given another staff
// profile). A new row only grants: until a standby has it, its reader sees
// less, never more (and its writer's own reads wait for it, see
// sessions.write_seq). That also keeps bulk creates out of the hook.
func sequenceRelevant(m ent.Mutation) bool {
	if m.Op().Is(ent.OpCreate) {
		return false
	}
	if slices.Contains(accessRowTypes, m.Type()) {
		return true
	}
	if !m.Op().Is(ent.OpUpdate | ent.OpUpdateOne) {
		return false
	}
	if len(m.AddedEdges())+len(m.RemovedEdges())+len(m.ClearedEdges()) > 0 {
		return true
	}
	for _, f := range slices.Concat(m.Fields(), m.ClearedFields()) {
		// Edge columns end in _id; an identity provider's external id is
		// not one.
		if strings.HasSuffix(f, "_id") && !strings.HasSuffix(f, "external_id") {
			return true
		}
	}
	return false
}

// userViewerFields are the user columns a viewer is built from
// (authz.LoadViewer); userViewerEdges the user edges.
var (
	userViewerFields = []string{"status", "kind", "is_account_owner", "primary_business_unit_id",
		"schedule_access", "tab_access", "require_mfa", "organization_id"}
	userViewerEdges = []string{"roles", "business_units", "primary_business_unit", "organization"}
)

// accessRelevant reports whether m changes a viewer: only users, roles,
// units and the organization make viewers. Creating a user, role or unit
// changes nobody's viewer unless it comes with members; removing one does.
func accessRelevant(m ent.Mutation) bool {
	deleted := m.Op().Is(ent.OpDelete | ent.OpDeleteOne)
	edges := slices.Concat(m.AddedEdges(), m.RemovedEdges(), m.ClearedEdges())
	switch m.Type() {
	case gen.TypeUser:
		if deleted {
			return true
		}
		if m.Op().Is(ent.OpCreate) {
			return false
		}
		for _, f := range slices.Concat(m.Fields(), m.ClearedFields(), m.AddedFields()) {
			if slices.Contains(userViewerFields, f) {
				return true
			}
		}
		for _, e := range edges {
			if slices.Contains(userViewerEdges, e) {
				return true
			}
		}
		return false
	case gen.TypeRole:
		// Every update: privileges, the built-in kind and the MFA flag all
		// feed the viewer, and the rest is rare.
		return !m.Op().Is(ent.OpCreate) || slices.Contains(edges, "users")
	case gen.TypeBusinessUnit:
		return deleted || slices.Contains(edges, "users") || slices.Contains(edges, "primary_users")
	case gen.TypeOrganization:
		_, set := m.Field("require_mfa")
		return set && !m.Op().Is(ent.OpCreate)
	}
	return false
}

// bumpAccess moves the access epoch and sequence of the organization a
// relevant mutation belongs to, in the mutation's transaction
// (withMutationTx): a change committed without them would leave cached
// viewers looking current, and a standby that has not replayed the change
// looking caught up. The epoch moves with changes to viewers
// (accessRelevant), the sequence with those and with every other change
// that can take a read away (sequenceRelevant). Every tenant type has it
// (TenantMixin), and the organization for its updates.
func bumpAccess(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		var fields []string
		switch {
		case accessRelevant(m):
			fields = []string{FieldAccessEpoch, FieldAccessSeq}
		case m.Type() == gen.TypeOrganization || sequenceRelevant(m):
			// Any change of the organization itself (say the session
			// view switched off) is a sequence change: it is one
			// statement anyway.
			fields = []string{FieldAccessSeq}
		default:
			return next.Mutate(ctx, m)
		}
		if m.Type() == gen.TypeOrganization {
			if _, bump := m.AddedField(FieldAccessSeq); bump {
				return next.Mutate(ctx, m) // the bump itself (mutateAndBump)
			}
			// The organization's own change carries its epoch and
			// sequence: one statement, atomic in or out of a transaction.
			for _, f := range fields {
				if err := m.AddField(f, int64(1)); err != nil {
					return nil, fmt.Errorf("schema: %s: %w", f, err)
				}
			}
			return next.Mutate(ctx, m)
		}
		return withMutationTx(ctx, m, func(ctx context.Context, tx *gen.Client) (ent.Value, error) {
			return mutateAndBump(ctx, next, m, tx, fields...)
		})
	})
}

func mutateAndBump(ctx context.Context, next ent.Mutator, m ent.Mutation, tx *gen.Client, fields ...string) (ent.Value, error) {
	org := mutationOrg(ctx, m)
	v, err := next.Mutate(ctx, m)
	if err != nil {
		return nil, err
	}
	// After the change: on PostgreSQL the row lock taken here is held to
	// the commit, so concurrent changes of one organization's access
	// queue on it only for what is left of their transactions. It is
	// bookkeeping, written as the server.
	up := tx.Organization.Update()
	for _, f := range fields {
		if err := up.Mutation().AddField(f, int64(1)); err != nil {
			return nil, fmt.Errorf("schema: %s: %w", f, err)
		}
	}
	if org != "" {
		up.Where(organization.ID(org))
	}
	// Without an organization in hand (a server task with no viewer),
	// every organization's viewers are rebuilt rather than one left
	// stale.
	if err := up.Exec(privacy.DecisionContext(ctx, privacy.Allow)); err != nil {
		return nil, fmt.Errorf("schema: access epoch: %w", err)
	}
	return v, nil
}

// mutationOrg is the organization m changes: the one it names on create,
// else the viewer's (the tenant rules confine every write to the viewer's
// organization), else none.
func mutationOrg(ctx context.Context, m ent.Mutation) pulid.ID {
	if v, ok := m.Field("organization_id"); ok {
		if id, ok := v.(pulid.ID); ok {
			return id
		}
	}
	if v := viewer.FromContext(ctx); v != nil {
		return v.OrgID
	}
	return ""
}

func (Organization) Hooks() []ent.Hook {
	return []ent.Hook{hook.On(bumpAccess, ent.OpUpdate|ent.OpUpdateOne)}
}
