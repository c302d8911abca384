package graph

import (
	"context"
	"fmt"
	"testing"

	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store/unavailable"
)

func TestDomainErrorsThatAreNotServerFaultsAreNotInternal(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want apperr.Kind
	}{
		{"a database that does not answer in time is UNAVAILABLE", fmt.Errorf("query: %w", context.DeadlineExceeded), apperr.Unavailable},
		{"a reference to another organization is NOT_FOUND", fmt.Errorf("%w: client", authz.ErrForeignReference), apperr.NotFound},
		{"a write into another organization is FORBIDDEN", authz.ErrCrossTenant, apperr.Forbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !unavailable.Is(tc.err) && tc.want == apperr.Unavailable {
				t.Fatalf("unavailable.Is(%v) is false: the case tests nothing", tc.err)
			}
			out := PresentError(context.Background(), tc.err)
			if got := out.Extensions["code"]; got != string(tc.want) {
				t.Errorf("extensions.code = %v, want %s", got, tc.want)
			}
			if tc.want == apperr.NotFound && out.Message != "not found" {
				t.Errorf("message %q tells a foreign row from a missing one", out.Message)
			}
		})
	}
}
