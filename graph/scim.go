package graph

import (
	"context"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/provision"
)

// scimGroup is the GraphQL shape of a group summary.
func scimGroup(s provision.GroupSummary) *ScimGroup {
	g := &ScimGroup{
		ID: s.Group.ID, DisplayName: s.Group.DisplayName, ExternalID: s.Group.ExternalID,
		BusinessUnit: s.BusinessUnit, Role: s.Role, MemberCount: s.MemberCount,
	}
	if s.Group.Target != nil {
		t := ScimGroupTarget(*s.Group.Target)
		g.Target = &t
	}
	return g
}

func scimGroups(ctx context.Context, c *ent.Client) ([]*ScimGroup, error) {
	ss, err := provision.ListGroupSummaries(ctx, c)
	if err != nil {
		return nil, err
	}
	out := make([]*ScimGroup, len(ss))
	for i, s := range ss {
		out[i] = scimGroup(s)
	}
	return out, nil
}

// summarized turns a mapped or unmapped group into its summary.
func summarized(ctx context.Context, c *ent.Client) func(*ent.SCIMGroupMapping, error) (*ScimGroup, error) {
	return func(g *ent.SCIMGroupMapping, err error) (*ScimGroup, error) {
		if err != nil {
			return nil, err
		}
		s, err := provision.Summary(ctx, c, g)
		if err != nil {
			return nil, err
		}
		return scimGroup(s), nil
	}
}

func mapScimGroup(ctx context.Context, c *ent.Client, in MapScimGroupInput) (*MapScimGroupPayload, error) {
	g, err := summarized(ctx, c)(provision.MapGroup(ctx, c, in.GroupID, in.BusinessUnitID, in.RoleID))
	return wrap(func(g *ScimGroup) *MapScimGroupPayload { return &MapScimGroupPayload{ScimGroup: g} })(g, err)
}

func unmapScimGroup(ctx context.Context, c *ent.Client, id pulid.ID) (*UnmapScimGroupPayload, error) {
	g, err := summarized(ctx, c)(provision.UnmapGroup(ctx, c, id))
	return wrap(func(g *ScimGroup) *UnmapScimGroupPayload { return &UnmapScimGroupPayload{ScimGroup: g} })(g, err)
}
