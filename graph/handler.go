package graph

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/logging"
)

// HandlerConfig tunes the GraphQL endpoint. Zero values take the defaults.
type HandlerConfig struct {
	// Introspection answers __schema and __type queries; turn it off in
	// production if the schema should not be discoverable.
	Introspection bool
	// ComplexityLimit bounds the cost of one operation (gqlgen's count of
	// fields, multiplied through paginated lists). Default 5000.
	ComplexityLimit int
	Logger          *slog.Logger
}

// NewHandler returns the /graphql endpoint over client: POST with JSON only
// (a CSRF guard for cookie sessions: a cross-site form cannot send JSON
// without a CORS preflight), mutations in a transaction.
func NewHandler(client *ent.Client, cfg HandlerConfig) http.Handler {
	if cfg.ComplexityLimit == 0 {
		cfg.ComplexityLimit = 5000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	srv := handler.New(NewSchema(client))
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	if cfg.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(extension.FixedComplexityLimit(cfg.ComplexityLimit))
	srv.Use(entgql.Transactioner{TxOpener: client})
	srv.AroundRootFields(guard)
	srv.SetErrorPresenter(presentError)
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		logging.FromContext(ctx).Error("graphql: panic", slog.Any("panic", p))
		return apperr.New(apperr.Internal, "internal error")
	})
	return srv
}

// presentError maps an error to what the client sees: a safe message and
// extensions.code. Unexpected errors are logged with their cause and shown
// only as INTERNAL.
func presentError(ctx context.Context, err error) *gqlerror.Error {
	var gqlErr *gqlerror.Error
	if errors.As(err, &gqlErr) && gqlErr.Err == nil {
		// Parse and validation errors from gqlgen itself.
		if gqlErr.Extensions == nil {
			gqlErr.Extensions = map[string]any{}
		}
		if _, ok := gqlErr.Extensions["code"]; !ok {
			gqlErr.Extensions["code"] = "GRAPHQL_VALIDATION_FAILED"
		}
		return gqlErr
	}
	kind := apperr.KindOf(err)
	if kind == apperr.Internal && errors.As(err, &gqlErr) && strings.HasPrefix(err.Error(), "input:") {
		// An argument that failed to decode (a malformed cursor or ID).
		out := graphql.DefaultErrorPresenter(ctx, gqlErr)
		out.Extensions = map[string]any{"code": string(apperr.Invalid)}
		return out
	}
	if kind == apperr.Internal {
		logging.FromContext(ctx).Error("graphql: internal error", slog.String("error", err.Error()))
	}
	out := graphql.DefaultErrorPresenter(ctx, errors.New(apperr.Message(err)))
	out.Extensions = map[string]any{"code": string(kind)}
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Field != "" {
		out.Extensions["field"] = ae.Field
	}
	return out
}
