package authz

import (
	"context"
	"errors"

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
// organization.
var ErrCrossTenant = errors.New("authz: row belongs to another organization")

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
