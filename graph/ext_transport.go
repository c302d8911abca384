package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/clinicgate/clinicgate/internal/apperr"
)

// RequestTooLarge is the extensions.code of a request body over the size
// limit (edge.LimitBody), answered with 413: the apperr.TooLarge kind.
const RequestTooLarge = string(apperr.TooLarge)

// checkedBody wraps the POST transport (gqlgen's, or the trusted
// documents'), reading and checking the body before it does: gqlgen
// answers a body that fails its read (one over the size limit, which
// only the read finds when the body is chunked) with 200 and a
// "could not read request body" error, and one that is not its JSON with
// a message holding the decoder's error, the Go type names in it, and
// the body itself.
type checkedBody struct {
	graphql.Transport
}

func (t checkedBody) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	body, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		refuseBody(r.Context(), w, exec, http.StatusRequestEntityTooLarge, RequestTooLarge, "the request body is over the limit of %d bytes", tooLarge.Limit)
		return
	case err != nil:
		refuseBody(r.Context(), w, exec, http.StatusBadRequest, "", "the request body could not be read")
		return
	case !utf8.Valid(body):
		// encoding/json would replace the bytes with U+FFFD, silently
		// changing what the caller sent.
		refuseBody(r.Context(), w, exec, http.StatusBadRequest, string(apperr.Invalid), "the request body is not valid UTF-8")
		return
	}
	// The same decoding as gqlgen's, so that it cannot fail where this
	// one succeeded.
	var params graphql.RawParams
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&params); err != nil {
		refuseBody(r.Context(), w, exec, http.StatusBadRequest, "",
			`the request body must be a JSON object: {"query": string, "operationName": string, "variables": object, "extensions": object}`)
		return
	}
	r2 := new(http.Request)
	*r2 = *r // a shallow copy: the caller's request keeps its body
	r2.Body = io.NopCloser(bytes.NewReader(body))
	t.Transport.Do(w, r2, exec)
}

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
