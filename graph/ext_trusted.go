package graph

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// PersistedQueryNotAllowed is the extensions.code of an operation refused
// because it is not one of the trusted documents.
const PersistedQueryNotAllowed = "PERSISTED_QUERY_NOT_ALLOWED"

// TrustedDocuments runs only the operations on an allow-list, such as the
// persisted documents a first-party frontend's build emits. A request names
// its document in one of three ways:
//
//   - documentId: "sha256:<hash>" or "<hash>" at the top level of the body
//     (GraphQL over HTTP persisted documents; Relay);
//   - extensions.persistedQuery.sha256Hash, as automatic persisted queries
//     send it, with or without the query;
//   - the full query text, whose SHA-256 is on the list.
//
// Anything else is refused before it is parsed. Serve it with
// [TrustedDocuments.Transport], which reads documentId for it: gqlgen's
// request parameters have no place for one.
type TrustedDocuments struct {
	// Documents maps the lower-case hex SHA-256 of each document to its text.
	Documents map[string]string
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = TrustedDocuments{}

func (TrustedDocuments) ExtensionName() string { return "TrustedDocuments" }

func (t TrustedDocuments) Validate(graphql.ExecutableSchema) error {
	if len(t.Documents) == 0 {
		return errors.New("TrustedDocuments: the list is empty, so nothing could run")
	}
	for h, doc := range t.Documents {
		if sha256Hex(doc) != h {
			return fmt.Errorf("TrustedDocuments: %q is not the SHA-256 of its document", h)
		}
	}
	return nil
}

func (t TrustedDocuments) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	id := documentIDFrom(ctx)
	if id == "" {
		if pq, ok := p.Extensions["persistedQuery"].(map[string]any); ok {
			id, _ = pq["sha256Hash"].(string)
		}
	}
	id = strings.ToLower(strings.TrimPrefix(id, "sha256:"))
	switch {
	case id != "":
		doc, ok := t.Documents[id]
		if !ok {
			return notAllowed("document %q is not a trusted document", id)
		}
		if p.Query != "" && p.Query != doc {
			return notAllowed("the query sent is not trusted document %q", id)
		}
		p.Query = doc
	case p.Query == "":
		return notAllowed("no query and no trusted document id")
	default:
		if _, ok := t.Documents[sha256Hex(p.Query)]; !ok {
			return notAllowed("only trusted documents may run here, and this query is not one")
		}
	}
	return nil
}

func notAllowed(format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	errcode.Set(err, PersistedQueryNotAllowed)
	return err
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

type documentIDKey struct{}

func documentIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(documentIDKey{}).(string)
	return id
}

// Transport is gqlgen's POST transport, which the handler uses in its
// place, that also hands a request's top-level documentId to the extension.
func (TrustedDocuments) Transport() graphql.Transport { return documentIDPOST{} }

type documentIDPOST struct{ transport.POST }

func (p documentIDPOST) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	body, err := io.ReadAll(r.Body)
	ctx := r.Context()
	var req struct {
		DocumentID string `json:"documentId"`
	}
	if err == nil && bytes.Contains(body, []byte(`"documentId"`)) && json.Unmarshal(body, &req) == nil && req.DocumentID != "" {
		ctx = context.WithValue(ctx, documentIDKey{}, req.DocumentID)
	}
	r = r.WithContext(ctx) // a copy: the caller's request keeps its body
	// The POST transport reads the body again, and meets any read error
	// (a body over the size limit) as it would have.
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{err}))
	p.POST.Do(w, r, exec)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) {
	if e.err == nil {
		return 0, io.EOF
	}
	return 0, e.err
}
