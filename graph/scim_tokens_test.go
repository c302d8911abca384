package graph_test

import (
	"strings"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/scimtoken"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

const scimTokenFields = `id name hint createdAt createdBy { id } lastUsedAt expiresAt revokedAt active`

type scimTokenOut struct {
	ID        pulid.ID `json:"id"`
	Hint      string   `json:"hint"`
	Name      string   `json:"name"`
	CreatedAt string   `json:"createdAt"`
	CreatedBy *struct {
		ID pulid.ID `json:"id"`
	} `json:"createdBy"`
	LastUsedAt *string `json:"lastUsedAt"`
	ExpiresAt  *string `json:"expiresAt"`
	RevokedAt  *string `json:"revokedAt"`
	Active     bool    `json:"active"`
}

type scimTokenPayload struct {
	Token     string       `json:"token"`
	ScimToken scimTokenOut `json:"scimToken"`
	RevokedID pulid.ID     `json:"revokedId"`
}

func TestSCIMTokensAreCreatedListedRotatedAndRevoked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		now := time.Date(2031, 5, 6, 7, 0, 0, 0, time.UTC)
		tn := newTenant(t, c, "acme")
		v := viewerOf(t, c, addUser(t, c, tn.org.ID, "it@acme.test", user.KindStaff, addRole(t, c, tn.org.ID, "IT", authz.OrgSettingsManage)))

		r := gqlDo(t, db, v, `mutation($in: CreateScimTokenInput!) { createScimToken(input: $in) { token scimToken { `+scimTokenFields+` } } }`,
			map[string]any{"in": map[string]any{"name": " Okta ", "expiresAt": "2031-06-05T07:00:00Z"}}, atTime(now))
		wantCodes(t, r)
		var created scimTokenPayload
		dataField(t, r, "createScimToken", &created)
		tok := created.ScimToken
		if !strings.HasPrefix(created.Token, "scim_") || tok.Name != "Okta" || !tok.Active || tok.CreatedBy == nil ||
			tok.CreatedBy.ID != v.UserID || tok.ExpiresAt == nil || tok.RevokedAt != nil || tok.LastUsedAt != nil {
			t.Fatalf("created %+v", created)
		}

		// The list never shows the token.
		r = gqlDo(t, db, v, `{ scimTokens { `+scimTokenFields+` } }`, nil, atTime(now))
		wantCodes(t, r)
		if strings.Contains(dataOf(r), created.Token) || strings.Contains(dataOf(r), strings.TrimPrefix(created.Token, "scim_")) {
			t.Fatal("the list shows the token")
		}
		var list []scimTokenOut
		dataField(t, r, "scimTokens", &list)
		if len(list) != 1 || list[0].ID != tok.ID || len(list[0].Hint) != 4 || !strings.HasSuffix(created.Token, list[0].Hint) {
			t.Fatalf("list %+v", list)
		}

		// Rotation: a new token of the same name, the old one revoked.
		later := now.Add(time.Hour)
		r = gqlDo(t, db, v, `mutation($in: RotateScimTokenInput!) { rotateScimToken(input: $in) { token revokedId scimToken { `+scimTokenFields+` } } }`,
			map[string]any{"in": map[string]any{"id": tok.ID}}, atTime(later))
		wantCodes(t, r)
		var rotated scimTokenPayload
		dataField(t, r, "rotateScimToken", &rotated)
		if rotated.Token == created.Token || !strings.HasPrefix(rotated.Token, "scim_") || rotated.ScimToken.Name != "Okta" ||
			rotated.RevokedID != tok.ID || rotated.ScimToken.ID == tok.ID || !rotated.ScimToken.Active ||
			rotated.ScimToken.ExpiresAt == nil || *rotated.ScimToken.ExpiresAt != "2031-06-05T08:00:00Z" {
			t.Fatalf("rotated %+v", rotated)
		}
		r = gqlDo(t, db, v, `{ scimTokens { `+scimTokenFields+` } }`, nil, atTime(later))
		dataField(t, r, "scimTokens", &list)
		if len(list) != 2 || list[0].ID != rotated.ScimToken.ID || list[1].Active || list[1].RevokedAt == nil {
			t.Fatalf("list after rotation %+v", list)
		}

		// Revocation.
		r = gqlDo(t, db, v, `mutation($id: ID!) { revokeScimToken(input: {id: $id}) { scimToken { `+scimTokenFields+` } } }`,
			map[string]any{"id": rotated.ScimToken.ID}, atTime(later))
		wantCodes(t, r)
		var revoked scimTokenPayload
		dataField(t, r, "revokeScimToken", &revoked)
		if revoked.ScimToken.Active || revoked.ScimToken.RevokedAt == nil {
			t.Fatalf("revoked %+v", revoked)
		}
		// Gone tokens: NOT_FOUND.
		for _, m := range []string{
			`mutation($id: ID!) { revokeScimToken(input: {id: $id}) { scimToken { id } } }`,
			`mutation($id: ID!) { rotateScimToken(input: {id: $id}) { token } }`,
		} {
			wantCodes(t, gqlDo(t, db, v, m, map[string]any{"id": rotated.ScimToken.ID}, atTime(later)), "NOT_FOUND")
			wantCodes(t, gqlDo(t, db, v, m, map[string]any{"id": "sct_01HZZZZZZZZZZZZZZZZZZZZZZZ"}, atTime(later)), "NOT_FOUND")
		}

		// One audit event per change, the administrator its actor.
		events := c.AuditEvent.Query().Where(auditevent.ActionHasPrefix("scim.token_")).AllX(sysCtx(tn.org.ID))
		count := map[string]int{}
		for _, e := range events {
			if strings.HasPrefix(e.Action, "scim.token_") {
				count[e.Action]++
				if e.ActorKind != auditevent.ActorKindUser || idOf(e.ActorID) != v.UserID {
					t.Errorf("%s by %s %v", e.Action, e.ActorKind, e.ActorID)
				}
			}
		}
		if count[scimtoken.Issued] != 1 || count[scimtoken.Rotated] != 1 || count[scimtoken.Revoked] != 1 {
			t.Errorf("audit events %v", count)
		}
	})
}

