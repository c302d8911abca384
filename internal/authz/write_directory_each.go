package authz

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// decideDirectoryEach is the batch form of decideDirectory for
// SetUserBusinessUnits (RequireEach): the users of every target are read
// in one statement and the units' facts once per distinct set of units,
// then each target is decided by decideDirectoryWrite exactly as alone.
// Other actions, and targets naming more than a user and units, are
// decided one by one.
func decideDirectoryEach(ctx context.Context, c *ent.Client, v *viewer.Viewer, a Action, ts []Target) error {
	batchable := a == SetUserBusinessUnits
	for _, t := range ts {
		if t.User == "" || t.Client != "" || t.Row != "" || len(t.Roles) > 0 || len(t.Privileges) > 0 {
			batchable = false
		}
	}
	if !batchable {
		for _, t := range ts {
			if err := decideDirectory(ctx, c, v, a, t); err != nil {
				return err
			}
		}
		return nil
	}
	sys := viewer.ForSystem(ctx, v.OrgID)
	ids := make([]pulid.ID, 0, len(ts))
	for _, t := range ts {
		ids = append(ids, t.User)
	}
	us, err := c.User.Query().Where(user.IDIn(uniq(ids)...), user.StatusNEQ(user.StatusDeleted)).
		Select(user.FieldID, user.FieldIsAccountOwner).All(sys)
	if err != nil {
		return fmt.Errorf("authz: facts for %s: %w", a, err)
	}
	found := make(map[pulid.ID]*ent.User, len(us))
	for _, u := range us {
		found[u.ID] = u
	}
	type unitsFacts struct{ found, reached bool }
	byUnits := map[string]unitsFacts{}
	for _, t := range ts {
		f := directoryFacts{unitsFound: true, unitsReached: true, rolesFound: true, userGiven: true}
		if u := found[t.User]; u != nil {
			f.userFound, f.self, f.targetOwner = true, u.ID == v.UserID, u.IsAccountOwner
		}
		if units := uniq(t.BusinessUnits); len(units) > 0 {
			key := strings.Join(idStringsOf(units), ",")
			uf, ok := byUnits[key]
			if !ok {
				if uf.found, uf.reached, err = unitFacts(ctx, c, v, a, units); err != nil {
					return err
				}
				byUnits[key] = uf
			}
			f.unitsFound, f.unitsReached = uf.found, uf.reached
		}
		if err := decideDirectoryWrite(v, a, f); err != nil {
			return err
		}
	}
	return nil
}

func idStringsOf(ids []pulid.ID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return slices.Clip(out)
}
