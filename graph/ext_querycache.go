package graph

import (
	"container/list"
	"context"
	"sync"
	"unsafe"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/lexer"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// QueryCache is gqlgen's cache of parsed and validated documents, held
// within a memory budget and filled only with documents that passed every
// limit. gqlgen adds a document right after validation, before the depth,
// complexity and input limits run, so Add does nothing; the extension's
// InterceptOperation stores the document once the operation is about to
// run, which only an operation that passed everything reaches.
//
// Entries are per signed-in user (organization and user): a hit is
// faster than a miss, and a shared cache would let one user time whether
// another sent an exact document. Callers who may not read data are
// neither served nor remembered: they may send only small documents, and
// remembering them would let anyone evict everyone's entries.
type QueryCache struct {
	lru *byteLRU[scopedKey, *ast.QueryDocument]
}

// NewQueryCache returns a cache holding at most maxEntries documents and
// about maxBytes of memory, counting each document's text and parsed tree
// (see documentSize).
func NewQueryCache(maxBytes int64, maxEntries int) *QueryCache {
	return &QueryCache{lru: newByteLRU[scopedKey, *ast.QueryDocument](maxBytes, maxEntries)}
}

var (
	_ graphql.Cache[*ast.QueryDocument] = (*QueryCache)(nil)
	_ interface {
		graphql.HandlerExtension
		graphql.OperationInterceptor
	} = (*QueryCache)(nil)
)

func (*QueryCache) ExtensionName() string { return "QueryCache" }

func (*QueryCache) Validate(graphql.ExecutableSchema) error { return nil }

// Get implements graphql.Cache.
func (c *QueryCache) Get(ctx context.Context, query string) (*ast.QueryDocument, bool) {
	k, ok := scopeOf(ctx, query)
	if !ok {
		return nil, false
	}
	return c.lru.get(k)
}

// Add implements graphql.Cache by doing nothing: see InterceptOperation.
func (*QueryCache) Add(context.Context, string, *ast.QueryDocument) {}

// InterceptOperation stores the operation's document: every limit has
// passed by the time gqlgen dispatches an operation.
func (c *QueryCache) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if opCtx := graphql.GetOperationContext(ctx); opCtx.Doc != nil {
		if k, ok := scopeOf(ctx, opCtx.RawQuery); ok {
			c.lru.add(k, opCtx.Doc, func() int64 { return int64(len(opCtx.RawQuery)) + documentSize(opCtx.Doc) })
		}
	}
	return next(ctx)
}

// holds reports whether the cache has query for ctx's viewer.
func (c *QueryCache) holds(ctx context.Context, query string) bool {
	_, ok := c.Get(ctx, query)
	return ok
}

// Usage returns how many documents the cache holds and the memory it
// counts for them.
func (c *QueryCache) Usage() (entries int, bytes int64) { return c.lru.usage() }

// scopedKey names a cache entry of one signed-in user.
type scopedKey struct {
	org, user pulid.ID
	text      string
}

func scopeOf(ctx context.Context, text string) (scopedKey, bool) {
	v := viewer.FromContext(ctx)
	if !v.Active() { // the guard refuses every root field but introspection to any other caller
		return scopedKey{}, false
	}
	return scopedKey{org: v.OrgID, user: v.UserID, text: text}, true
}

// byteLRU is a least-recently-used map bounded by entries and by the bytes
// its values are said to hold.
type byteLRU[K comparable, V any] struct {
	mu         sync.Mutex
	maxBytes   int64
	maxEntries int
	bytes      int64
	order      *list.List // of *lruEntry[K, V], most recent first
	items      map[K]*list.Element
}

type lruEntry[K comparable, V any] struct {
	key   K
	value V
	size  int64
}

// lruEntryOverhead is what an entry costs beside its value: the list
// element, the entry, and its share of the map, rounded up.
const lruEntryOverhead = 256

func newByteLRU[K comparable, V any](maxBytes int64, maxEntries int) *byteLRU[K, V] {
	return &byteLRU[K, V]{maxBytes: maxBytes, maxEntries: maxEntries, order: list.New(), items: map[K]*list.Element{}}
}

func (c *byteLRU[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[k]
	if !ok {
		var zero V
		return zero, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*lruEntry[K, V]).value, true
}

// add stores v under k unless it is there already; size, called only to
// store and outside the lock (it may walk a whole document), tells what v
// holds. A value larger than the whole budget is not stored.
func (c *byteLRU[K, V]) add(k K, v V, size func() int64) {
	if c.bump(k) {
		return
	}
	n := size() + lruEntryOverhead
	if n > c.maxBytes || c.maxEntries < 1 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok { // stored meanwhile
		c.order.MoveToFront(e)
		return
	}
	c.items[k] = c.order.PushFront(&lruEntry[K, V]{key: k, value: v, size: n})
	c.bytes += n
	for c.bytes > c.maxBytes || c.order.Len() > c.maxEntries {
		oldest := c.order.Back()
		e := oldest.Value.(*lruEntry[K, V])
		c.order.Remove(oldest)
		delete(c.items, e.key)
		c.bytes -= e.size
	}
}

// bump marks k as just used, reporting whether it is there.
func (c *byteLRU[K, V]) bump(k K) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[k]
	if ok {
		c.order.MoveToFront(e)
	}
	return ok
}

func (c *byteLRU[K, V]) usage() (int, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len(), c.bytes
}

