package graph_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/ssoconnection"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/graph"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/seal"
	"github.com/clinicgate/clinicgate/internal/sso"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

const ssoFields = `id name issuer clientId hasClientSecret scopes emailDomains enabled trustProviderMfa autoProvision
	defaultRole { id } defaultBusinessUnit { id } groupsClaim mappings { value role { id } businessUnit { id } }
	loginUrl redirectUri createdAt updatedAt`

type ssoOut struct {
	ID              pulid.ID `json:"id"`
	Name            string   `json:"name"`
	Issuer          string   `json:"issuer"`
	ClientID        string   `json:"clientId"`
	HasClientSecret bool     `json:"hasClientSecret"`
	Scopes          []string `json:"scopes"`
	EmailDomains    []string `json:"emailDomains"`
	Enabled         bool     `json:"enabled"`
	DefaultRole     *struct {
		ID pulid.ID `json:"id"`
	} `json:"defaultRole"`
	Mappings []struct {
		Value string `json:"value"`
		Role  *struct {
			ID pulid.ID `json:"id"`
		} `json:"role"`
	} `json:"mappings"`
	LoginURL    string `json:"loginUrl"`
	RedirectURI string `json:"redirectUri"`
}

// ssoDo runs one GraphQL request as v with svc installed, as the server's
// middleware does.
func ssoDo(t *testing.T, db *store.DB, svc *sso.Service, v *viewer.Viewer, now time.Time, query string, vars map[string]any) gqlResponse {
	t.Helper()
	h := svc.Middleware(graph.NewHandler(db.Client, graph.HandlerConfig{}))
	ctx := authz.WithClock(viewer.NewContext(context.Background(), v), func() time.Time { return now })
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out gqlResponse
	if err := json.NewDecoder(rec.Body).Decode(&out); err != nil {
		t.Fatalf("decode (status %d): %v", rec.Code, err)
	}
	return out
}

