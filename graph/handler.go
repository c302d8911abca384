package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/logging"
)

// HandlerConfig tunes the GraphQL endpoint. Zero limits take the defaults;
// introspection, automatic persisted queries and trusted documents are off
// unless set.
type HandlerConfig struct {
	// Introspection answers __schema and __type queries; turn it off in
	// production if the schema should not be discoverable. Validation
	// errors never suggest names (see validationRules).
	Introspection bool
	// ComplexityLimit bounds the cost of one operation: gqlgen's count of
	// fields, multiplied through connections by first or last and through
	// list edges by their bound (see pagedComplexity). Default 5000.
	ComplexityLimit int
	// DepthLimit bounds how deep an operation's fields nest (see
	// DepthLimit). Default 12.
	DepthLimit int
	// Documents bounds the document of a signed-in caller before it is
	// parsed and validated (see DocumentLimit); zero fields take
	// DefaultDocumentLimit's.
	Documents DocumentLimit
	// AnonymousDocuments bounds the document of a caller who may not read
	// data; zero fields take AnonymousDocumentLimit's, and none exceeds
	// Documents'.
	AnonymousDocuments DocumentLimit
	// Inputs bounds variables and literal arguments (see InputLimit); zero
	// fields take DefaultInputLimit's.
	Inputs InputLimit
	// QueryCacheBytes bounds the memory of the parsed documents kept for
	// their senders (see QueryCache). Default 32 MiB.
	QueryCacheBytes int64
	// QueryCache, when set, is used instead of a cache of QueryCacheBytes,
	// so that its owner can see what it holds.
	QueryCache *QueryCache
	// APQCacheSize is how many automatic persisted queries are remembered
	// (see PersistedQueries); 0 turns them off. Ignored with
	// TrustedDocuments, which answers hash-only requests from its own list.
	APQCacheSize int
	// APQCacheBytes bounds the memory of those queries' text. Default 8 MiB.
	APQCacheBytes int64
	// TrustedDocuments, when not empty, maps SHA-256 hashes to the only
	// documents allowed to run (see TrustedDocuments).
	TrustedDocuments map[string]string
	Logger           *slog.Logger
	// Reads, when set, decides where queries read and learns of each
	// session's mutations (StandbyReads): internal/store's DB.
	Reads ReadRouting
	// Services are the domain services the resolvers call.
	Services Services
}

// Defaults of HandlerConfig.
const (
	DefaultComplexityLimit = 5000
	DefaultDepthLimit      = 12
	DefaultQueryCacheBytes = 32 << 20
	DefaultAPQCacheBytes   = 8 << 20
	// queryCacheEntries bounds the documents kept whatever their size, as
	// gqlgen's default cache did.
	queryCacheEntries = 1000
)

