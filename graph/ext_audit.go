package graph

import (
	"context"
	"errors"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/logging"
)

// ReadAudit is the gqlgen extension that audits reads of protected records:
// it installs a per-operation collector (audit.WithReads) that the @audit
// directive fills, and once the operation's response is computed writes
// what was read with one batch (audit.FlushReads), through Client — the
// non-transactional client, so the write neither depends on nor joins a
// mutation's transaction.
//
// It wraps the response handler from AroundOperations, so the flush runs
// after every response interceptor, entgql.Transactioner's commit
// included, wherever ReadAudit is registered relative to them. A flush
// failure is logged; it never changes the response.
type ReadAudit struct {
	Client *ent.Client
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = ReadAudit{}

// ExtensionName implements graphql.HandlerExtension.
func (ReadAudit) ExtensionName() string { return "ReadAudit" }

// Validate implements graphql.HandlerExtension.
func (a ReadAudit) Validate(graphql.ExecutableSchema) error {
	if a.Client == nil {
		return errors.New("graph: ReadAudit needs an ent client")
	}
	return nil
}

// InterceptOperation implements graphql.OperationInterceptor.
func (a ReadAudit) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	ctx = audit.WithReads(ctx)
	h := next(ctx)
	return func(rctx context.Context) *graphql.Response {
		// Deferred, so that reads are written even if producing the
		// response panics (the panic goes on to the recover middleware).
		// Each call flushes what was read since the previous one: once
		// per operation for queries and mutations.
		defer a.flush(ctx)
		return h(rctx)
	}
}

// flush writes the operation's reads. It runs without the request's
// cancellation: a client that hung up after receiving data was still shown
// it.
func (a ReadAudit) flush(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	if err := audit.FlushReads(ctx, a.Client); err != nil {
		logging.FromContext(ctx).Error("graphql: audit of record reads failed", slog.String("error", err.Error()))
	}
}
