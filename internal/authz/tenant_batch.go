package authz

import (
	"context"
	"fmt"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
)

// verifiedRefs are ids VerifyReferences found to be rows of org.
type verifiedRefs struct {
	org  pulid.ID
	ids  map[pulid.ID]bool
	next *verifiedRefs
}

type verifiedRefsKey struct{}

// VerifyReferences checks, in one statement per referenced table, that
// every id of ids names a row of the organization org, and returns ctx
// under which SameTenantHook takes those ids as checked. A bulk create
// whose rows all point at the same few tables (a group's new members)
// then costs a fixed number of checks instead of one per row per table.
// c must be the client (or transaction) of the writes that follow.
func VerifyReferences(ctx context.Context, c *ent.Client, org pulid.ID, ids []pulid.ID) (context.Context, error) {
	counter, ok := any(c).(idCounter)
	if org == "" || !ok {
		return ctx, fmt.Errorf("%w: cannot verify references", ErrForeignReference)
	}
	byTable := map[string][]pulid.ID{}
	seen := make(map[pulid.ID]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		table, err := ent.IDToType(ctx, id)
		if err != nil {
			return ctx, fmt.Errorf("%w (malformed id)", ErrForeignReference)
		}
		byTable[table] = append(byTable[table], id)
	}
	allow := privacy.DecisionContext(ctx, privacy.Allow)
	for table, tids := range byTable {
		n, err := counter.CountIDs(allow, table, org, tids)
		if err != nil {
			return ctx, err
		}
		if n != len(tids) {
			return ctx, fmt.Errorf("%w (→ %s)", ErrForeignReference, table)
		}
	}
	prev, _ := ctx.Value(verifiedRefsKey{}).(*verifiedRefs)
	return context.WithValue(ctx, verifiedRefsKey{}, &verifiedRefs{org: org, ids: seen, next: prev}), nil
}

// referenceVerified reports whether VerifyReferences found id in org.
func referenceVerified(ctx context.Context, org, id pulid.ID) bool {
	for v, _ := ctx.Value(verifiedRefsKey{}).(*verifiedRefs); v != nil; v = v.next {
		if v.org == org && v.ids[id] {
			return true
		}
	}
	return false
}
