package authz

import (
	"context"

	"fmt"
	"sync"

	"entgo.io/ent/dialect/sql"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/patient"
	"github.com/clinicgate/clinicgate/ent/portalaccess"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/staffprofile"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Cache remembers decisions for one request. Privileges and memberships are
// loaded per request, so a decision cached for the rest of the request is
// never staler than the viewer it was made for. Concurrent resolvers asking
// the same question wait for one answer.
type Cache struct {
	mu        sync.Mutex
	decisions map[string]*decision
}

type decision struct {
	once sync.Once
	ok   bool
	err  error
}

type cacheKey struct{}

// WithCache returns ctx carrying a fresh decision cache; the server installs
// one per request.
func WithCache(ctx context.Context) context.Context {
	return context.WithValue(ctx, cacheKey{}, &Cache{decisions: map[string]*decision{}})
}

// CanReadClient decides whether the viewer in ctx reaches client id. It is
// the same SQL predicate lists use, asked about one row.
func CanReadClient(ctx context.Context, c *ent.Client, id pulid.ID) (bool, error) {
	return decide(ctx, "client|"+string(id), func() (bool, error) {
		return c.Patient.Query().Where(patient.ID(id)).Exist(ctx)
	})
}

// CanReadStaffProfile decides whether the viewer in ctx reaches staff
// profile id.
func CanReadStaffProfile(ctx context.Context, c *ent.Client, id pulid.ID) (bool, error) {
	return decide(ctx, "staff|"+string(id), func() (bool, error) {
		return c.StaffProfile.Query().Where(staffprofile.ID(id)).Exist(ctx)
	})
}

func decide(ctx context.Context, key string, ask func() (bool, error)) (bool, error) {
	if viewer.FromContext(ctx) == nil {
		return false, nil
	}
	cache, _ := ctx.Value(cacheKey{}).(*Cache)
	if cache == nil {
		ok, err := ask()
		if err != nil {
			return false, fmt.Errorf("authz: decide %s: %w", key, err)
		}
		return ok, nil
	}
	cache.mu.Lock()
	d, hit := cache.decisions[key]
	if !hit {
		d = &decision{}
		cache.decisions[key] = d
	}
	cache.mu.Unlock()
	d.once.Do(func() {
		if d.ok, d.err = ask(); d.err != nil {
			d.err = fmt.Errorf("authz: decide %s: %w", key, d.err)
		}
	})
	return d.ok, d.err
}

// portalPermission decides whether the portal viewer in ctx holds a portal
// permission (a column of portal_accesses) on a client, once per client and
// permission in a request: a field rule asks it for every row of a list.
func portalPermission(ctx context.Context, c *ent.Client, clientID pulid.ID, column string) (bool, error) {
	v := viewer.FromContext(ctx)
	return decide(ctx, "portal|"+column+"|"+string(clientID), func() (bool, error) {
		return c.PortalAccess.Query().Where(
			portalaccess.UserID(v.UserID),
			portalaccess.ClientID(clientID),
			func(s *sql.Selector) { s.Where(sql.EQ(s.C(column), true)) },
		).Exist(ctx)
	})
}
