package graph_test

import (
	"testing"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"

	"github.com/clinicgate/clinicgate/ent/clientcontact"
	"github.com/clinicgate/clinicgate/ent/outboxmessage"
	"github.com/clinicgate/clinicgate/ent/portalaccess"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/portal"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

const (
	addPortalUserM  = `mutation($in: AddPortalUserInput!) { addPortalUser(input: $in) { invited user { id email status } portalAccess { id documents sessionsHomework billing surveys alertRecipient } } }`
	setPortalPermsM = `mutation($in: SetPortalPermissionsInput!) { setPortalPermissions(input: $in) { portalAccess { id documents billing } } }`
	assignAlertM    = `mutation($in: AssignPortalAlertRecipientInput!) { assignPortalAlertRecipient(input: $in) { portalAccess { id alertRecipient } } }`
	removePortalM   = `mutation($in: RemovePortalAccessInput!) { removePortalAccess(input: $in) { portalAccessId } }`
	addContactM     = `mutation($in: AddClientContactInput!) { addClientContact(input: $in) { contact { id name relationship email phone } } }`
	updateContactM  = `mutation($in: UpdateClientContactInput!) { updateClientContact(input: $in) { contact { id name email } } }`
	removeContactM  = `mutation($in: RemoveClientContactInput!) { removeClientContact(input: $in) { contactId } }`
	allPerms        = `{"documents": true, "sessionsHomework": true, "billing": false, "surveys": true}`
)

type addedPortal struct {
	Invited bool
	User    struct{ ID, Email, Status string }
	Access  struct {
		ID                                            string
		Documents, SessionsHomework, Billing, Surveys bool
		AlertRecipient                                bool
	} `json:"portalAccess"`
}

func perms(documents, sessions, billing, surveys bool) map[string]any {
	return map[string]any{"documents": documents, "sessionsHomework": sessions, "billing": billing, "surveys": surveys}
}

func TestAddingPortalUsersFromContactsAndNewEmails(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		ada, ben := a.clients[0], a.clients[1]
		admin := a.viewer()

		// Contact Info first: the mother's email, to pick from.
		r := gqlDo(t, db, admin, addContactM, map[string]any{"in": map[string]any{"clientId": ada.ID,
			"contact": map[string]any{"name": "Mia Lovelace", "relationship": "Mother", "email": "Mia@Family.test", "phone": "555-0100"}}})
		wantCodes(t, r)
		var added struct {
			Contact struct{ ID, Name, Email string }
		}
		dataField(t, r, "addClientContact", &added)
		mother := added.Contact.ID

		r = gqlDo(t, db, admin, addPortalUserM, map[string]any{"in": map[string]any{"clientId": ada.ID, "contactId": mother,
			"permissions": perms(true, true, false, true)}})
		wantCodes(t, r)
		var first addedPortal
		dataField(t, r, "addPortalUser", &first)
		if !first.Invited || first.User.Email != "Mia@Family.test" || first.User.Status != "INVITED" ||
			!first.Access.Documents || first.Access.Billing || !first.Access.AlertRecipient {
			t.Fatalf("first portal user = %+v", first)
		}
		// The invitation is enqueued (ids only), for the invitation helper's renderer.
		msgs := db.Client.OutboxMessage.Query().Where(outboxmessage.Kind(portal.InvitationKind)).AllX(sysCtx(a.org.ID))
		if len(msgs) != 1 || msgs[0].Payload["user_id"] != first.User.ID || msgs[0].Payload["client_id"] != string(ada.ID) {
			t.Fatalf("outbox = %+v", msgs)
		}

		// A sibling: the same parent (email case differs) is one user with a second link.
		r = gqlDo(t, db, admin, addPortalUserM, map[string]any{"in": map[string]any{"clientId": ben.ID, "email": " mia@family.TEST ",
			"permissions": perms(true, false, false, false)}})
		wantCodes(t, r)
		var sibling addedPortal
		dataField(t, r, "addPortalUser", &sibling)
		if sibling.Invited || sibling.User.ID != first.User.ID {
			t.Fatalf("the sibling's parent is a second user: %+v", sibling)
		}
		if n := db.Client.User.Query().Where(user.EmailNormalized("mia@family.test")).CountX(sysCtx(a.org.ID)); n != 1 {
			t.Fatalf("%d users for one parent", n)
		}
		if n := db.Client.OutboxMessage.Query().CountX(sysCtx(a.org.ID)); n != 1 {
			t.Fatalf("%d outbox messages: a second link sends no second invitation", n)
		}

		// A new email ("Other") is not added to the client's contacts.
		r = gqlDo(t, db, admin, addPortalUserM, map[string]any{"in": map[string]any{"clientId": ada.ID, "email": "grandpa@family.test",
			"displayName": "Grandpa", "permissions": perms(false, true, false, false), "alertRecipient": true}})
		wantCodes(t, r)
		var grandpa addedPortal
		dataField(t, r, "addPortalUser", &grandpa)
		if n := db.Client.ClientContact.Query().Where(clientcontact.ClientID(ada.ID)).CountX(sysCtx(a.org.ID)); n != 1 {
			t.Fatalf("the client has %d contacts, want the mother's only", n)
		}
		// alertRecipient moved the flag: exactly one per client.
		recipients := db.Client.PortalAccess.Query().Where(portalaccess.ClientID(ada.ID), portalaccess.AlertRecipient(true)).AllX(sysCtx(a.org.ID))
		if len(recipients) != 1 || string(recipients[0].ID) != grandpa.Access.ID {
			t.Fatalf("alert recipients = %+v", recipients)
		}
		// Assign moves it back.
		wantCodes(t, gqlDo(t, db, admin, assignAlertM, map[string]any{"in": map[string]any{"portalAccessId": first.Access.ID}}))
		recipients = db.Client.PortalAccess.Query().Where(portalaccess.ClientID(ada.ID), portalaccess.AlertRecipient(true)).AllX(sysCtx(a.org.ID))
		if len(recipients) != 1 || string(recipients[0].ID) != first.Access.ID {
			t.Fatalf("alert recipients after assign = %+v", recipients)
		}
		moved := eventsOf(t, db.Client, a.org.ID, portal.AlertRecipientMoved)
		if len(moved) != 1 || moved[0].Details["before"] != grandpa.User.ID || moved[0].Details["after"] != first.User.ID {
			t.Fatalf("alert moved events = %+v", moved)
		}

		// Permissions: before and after audited.
		r = gqlDo(t, db, admin, setPortalPermsM, map[string]any{"in": map[string]any{"portalAccessId": first.Access.ID, "permissions": perms(false, false, true, false)}})
		wantCodes(t, r)
		if evs := eventsOf(t, db.Client, a.org.ID, portal.PermissionsChanged); len(evs) != 1 || evs[0].Details["before"] == nil || evs[0].Details["after"] == nil {
			t.Fatalf("permission events = %+v", evs)
		}

		// Removing the recipient moves the flag to the remaining portal user.
		wantCodes(t, gqlDo(t, db, admin, removePortalM, map[string]any{"in": map[string]any{"portalAccessId": first.Access.ID}}))
		recipients = db.Client.PortalAccess.Query().Where(portalaccess.ClientID(ada.ID), portalaccess.AlertRecipient(true)).AllX(sysCtx(a.org.ID))
		if len(recipients) != 1 || string(recipients[0].ID) != grandpa.Access.ID {
			t.Fatalf("alert recipients after removal = %+v", recipients)
		}
		// The parent keeps their sign-in and the sibling's link.
		if n := db.Client.PortalAccess.Query().Where(portalaccess.UserID(pulid.ID(first.User.ID))).CountX(sysCtx(a.org.ID)); n != 1 {
			t.Fatalf("the parent has %d links left, want the sibling's", n)
		}
		wantCodes(t, gqlDo(t, db, admin, removePortalM, map[string]any{"in": map[string]any{"portalAccessId": first.Access.ID}}), "NOT_FOUND")
		if n := len(eventsOf(t, db.Client, a.org.ID, portal.AccessGranted)); n != 3 {
			t.Fatalf("%d portal.access_granted events, want 3", n)
		}
		if n := len(eventsOf(t, db.Client, a.org.ID, portal.AccessRevoked)); n != 1 {
			t.Fatalf("%d portal.access_revoked events, want 1", n)
		}
	})
}

func TestPortalAndContactMutationsAreRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		other := newTenant(t, db.Client, "other")
		ada := a.clients[0]
		admin := a.viewer()
		staff := addUser(t, db.Client, a.org.ID, "ther@acme.test", user.KindStaff)
		parent := addUser(t, db.Client, a.org.ID, "parent@acme.test", user.KindPortal)
		linkPortal(t, db.Client, parent, ada, portalPerms{documents: true})
		pa := db.Client.PortalAccess.Query().Where(portalaccess.UserID(parent.ID)).OnlyX(sysCtx(a.org.ID))
		ct := db.Client.ClientContact.Create().SetOrganizationID(a.org.ID).SetClientID(ada.ID).SetName("Dad").SetEmail("").
			SetCreatedAt(a.org.CreatedAt).SetUpdatedAt(a.org.CreatedAt).SaveX(allowCtx())
		foreignContact := db.Client.ClientContact.Create().SetOrganizationID(other.org.ID).SetClientID(other.clients[0].ID).SetName("X").
			SetCreatedAt(a.org.CreatedAt).SetUpdatedAt(a.org.CreatedAt).SaveX(allowCtx())
		p := perms(true, true, true, true)

		// Bad input.
		for _, tc := range []struct {
			name  string
			in    map[string]any
			field string
		}{
			{"no email", map[string]any{"clientId": ada.ID, "permissions": p}, "email"},
			{"not an address", map[string]any{"clientId": ada.ID, "email": "not-an-email", "permissions": p}, "email"},
			{"both a contact and an email", map[string]any{"clientId": ada.ID, "contactId": ct.ID, "email": "x@y.test", "permissions": p}, "email"},
			{"a contact without email", map[string]any{"clientId": ada.ID, "contactId": ct.ID, "permissions": p}, "contactId"},
			{"another client's contact", map[string]any{"clientId": ada.ID, "contactId": foreignContact.ID, "permissions": p}, "contactId"},
			{"a staff member's email", map[string]any{"clientId": ada.ID, "email": "ther@acme.test", "permissions": p}, "email"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantField(t, gqlDo(t, db, admin, addPortalUserM, map[string]any{"in": tc.in}), tc.field)
			})
		}
		wantCodes(t, gqlDo(t, db, admin, addPortalUserM, map[string]any{"in": map[string]any{"clientId": ada.ID, "email": "PARENT@acme.test", "permissions": p}}), "CONFLICT")
		wantCodes(t, gqlDo(t, db, admin, addPortalUserM, map[string]any{"in": map[string]any{"clientId": other.clients[0].ID, "email": "x@y.test", "permissions": p}}), "NOT_FOUND")
		wantCodes(t, gqlDo(t, db, admin, setPortalPermsM, map[string]any{"in": map[string]any{"portalAccessId": "pta_missing", "permissions": p}}), "NOT_FOUND")
		wantField(t, gqlDo(t, db, admin, addContactM, map[string]any{"in": map[string]any{"clientId": ada.ID, "contact": map[string]any{"name": " "}}}), "name")
		wantField(t, gqlDo(t, db, admin, addContactM, map[string]any{"in": map[string]any{"clientId": ada.ID, "contact": map[string]any{"name": "A", "email": "nope"}}}), "email")
		wantCodes(t, gqlDo(t, db, admin, updateContactM, map[string]any{"in": map[string]any{"contactId": foreignContact.ID, "contact": map[string]any{"name": "Y"}}}), "NOT_FOUND")
		wantCodes(t, gqlDo(t, db, admin, removeContactM, map[string]any{"in": map[string]any{"contactId": "cct_missing"}}), "NOT_FOUND")

		// Without the privileges (a staff user without roles, a portal user): FORBIDDEN, nothing written.
		for _, who := range []struct {
			name string
			u    *ent.User
		}{{"staff without roles", staff}, {"portal user", parent}} {
			name, viewer := who.name, viewerOf(t, db.Client, who.u)
			for op, q := range map[string]struct {
				m  string
				in map[string]any
			}{
				"addPortalUser":              {addPortalUserM, map[string]any{"clientId": ada.ID, "email": "new@x.test", "permissions": p}},
				"setPortalPermissions":       {setPortalPermsM, map[string]any{"portalAccessId": pa.ID, "permissions": p}},
				"assignPortalAlertRecipient": {assignAlertM, map[string]any{"portalAccessId": pa.ID}},
				"removePortalAccess":         {removePortalM, map[string]any{"portalAccessId": pa.ID}},
				"addClientContact":           {addContactM, map[string]any{"clientId": ada.ID, "contact": map[string]any{"name": "A"}}},
				"updateClientContact":        {updateContactM, map[string]any{"contactId": ct.ID, "contact": map[string]any{"name": "A"}}},
				"removeClientContact":        {removeContactM, map[string]any{"contactId": ct.ID}},
			} {
				if c := codes(gqlDo(t, db, viewer, q.m, map[string]any{"in": q.in})); len(c) != 1 || c[0] != "FORBIDDEN" {
					t.Errorf("%s: %s: codes %v, want FORBIDDEN", name, op, c)
				}
			}
		}
		// A portal manager who does not reach the client: NOT_FOUND.
		pm := addUser(t, db.Client, a.org.ID, "pm@acme.test", user.KindStaff, addRole(t, db.Client, a.org.ID, "PM", authz.PortalManage, authz.ClientsEdit))
		wantCodes(t, gqlDo(t, db, viewerOf(t, db.Client, pm), setPortalPermsM, map[string]any{"in": map[string]any{"portalAccessId": pa.ID, "permissions": p}}), "NOT_FOUND")
		wantCodes(t, gqlDo(t, db, viewerOf(t, db.Client, pm), updateContactM, map[string]any{"in": map[string]any{"contactId": ct.ID, "contact": map[string]any{"name": "A"}}}), "NOT_FOUND")
		if n := db.Client.User.Query().Where(user.EmailNormalized("new@x.test")).CountX(sysCtx(a.org.ID)); n != 0 {
			t.Fatal("a refused addPortalUser created a user")
		}
	})
}