// discoveryServer is a provider's discovery document and key set (one
// real ECDSA key), for testing a connection.
func discoveryServer(t *testing.T) *httptest.Server {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var srv *httptest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": srv.URL, "authorization_endpoint": srv.URL + "/authorize", "token_endpoint": srv.URL + "/token",
			"jwks_uri": srv.URL + "/jwks", "end_session_endpoint": srv.URL + "/logout",
			"id_token_signing_alg_values_supported": []string{"ES256"}, "code_challenge_methods_supported": []string{"S256"},
			"scopes_supported": []string{"openid", "email"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func newSSOService(t *testing.T, db *store.DB) *sso.Service {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	box, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return &sso.Service{Client: db.Client, Box: box, PublicURL: "https://app.clinic.test", AllowLoopbackHTTP: true,
		Providers: sso.NewProviders(sso.ProvidersConfig{Timeout: 2 * time.Second})}
}

func TestSSOConnectionsAreManagedByAdministratorsWithTheSecretSealed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		now := time.Now().UTC()
		svc := newSSOService(t, db)
		idp := discoveryServer(t)
		tn := newTenant(t, c, "north")
		nurses := addRole(t, c, tn.org.ID, "Nurses")
		v := viewerOf(t, c, addUser(t, c, tn.org.ID, "it@north.test", user.KindStaff, addRole(t, c, tn.org.ID, "IT", authz.OrgSettingsManage)))
		const secret = "very-secret-client-secret"

		r := ssoDo(t, db, svc, v, now, `mutation($in: CreateSSOConnectionInput!) { createSsoConnection(input: $in) { ssoConnection { `+ssoFields+` } } }`,
			map[string]any{"in": map[string]any{"name": " Okta ", "issuer": idp.URL + "/", "clientId": "cg", "clientSecret": secret,
				"emailDomains": []string{"@North.Test"}, "defaultRoleId": nurses.ID,
				"mappings": []map[string]any{{"value": "nurses", "roleId": nurses.ID}}}})
		wantCodes(t, r)
		if strings.Contains(dataOf(r), secret) {
			t.Fatal("the secret is returned")
		}
		var out struct {
			SsoConnection ssoOut `json:"ssoConnection"`
		}
		dataField(t, r, "createSsoConnection", &out)
		got := out.SsoConnection
		if got.Name != "Okta" || got.Issuer != idp.URL || !got.HasClientSecret || len(got.EmailDomains) != 1 || got.EmailDomains[0] != "north.test" ||
			got.DefaultRole == nil || got.DefaultRole.ID != nurses.ID || len(got.Mappings) != 1 || got.Mappings[0].Role == nil ||
			got.LoginURL != "https://app.clinic.test/auth/oidc/"+string(got.ID)+"/login" || got.RedirectURI != "https://app.clinic.test/auth/oidc/callback" ||
			got.Scopes == nil || !got.Enabled {
			t.Fatalf("created %+v", got)
		}
		row := c.SSOConnection.Query().Where(ssoconnection.ID(got.ID)).OnlyX(allowCtx())
		if bytes.Contains(row.ClientSecretSealed, []byte(secret)) || len(row.ClientSecretSealed) == 0 {
			t.Fatal("the secret is not sealed at rest")
		}
		if plain, err := svc.Box.Open(row.ClientSecretSealed, []byte("sso-client-secret:"+string(got.ID))); err != nil || string(plain) != secret {
			t.Fatalf("the sealed secret does not open for its row: %v", err)
		}
		ev := c.AuditEvent.Query().Where(auditevent.Action(sso.ActionConnectionCreated)).OnlyX(allowCtx())
		if b, _ := json.Marshal(ev.Details); bytes.Contains(b, []byte(secret)) {
			t.Fatal("the audit trail holds the secret")
		}

		// Testing fetches discovery and keys.
		r = ssoDo(t, db, svc, v, now, `mutation($in: TestSSOConnectionInput!) { testSsoConnection(input: $in) { ok error issuer keys pkceS256 endSessionEndpoint jwksUri signingAlgorithms redirectUri } }`,
			map[string]any{"in": map[string]any{"id": got.ID}})
		wantCodes(t, r)
		var rep struct {
			OK        bool     `json:"ok"`
			Keys      int      `json:"keys"`
			PKCE      bool     `json:"pkceS256"`
			EndSess   *string  `json:"endSessionEndpoint"`
			Algs      []string `json:"signingAlgorithms"`
			ErrorText *string  `json:"error"`
		}
		dataField(t, r, "testSsoConnection", &rep)
		if !rep.OK || rep.Keys != 1 || !rep.PKCE || rep.EndSess == nil || len(rep.Algs) != 1 {
			t.Fatalf("test report %+v", rep)
		}
		// A provider that is gone is a report, not an error.
		idp.Close()
		r = ssoDo(t, db, svc, v, now, `mutation($in: TestSSOConnectionInput!) { testSsoConnection(input: $in) { ok error } }`,
			map[string]any{"in": map[string]any{"id": got.ID}})
		wantCodes(t, r)
		dataField(t, r, "testSsoConnection", &rep)
		if rep.OK || rep.ErrorText == nil {
			t.Fatalf("a provider that is gone: %+v", rep)
		}

		// Update: a field left out stays; the secret is replaced, not shown.
		r = ssoDo(t, db, svc, v, now, `mutation($in: UpdateSSOConnectionInput!) { updateSsoConnection(input: $in) { ssoConnection { `+ssoFields+` } } }`,
			map[string]any{"in": map[string]any{"id": got.ID, "enabled": false, "clientSecret": "", "defaultRoleId": ""}})
		wantCodes(t, r)
		dataField(t, r, "updateSsoConnection", &out)
		if out.SsoConnection.Enabled || out.SsoConnection.HasClientSecret || out.SsoConnection.DefaultRole != nil || out.SsoConnection.Name != "Okta" {
			t.Fatalf("updated %+v", out.SsoConnection)
		}

		r = ssoDo(t, db, svc, v, now, `{ ssoConnections { id } }`, nil)
		wantCodes(t, r)
		if !strings.Contains(dataOf(r), string(got.ID)) {
			t.Fatalf("list %s", dataOf(r))
		}
		r = ssoDo(t, db, svc, v, now, `mutation($in: DeleteSSOConnectionInput!) { deleteSsoConnection(input: $in) { deletedId } }`,
			map[string]any{"in": map[string]any{"id": got.ID}})
		wantCodes(t, r)
		if n := c.SSOConnection.Query().CountX(allowCtx()); n != 0 {
			t.Fatalf("%d connections after delete", n)
		}
		if n := c.AuditEvent.Query().Where(auditevent.ActionIn(sso.ActionConnectionUpdated, sso.ActionConnectionDeleted, sso.ActionConnectionTested)).CountX(allowCtx()); n != 4 {
			t.Fatalf("%d audit events of update, delete and tests, want 4", n)
		}
	})
}

