package scim_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/provision"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// BenchmarkGroupPatch100Adds: a group of 5,000 members patched (HTTP,
// through the token middleware and the library) with 100 adds, on
// PostgreSQL; unmapped, and mapped to a business unit (every added member
// also gets the unit through directory.SetUserBusinessUnits, audited).
// The target is under 100 ms per PATCH (median, p50-ms).
func BenchmarkGroupPatch100Adds(b *testing.B) {
	for _, mapped := range []bool{false, true} {
		name := "unmapped"
		if mapped {
			name = "mapped_to_unit"
		}
		b.Run(name, func(b *testing.B) {
			db := storetest.Open(b, "postgres")
			c := db.Client
			slug := "bench-" + name
			org := c.Organization.Create().SetName(slug).SetSlug(slug).SaveX(allowCtx())
			u := c.User.Create().SetOrganizationID(org.ID).SetEmail("it@" + slug + ".test").SetStatus(user.StatusActive).SaveX(allowCtx())
			privs := map[string]bool{}
			for _, p := range []authz.Privilege{authz.OrgSettingsManage, authz.UsersManage, authz.ClientsAccessAll} {
				privs[string(p)] = true
			}
			ctx := viewer.NewContext(context.Background(), &viewer.Viewer{Kind: viewer.User, OrgID: org.ID, UserID: u.ID, Privileges: privs})
			f := fixtureFrom(b, c, ctx)
			mk := func(n int, prefix string) []pulid.ID {
				var ids []pulid.ID
				for start := 0; start < n; start += 1000 {
					var bs []*ent.UserCreate
					for i := start; i < min(n, start+1000); i++ {
						bs = append(bs, c.User.Create().SetOrganizationID(org.ID).SetEmail(fmt.Sprintf("%s%d@x.test", prefix, i)).
							SetStatus(user.StatusActive).AddRoles(f.base))
					}
					for _, x := range c.User.CreateBulk(bs...).SaveX(allowCtx()) {
						ids = append(ids, x.ID)
					}
				}
				return ids
			}
			base := mk(5000, "m")
			extra := mk(100, "e")
			idp := viewer.NewContext(context.Background(), &viewer.Viewer{Kind: viewer.SCIM, OrgID: org.ID})
			g, err := provision.CreateGroup(idp, c, provision.GroupInput{DisplayName: "Everyone", Members: base})
			if err != nil {
				b.Fatal(err)
			}
			if mapped {
				if _, err := provision.MapGroup(ctx, c, g.ID, &f.unit.ID, nil); err != nil {
					b.Fatal(err)
				}
			}
			add := patch(map[string]any{"op": "add", "path": "members", "value": members(extra...)})
			var rm []map[string]any
			for _, id := range extra {
				rm = append(rm, map[string]any{"op": "remove", "path": fmt.Sprintf(`members[value eq "%s"]`, id)})
			}
			remove := patch(rm...)
			var lat []time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				if status, body, _ := f.do("PATCH", "/Groups/"+string(g.ID), add); status != 204 {
					b.Fatalf("add: %d %v", status, body)
				}
				lat = append(lat, time.Since(start))
				b.StopTimer()
				if status, body, _ := f.do("PATCH", "/Groups/"+string(g.ID), remove); status != 204 {
					b.Fatalf("remove: %d %v", status, body)
				}
				b.StartTimer()
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		})
	}
}