func TestSCIMTokenChangesAreRefusedWithoutTheRight(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		now := time.Date(2031, 5, 6, 7, 0, 0, 0, time.UTC)
		a := newTenant(t, c, "acme")
		b := newTenant(t, c, "bravo")
		owner := viewerOf(t, c, addUser(t, c, a.org.ID, "it@acme.test", user.KindStaff, addRole(t, c, a.org.ID, "IT", authz.OrgSettingsManage)))
		clinician := viewerOf(t, c, addUser(t, c, a.org.ID, "doc@acme.test", user.KindStaff,
			addRole(t, c, a.org.ID, "Clinician", authz.SessionsManageOwn, authz.UsersManage)))
		otherAdmin := viewerOf(t, c, addUser(t, c, b.org.ID, "it@bravo.test", user.KindStaff, addRole(t, c, b.org.ID, "IT", authz.OrgSettingsManage)))

		r := gqlDo(t, db, owner, `mutation { createScimToken(input: {name: "Okta"}) { scimToken { id } } }`, nil, atTime(now))
		wantCodes(t, r)
		var created scimTokenPayload
		dataField(t, r, "createScimToken", &created)
		id := created.ScimToken.ID

		create := `mutation { createScimToken(input: {name: "mine"}) { token } }`
		rotate := `mutation($id: ID!) { rotateScimToken(input: {id: $id}) { token } }`
		revoke := `mutation($id: ID!) { revokeScimToken(input: {id: $id}) { scimToken { id } } }`
		vars := map[string]any{"id": id}
		// Without org.settings.manage: FORBIDDEN, for every operation.
		wantCodes(t, gqlDo(t, db, clinician, create, nil, atTime(now)), "FORBIDDEN")
		wantCodes(t, gqlDo(t, db, clinician, rotate, vars, atTime(now)), "FORBIDDEN")
		wantCodes(t, gqlDo(t, db, clinician, revoke, vars, atTime(now)), "FORBIDDEN")
		wantCodes(t, gqlDo(t, db, clinician, `{ scimTokens { id } }`, nil, atTime(now)), "FORBIDDEN")
		// Another organization's administrator: NOT_FOUND, and sees none.
		wantCodes(t, gqlDo(t, db, otherAdmin, rotate, vars, atTime(now)), "NOT_FOUND")
		wantCodes(t, gqlDo(t, db, otherAdmin, revoke, vars, atTime(now)), "NOT_FOUND")
		r = gqlDo(t, db, otherAdmin, `{ scimTokens { id } }`, nil, atTime(now))
		wantCodes(t, r)
		if dataOf(r) != `{"scimTokens":[]}` {
			t.Errorf("another organization lists %s", dataOf(r))
		}
		// Bad input.
		wantField(t, gqlDo(t, db, owner, `mutation { createScimToken(input: {name: "  "}) { token } }`, nil, atTime(now)), "name")
		wantField(t, gqlDo(t, db, owner, `mutation { createScimToken(input: {name: "x", expiresAt: "2031-05-06T06:00:00Z"}) { token } }`, nil, atTime(now)), "expiresAt")
		wantField(t, gqlDo(t, db, owner, `mutation($id: ID!) { rotateScimToken(input: {id: $id, expiresAt: "2031-05-06T06:00:00Z"}) { token } }`, vars, atTime(now)), "expiresAt")

		// The token is untouched by all of it.
		r = gqlDo(t, db, owner, `{ scimTokens { id active } }`, nil, atTime(now))
		if dataOf(r) != `{"scimTokens":[{"id":"`+string(id)+`","active":true}]}` {
			t.Errorf("after the refusals: %s", dataOf(r))
		}
	})
}
