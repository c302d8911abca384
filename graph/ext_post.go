package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/clinicgate/clinicgate/internal/apperr"
)

// post is the handler's POST transport: gqlgen's (transport.POST, whose
// Supports it keeps), with the request body read and checked once before
// anything runs (checkBody) and decoded once, and the response written
// without a second encoding. gqlgen's POST reads and decodes the body
// itself and answers a body that fails its read (one over the size limit,
// which only the read finds when the body is chunked) with 200 and a
// "could not read request body" error, and one that is not its JSON with
// a message holding the decoder's error, the Go type names in it, and the
// body itself; and it writes every response with json.Marshal, which
// re-validates and re-escapes data the executor has already encoded: a
// pass over every byte of a page of clients, and a copy of it.
//
// The response is the same, byte for byte, as gqlgen's (ext_post_test.go
// holds the two side by side): the same content type for the same Accept
// header, the same status for an operation that cannot start, and the
// same JSON, which writeResponse writes directly when json.Marshal would
// write the data unchanged.
//
// documentIDs hands a request's top-level documentId to the trusted
// documents extension (TrustedDocuments), which the body's decoding into
// graphql.RawParams would drop.
type post struct {
	transport.POST
	documentIDs bool
}

func (p post) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	start := graphql.Now()
	body, ok := checkBody(ctx, w, r, exec)
	if !ok {
		return
	}
	// gqlgen's decoding (UseNumber), so that variables arrive as they would.
	var params graphql.RawParams
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&params); err != nil {
		refuseBody(ctx, w, exec, http.StatusBadRequest, "",
			`the request body must be a JSON object: {"query": string, "operationName": string, "variables": object, "extensions": object}`)
		return
	}
	if p.documentIDs && bytes.Contains(body, []byte(`"documentId"`)) {
		var req struct {
			DocumentID string `json:"documentId"`
		}
		if json.Unmarshal(body, &req) == nil && req.DocumentID != "" {
			ctx = context.WithValue(ctx, documentIDKey{}, req.DocumentID)
		}
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}

	contentType := responseContentType(r)
	w.Header().Set("Content-Type", contentType)
	rc, opErr := exec.CreateOperationContext(ctx, &params)
	if opErr != nil {
		status := http.StatusOK
		if errcode.GetErrorKind(opErr) == errcode.KindProtocol {
			status = http.StatusUnprocessableEntity
			if contentType == graphqlResponseJSON {
				status = http.StatusBadRequest
			}
		}
		w.WriteHeader(status)
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, rc), opErr))
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	writeResponse(w, responses(ctx))
}

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

// checkBody reads r's body and refuses, with the status and error of its
// kind, one over the size limit (413 REQUEST_TOO_LARGE), one that cannot
// be read, and one that is not UTF-8 (encoding/json would replace the bytes
// with U+FFFD, silently changing what the caller sent).
func checkBody(ctx context.Context, w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) ([]byte, bool) {
	body, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		refuseBody(ctx, w, exec, http.StatusRequestEntityTooLarge, RequestTooLarge, "the request body is over the limit of %d bytes", tooLarge.Limit)
		return nil, false
	case err != nil:
		refuseBody(ctx, w, exec, http.StatusBadRequest, "", "the request body could not be read")
		return nil, false
	case !utf8.Valid(body):
		refuseBody(ctx, w, exec, http.StatusBadRequest, string(apperr.Invalid), "the request body is not valid UTF-8")
		return nil, false
	}
	return body, true
}

const (
	applicationJSON     = "application/json"
	graphqlResponseJSON = "application/graphql-response+json"
)

// responseContentType is the content type gqlgen's POST answers with for
// r's Accept header (GraphQL over HTTP): application/json when Accept is
// absent, names it first or names */* or application/*; the GraphQL
// response type when that comes first or nothing listed is known.
func responseContentType(r *http.Request) string {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return applicationJSON
	}
	for part := range strings.SplitSeq(accept, ",") {
		mediaType, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mediaType {
		case "*/*", "application/*", applicationJSON:
			return applicationJSON
		case graphqlResponseJSON:
			return graphqlResponseJSON
		}
	}
	return graphqlResponseJSON
}

// writeResponse writes resp as json.Marshal would. A response of data
// alone whose data json.Marshal would leave as it is — compact, nothing
// it escapes (verbatim) — is written as it stands; anything else goes
// through json.Marshal.
func writeResponse(w io.Writer, resp *graphql.Response) {
	if len(resp.Errors) == 0 && resp.Label == "" && resp.Path == nil && resp.HasNext == nil &&
		len(resp.Extensions) == 0 && verbatim(resp.Data) {
		b := make([]byte, 0, len(resp.Data)+len(`{"data":}`))
		b = append(b, `{"data":`...)
		b = append(b, resp.Data...)
		b = append(b, '}')
		w.Write(b)
		return
	}
	b, err := json.Marshal(resp)
	if err != nil {
		// As gqlgen's transport: the executor produced invalid JSON.
		panic(errors.Join(errors.New("graph: unable to marshal the response"), err))
	}
	w.Write(b)
}

// verbatim reports whether json.Marshal would copy data, a json.RawMessage
// the executor encoded, unchanged: not empty, no whitespace outside
// strings (compacting would drop it; a Map scalar's encoder ends in a
// newline), and nothing json.Marshal escapes inside them — <, > and &
// (its HTML-safe output), U+2028 and U+2029. It does not validate: the
// executor's JSON is valid, and json.Marshal checks what this refuses.
func verbatim(data []byte) bool {
	if len(data) == 0 {
		return false
	}
	inString := false
	for i := 0; i < len(data); i++ {
		if inString {
			for i < len(data) && !stopInString[data[i]] {
				i++
			}
			if i == len(data) {
				break
			}
			switch data[i] {
			case '\\':
				i++ // the escaped byte, whatever it is, stays
			case '"':
				inString = false
			case 0xe2: // U+2028 and U+2029 are E2 80 A8 and E2 80 A9
				if i+2 < len(data) && data[i+1] == 0x80 && (data[i+2] == 0xa8 || data[i+2] == 0xa9) {
					return false
				}
			default: // <, >, &
				return false
			}
			continue
		}
		for i < len(data) && !stopOutside[data[i]] {
			i++
		}
		if i == len(data) {
			break
		}
		if data[i] != '"' {
			return false // whitespace
		}
		inString = true
	}
	return true
}

// The bytes verbatim stops at, inside strings and outside them: tables,
// so that the scan between them is a tight loop.
var stopInString, stopOutside = func() (in, out [256]bool) {
	for _, c := range []byte{'"', '\\', '<', '>', '&', 0xe2} {
		in[c] = true
	}
	for _, c := range []byte{'"', ' ', '\t', '\n', '\r'} {
		out[c] = true
	}
	return in, out
}()

var _ graphql.Transport = post{}