// NewHandler returns the /graphql endpoint over client: POST with JSON only
// (a CSRF guard for cookie sessions: a cross-site form cannot send JSON
// without a CORS preflight), mutations in a transaction, one access decision
// cache per operation.
//
// Before anything runs, a request passes, in order: the body checks
// (size, UTF-8, JSON: post); the trusted document list or the
// persisted queries (which supply the query text); the document limits
// (length and tokens before parsing, then on a parse of its own fields,
// aliases, repeated names, fragments and the values written in it:
// DocumentLimits); the variables' limits (InputLimits); gqlgen's parsing
// and validation, unless the viewer's query cache holds the document;
// introspection, depth and complexity. While it runs, list edges are held
// to their bounds (ListLimits). A limit set below 1 panics, as gqlgen does
// for any extension that fails its Validate.
func NewHandler(client *ent.Client, cfg HandlerConfig) http.Handler {
	if cfg.ComplexityLimit == 0 {
		cfg.ComplexityLimit = DefaultComplexityLimit
	}
	if cfg.DepthLimit == 0 {
		cfg.DepthLimit = DefaultDepthLimit
	}
	if cfg.QueryCacheBytes == 0 {
		cfg.QueryCacheBytes = DefaultQueryCacheBytes
	}
	if cfg.APQCacheBytes == 0 {
		cfg.APQCacheBytes = DefaultAPQCacheBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	docs := cfg.Documents.orDefaults(DefaultDocumentLimit())
	schema := newPagedComplexity(NewSchemaWith(client, cfg.Services))
	srv := handler.New(schema)
	cache := cfg.QueryCache
	if cache == nil {
		cache = NewQueryCache(cfg.QueryCacheBytes, queryCacheEntries)
	}
	srv.SetQueryCache(cache)
	srv.Use(cache)
	if trusted := (TrustedDocuments{Documents: cfg.TrustedDocuments}); len(trusted.Documents) > 0 {
		// The list answers hash-only requests itself: APQ would only let
		// clients register documents that the list then refuses.
		srv.AddTransport(post{documentIDs: true})
		srv.Use(trusted)
	} else {
		srv.AddTransport(post{})
		if cfg.APQCacheSize > 0 {
			srv.Use(NewPersistedQueries(cfg.APQCacheSize, cfg.APQCacheBytes))
		}
	}
	inputs := cfg.Inputs.orDefaults()
	srv.Use(DocumentLimits{
		Viewer:    docs,
		Anonymous: cfg.AnonymousDocuments.orDefaults(AnonymousDocumentLimit()).atMost(docs),
		Inputs:    inputs,
		Cache:     cache,
	})
	srv.Use(InputLimits{Limit: inputs})
	srv.SetDisableSuggestion(true)
	srv.SetValidationRulesFn(validationRules)
	if cfg.Introspection {
		srv.Use(extension.Introspection{})
	} else {
		srv.Use(NoIntrospection{})
	}
	srv.Use(DepthLimit{Limit: cfg.DepthLimit})
	srv.Use(extension.FixedComplexityLimit(cfg.ComplexityLimit))
	srv.Use(fieldChecks{lists: ListLimits{bounds: schema.lists}})
	srv.Use(CursorCheck{}) // the operation's cursors, before any field
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		return next(authz.WithCache(ctx))
	})
	if cfg.Reads != nil {
		srv.Use(StandbyReads{Reads: cfg.Reads})
	}
	srv.Use(ReadAudit{Events: audit.NewBatch(client)})
	srv.Use(HolderCounts{})
	srv.Use(transactioner{entgql.Transactioner{TxOpener: client}})
	srv.AroundRootFields(guard)
	srv.SetErrorPresenter(PresentError)
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		logging.FromContext(ctx).Error("graphql: panic", slog.Any("panic", p))
		return apperr.New(apperr.Internal, "internal error")
	})
	return srv
}

// validationRules returns gqlparser's validation rules with none that
// suggests names in its errors ("Did you mean …"). A suggestion is an edit
// distance to every name of a type, for every unknown name: one 64 KB
// document of misspelt where fields took 200 ms to validate. And with
// introspection off, misspelling the schema should not reveal it either.
// gqlgen's SetDisableSuggestion, which the handler sets too, swaps only two
// of the five rules that suggest (FieldsOnCorrectType, ScalarLeafs).
func validationRules() *rules.Rules {
	r := rules.NewDefaultRules()
	for _, rule := range []struct {
		name  string
		quiet core.Rule
	}{
		{"KnownArgumentNames", rules.KnownArgumentNamesRuleWithoutSuggestions},
		{"KnownTypeNames", rules.KnownTypeNamesRuleWithoutSuggestions},
		{"ValuesOfCorrectType", rules.ValuesOfCorrectTypeRuleWithoutSuggestions},
		{"FieldsOnCorrectType", rules.FieldsOnCorrectTypeRuleWithoutSuggestions},
		{"ScalarLeafs", rules.ScalarLeafsRuleWithoutSuggestions},
	} {
		r.ReplaceRule(rule.name, rule.quiet.RuleFunc)
	}
	return r
}

// transactioner is entgql.Transactioner, whose InterceptResponse assumes an
// operation: gqlgen also sends errors found before there is one (a body
// that is not JSON, or over the size limit) through response interceptors,
// and entgql's would panic on them.
type transactioner struct{ entgql.Transactioner }

