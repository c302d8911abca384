package session_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/graph"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// TestCrossSiteRequestsWithTheCookieAreRefusedOnGraphQL drives the real
// GraphQL handler behind the session middleware: the browser attaches the
// cookie to any site's POST, so the cookie alone must not authorize one
// that another site could have sent, while a bearer token, which only its
// holder can send, works from any origin.
func TestCrossSiteRequestsWithTheCookieAreRefusedOnGraphQL(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const public = "https://app.example.org"
		m := session.New(db.Client, session.Config{PublicOrigin: public})
		org := mkOrg(t, db, "xsite", nil)
		u := mkUser(t, db, org, "xsite@example.org", user.KindStaff)
		tok, _ := create(t, m, db, u, session.CreateOptions{})
		srv := httptest.NewServer(m.Middleware(graph.NewHandler(db.Client, graph.HandlerConfig{})))
		defer srv.Close()
		const query = `{"query":"{ viewer { user { email } } }"}`

		for _, tc := range []struct {
			name        string
			contentType string
			origin      string
			cookie      bool
			bearer      bool
			wantStatus  int
			wantCode    string // of the refusal; "" when GraphQL answers
		}{
			{"a cross-site text/plain POST with the cookie is refused", "text/plain", "https://evil.example", true, false, http.StatusForbidden, session.CodeForbiddenOrigin},
			{"a same-site text/plain POST with the cookie is refused", "text/plain", public, true, false, http.StatusUnsupportedMediaType, session.CodeUnsupportedMediaType},
			{"a text/plain POST with the cookie and no Origin is refused", "text/plain", "", true, false, http.StatusUnsupportedMediaType, session.CodeUnsupportedMediaType},
			{"a cross-site JSON POST with the cookie is refused", "application/json", "https://evil.example", true, false, http.StatusForbidden, session.CodeForbiddenOrigin},
			{"a same-site JSON POST with the cookie is answered", "application/json", public, true, false, http.StatusOK, ""},
			{"a bearer token from any origin is answered", "application/json", "https://elsewhere.example", false, true, http.StatusOK, ""},
			{"a bearer token wins over the cookie and needs no check", "application/json", "https://elsewhere.example", true, true, http.StatusOK, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", strings.NewReader(query))
				req.Header.Set("Content-Type", tc.contentType)
				if tc.origin != "" {
					req.Header.Set("Origin", tc.origin)
				}
				if tc.cookie {
					req.AddCookie(&http.Cookie{Name: "cg_session", Value: tok})
				}
				if tc.bearer {
					req.Header.Set("Authorization", "Bearer "+tok)
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != tc.wantStatus {
					t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.wantStatus, body)
				}
				if tc.wantCode != "" {
					var e struct {
						Error struct{ Code string } `json:"error"`
					}
					if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != tc.wantCode {
						t.Errorf("body %s, want code %s", body, tc.wantCode)
					}
					return
				}
				if !strings.Contains(string(body), "xsite@example.org") {
					t.Errorf("GraphQL did not answer as the signed-in user: %s", body)
				}
			})
		}
	})
}
