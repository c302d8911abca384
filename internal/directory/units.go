package directory

import (
	"context"
	"fmt"
	"slices"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/businessunit"
	"github.com/clinicgate/clinicgate/ent/patient"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/staffprofile"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/authz"
)

func unitName(ctx context.Context, c *ent.Client, name string, except pulid.ID) (string, error) {
	name, err := text("name", name, 200, true)
	if err != nil {
		return "", err
	}
	q := c.BusinessUnit.Query().Where(businessunit.NameEqualFold(name))
	if except != "" {
		q.Where(businessunit.IDNEQ(except))
	}
	taken, err := q.Exist(sys(ctx))
	if err != nil {
		return "", err
	}
	if taken {
		return "", apperr.InvalidField("name", "a business unit with this name already exists")
	}
	return name, nil
}

// CreateBusinessUnit creates a unit with a name and an optional address.
func CreateBusinessUnit(ctx context.Context, c *ent.Client, name, address string) (*ent.BusinessUnit, error) {
	ctx, err := authz.Require(ctx, c, authz.CreateBusinessUnit, authz.Target{})
	if err != nil {
		return nil, err
	}
	if name, err = unitName(ctx, c, name, ""); err != nil {
		return nil, err
	}
	if address, err = text("address", address, 1000, false); err != nil {
		return nil, err
	}
	bu, err := c.BusinessUnit.Create().SetOrganizationID(orgOf(ctx)).SetName(name).SetAddress(address).Save(ctx)
	if err != nil {
		return nil, raced(err, apperr.InvalidField("name", "a business unit with this name already exists"), "create business unit")
	}
	if err := record(ctx, c, ActionUnitCreated, "business_unit", bu.ID, "", map[string]any{
		"after": map[string]any{"name": name, "address": address}}); err != nil {
		return nil, err
	}
	return bu, nil
}

// UpdateBusinessUnit renames a unit and/or sets its address (nil: as is;
// an empty address clears it).
func UpdateBusinessUnit(ctx context.Context, c *ent.Client, id pulid.ID, name, address *string) (*ent.BusinessUnit, error) {
	ctx, err := authz.Require(ctx, c, authz.UpdateBusinessUnit, authz.Target{Row: id})
	if err != nil {
		return nil, err
	}
	bu, err := c.BusinessUnit.Get(sys(ctx), id)
	if err != nil {
		return nil, err
	}
	before, after := map[string]any{}, map[string]any{}
	upd := c.BusinessUnit.UpdateOneID(id)
	if name != nil {
		n, err := unitName(ctx, c, *name, id)
		if err != nil {
			return nil, err
		}
		if n != bu.Name {
			before["name"], after["name"] = bu.Name, n
			upd.SetName(n)
		}
	}
	if address != nil {
		a, err := text("address", *address, 1000, false)
		if err != nil {
			return nil, err
		}
		if a != bu.Address {
			before["address"], after["address"] = bu.Address, a
			upd.SetAddress(a)
		}
	}
	if len(after) == 0 {
		return bu, nil
	}
	if bu, err = upd.Save(ctx); err != nil {
		return nil, raced(err, apperr.InvalidField("name", "a business unit with this name already exists"), "update business unit")
	}
	if err := record(ctx, c, ActionUnitUpdated, "business_unit", id, "", map[string]any{"before": before, "after": after}); err != nil {
		return nil, err
	}
	return bu, nil
}

// UnitDeletion is what deleting a unit did.
type UnitDeletion struct {
	ID pulid.ID
	// MovedClients is how many clients moved to the target unit.
	MovedClients int
	// RemovedMembers are the users who were members of the unit.
	RemovedMembers []pulid.ID
}

// DeleteBusinessUnit deletes a unit. While clients belong to it, it is
// refused (CONFLICT) unless moveTo names another unit, to which they move
// in the same transaction. Its members lose the membership; a user's or
// staff profile's primary unit pointing at it is cleared.
func DeleteBusinessUnit(ctx context.Context, c *ent.Client, id pulid.ID, moveTo *pulid.ID) (*UnitDeletion, error) {
	t := authz.Target{Row: id}
	if moveTo != nil {
		if *moveTo == id {
			return nil, apperr.InvalidField("targetBusinessUnitId", "the clients must move to another business unit")
		}
		t.BusinessUnits = []pulid.ID{*moveTo}
	}
	ctx, err := authz.Require(ctx, c, authz.DeleteBusinessUnit, t)
	if err != nil {
		return nil, err
	}
	s := sys(ctx)
	bu, err := c.BusinessUnit.Get(s, id)
	if err != nil {
		return nil, err
	}
	// Every client counts, restricted ones and those the viewer does not
	// reach included: none may be left without notice.
	clients, err := c.Patient.Query().Where(patient.BusinessUnitID(id)).Count(s)
	if err != nil {
		return nil, err
	}
	if clients > 0 && moveTo == nil {
		return nil, apperr.New(apperr.Conflict, "%d clients belong to this business unit; move them first or name a business unit to move them to", clients)
	}
	members, err := bu.QueryUsers().IDs(s)
	if err != nil {
		return nil, err
	}
	out := &UnitDeletion{ID: id, RemovedMembers: members}
	if moveTo != nil && clients > 0 {
		if out.MovedClients, err = c.Patient.Update().Where(patient.BusinessUnitID(id)).SetBusinessUnitID(*moveTo).Save(ctx); err != nil {
			return nil, fmt.Errorf("directory: move clients: %w", err)
		}
	}
	if _, err := c.User.Update().Where(user.PrimaryBusinessUnitID(id)).ClearPrimaryBusinessUnitID().Save(ctx); err != nil {
		return nil, fmt.Errorf("directory: clear primary units: %w", err)
	}
	if _, err := c.StaffProfile.Update().Where(staffprofile.BusinessUnitID(id)).ClearBusinessUnitID().Save(ctx); err != nil {
		return nil, fmt.Errorf("directory: clear staff profiles' unit: %w", err)
	}
	if _, err := c.BusinessUnit.UpdateOneID(id).ClearUsers().ClearInvitations().Save(ctx); err != nil {
		return nil, fmt.Errorf("directory: remove memberships: %w", err)
	}
	if err := c.BusinessUnit.DeleteOneID(id).Exec(ctx); err != nil {
		return nil, fmt.Errorf("directory: delete business unit: %w", err)
	}
	details := map[string]any{
		"before":          map[string]any{"name": bu.Name, "address": bu.Address},
		"moved_clients":   out.MovedClients,
		"removed_members": idStrings(members),
	}
	if moveTo != nil {
		details["target_business_unit_id"] = string(*moveTo)
	}
	if err := record(ctx, c, ActionUnitDeleted, "business_unit", id, "", details); err != nil {
		return nil, err
	}
	return out, nil
}