func (t transactioner) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	if oc := graphql.GetOperationContext(ctx); oc.Operation != nil && oc.Operation.Operation == ast.Mutation {
		switch own, mixed := ownTransactions(oc); {
		case mixed:
			return graphql.ErrorResponse(ctx, "run a second-factor mutation in an operation of its own")
		case own:
			return next(ctx)
		}
	}
	return t.inTx(ctx, next)
}

// inTx is entgql.Transactioner's InterceptResponse, with its failures to
// begin or commit answered through PresentError (a database that went
// away mid-mutation is UNAVAILABLE, anything else INTERNAL) instead of
// entgql's message, which carries the driver's text.
func (t transactioner) inTx(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if op := graphql.GetOperationContext(ctx).Operation; op == nil || op.Operation != ast.Mutation {
		return next(ctx) // queries read without one
	}
	fail := func(err error) *graphql.Response {
		return &graphql.Response{Errors: gqlerror.List{PresentError(ctx, err)}}
	}
	txCtx, tx, err := t.OpenTx(ctx)
	if err != nil {
		return fail(fmt.Errorf("graph: begin the mutation's transaction: %w", err))
	}
	defer func() {
		if r := recover(); r != nil {
			_ = tx.Rollback()
			panic(r)
		}
	}()
	rsp := next(txCtx)
	if len(rsp.Errors) > 0 {
		_ = tx.Rollback()
		return &graphql.Response{Errors: rsp.Errors}
	}
	if err := tx.Commit(); err != nil {
		return fail(fmt.Errorf("graph: commit the mutation's transaction: %w", err))
	}
	return rsp
}

// ownTransactions reports whether every root field of a mutation is marked
// @ownTransactions (its domain operation commits a refused attempt's
// record itself, so it must not run inside the operation's transaction),
// and whether only some are.
func ownTransactions(oc *graphql.OperationContext) (own, mixed bool) {
	fields := graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Mutation"})
	marked := 0
	for _, f := range fields {
		if f.Definition != nil && f.Definition.Directives.ForName("ownTransactions") != nil {
			marked++
		}
	}
	return marked > 0 && marked == len(fields), marked > 0 && marked < len(fields)
}

// PresentError is the one GraphQL presenter: it maps an error to what the
// client sees, a safe message and extensions.code (the apperr kind), with
// extensions.field, .policy and .retryAfter (seconds; TOO_MANY_REQUESTS and
// UNAVAILABLE) when the error has them. Unexpected errors are logged with
// their cause and shown only as INTERNAL.
func PresentError(ctx context.Context, err error) *gqlerror.Error {
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
	// A decoding error can wrap io.ErrUnexpectedEOF, which unavailable.Is
	// takes for a dropped connection: the path decides, not the kind.
	if (kind == apperr.Internal || kind == apperr.Unavailable) && errors.As(err, &gqlErr) && len(gqlErr.Path) > len(graphql.GetPath(ctx)) {
		// An argument that failed to decode (a malformed cursor or ID):
		// gqlgen puts the argument on the error's path, below the field
		// being resolved. Any other error's path is the field's own.
		out := graphql.DefaultErrorPresenter(ctx, gqlErr)
		out.Extensions = map[string]any{"code": string(apperr.Invalid)}
		return out
	}
	switch kind {
	case apperr.Internal:
		logging.FromContext(ctx).Error("graphql: internal error", slog.String("error", err.Error()))
	case apperr.Unavailable:
		// The client may retry; logged as a warning, not a server fault.
		logging.FromContext(ctx).Warn("graphql: database unavailable", slog.String("error", err.Error()))
	}
	out := graphql.DefaultErrorPresenter(ctx, errors.New(apperr.Message(err)))
	out.Extensions = map[string]any{"code": string(kind)}
	var ae *apperr.Error
	if errors.As(err, &ae) && kind != apperr.Internal {
		if ae.Field != "" {
			out.Extensions["field"] = ae.Field
		}
		if ae.Policy != "" {
			out.Extensions["policy"] = ae.Policy
		}
	}
	if ra := apperr.RetryAfterOf(err); ra > 0 {
		// Whole seconds, rounded up, as the HTTP Retry-After header.
		out.Extensions["retryAfter"] = int64((ra + time.Second - 1) / time.Second)
	}
	return out
}