func TestSSOConnectionChangesAreRefusedWithoutTheRight(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		now := time.Now().UTC()
		svc := newSSOService(t, db)
		a, b := newTenant(t, c, "north"), newTenant(t, c, "south")
		adminA := viewerOf(t, c, addUser(t, c, a.org.ID, "it@north.test", user.KindStaff, addRole(t, c, a.org.ID, "IT", authz.OrgSettingsManage)))
		adminB := viewerOf(t, c, addUser(t, c, b.org.ID, "it@south.test", user.KindStaff, addRole(t, c, b.org.ID, "IT", authz.OrgSettingsManage)))
		manager := viewerOf(t, c, addUser(t, c, a.org.ID, "hr@north.test", user.KindStaff, addRole(t, c, a.org.ID, "HR", authz.UsersManage)))
		create := `mutation($in: CreateSSOConnectionInput!) { createSsoConnection(input: $in) { ssoConnection { id } } }`
		in := func(extra map[string]any) map[string]any {
			m := map[string]any{"name": "Entra", "issuer": "https://login.microsoftonline.com/tenant/v2.0", "clientId": "cg"}
			for k, v := range extra {
				m[k] = v
			}
			return map[string]any{"in": m}
		}

		wantCodes(t, ssoDo(t, db, svc, manager, now, create, in(nil)), "FORBIDDEN")
		// A second factor enrolled but not verified lately: step up first.
		stale := *viewerOf(t, c, addUser(t, c, a.org.ID, "sec@north.test", user.KindStaff, addRole(t, c, a.org.ID, "Security", authz.OrgSettingsManage)))
		c.TOTPFactor.Create().SetOrganizationID(a.org.ID).SetUserID(stale.UserID).SetSecretSealed([]byte("sealed")).SetConfirmedAt(now).ExecX(allowCtx())
		wantCodes(t, ssoDo(t, db, svc, &stale, now, create, in(nil)), "MFA_STEP_UP_REQUIRED")
		// Verified a minute ago: in.
		fresh := stale
		verified := now.Add(-time.Minute)
		fresh.MFASatisfiedAt = &verified
		wantCodes(t, ssoDo(t, db, svc, &fresh, now, create, in(map[string]any{"issuer": "https://stepped.example"})))
		wantCodes(t, ssoDo(t, db, svc, adminA, now, create, in(map[string]any{"issuer": "ftp://idp.example"})), "BAD_USER_INPUT")
		// Nothing of another organization, and never the owner's role.
		wantCodes(t, ssoDo(t, db, svc, adminA, now, create, in(map[string]any{"defaultRoleId": b.role.ID})), "NOT_FOUND")
		owner := c.Role.Create().SetOrganizationID(a.org.ID).SetName("Owner").SetBuiltin(role.BuiltinAccountOwner).SaveX(allowCtx())
		wantCodes(t, ssoDo(t, db, svc, adminA, now, create, in(map[string]any{"mappings": []map[string]any{{"value": "x", "roleId": owner.ID}}})), "FORBIDDEN")

		r := ssoDo(t, db, svc, adminA, now, create, in(nil))
		wantCodes(t, r)
		var out struct {
			SsoConnection struct {
				ID pulid.ID `json:"id"`
			} `json:"ssoConnection"`
		}
		dataField(t, r, "createSsoConnection", &out)
		id := out.SsoConnection.ID
		wantCodes(t, ssoDo(t, db, svc, adminB, now, `mutation($in: UpdateSSOConnectionInput!) { updateSsoConnection(input: $in) { ssoConnection { id } } }`,
			map[string]any{"in": map[string]any{"id": id, "enabled": false}}), "NOT_FOUND")
		wantCodes(t, ssoDo(t, db, svc, adminB, now, `mutation($in: DeleteSSOConnectionInput!) { deleteSsoConnection(input: $in) { deletedId } }`,
			map[string]any{"in": map[string]any{"id": id}}), "NOT_FOUND")
		wantCodes(t, ssoDo(t, db, svc, manager, now, `mutation($in: TestSSOConnectionInput!) { testSsoConnection(input: $in) { ok } }`,
			map[string]any{"in": map[string]any{"id": id}}), "FORBIDDEN")
		for _, who := range []*viewer.Viewer{adminB, manager} {
			r := ssoDo(t, db, svc, who, now, `{ ssoConnections { id } }`, nil)
			if strings.Contains(dataOf(r), string(id)) {
				t.Fatalf("%s sees the connection: %s", who.UserID, dataOf(r))
			}
		}
		if !c.SSOConnection.Query().Where(ssoconnection.ID(id)).Where(ssoconnection.Enabled(true)).ExistX(allowCtx()) {
			t.Fatal("the connection was changed")
		}
	})
}
