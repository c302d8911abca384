package graph

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/clinicgate/clinicgate/internal/apperr"
)

// RequestTooLarge is the extensions.code of a request body over the size
// limit (edge.LimitBody), answered with 413: the apperr.TooLarge kind.
const RequestTooLarge = string(apperr.TooLarge)

// refuseBody answers with status and one error, through the executor so
// that the error presenter gives it its code (code "" leaves the
// presenter's default).
func refuseBody(ctx context.Context, w http.ResponseWriter, exec graphql.GraphExecutor, status int, code, format string, args ...any) {
	err := gqlerror.Errorf(format, args...)
	if code != "" {
		err.Extensions = map[string]any{"code": code}
	}
	resp := exec.DispatchError(ctx, gqlerror.List{err})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(resp)
	w.Write(b)
}
