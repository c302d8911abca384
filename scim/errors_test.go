package scim_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/scim"
)

// TestEveryKindHasItsSCIMStatus holds the SCIM edge of the error
// vocabulary: a known kind is never answered 500.
func TestEveryKindHasItsSCIMStatus(t *testing.T) {
	want := map[apperr.Kind]struct {
		status   int
		scimType string
	}{
		apperr.Internal:               {http.StatusInternalServerError, ""},
		apperr.Unauthenticated:        {http.StatusUnauthorized, ""},
		apperr.Forbidden:              {http.StatusForbidden, ""},
		apperr.NotFound:               {http.StatusNotFound, ""},
		apperr.Invalid:                {http.StatusBadRequest, "invalidValue"},
		apperr.Conflict:               {http.StatusConflict, "uniqueness"},
		apperr.MFARequired:            {http.StatusForbidden, ""},
		apperr.PasswordChangeRequired: {http.StatusForbidden, ""},
		apperr.Unavailable:            {http.StatusServiceUnavailable, ""},
	}
	for _, k := range apperr.Kinds() {
		t.Run(string(k), func(t *testing.T) {
			w, ok := want[k]
			if !ok {
				t.Fatalf("no expected SCIM status for %s", k)
			}
			got := scim.Error(context.Background(), apperr.New(k, "x"))
			if got.Status != w.status || string(got.ScimType) != w.scimType {
				t.Errorf("status %d scimType %q, want %d %q", got.Status, got.ScimType, w.status, w.scimType)
			}
		})
	}
}
