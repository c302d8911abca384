package directory

import (
	"context"
	"fmt"
	"slices"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/businessunit"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
)

// GrantBusinessUnit gives unit to each of users who lacks it: the batch
// form of SetUserBusinessUnits (what a SCIM group mapped to the unit does
// to members it gains). Each user is decided as SetUserBusinessUnits
// decides them (authz.RequireEach, SetUserBusinessUnits) and gets the
// same audit event, but the statements are fixed in number whatever the
// number of users: the users read once, one insert of the memberships,
// one insert of the events. Removed users and users holding the unit are
// left alone.
func GrantBusinessUnit(ctx context.Context, c *ent.Client, unit pulid.ID, users []pulid.ID) error {
	return changeUnitOfUsers(ctx, c, unit, users, true)
}

// RevokeBusinessUnit takes unit from each of users who holds it (and
// clears their primary unit when it is that one): the batch form of
// SetUserBusinessUnits, decided, written and audited as GrantBusinessUnit.
func RevokeBusinessUnit(ctx context.Context, c *ent.Client, unit pulid.ID, users []pulid.ID) error {
	return changeUnitOfUsers(ctx, c, unit, users, false)
}

func changeUnitOfUsers(ctx context.Context, c *ent.Client, unit pulid.ID, users []pulid.ID, give bool) error {
	if len(users) == 0 {
		return nil
	}
	us, err := c.User.Query().Where(user.IDIn(uniqIDs(users)...), user.StatusNEQ(user.StatusDeleted)).
		Select(user.FieldID, user.FieldKind, user.FieldPrimaryBusinessUnitID).
		WithBusinessUnits(func(q *ent.BusinessUnitQuery) { q.Select(businessunit.FieldID) }).
		Order(ent.Asc(user.FieldID)).All(sys(ctx))
	if err != nil {
		return fmt.Errorf("directory: users' business units: %w", err)
	}
	type change struct {
		u              *ent.User
		before, after  []pulid.ID
		primaryCleared bool
	}
	var changes []change
	var targets []authz.Target
	var ids, primaryOf []pulid.ID
	for _, u := range us {
		current := make([]pulid.ID, 0, len(u.Edges.BusinessUnits))
		for _, b := range u.Edges.BusinessUnits {
			current = append(current, b.ID)
		}
		slices.Sort(current)
		if slices.Contains(current, unit) == give {
			continue
		}
		if give && u.Kind != user.KindStaff {
			return apperr.InvalidField("businessUnitIds", "portal users have no business units")
		}
		ch := change{u: u, before: current}
		t := authz.Target{User: u.ID}
		if give {
			ch.after = uniqIDs(append(slices.Clone(current), unit))
			t.BusinessUnits = []pulid.ID{unit}
		} else {
			ch.after = slices.DeleteFunc(slices.Clone(current), func(id pulid.ID) bool { return id == unit })
			if p := u.PrimaryBusinessUnitID; p != nil && *p == unit {
				ch.primaryCleared = true
				primaryOf = append(primaryOf, u.ID)
			}
		}
		changes = append(changes, ch)
		targets = append(targets, t)
		ids = append(ids, u.ID)
	}
	if len(changes) == 0 {
		return nil
	}
	ctx, err = authz.RequireEach(ctx, c, authz.SetUserBusinessUnits, targets)
	if err != nil {
		return err
	}
	upd := c.User.Update().Where(user.IDIn(ids...))
	if give {
		upd.AddBusinessUnitIDs(unit)
	} else {
		upd.RemoveBusinessUnitIDs(unit)
	}
	if err := upd.Exec(ctx); err != nil {
		return fmt.Errorf("directory: set business units: %w", err)
	}
	if len(primaryOf) > 0 {
		if err := c.User.Update().Where(user.IDIn(primaryOf...)).ClearPrimaryBusinessUnitID().Exec(ctx); err != nil {
			return fmt.Errorf("directory: set business units: %w", err)
		}
	}
	events := make([]audit.Event, 0, len(changes))
	for _, ch := range changes {
		was := ch.u.PrimaryBusinessUnitID
		now := was
		if ch.primaryCleared {
			now = nil
		}
		events = append(events, audit.Event{
			Org: orgOf(ctx), Action: ActionBusinessUnitsSet, TargetType: "user", TargetID: string(ch.u.ID),
			Details: map[string]any{
				"before": map[string]any{"business_unit_ids": idStrings(ch.before), "primary_business_unit_id": idOrNil(was)},
				"after":  map[string]any{"business_unit_ids": idStrings(ch.after), "primary_business_unit_id": idOrNil(now)},
			},
		})
	}
	return audit.RecordBatch(ctx, c, events)
}