// documentSize estimates the heap a parsed and validated document holds
// beyond its text: every node, position, slice and copied string the
// parser allocates, each rounded up as the allocator does. Validation
// points nodes at the schema, which is shared, but for __typename, whose
// definition it makes for each. BenchmarkFullQueryCache and
// TestQueryCacheStaysWithinItsMemoryBudget check the estimate against the
// heap.
func documentSize(doc *ast.QueryDocument) int64 {
	s := sizer{comments: map[*ast.CommentGroup]bool{}}
	s.alloc(unsafe.Sizeof(*doc))
	s.position(doc.Position)
	s.comment(doc.Comment)
	s.slice(cap(doc.Operations), unsafe.Sizeof(doc))
	for _, op := range doc.Operations {
		s.alloc(unsafe.Sizeof(*op))
		s.position(op.Position)
		s.comment(op.Comment)
		s.variables(op.VariableDefinitions)
		s.directives(op.Directives)
		s.selections(op.SelectionSet)
	}
	s.slice(cap(doc.Fragments), unsafe.Sizeof(doc))
	for _, f := range doc.Fragments {
		s.alloc(unsafe.Sizeof(*f))
		s.position(f.Position)
		s.comment(f.Comment)
		s.variables(f.VariableDefinition)
		s.directives(f.Directives)
		s.selections(f.SelectionSet)
	}
	return s.n
}

type sizer struct {
	n        int64
	comments map[*ast.CommentGroup]bool // nodes share their comment group
}

// alloc counts one allocation of size bytes, rounded up to roughly the Go
// allocator's size classes (exact up to 256 bytes, over-estimated above).
func (s *sizer) alloc(size uintptr) {
	n := int64(size)
	switch {
	case n == 0:
		return
	case n <= 8:
		n = 8
	case n <= 256:
		n = (n + 15) &^ 15
	case n <= 32<<10:
		n = (n + 127) &^ 127
	default:
		n = (n + 8191) &^ 8191
	}
	s.n += n
}

func (s *sizer) slice(capacity int, elem uintptr) { s.alloc(uintptr(capacity) * elem) }

// position counts a node's position, which the parser takes from a copy
// of the whole token (&token.Pos), so the token is what escapes.
func (s *sizer) position(p *ast.Position) {
	if p != nil {
		s.alloc(unsafe.Sizeof(lexer.Token{}))
	}
}

func (s *sizer) comment(c *ast.CommentGroup) {
	if c == nil || s.comments[c] {
		return
	}
	s.comments[c] = true
	s.alloc(unsafe.Sizeof(*c))
	s.slice(cap(c.List), unsafe.Sizeof(c))
	for _, cm := range c.List {
		s.alloc(unsafe.Sizeof(*cm))
		s.position(cm.Position)
	}
}

func (s *sizer) selections(set ast.SelectionSet) {
	var sel ast.Selection
	s.slice(cap(set), unsafe.Sizeof(sel))
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			s.alloc(unsafe.Sizeof(*sel))
			s.position(sel.Position)
			if sel.Name == "__typename" && sel.Definition != nil {
				// Validation gives each its own definition.
				s.alloc(unsafe.Sizeof(*sel.Definition))
				s.typ(sel.Definition.Type)
			}
			s.comment(sel.Comment)
			s.arguments(sel.Arguments)
			s.directives(sel.Directives)
			s.selections(sel.SelectionSet)
		case *ast.InlineFragment:
			s.alloc(unsafe.Sizeof(*sel))
			s.position(sel.Position)
			s.comment(sel.Comment)
			s.directives(sel.Directives)
			s.selections(sel.SelectionSet)
		case *ast.FragmentSpread:
			s.alloc(unsafe.Sizeof(*sel))
			s.position(sel.Position)
			s.comment(sel.Comment)
			s.directives(sel.Directives)
		}
	}
}

func (s *sizer) arguments(args ast.ArgumentList) {
	s.slice(cap(args), unsafe.Sizeof(&ast.Argument{}))
	for _, a := range args {
		s.alloc(unsafe.Sizeof(*a))
		s.position(a.Position)
		s.comment(a.Comment)
		s.value(a.Value)
	}
}

func (s *sizer) directives(ds ast.DirectiveList) {
	s.slice(cap(ds), unsafe.Sizeof(&ast.Directive{}))
	for _, d := range ds {
		s.alloc(unsafe.Sizeof(*d))
		s.position(d.Position)
		s.arguments(d.Arguments)
	}
}

func (s *sizer) variables(vs ast.VariableDefinitionList) {
	s.slice(cap(vs), unsafe.Sizeof(&ast.VariableDefinition{}))
	for _, v := range vs {
		s.alloc(unsafe.Sizeof(*v))
		s.position(v.Position)
		s.comment(v.Comment)
		s.typ(v.Type)
		s.value(v.DefaultValue)
		s.directives(v.Directives)
	}
}

func (s *sizer) typ(t *ast.Type) {
	for ; t != nil; t = t.Elem {
		s.alloc(unsafe.Sizeof(*t))
		s.position(t.Position)
	}
}

func (s *sizer) value(v *ast.Value) {
	if v == nil {
		return
	}
	s.alloc(unsafe.Sizeof(*v))
	s.position(v.Position)
	s.comment(v.Comment)
	// Raw is a slice of the text unless the lexer unescaped it; counting it
	// always over-estimates strings with no escapes, which is safe.
	s.alloc(uintptr(len(v.Raw)))
	s.slice(cap(v.Children), unsafe.Sizeof(&ast.ChildValue{}))
	for _, c := range v.Children {
		s.alloc(unsafe.Sizeof(*c))
		s.position(c.Position)
		s.comment(c.Comment)
		s.value(c.Value)
	}
}