// AssignClient puts a client in a business unit, moving it out of the one
// it was in; no unit takes it out of any. A client belongs to at most one
// unit: naming more than one is refused.
func AssignClient(ctx context.Context, c *ent.Client, clientID pulid.ID, units []pulid.ID) (*ent.Patient, error) {
	units = uniqIDs(units)
	if len(units) > 1 {
		return nil, apperr.InvalidField("businessUnitIds", "a client belongs to at most one business unit")
	}
	ctx, err := authz.Require(ctx, c, authz.AssignClientBusinessUnit, authz.Target{Client: clientID, BusinessUnits: units})
	if err != nil {
		return nil, err
	}
	p, err := c.Patient.Get(sys(ctx), clientID)
	if err != nil {
		return nil, err
	}
	var to *pulid.ID
	if len(units) == 1 {
		to = &units[0]
	}
	if eqID(p.BusinessUnitID, to) {
		return p, nil
	}
	was := p.BusinessUnitID
	upd := c.Patient.UpdateOneID(clientID)
	if to == nil {
		upd.ClearBusinessUnitID()
	} else {
		upd.SetBusinessUnitID(*to)
	}
	if p, err = upd.Save(ctx); err != nil {
		return nil, fmt.Errorf("directory: assign client: %w", err)
	}
	if err := record(ctx, c, ActionClientUnitAssigned, "client", clientID, clientID, map[string]any{
		"before": map[string]any{"business_unit_id": idOrNil(was)},
		"after":  map[string]any{"business_unit_id": idOrNil(to)},
	}); err != nil {
		return nil, err
	}
	return p, nil
}

// SetUserBusinessUnits sets a staff user's units and primary unit (which
// must be one of them, or nil). A unit opens its clients to its members,
// so the viewer gives only units whose clients they reach (authz).
func SetUserBusinessUnits(ctx context.Context, c *ent.Client, userID pulid.ID, units []pulid.ID, primary *pulid.ID) (*ent.User, error) {
	units = uniqIDs(units)
	if primary != nil && !slices.Contains(units, *primary) {
		return nil, apperr.InvalidField("primaryBusinessUnitId", "the primary business unit must be one of the user's business units")
	}
	s := sys(ctx)
	var current []pulid.ID
	var err error
	if u, e := c.User.Query().Where(user.ID(userID), user.StatusNEQ(user.StatusDeleted)).Only(s); e == nil {
		if current, err = u.QueryBusinessUnits().IDs(s); err != nil {
			return nil, err
		}
	} else if !ent.IsNotFound(e) {
		return nil, e
	}
	var added []pulid.ID
	for _, id := range units {
		if !slices.Contains(current, id) {
			added = append(added, id)
		}
	}
	ctx, err = authz.Require(ctx, c, authz.SetUserBusinessUnits, authz.Target{User: userID, BusinessUnits: added})
	if err != nil {
		return nil, err
	}
	u, err := loadUser(ctx, c, userID)
	if err != nil {
		return nil, err
	}
	if u.Kind != user.KindStaff && len(units) > 0 {
		return nil, apperr.InvalidField("businessUnitIds", "portal users have no business units")
	}
	slices.Sort(current)
	if slices.Equal(current, units) && eqID(u.PrimaryBusinessUnitID, primary) {
		return u, nil
	}
	was := u.PrimaryBusinessUnitID
	upd := c.User.UpdateOneID(userID).ClearBusinessUnits().AddBusinessUnitIDs(units...)
	if primary == nil {
		upd.ClearPrimaryBusinessUnitID()
	} else {
		upd.SetPrimaryBusinessUnitID(*primary)
	}
	if u, err = upd.Save(ctx); err != nil {
		return nil, fmt.Errorf("directory: set business units: %w", err)
	}
	if err := record(ctx, c, ActionBusinessUnitsSet, "user", userID, "", map[string]any{
		"before": map[string]any{"business_unit_ids": idStrings(current), "primary_business_unit_id": idOrNil(was)},
		"after":  map[string]any{"business_unit_ids": idStrings(units), "primary_business_unit_id": idOrNil(primary)},
	}); err != nil {
		return nil, err
	}
	return u, nil
}

func uniqIDs(ids []pulid.ID) []pulid.ID {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

func eqID(a, b *pulid.ID) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func idOrNil(id *pulid.ID) any {
	if id == nil {
		return nil
	}
	return string(*id)
}

// ClientCount counts the clients of a unit the viewer in ctx reaches
// (through the viewer's row rules).
func ClientCount(ctx context.Context, c *ent.Client, unitID pulid.ID) (int, error) {
	return c.Patient.Query().Where(patient.BusinessUnitID(unitID)).Count(ctx)
}
