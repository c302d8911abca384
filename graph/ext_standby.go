package graph

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/clinicgate/clinicgate/internal/logging"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// ReadRouting is where an operation reads: internal/store's DB, which sends
// the reads of a query to a PostgreSQL read standby only once the standby
// has replayed the viewer's fence (every revocation before the request,
// every write of the session), and moves the session's write sequence
// after each mutation so that its next read waits for it.
type ReadRouting interface {
	ReadFrom(ctx context.Context, v *viewer.Viewer) context.Context
	Wrote(ctx context.Context, v *viewer.Viewer) error
}

// StandbyReads is the gqlgen extension that applies ReadRouting: a query
// reads where Reads says; a mutation, which always runs on the primary,
// moves the session's write sequence once its response (and commit) is
// done, when any of its fields answered. A mutation refused or failed in
// every field changed nothing (each is one transaction), and leaves the
// session row alone.
type StandbyReads struct {
	Reads ReadRouting
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = StandbyReads{}

// ExtensionName implements graphql.HandlerExtension.
func (StandbyReads) ExtensionName() string { return "StandbyReads" }

// Validate implements graphql.HandlerExtension.
func (s StandbyReads) Validate(graphql.ExecutableSchema) error {
	if s.Reads == nil {
		return errors.New("graph: StandbyReads needs a ReadRouting")
	}
	return nil
}

// InterceptOperation implements graphql.OperationInterceptor.
func (s StandbyReads) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	op := graphql.GetOperationContext(ctx).Operation
	v := viewer.FromContext(ctx)
	if op == nil || v == nil {
		return next(ctx)
	}
	switch op.Operation {
	case ast.Query:
		return next(s.Reads.ReadFrom(ctx, v))
	case ast.Mutation:
		h := next(ctx)
		return func(rctx context.Context) *graphql.Response {
			resp := h(rctx)
			if resp == nil || !anyFieldAnswered(resp) {
				return resp // refused or failed: nothing to see
			}
			// Without the request's cancellation: the change is made.
			if err := s.Reads.Wrote(context.WithoutCancel(rctx), v); err != nil {
				// The change stands; only the session's next read may
				// come from a standby that has not replayed it yet.
				logging.FromContext(ctx).Warn("graph: session write sequence not moved", slog.String("error", err.Error()))
			}
			return resp
		}
	}
	return next(ctx)
}

// anyFieldAnswered reports whether a response has a root field that is
// not null.
func anyFieldAnswered(resp *graphql.Response) bool {
	if len(resp.Errors) == 0 {
		return len(resp.Data) > 0
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(resp.Data, &fields) != nil {
		return false
	}
	for _, v := range fields {
		if string(v) != "null" {
			return true
		}
	}
	return false
}
