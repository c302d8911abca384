package scim_test

import (
	"net/http"
	"testing"

	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// Found by the isolation sweep: the library answers every method on
// /ServiceProviderConfig with its own document (etag unsupported), which
// contradicts the one GET serves. Only GET reads it; the rest are 405.
func TestServiceProviderConfigIsReadOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		_, newIdP := server(t, db.Client)
		p := newIdP("acme")
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			r := p.do(m, "/ServiceProviderConfig", map[string]any{})
			expect(t, m+" /ServiceProviderConfig", r, http.StatusMethodNotAllowed, "")
		}
		r := p.do(http.MethodGet, "/ServiceProviderConfig", nil)
		expect(t, "GET /ServiceProviderConfig", r, http.StatusOK, "")
		if etag, _ := r.body["etag"].(map[string]any); etag["supported"] != true {
			t.Errorf("GET /ServiceProviderConfig = %v, want ours (etag supported)", r.body)
		}
	})
}
