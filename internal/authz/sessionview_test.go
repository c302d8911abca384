package authz_test

import (
	"testing"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

func TestSessionViewReadsNotesOnlyForTheRolesItCovers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db.Client)
		cl := f.client(nil, false)
		clinician := f.role(authz.SessionsManageOwn)
		author := f.staff(withRoles(clinician))
		covered := f.role(authz.SessionNotesViewOthers)
		uncovered := f.role(authz.SessionNotesViewOthers)
		must(f.c.Role.UpdateOne(uncovered).SetSessionView(false).Save(allow())).get(t)
		reviewer, outsider := f.staff(withRoles(covered)), f.staff(withRoles(uncovered))
		f.link(author, cl, nil, nil)
		f.link(reviewer, cl, nil, nil)
		f.link(outsider, cl, nil, nil)
		shared := f.note(f.appointment(cl, author), author, false)
		f.setSessionView(true)
		notes := func(u *ent.User) ([]pulid.ID, error) { return f.c.SessionNote.Query().IDs(f.as(u)) }

		got, err := notes(reviewer)
		seesOnly(t, "a covered role with the privilege", got, err, shared.ID)
		got, err = notes(outsider)
		seesOnly(t, "a role session view does not cover, even with the privilege", got, err)

		// Coverage is read on every request: uncovering the reviewer's
		// role closes the notes on their next request.
		must(f.c.Role.UpdateOne(covered).SetSessionView(false).Save(allow())).get(t)
		got, err = notes(reviewer)
		seesOnly(t, "the role no longer covered", got, err)
		got, err = notes(author)
		seesOnly(t, "the author, whatever the coverage", got, err, shared.ID)
	})
}

func TestSignInMethodAllowed(t *testing.T) {
	org := func(m organization.SignInMethod) *ent.Organization { return &ent.Organization{SignInMethod: m} }
	usr := func(m user.SignInMethod) *ent.User { return &ent.User{SignInMethod: m} }
	rl := func(m role.SignInMethod) *ent.Role { return &ent.Role{SignInMethod: m} }
	cases := []struct {
		name   string
		org    *ent.Organization
		user   *ent.User
		roles  []*ent.Role
		method string
		want   bool
	}{
		{"nothing required: a password is fine", org("ANY"), usr("ANY"), []*ent.Role{rl("ANY")}, "PASSWORD", true},
		{"nothing required: single sign-on is fine", org("ANY"), usr("ANY"), nil, "SSO", true},
		{"an organization requiring SSO refuses a password", org("SSO"), usr("ANY"), nil, "PASSWORD", false},
		{"a user required to use a password is refused SSO", org("ANY"), usr("PASSWORD"), nil, "SSO", false},
		{"a role requiring SSO refuses its holder a password", org("ANY"), usr("ANY"), []*ent.Role{rl("ANY"), rl("SSO")}, "PASSWORD", false},
		{"a role requiring SSO lets its holder use SSO", org("ANY"), usr("ANY"), []*ent.Role{rl("SSO")}, "SSO", true},
		{"requirements naming two methods allow neither (password)", org("ANY"), usr("PASSWORD"), []*ent.Role{rl("SSO")}, "PASSWORD", false},
		{"requirements naming two methods allow neither (SSO)", org("ANY"), usr("PASSWORD"), []*ent.Role{rl("SSO")}, "SSO", false},
		{"an unknown method is refused", org("ANY"), usr("ANY"), nil, "MAGIC_LINK", false},
		{"no organization or user loaded: the roles decide", nil, nil, []*ent.Role{rl("PASSWORD")}, "PASSWORD", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := authz.SignInMethodAllowed(c.org, c.user, c.roles, c.method); got != c.want {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}
