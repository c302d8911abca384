package oidc_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// idp is a real OpenID provider for the tests: discovery, a JWKS of real
// RSA keys, an authorization endpoint that signs in its configured user at
// once, a token endpoint (client secret, PKCE S256, single-use codes),
// userinfo and end-session. Knobs make it misbehave.
type idp struct {
	t        *testing.T
	srv      *httptest.Server
	clientID string
	secret   string

	mu     sync.Mutex
	keys   []*signingKey // published; keys[0] signs
	codes  map[string]*grant
	tokens map[string]map[string]any // access token → userinfo claims
	// who signs in: the ID token's claims besides iss, aud, iat, exp, nonce.
	user map[string]any
	// userinfoOnly lists claims given only by userinfo, not in the ID token.
	userinfoOnly []string
	// tamper changes the ID token's claims before signing.
	tamper func(claims map[string]any)
	// signer, when set, signs ID tokens with a key that is not published.
	signer *signingKey
	delay  time.Duration // before every answer
	down   bool          // every endpoint answers 503
	now    func() time.Time
	hits   map[string]int
}

type signingKey struct {
	kid string
	key *rsa.PrivateKey
}

type grant struct {
	nonce, challenge, redirect string
	used                       bool
	claims                     map[string]any
}

func newKey(t *testing.T) *signingKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return &signingKey{kid: base64.RawURLEncoding.EncodeToString(randBytes(8)), key: k}
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func newIdP(t *testing.T, now func() time.Time) *idp {
	t.Helper()
	p := &idp{
		t: t, clientID: "clinicgate-test", secret: "s3cret-" + base64.RawURLEncoding.EncodeToString(randBytes(9)),
		keys: []*signingKey{newKey(t)}, codes: map[string]*grant{}, tokens: map[string]map[string]any{},
		now: now, hits: map[string]int{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("GET /userinfo", p.userinfo)
	mux.HandleFunc("GET /logout", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		delay, down := p.delay, p.down
		p.hits[r.URL.Path]++
		p.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		if down {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *idp) issuer() string { return p.srv.URL }

func (p *idp) set(f func(p *idp)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(p)
}

func (p *idp) hitCount(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits[path]
}

// rotate publishes a new signing key in place of the old ones.
func (p *idp) rotate() {
	k := newKey(p.t)
	p.set(func(p *idp) { p.keys = []*signingKey{k} })
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (p *idp) discovery(w http.ResponseWriter, _ *http.Request) {
	iss := p.issuer()
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                iss + "/authorize",
		"token_endpoint":                        iss + "/token",
		"userinfo_endpoint":                     iss + "/userinfo",
		"jwks_uri":                              iss + "/jwks",
		"end_session_endpoint":                  iss + "/logout",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"scopes_supported":                      []string{"openid", "email", "profile", "groups"},
	})
}

func (p *idp) jwks(w http.ResponseWriter, _ *http.Request) {
	p.mu.Lock()
	var set jose.JSONWebKeySet
	for _, k := range p.keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.key.PublicKey, KeyID: k.kid, Algorithm: "RS256", Use: "sig"})
	}
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, set)
}

// authorize signs in the configured user at once and redirects back.
func (p *idp) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != p.clientID || q.Get("response_type") != "code" ||
		q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" ||
		!strings.Contains(" "+q.Get("scope")+" ", " openid ") {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	code := base64.RawURLEncoding.EncodeToString(randBytes(16))
	p.mu.Lock()
	claims := map[string]any{}
	for k, v := range p.user {
		claims[k] = v
	}
	p.codes[code] = &grant{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri"), claims: claims}
	p.mu.Unlock()
	back, _ := url.Parse(q.Get("redirect_uri"))
	bq := back.Query()
	bq.Set("code", code)
	bq.Set("state", q.Get("state"))
	back.RawQuery = bq.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// token exchanges a code once, checking the client and PKCE.
func (p *idp) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
	}
	if id != p.clientID || secret != p.secret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	g := p.codes[r.PostFormValue("code")]
	sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
	switch {
	case g == nil || g.used || g.redirect != r.PostFormValue("redirect_uri"):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "PKCE"})
		return
	}
	g.used = true
	now := p.now()
	claims := map[string]any{
		"iss": p.issuer(), "aud": p.clientID, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "nonce": g.nonce,
	}
	info := map[string]any{}
	for k, v := range g.claims {
		info[k] = v
		if !contains(p.userinfoOnly, k) {
			claims[k] = v
		}
	}
	if p.tamper != nil {
		p.tamper(claims)
	}
	signer := p.keys[0]
	if p.signer != nil {
		signer = p.signer
	}
	access := base64.RawURLEncoding.EncodeToString(randBytes(16))
	p.tokens[access] = info
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": access, "token_type": "Bearer", "expires_in": 300, "id_token": sign(p.t, signer, claims),
	})
}

func (p *idp) userinfo(w http.ResponseWriter, r *http.Request) {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	p.mu.Lock()
	info, ok := p.tokens[tok]
	p.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
		return
	}
	writeJSON(w, http.StatusOK, info)
}

func sign(t *testing.T, k *signingKey, claims map[string]any) string {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: k.key, KeyID: k.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(claims)
	obj, err := s.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}