func TestAPortalUserListsExactlyTheirLinkedClients(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		parent := addUser(t, db.Client, a.org.ID, "parent@acme.test", user.KindPortal)
		linkPortal(t, db.Client, parent, a.clients[0], portalPerms{documents: true})
		linkPortal(t, db.Client, parent, a.clients[2], portalPerms{})
		db.Client.ClientContact.Create().SetOrganizationID(a.org.ID).SetClientID(a.clients[0].ID).SetName("Mum").SetEmail("parent@acme.test").
			SetCreatedAt(a.org.CreatedAt).SetUpdatedAt(a.org.CreatedAt).SaveX(allowCtx())
		v := viewerOf(t, db.Client, parent)
		// The client list screen's query, business unit and links included.
		r := gqlDo(t, db, v, listClients(10), nil)
		wantCodes(t, r)
		var got struct {
			TotalCount int
			Edges      []struct {
				Node struct {
					ID           string
					BusinessUnit *struct{ Name string }
				}
			}
		}
		dataField(t, r, "clients", &got)
		ids := map[string]bool{}
		for _, e := range got.Edges {
			ids[e.Node.ID] = true
			if e.Node.BusinessUnit != nil {
				t.Errorf("a portal user reads the business unit %+v", e.Node.BusinessUnit)
			}
		}
		if got.TotalCount != 2 || len(ids) != 2 || !ids[string(a.clients[0].ID)] || !ids[string(a.clients[2].ID)] {
			t.Fatalf("portal clients = %s", dataOf(r))
		}
		// Still no PHI, and no contacts (they are the profile's protected part).
		r = gqlDo(t, db, v, `{ clients(first: 10) { edges { node { givenName dateOfBirth diagnosis contacts { name } } } } }`, nil)
		if c := codes(r); len(c) == 0 {
			t.Fatalf("a portal user reads PHI: %s", dataOf(r))
		}
		for _, e := range r.Errors {
			if e.Extensions["code"] != "FORBIDDEN" {
				t.Errorf("error %+v, want FORBIDDEN", e)
			}
		}
		var phi struct {
			Edges []struct {
				Node struct {
					GivenName   string
					DateOfBirth *string
					Diagnosis   *string
					Contacts    []struct{ Name string }
				}
			}
		}
		dataField(t, r, "clients", &phi)
		for _, e := range phi.Edges {
			if e.Node.DateOfBirth != nil || e.Node.Diagnosis != nil || len(e.Node.Contacts) != 0 || e.Node.GivenName == "" {
				t.Errorf("portal node = %+v", e.Node)
			}
		}
		// Staff who reach the client read its contacts.
		r = gqlDo(t, db, a.viewer(), `query($id: ID!) { node(id: $id) { ... on Client { contacts { name email } } } }`, map[string]any{"id": a.clients[0].ID})
		wantCodes(t, r)
		if dataOf(r) != `{"node":{"contacts":[{"name":"Mum","email":"parent@acme.test"}]}}` {
			t.Fatalf("staff contacts = %s", dataOf(r))
		}
		// That read is audited as a read of the client's profile.
		var contactReads int
		for _, ev := range readEvents(t, db.Client, a.org.ID) {
			if ev.TargetType == "client_contact" && ev.ClientID != nil && *ev.ClientID == a.clients[0].ID {
				contactReads++
			}
		}
		if contactReads != 1 {
			t.Fatalf("%d audited contact reads, want 1", contactReads)
		}
	})
}
