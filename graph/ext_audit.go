package graph

import (
	"context"
	"errors"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/logging"
)

// ReadAudit is the gqlgen extension that audits reads of protected records:
// it installs a per-operation collector (audit.WithReads) that the @audit
// directive fills, and once the operation's response is computed writes
// what was read as one event (audit.FlushReads) through Events, whose
// client is the non-transactional one, so the write neither depends on nor
// joins a mutation's transaction; concurrent operations' events share an
// insert (audit.Batch).
//
// It wraps the response handler from AroundOperations, so the flush runs
// after every response interceptor, entgql.Transactioner's commit
// included, wherever ReadAudit is registered relative to them.
//
// The audit fails closed: when the reads cannot be written, the response
// is replaced by an INTERNAL error without data, so no record leaves the
// server unaudited. A mutation's change has been committed by then; only
// what it would have returned is withheld.
type ReadAudit struct {
	Events *audit.Batch
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = ReadAudit{}

// ExtensionName implements graphql.HandlerExtension.
func (ReadAudit) ExtensionName() string { return "ReadAudit" }

// Validate implements graphql.HandlerExtension.
func (a ReadAudit) Validate(graphql.ExecutableSchema) error {
	if a.Events == nil {
		return errors.New("graph: ReadAudit needs an audit.Batch")
	}
	return nil
}

// InterceptOperation implements graphql.OperationInterceptor.
func (a ReadAudit) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	ctx = audit.WithReads(ctx)
	h := next(ctx)
	return func(rctx context.Context) *graphql.Response {
		// Each call flushes what was read since the previous one: once per
		// operation for queries and mutations. A panic while producing the
		// response goes on to the recover middleware, and whatever was
		// read before it is still written.
		flushed := false
		defer func() {
			if !flushed {
				_ = a.flush(ctx)
			}
		}()
		resp := h(rctx)
		flushed = true
		if err := a.flush(ctx); err != nil {
			return &graphql.Response{Errors: gqlerror.List{{
				Message:    "the audit trail could not be written; nothing was returned",
				Extensions: map[string]any{"code": string(apperr.Internal)},
			}}}
		}
		return resp
	}
}

// flush writes the operation's reads. It runs without the request's
// cancellation: a client that hung up after receiving data was still shown
// it.
func (a ReadAudit) flush(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	err := audit.FlushReads(ctx, a.Events)
	if err != nil {
		logging.FromContext(ctx).Error("graphql: audit of record reads failed", slog.String("error", err.Error()))
	}
	return err
}
