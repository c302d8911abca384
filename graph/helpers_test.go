package graph_test

import "testing"

// wantField fails unless r has exactly one BAD_USER_INPUT error on field.
func wantField(t *testing.T, r gqlResponse, field string) {
	t.Helper()
	wantCodes(t, r, "BAD_USER_INPUT")
	if got, _ := r.Errors[0].Extensions["field"].(string); got != field {
		t.Fatalf("field = %q, want %q (%+v)", got, field, r.Errors)
	}
}
