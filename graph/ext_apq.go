package graph

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// PersistedQueryNotFound is the extensions.code, and PersistedQueryNotFoundMessage the
// message, Apollo clients expect when a hash is unknown: they then send
// the query with it.
const (
	PersistedQueryNotFound        = "PERSISTED_QUERY_NOT_FOUND"
	PersistedQueryNotFoundMessage = "PersistedQueryNotFound"
)

// PersistedQueries is Apollo's automatic persisted queries protocol
// (extensions.persistedQuery {version: 1, sha256Hash}) with a memory per
// signed-in user, in place of gqlgen's extension.AutomaticPersistedQuery,
// whose one cache for everyone let a user learn whether anyone else had
// sent an exact document (by whether its hash alone ran).
//
// A query is remembered only once its operation passed every limit and is
// about to run (InterceptOperation), never from a caller who may not read
// data: such callers get PERSISTED_QUERY_NOT_FOUND for every hash and keep
// sending the text, which they may (small documents only).
type PersistedQueries struct {
	lru *byteLRU[scopedKey, string]
}

// NewPersistedQueries remembers at most maxEntries queries and about
// maxBytes of their text.
func NewPersistedQueries(maxEntries int, maxBytes int64) *PersistedQueries {
	return &PersistedQueries{lru: newByteLRU[scopedKey, string](maxBytes, maxEntries)}
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationInterceptor
} = (*PersistedQueries)(nil)

func (*PersistedQueries) ExtensionName() string { return "PersistedQueries" }

func (p *PersistedQueries) Validate(graphql.ExecutableSchema) error {
	if p == nil || p.lru == nil {
		return errors.New("PersistedQueries: use NewPersistedQueries")
	}
	return nil
}

func (p *PersistedQueries) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	hash, err := persistedHash(params.Extensions)
	if err != nil || hash == "" {
		return err
	}
	if params.Query != "" {
		if sha256Hex(params.Query) != hash {
			return gqlerror.Errorf("provided APQ hash does not match query")
		}
		return nil
	}
	if k, ok := scopeOf(ctx, hash); ok {
		if q, ok := p.lru.get(k); ok {
			params.Query = q
			return nil
		}
	}
	err = gqlerror.Errorf(PersistedQueryNotFoundMessage)
	errcode.Set(err, PersistedQueryNotFound)
	return err
}

// InterceptOperation remembers the query of a request that named it by
// hash: gqlgen dispatches only operations that passed every limit.
func (p *PersistedQueries) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	opCtx := graphql.GetOperationContext(ctx)
	if hash, err := persistedHash(opCtx.Extensions); err == nil && hash != "" {
		if k, ok := scopeOf(ctx, hash); ok {
			q := opCtx.RawQuery
			p.lru.add(k, q, func() int64 { return int64(len(q) + len(hash)) })
		}
	}
	return next(ctx)
}

// persistedHash returns the request's persisted query hash, "" when it
// names none.
func persistedHash(ext map[string]any) (string, *gqlerror.Error) {
	raw, ok := ext["persistedQuery"]
	if !ok || raw == nil {
		return "", nil
	}
	pq, ok := raw.(map[string]any)
	hash, _ := pq["sha256Hash"].(string)
	if !ok || hash == "" {
		return "", gqlerror.Errorf("invalid APQ extension data")
	}
	if v, _ := pq["version"].(json.Number); v != "1" {
		return "", gqlerror.Errorf("unsupported APQ version")
	}
	return hash, nil
}
