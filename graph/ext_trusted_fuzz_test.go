package graph

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// How a request names a trusted document: a top-level documentId
// ("sha256:<hash>" or the hash), a persisted-query hash, the query text,
// or several at once. Properties: no panic; the operation runs exactly
// when the query it runs is one of the trusted documents, and a refusal
// is PERSISTED_QUERY_NOT_ALLOWED.
func FuzzTrustedDocumentRequest(f *testing.F) {
	me, other := "{ viewer { user { id } } }", "query Other { __typename }"
	docs := TrustedDocuments{Documents: map[string]string{sha256Hex(me): me, sha256Hex(other): other}}
	for _, s := range []struct{ documentID, hash, query string }{
		{"sha256:" + sha256Hex(me), "", ""},
		{sha256Hex(me), "", me},
		{"SHA256:" + sha256Hex(me), "", ""},
		{"sha256:" + sha256Hex(me), "", other},
		{"", sha256Hex(other), ""},
		{"", sha256Hex(other), me},
		{"", "", me},
		{"", "", me + " "},
		{"", "", ""},
		{"sha256:", "", me},
		{"md5:" + sha256Hex(me), "", ""},
	} {
		f.Add(s.documentID, s.hash, s.query)
	}
	f.Fuzz(func(t *testing.T, documentID, hash, query string) {
		ctx := context.Background()
		if documentID != "" {
			ctx = context.WithValue(ctx, documentIDKey{}, documentID)
		}
		p := &graphql.RawParams{Query: query}
		if hash != "" {
			p.Extensions = map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
		}
		err := docs.MutateOperationParameters(ctx, p)
		if err != nil {
			if code, _ := err.Extensions["code"].(string); code != PersistedQueryNotAllowed {
				t.Fatalf("refused with code %q: %v", code, err)
			}
			return
		}
		if doc, ok := docs.Documents[sha256Hex(p.Query)]; !ok || doc != p.Query {
			t.Fatalf("documentId %q hash %q query %q: runs %q, not a trusted document", documentID, hash, query, p.Query)
		}
		if query != "" && p.Query != query {
			t.Fatalf("documentId %q hash %q: runs %q in place of the query sent, %q", documentID, hash, p.Query, query)
		}
	})
}
