package sso

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/internal/apperr"
)

func TestOnlyAddressesOnThisServerAreReturnedTo(t *testing.T) {
	const pub = "https://app.clinic.example"
	for in, want := range map[string]string{
		"":                                 "/",
		"/":                                "/",
		"/patients?id=1":                   "/patients?id=1",
		"https://app.clinic.example/a?b=c": "/a?b=c",
		"HTTPS://APP.clinic.example/x":     "/x",
	} {
		got, err := SafeReturn(pub, in)
		if err != nil || got != want {
			t.Errorf("SafeReturn(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{
		"https://evil.example/", "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example",
		"http://app.clinic.example/", "https://app.clinic.example.evil.example/", "https://user@app.clinic.example/",
		"javascript:alert(1)", "relative/path", "/a\r\nLocation: https://evil.example",
	} {
		if got, err := SafeReturn(pub, in); err == nil {
			t.Errorf("SafeReturn(%q) = %q; want it refused", in, got)
		}
	}
}

func TestOnlyASecondFactorSatisfiesMFAAndOnlyWhenTrusted(t *testing.T) {
	trusted := &ent.SSOConnection{ID: "sso_1", TrustProviderMfa: true}
	for _, c := range []struct {
		conn *ent.SSOConnection
		amr  []string
		acr  string
		want bool
	}{
		{trusted, []string{"pwd", "mfa"}, "", true},
		{trusted, []string{"hwk"}, "", true},
		{trusted, []string{"pwd", "otp"}, "", true},
		{trusted, []string{"pwd"}, "", false},
		{trusted, []string{"pwd", "kba"}, "", false},
		{trusted, nil, "http://schemas.openid.net/pape/policies/2007/06/multi-factor", true},
		{trusted, nil, "urn:mace:incommon:iap:silver", false},
		{&ent.SSOConnection{ID: "sso_2"}, []string{"mfa", "hwk"}, "", false},
	} {
		if got, _ := providerMFA(c.conn, &Identity{AMR: c.amr, ACR: c.acr}); got != c.want {
			t.Errorf("trust %v amr %v acr %q: %v, want %v", c.conn.TrustProviderMfa, c.amr, c.acr, got, c.want)
		}
	}
}

func TestConnectionSettingsAreCheckedAndCleaned(t *testing.T) {
	str := func(s string) *string { return &s }
	doms := []string{" @North.Example ", "north.example", "SOUTH.example"}
	in := ConnectionInput{Name: str(" Okta "), Issuer: str("https://idp.example/oauth2/default"), EmailDomains: &doms,
		Scopes: &[]string{"openid", "groups", "groups", " offline_access "}}
	if err := in.normalize(false); err != nil {
		t.Fatal(err)
	}
	if *in.Name != "Okta" || len(*in.EmailDomains) != 2 || (*in.EmailDomains)[0] != "north.example" || len(*in.Scopes) != 2 {
		t.Fatalf("normalized %q %v %v", *in.Name, *in.EmailDomains, *in.Scopes)
	}
	for name, bad := range map[string]ConnectionInput{
		"an http issuer off loopback": {Issuer: str("http://idp.example")},
		"an http issuer on loopback":  {Issuer: str("http://127.0.0.1:8080")},
		"an issuer with a query":      {Issuer: str("https://idp.example/?x=1")},
		"an empty name":               {Name: str("  ")},
		"a domain that is not one":    {EmailDomains: &[]string{"not a domain"}},
		"a scope with a space":        {Scopes: &[]string{"a b"}},
	} {
		if err := bad.normalize(false); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("%s: %v, want invalid input", name, err)
		}
	}
}

// TestACachedDiscoveryOutlivesAnOutageAndIsRefreshedAfterItsTTL: the
// provider goes down after the first fetch; past the TTL the stale
// document is still served, and once the provider is back it is fetched
// again.
func TestACachedDiscoveryOutlivesAnOutageAndIsRefreshedAfterItsTTL(t *testing.T) {
	var down atomic.Bool
	var fetches atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		fetches.Add(1)
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL, "authorization_endpoint": srv.URL + "/a",
			"token_endpoint": srv.URL + "/t", "jwks_uri": srv.URL + "/k"})
	}))
	defer srv.Close()
	now := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	ps := NewProviders(ProvidersConfig{Timeout: time.Second, DiscoveryTTL: time.Minute, Now: func() time.Time { return now }})
	ctx := context.Background()
	if _, err := ps.get(ctx, srv.URL); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.get(ctx, srv.URL); err != nil || fetches.Load() != 1 {
		t.Fatalf("a fresh document was fetched again (%d fetches, %v)", fetches.Load(), err)
	}
	down.Store(true)
	now = now.Add(2 * time.Minute)
	if _, err := ps.get(ctx, srv.URL); err != nil {
		t.Fatalf("the stale document was not kept through the outage: %v", err)
	}
	down.Store(false)
	// The next attempt waits a while: the outage is not retried on every
	// sign-in.
	if _, err := ps.get(ctx, srv.URL); err != nil || fetches.Load() != 1 {
		t.Fatalf("refetched at once after a failed refresh (%d fetches, %v)", fetches.Load(), err)
	}
	now = now.Add(refreshRetry)
	if _, err := ps.get(ctx, srv.URL); err != nil || fetches.Load() != 2 {
		t.Fatalf("the document was not refreshed after its TTL (%d fetches, %v)", fetches.Load(), err)
	}
	// An issuer never reached fails with a clear code.
	_, err := ps.get(ctx, "http://127.0.0.1:1")
	var ae *apperr.Error
	if apperr.KindOf(err) != apperr.Unavailable || !asApp(err, &ae) || ae.Code != "provider_unavailable" {
		t.Fatalf("unreachable issuer: %v", err)
	}
}

func asApp(err error, target **apperr.Error) bool {
	e, ok := err.(*apperr.Error)
	if ok {
		*target = e
	}
	return ok
}
