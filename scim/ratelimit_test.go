package scim_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/scimtoken"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
	"github.com/clinicgate/clinicgate/scim"
)

// rateServer serves 204 behind RateLimit, as the SCIM viewer of the token
// named in the X-Token header (standing in for the Authenticator).
func rateServer(t *testing.T, at clock.Clock, cfg scim.RateLimitConfig) *httptest.Server {
	t.Helper()
	limited := scim.RateLimit(cfg)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	srv := httptest.NewServer(clock.Middleware(at)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := &viewer.Viewer{Kind: viewer.SCIM, OrgID: "org_1", TokenID: pulid.ID(r.Header.Get("X-Token"))}
		limited.ServeHTTP(w, r.WithContext(viewer.NewContext(r.Context(), v)))
	})))
	t.Cleanup(srv.Close)
	return srv
}

type rateAnswer struct {
	status     int
	retryAfter string
	body       map[string]any
}

func hit(t *testing.T, srv *httptest.Server, tokenID string) rateAnswer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/scim/v2/Users", nil)
	req.Header.Set("X-Token", tokenID)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	a := rateAnswer{status: res.StatusCode, retryAfter: res.Header.Get("Retry-After")}
	if res.StatusCode != http.StatusNoContent {
		if err := json.NewDecoder(res.Body).Decode(&a.body); err != nil {
			t.Fatalf("429 body: %v", err)
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/scim+json" {
			t.Errorf("429 content type %q", ct)
		}
	}
	return a
}

func TestEachTokenIsPacedByItsOwnBucket(t *testing.T) {
	at := clock.NewFake(now)
	srv := rateServer(t, at, scim.RateLimitConfig{PerSecond: 2, Burst: 3})

	// A burst of three passes; the fourth waits for the next half second.
	for i := range 3 {
		if a := hit(t, srv, "sct_a"); a.status != http.StatusNoContent {
			t.Fatalf("request %d of the burst: %d", i+1, a.status)
		}
	}
	a := hit(t, srv, "sct_a")
	if a.status != http.StatusTooManyRequests || a.retryAfter != "1" {
		t.Fatalf("beyond the burst: %d Retry-After %q", a.status, a.retryAfter)
	}
	schemas, _ := a.body["schemas"].([]any)
	if a.body["status"] != "429" || a.body["detail"] == nil || len(schemas) != 1 || schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
		t.Errorf("429 body %v", a.body)
	}
	// Another token is not held back by the first.
	if a := hit(t, srv, "sct_b"); a.status != http.StatusNoContent {
		t.Errorf("another token: %d", a.status)
	}
	// Refused requests spend nothing: half a second on, one more passes,
	// and only one.
	at.Set(now.Add(500 * time.Millisecond))
	if a := hit(t, srv, "sct_a"); a.status != http.StatusNoContent {
		t.Errorf("after half a second: %d", a.status)
	}
	if a := hit(t, srv, "sct_a"); a.status != http.StatusTooManyRequests {
		t.Errorf("second request after half a second: %d", a.status)
	}
	// Sustained at the rate, every request passes.
	for i := range 10 {
		at.Set(now.Add(time.Second + time.Duration(i)*500*time.Millisecond))
		if a := hit(t, srv, "sct_a"); a.status != http.StatusNoContent {
			t.Fatalf("paced request %d: %d", i, a.status)
		}
	}
}

func TestRetryAfterIsTheWholeSecondsToWait(t *testing.T) {
	at := clock.NewFake(now)
	srv := rateServer(t, at, scim.RateLimitConfig{PerSecond: 0.2, Burst: 1})
	if a := hit(t, srv, "sct_a"); a.status != http.StatusNoContent {
		t.Fatalf("first: %d", a.status)
	}
	at.Set(now.Add(1500 * time.Millisecond))
	// 5 s per request, 1.5 s gone: 3.5 s left, rounded up.
	if a := hit(t, srv, "sct_a"); a.status != http.StatusTooManyRequests || a.retryAfter != "4" {
		t.Errorf("second: %d Retry-After %q", a.status, a.retryAfter)
	}
}

func TestTheAuthenticatorsTokenKeysTheBucket(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		ctx := admin(t, c, "acme", authz.OrgSettingsManage)
		okta, _, err := scimtoken.Issue(ctx, c, "Okta", nil)
		if err != nil {
			t.Fatal(err)
		}
		entra, _, err := scimtoken.Issue(ctx, c, "Entra", nil)
		if err != nil {
			t.Fatal(err)
		}
		at := clock.NewFake(now)
		a := &scim.Authenticator{Client: c}
		srv := httptest.NewServer(clock.Middleware(at)(a.Middleware(scim.RateLimit(scim.RateLimitConfig{PerSecond: 1, Burst: 1})(
			http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })))))
		defer srv.Close()
		get := func(token string) int {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/scim/v2/Users", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode
		}
		// Two tokens of one organization are paced apart.
		if got := []int{get(okta), get(okta), get(entra)}; got[0] != 204 || got[1] != 429 || got[2] != 204 {
			t.Errorf("statuses %v, want [204 429 204]", got)
		}
	})
}
