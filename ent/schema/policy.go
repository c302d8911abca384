package schema

import (
	"context"
	"strings"

	"entgo.io/ent"

	gen "github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/hook"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/authz"
)

// Policy confines every organization-owned row to the viewer's
// organization; access rules beyond the tenant live in internal/authz.
// Writes are denied unless internal/authz decided them (authz.Require) or
// the server makes them (authz.WriteRule).
func (TenantMixin) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{authz.TenantRule()},
		Mutation: privacy.MutationPolicy{authz.WriteRule(), authz.TenantRule()},
	}
}

func (Organization) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{authz.OrganizationRule()},
		Mutation: privacy.MutationPolicy{authz.WriteRule(), authz.OrganizationRule()},
	}
}

// Hooks check that every reference a tenant row gets stays inside its
// organization, and move the access sequence with changes that take a read
// away.
func (m TenantMixin) Hooks() []ent.Hook {
	if m.record {
		return nil
	}
	// The access epoch and sequence (access_epoch.go): every tenant type
	// may hold a reference whose change takes a read away. Before the
	// types' own hooks, which then find its transaction.
	return []ent.Hook{authz.SameTenantHook, bumpAccess}
}

// NormalizeEmail returns the form emails are compared in: trimmed and
// lower-cased.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

type emailMutation interface {
	Email() (string, bool)
	SetEmail(string)
	SetEmailNormalized(string)
}

// normalizeEmail keeps email_normalized in step with email on every write,
// so the unique index on it enforces case-insensitive uniqueness.
func normalizeEmail(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		if em, ok := m.(emailMutation); ok {
			if e, ok := em.Email(); ok {
				em.SetEmail(strings.TrimSpace(e))
				em.SetEmailNormalized(NormalizeEmail(e))
			}
		}
		return next.Mutate(ctx, m)
	})
}

// User hooks keep the normalized email in step and end the sessions of
// users whose status leaves ACTIVE in the same transaction (user_hooks.go);
// TenantMixin's moves the organization's access epoch with every change to
// what a viewer is made of (access_epoch.go).
func (User) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(normalizeEmail, ent.OpCreate|ent.OpUpdate|ent.OpUpdateOne),
		// After TenantMixin's access epoch hook: the revocation finds the
		// epoch's transaction.
		hook.On(revokeSessionsOnDeactivation, ent.OpUpdate|ent.OpUpdateOne),
	}
}

func (Invitation) Hooks() []ent.Hook {
	return []ent.Hook{hook.On(normalizeEmail, ent.OpCreate|ent.OpUpdate|ent.OpUpdateOne)}
}

// ErrAppendOnly is returned for any attempt to change or remove an audit
// event. It is apperr.Forbidden, not Conflict: no state of the data would
// let the change through (a conflict is one the caller could resolve and
// retry); the trail is closed to everyone, the server included.
var ErrAppendOnly = &apperr.Error{Kind: apperr.Forbidden, Code: "append_only",
	Message: "audit events are append-only"}

// AuditEvent rows are append-only. This is a hook, not a privacy rule, so
// that not even a privacy Allow decision can change the trail.
func (AuditEvent) Hooks() []ent.Hook {
	return []ent.Hook{
		stamp([]string{"occurred_at"}),
		hook.On(func(ent.Mutator) ent.Mutator {
			return hook.AuditEventFunc(func(context.Context, *gen.AuditEventMutation) (ent.Value, error) {
				return nil, ErrAppendOnly
			})
		}, ent.OpUpdate|ent.OpUpdateOne|ent.OpDelete|ent.OpDeleteOne),
	}
}
