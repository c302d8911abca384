package sso

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/clinicgate/clinicgate/internal/apperr"
)

// Defaults of Providers.
const (
	// DefaultProviderTimeout bounds every call to a provider (discovery,
	// keys, token, userinfo): a slow provider fails the sign-in with
	// provider_unavailable instead of holding it.
	DefaultProviderTimeout = 5 * time.Second
	// DefaultDiscoveryTTL is how long a discovery document is used before
	// it is fetched again. Keys are fetched again at once when a token is
	// signed by a key not seen yet (rotation).
	DefaultDiscoveryTTL = time.Hour
	// refreshRetry is how long a cached document whose refresh failed is
	// used before the next attempt.
	refreshRetry = 30 * time.Second
)

// ErrProviderUnavailable answers a sign-in whose provider could not be
// reached, or did not answer in time.
var ErrProviderUnavailable = &apperr.Error{Kind: apperr.Unavailable, Code: "provider_unavailable",
	Message: "The identity provider could not be reached; try again in a moment."}

// Providers caches the discovery document (and through it the key set) of
// each issuer. It is safe for concurrent use.
type Providers struct {
	client *http.Client
	ttl    time.Duration
	now    func() time.Time
	log    *slog.Logger

	mu      sync.Mutex
	entries map[string]*providerEntry
}

type providerEntry struct {
	p       *oidc.Provider
	meta    providerMeta
	fetched time.Time
}

// providerMeta is what discovery says beyond go-oidc's endpoints.
type providerMeta struct {
	EndSession string   `json:"end_session_endpoint"`
	JWKS       string   `json:"jwks_uri"`
	Algs       []string `json:"id_token_signing_alg_values_supported"`
	Scopes     []string `json:"scopes_supported"`
	Claims     []string `json:"claims_supported"`
	PKCE       []string `json:"code_challenge_methods_supported"`
}

// ProvidersConfig configures NewProviders; zero fields take the defaults.
type ProvidersConfig struct {
	// Timeout bounds one call to a provider.
	Timeout time.Duration
	// DiscoveryTTL is how long a discovery document is kept.
	DiscoveryTTL time.Duration
	// Transport is the HTTP transport (http.DefaultTransport when nil).
	Transport http.RoundTripper
	// Now is the clock (the wall clock when nil).
	Now    func() time.Time
	Logger *slog.Logger
}

// NewProviders returns an empty cache.
func NewProviders(cfg ProvidersConfig) *Providers {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultProviderTimeout
	}
	if cfg.DiscoveryTTL <= 0 {
		cfg.DiscoveryTTL = DefaultDiscoveryTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Providers{
		client:  &http.Client{Timeout: cfg.Timeout, Transport: cfg.Transport},
		ttl:     cfg.DiscoveryTTL,
		now:     cfg.Now,
		log:     cfg.Logger,
		entries: map[string]*providerEntry{},
	}
}

// HTTPContext returns ctx carrying the bounded HTTP client, for go-oidc and
// oauth2 calls.
func (ps *Providers) HTTPContext(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, ps.client)
}

// get returns issuer's provider: the cached one while fresh, else one
// fetched again. When the refresh fails, the stale document is kept (the
// provider's endpoints rarely move; its keys are refetched on their own),
// and only an issuer never reached fails.
func (ps *Providers) get(ctx context.Context, issuer string) (*providerEntry, error) {
	ps.mu.Lock()
	e := ps.entries[issuer]
	ps.mu.Unlock()
	if e != nil && ps.now().Sub(e.fetched) < ps.ttl {
		return e, nil
	}
	fresh, err := ps.fetch(ctx, issuer)
	if err != nil {
		if e != nil {
			ps.log.LogAttrs(ctx, slog.LevelWarn, "sso: discovery refresh failed; keeping the cached document",
				slog.String("issuer", issuer), slog.String("error", err.Error()))
			// Try again in a while, not on every sign-in: each attempt
			// at a slow provider would cost a sign-in the whole timeout.
			stale := *e
			stale.fetched = ps.now().Add(refreshRetry - ps.ttl)
			ps.put(issuer, &stale)
			return e, nil
		}
		return nil, err
	}
	ps.mu.Lock()
	ps.entries[issuer] = fresh
	ps.mu.Unlock()
	return fresh, nil
}

// fetch reads issuer's discovery document, within the timeout.
func (ps *Providers) fetch(ctx context.Context, issuer string) (*providerEntry, error) {
	ctx, cancel := context.WithTimeout(ctx, ps.client.Timeout)
	defer cancel()
	p, err := oidc.NewProvider(ps.HTTPContext(ctx), issuer)
	if err != nil {
		return nil, unavailable("discovery", err)
	}
	var meta providerMeta
	if err := p.Claims(&meta); err != nil {
		return nil, unavailable("discovery", err)
	}
	return &providerEntry{p: p, meta: meta, fetched: ps.now()}, nil
}

// forget drops issuer's cached document (a connection's issuer changed).
func (ps *Providers) forget(issuer string) {
	ps.mu.Lock()
	delete(ps.entries, issuer)
	ps.mu.Unlock()
}

// unavailable wraps a failed provider call as ErrProviderUnavailable,
// keeping the cause for the log.
func unavailable(step string, err error) error {
	e := *ErrProviderUnavailable
	e.Err = fmt.Errorf("sso: %s: %w", step, err)
	return &e
}

// put caches e as issuer's document.
func (ps *Providers) put(issuer string, e *providerEntry) {
	ps.mu.Lock()
	ps.entries[issuer] = e
	ps.mu.Unlock()
}

// countKeys fetches a JWKS and counts its signing keys, within the
// timeout.
func (ps *Providers) countKeys(ctx context.Context, jwksURL string) (int, error) {
	if jwksURL == "" {
		return 0, errors.New("the discovery document has no jwks_uri")
	}
	ctx, cancel := context.WithTimeout(ctx, ps.client.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, jwksURL, nil)
	if err != nil {
		return 0, unavailable("keys", err)
	}
	resp, err := ps.client.Do(req)
	if err != nil {
		return 0, unavailable("keys", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, unavailable("keys", fmt.Errorf("status %d", resp.StatusCode))
	}
	var set struct {
		Keys []struct {
			Use string `json:"use"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return 0, unavailable("keys", err)
	}
	n := 0
	for _, k := range set.Keys {
		if k.Use == "" || k.Use == "sig" {
			n++
		}
	}
	return n, nil
}
