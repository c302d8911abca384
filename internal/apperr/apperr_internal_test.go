package apperr

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"testing"
	"time"
)

// TestKindsListsEveryKind holds Kinds() to the Kind constants declared in
// this package, and Status to Kinds(): a kind added to one and not the
// other fails here, before any edge maps it to 500 by default.
func TestKindsListsEveryKind(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "apperr.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			v := s.(*ast.ValueSpec)
			if id, ok := v.Type.(*ast.Ident); ok && id.Name == "Kind" {
				for _, n := range v.Names {
					declared = append(declared, n.Name)
				}
			}
		}
	}
	if len(declared) != len(Kinds()) {
		t.Errorf("%d Kind constants (%v), Kinds() has %d", len(declared), declared, len(Kinds()))
	}
	seen := map[Kind]bool{}
	for _, k := range Kinds() {
		if seen[k] {
			t.Errorf("%s twice in Kinds()", k)
		}
		seen[k] = true
		if _, ok := status(k); !ok {
			t.Errorf("Status has no case for %s", k)
		}
	}
	if _, ok := status("NO_SUCH_KIND"); ok {
		t.Error("status knows a kind that does not exist")
	}
}

func TestIsMatchesKindAndCode(t *testing.T) {
	creds := &Error{Kind: Unauthenticated, Code: "invalid_credentials", Message: "one"}
	for _, tc := range []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"another message, same kind and code", &Error{Kind: Unauthenticated, Code: "invalid_credentials", Message: "two"}, creds, true},
		{"wrapped", errors.Join(errors.New("x"), &Error{Kind: Unauthenticated, Code: "invalid_credentials"}), creds, true},
		{"same kind, another code", &Error{Kind: Unauthenticated, Code: "unauthenticated"}, creds, false},
		{"same code, another kind", &Error{Kind: Forbidden, Code: "invalid_credentials"}, creds, false},
		{"the default code is the kind's", New(Invalid, "a"), &Error{Kind: Invalid, Code: "bad_user_input"}, true},
		{"a plain error", errors.New("invalid_credentials"), creds, false},
	} {
		if got := errors.Is(tc.err, tc.target); got != tc.want {
			t.Errorf("%s: errors.Is = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestCodeOfAndRetryAfterOf(t *testing.T) {
	if got := CodeOf(nil); got != "" {
		t.Errorf("CodeOf(nil) = %q", got)
	}
	if got := CodeOf(errors.New("driver")); got != "internal" {
		t.Errorf("CodeOf(plain) = %q, want internal", got)
	}
	if got := CodeOf(&Error{Kind: TooManyRequests, Code: "too_many_attempts"}); got != "too_many_attempts" {
		t.Errorf("CodeOf = %q", got)
	}
	for _, k := range Kinds() {
		if got := CodeOf(New(k, "x")); got != DefaultCode(k) || got == "" {
			t.Errorf("CodeOf(%s) = %q", k, got)
		}
	}
	if got := RetryAfterOf(&Error{Kind: TooManyRequests, RetryAfter: 3 * time.Second}); got != 3*time.Second {
		t.Errorf("RetryAfterOf = %v", got)
	}
	if got := RetryAfterOf(New(Unavailable, "x")); got <= 0 {
		t.Errorf("RetryAfterOf(Unavailable) = %v, want the store's", got)
	}
	if got := RetryAfterOf(New(Conflict, "x")); got != 0 {
		t.Errorf("RetryAfterOf(Conflict) = %v", got)
	}
	if !slices.Contains(Kinds(), KindOf(errors.New("x"))) {
		t.Error("KindOf gives a kind Kinds() does not list")
	}
}
