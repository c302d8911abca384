package login

import (
	"context"
	"fmt"

	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// current returns the request's session with its user and organization.
func (f *flow) current(ctx context.Context) (*signedIn, error) {
	v, cur := viewer.FromContext(ctx), session.SessionFrom(ctx)
	if v == nil || v.Kind != viewer.User || cur == nil {
		return nil, ErrUnauthenticated
	}
	u, err := f.client.User.Query().Where(user.ID(v.UserID)).WithOrganization().Only(ctx)
	if err != nil {
		return nil, fmt.Errorf("login: load user: %w", err)
	}
	return &signedIn{Session: cur, User: u, Org: u.Edges.Organization, State: v.State}, nil
}
