package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
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
