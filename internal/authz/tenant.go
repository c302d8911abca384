package authz

import (
	"context"
	"errors"
	"fmt"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"slices"

	"entgo.io/ent/entql"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// ErrNoViewer is returned (as a privacy denial) when a query or mutation runs
// without a viewer in its context: no viewer, no data.
var ErrNoViewer = errors.New("authz: no viewer in context")

// ErrCrossTenant denies a mutation that would write into another
// organization: a refusal (apperr.Forbidden), not a server fault.
var ErrCrossTenant = &apperr.Error{Kind: apperr.Forbidden, Message: "forbidden",
	Err: errors.New("authz: row belongs to another organization")}

type orgFilter interface {
	WhereOrganizationID(entql.StringP)
}

type orgMutation interface {
	OrganizationID() (pulid.ID, bool)
}

// TenantRule confines queries and mutations of organization-owned rows to
// the viewer's organization. Queries get a SQL predicate, so rows of other
// organizations are never loaded; creates are checked against the row's
// organization_id.
func TenantRule() privacy.QueryMutationRule {
	return tenantRule{}
}

type tenantRule struct{}

func (tenantRule) EvalQuery(ctx context.Context, q ent.Query) error {
	v := viewer.FromContext(ctx)
	if v == nil || v.OrgID == "" {
		return privacy.Denyf("%w", ErrNoViewer)
	}
	return tenantFilter(v.OrgID).EvalQuery(ctx, q)
}

func (tenantRule) EvalMutation(ctx context.Context, m ent.Mutation) error {
	v := viewer.FromContext(ctx)
	if v == nil || v.OrgID == "" {
		return privacy.Denyf("%w", ErrNoViewer)
	}
	if m.Op().Is(ent.OpCreate) {
		om, ok := m.(orgMutation)
		if !ok {
			return privacy.Denyf("authz: %T has no organization", m)
		}
		if org, ok := om.OrganizationID(); !ok || org != v.OrgID {
			return privacy.Denyf("%w", ErrCrossTenant)
		}
		return privacy.Skip
	}
	return tenantFilter(v.OrgID).EvalMutation(ctx, m)
}

func tenantFilter(org pulid.ID) privacy.FilterFunc {
	return func(_ context.Context, f privacy.Filter) error {
		tf, ok := f.(orgFilter)
		if !ok {
			return privacy.Denyf("authz: %T is not organization-owned", f)
		}
		tf.WhereOrganizationID(entql.StringEQ(string(org)))
		return privacy.Skip
	}
}

func idFilterFunc(org pulid.ID) privacy.FilterFunc {
	return func(_ context.Context, f privacy.Filter) error {
		tf, ok := f.(idFilter)
		if !ok {
			return privacy.Denyf("authz: %T has no id filter", f)
		}
		tf.WhereID(entql.StringEQ(string(org)))
		return privacy.Skip
	}
}

// OrganizationRule confines the organizations table to the viewer's own row.
// Organizations are created only by bootstrap, which runs with a privacy
// Allow decision.
func OrganizationRule() privacy.QueryMutationRule {
	return orgRule{}
}

type orgRule struct{}

type idFilter interface {
	WhereID(entql.StringP)
}

func (orgRule) EvalQuery(ctx context.Context, q ent.Query) error {
	v := viewer.FromContext(ctx)
	if v == nil || v.OrgID == "" {
		return privacy.Denyf("%w", ErrNoViewer)
	}
	return idFilterFunc(v.OrgID).EvalQuery(ctx, q)
}

func (orgRule) EvalMutation(ctx context.Context, m ent.Mutation) error {
	v := viewer.FromContext(ctx)
	if v == nil || v.OrgID == "" {
		return privacy.Denyf("%w", ErrNoViewer)
	}
	if m.Op().Is(ent.OpCreate) {
		return privacy.Denyf("authz: organizations are created by bootstrap only")
	}
	return idFilterFunc(v.OrgID).EvalMutation(ctx, m)
}

// ErrForeignReference refuses a write that points a row at a row of another
// organization (or at nothing). The database's foreign keys cannot say
// "same organization", so every reference is checked here.
//
// It is apperr.NotFound with the message of a missing row, so that a caller
// cannot tell a row of another organization from one that does not exist,
// and it is not logged as a server fault.
var ErrForeignReference = &apperr.Error{Kind: apperr.NotFound, Message: "not found",
	Err: errors.New("authz: reference to a row of another organization")}

type clientMutation interface {
	Client() *ent.Client
}

// idCounter is ent.Client's generated CountIDs (ent/template/pulid.tmpl),
// asserted at run time so that this package builds before it is generated.
type idCounter interface {
	CountIDs(ctx context.Context, table string, org pulid.ID, ids []pulid.ID) (int, error)
}

// SameTenantHook checks, on every create and update of an
// organization-owned row, that each id the mutation sets or adds — foreign
// key fields and edges — names a row of the same organization. One query per
// referenced table; the viewer themself needs none.
func SameTenantHook(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		if !m.Op().Is(ent.OpCreate | ent.OpUpdate | ent.OpUpdateOne) {
			return next.Mutate(ctx, m)
		}
		var refs []pulid.ID
		for _, f := range m.Fields() {
			if f == "id" || f == "organization_id" {
				continue
			}
			if v, ok := m.Field(f); ok {
				if id, ok := v.(pulid.ID); ok && id != "" {
					refs = append(refs, id)
				}
			}
		}
		for _, e := range m.AddedEdges() {
			if e == "organization" {
				continue
			}
			for _, v := range m.AddedIDs(e) {
				if id, ok := v.(pulid.ID); ok {
					refs = append(refs, id)
				}
			}
		}
		if len(refs) == 0 {
			return next.Mutate(ctx, m)
		}
		org := mutationOrg(ctx, m)
		cm, ok := m.(clientMutation)
		var counter idCounter
		if ok {
			counter, ok = any(cm.Client()).(idCounter)
		}
		if org == "" || !ok {
			return nil, fmt.Errorf("%w: cannot tell the organization of %s", ErrForeignReference, m.Type())
		}
		// The signed-in user is known to be a row of their organization.
		var self pulid.ID
		if v := viewer.FromContext(ctx); v != nil && v.Kind == viewer.User && v.OrgID == org {
			self = v.UserID
		}
		byTable := map[string][]pulid.ID{}
		for _, id := range refs {
			if id == self || referenceVerified(ctx, org, id) {
				continue
			}
			table, err := ent.IDToType(ctx, id)
			if err != nil {
				return nil, fmt.Errorf("%w (%s: malformed id)", ErrForeignReference, m.Type())
			}
			if !slices.Contains(byTable[table], id) {
				byTable[table] = append(byTable[table], id)
			}
		}
		// The organization is explicit in the count, so no privacy rule
		// needs to (or may, under an Allow decision) add it.
		allow := privacy.DecisionContext(ctx, privacy.Allow)
		for table, ids := range byTable {
			n, err := counter.CountIDs(allow, table, org, ids)
			if err != nil {
				return nil, err
			}
			if n != len(ids) {
				return nil, fmt.Errorf("%w (%s → %s)", ErrForeignReference, m.Type(), table)
			}
		}
		return next.Mutate(ctx, m)
	})
}

// mutationOrg is the organization a mutation writes in: the row's own on
// create, else the viewer's (the tenant rule confines updates to it).
func mutationOrg(ctx context.Context, m ent.Mutation) pulid.ID {
	if om, ok := m.(orgMutation); ok {
		if org, ok := om.OrganizationID(); ok {
			return org
		}
	}
	if v := viewer.FromContext(ctx); v != nil {
		return v.OrgID
	}
	if old, ok := m.(interface {
		OldOrganizationID(context.Context) (pulid.ID, error)
	}); ok && m.Op().Is(ent.OpUpdateOne) {
		if org, err := old.OldOrganizationID(ctx); err == nil {
			return org
		}
	}
	return ""
}
