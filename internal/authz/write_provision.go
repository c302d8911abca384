package authz

import (
	"context"
	"fmt"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/businessunit"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/scimgroupmapping"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// The provisioning concern of the write vocabulary (see concern in
// write.go): SCIM groups pushed by an identity provider and what
// administrators map them to. What a group's membership grants is set
// through the directory and team actions (SetUserBusinessUnits,
// SetUserRoles), decided there.

const (
	// ProvisionSCIMGroup creates, renames, replaces or deletes the SCIM
	// group Target.Row (empty when creating) or changes its members: the
	// identity provider's own action.
	ProvisionSCIMGroup Action = "scim_group.provision"
	// MapSCIMGroup maps the SCIM group Target.Row to the business unit
	// Target.BusinessUnits[0] or the role Target.Roles[0], or unmaps it
	// when both are empty.
	MapSCIMGroup Action = "scim_group.map"
)

func provisionConcern() concern {
	return concern{
		name:   "provision",
		scim:   true,
		stepUp: []Action{MapSCIMGroup},
		writes: map[Action][]write{
			ProvisionSCIMGroup: {
				{"SCIMGroupMapping", ent.OpCreate | ent.OpUpdateOne | ent.OpDeleteOne},
				{"SCIMGroupMember", ent.OpCreate | ent.OpDelete | ent.OpDeleteOne},
				audited,
			},
			MapSCIMGroup: {{"SCIMGroupMapping", ent.OpUpdateOne}, audited},
		},
		decide: decideProvision,
	}
}

// provisionFacts are what decideProvisionWrite needs beyond the viewer.
type provisionFacts struct {
	groupFound bool // Target.Row is a SCIM group of the organization
	unitFound  bool // Target.BusinessUnits[0] is a unit of the organization
	roleFound  bool // Target.Roles[0] is a role of the organization
	roleOwner  bool // that role is the account owner's
}

func decideProvision(ctx context.Context, c *ent.Client, v *viewer.Viewer, a Action, t Target) error {
	sys := viewer.ForSystem(ctx, v.OrgID)
	var f provisionFacts
	var err error
	if t.Row != "" {
		if f.groupFound, err = c.SCIMGroupMapping.Query().Where(scimgroupmapping.ID(t.Row)).Exist(sys); err != nil {
			return fmt.Errorf("authz: provision facts: %w", err)
		}
	}
	if len(t.BusinessUnits) > 0 {
		if f.unitFound, err = c.BusinessUnit.Query().Where(businessunit.ID(t.BusinessUnits[0])).Exist(sys); err != nil {
			return fmt.Errorf("authz: provision facts: %w", err)
		}
	}
	if len(t.Roles) > 0 {
		r, err := c.Role.Query().Where(role.ID(t.Roles[0])).Only(sys)
		switch {
		case ent.IsNotFound(err):
		case err != nil:
			return fmt.Errorf("authz: provision facts: %w", err)
		default:
			f.roleFound = true
			f.roleOwner = r.Builtin != nil && *r.Builtin == role.BuiltinAccountOwner
		}
	}
	return decideProvisionWrite(v, a, t, f)
}

// decideProvisionWrite is the provisioning decision from the viewer, the
// target and the facts alone (held against a reference model in
// write_provision_test.go):
//
//   - the identity provider (SCIM viewer) provisions its groups and
//     members and maps nothing;
//   - an administrator (org.settings.manage, staff) maps and unmaps groups,
//     to exactly one unit or role of the organization, never to the
//     account owner's role, and provisions nothing.
func decideProvisionWrite(v *viewer.Viewer, a Action, t Target, f provisionFacts) error {
	forbidden := func(format string, args ...any) error { return apperr.New(apperr.Forbidden, format, args...) }
	notFound := func(what string) error { return apperr.New(apperr.NotFound, "%s not found", what) }
	switch a {
	case ProvisionSCIMGroup:
		if v.Kind != viewer.SCIM {
			return forbidden("SCIM groups are pushed by the identity provider")
		}
		if t.Row != "" && !f.groupFound {
			return notFound("group")
		}
		return nil
	case MapSCIMGroup:
		if v.Kind != viewer.User || v.Portal || !v.Has(string(OrgSettingsManage)) {
			return forbidden("mapping SCIM groups needs the org.settings.manage privilege")
		}
		if !f.groupFound {
			return notFound("SCIM group")
		}
		if len(t.BusinessUnits) > 0 && len(t.Roles) > 0 {
			return apperr.InvalidField("businessUnitId", "map a group to a business unit or a role, not both")
		}
		if len(t.BusinessUnits) > 0 && !f.unitFound {
			return notFound("business unit")
		}
		if len(t.Roles) > 0 {
			if !f.roleFound {
				return notFound("role")
			}
			if f.roleOwner {
				return forbidden("no SCIM group grants the account owner's role")
			}
		}
		return nil
	}
	return errNoDecision(a)
}
