package authz_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/internal/authz"
)

// Every ent type needs a row filter: relation filters reaching a type
// without one match nothing, which would hide rows from those allowed to
// read them.
func TestEveryTypeHasARowFilter(t *testing.T) {
	c := reflect.TypeFor[ent.Client]()
	n := 0
	for i := range c.NumField() {
		f := c.Field(i)
		if f.Type.Kind() != reflect.Pointer || !strings.HasSuffix(f.Type.Elem().Name(), "Client") || f.Name+"Client" != f.Type.Elem().Name() {
			continue
		}
		n++
		if !authz.HasRowScope(f.Name) {
			t.Errorf("ent type %s has no row filter in internal/authz/rows.go", f.Name)
		}
	}
	if n < 20 {
		t.Fatalf("found only %d ent types on ent.Client", n)
	}
	if authz.HasRowScope("NoSuchType") {
		t.Error("an unknown type has a row filter")
	}
}
