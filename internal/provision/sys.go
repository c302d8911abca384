package provision

import (
	"context"

	"github.com/clinicgate/clinicgate/internal/viewer"
)

// sys is ctx read as the server within the viewer's organization, for the
// facts an operation checks before it writes as the viewer. Without a
// viewer it is ctx itself: nothing is read as the server of no
// organization.
func sys(ctx context.Context) context.Context {
	v := viewer.FromContext(ctx)
	if v == nil {
		return ctx
	}
	return viewer.ForSystem(ctx, v.OrgID)
}
