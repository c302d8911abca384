package scim_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// An identity provider's reads of users and groups are audited like other
// reads: one event per request naming every resource read, with the
// token as the actor; a probe that finds nothing writes nothing.
func TestSCIMReadsAreAuditedOneEventPerRequest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		_, connect := server(t, db.Client)
		p := connect("reads")
		events := 0
		reads := func() []string {
			t.Helper()
			var ids []string
			evs := db.Client.AuditEvent.Query().Where(auditevent.Action(audit.ProvisioningRead), auditevent.OrganizationID(p.org)).AllX(allow())
			events = len(evs)
			for _, e := range evs {
				if e.ActorKind != auditevent.ActorKindSCIM || e.ActorID == nil || *e.ActorID == "" {
					t.Errorf("read event actor %s %v, want the SCIM token", e.ActorKind, e.ActorID)
				}
				targets, _ := e.Details["target_ids"].([]any)
				if len(targets) == 0 || (len(targets) == 1) != (e.TargetID != "") ||
					(len(targets) == 1 && targets[0] != e.TargetID) {
					t.Errorf("read event target %q, details %v", e.TargetID, e.Details)
				}
				for _, id := range targets {
					ids = append(ids, e.TargetType+":"+id.(string))
				}
			}
			return ids
		}
		var users []string
		for _, name := range []string{"ana@reads.test", "ben@reads.test"} {
			r := p.do(http.MethodPost, "/Users", map[string]any{
				"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": name,
				"name": map[string]any{"givenName": "A", "familyName": "B"}, "active": true,
			})
			if r.status != http.StatusCreated {
				t.Fatalf("create %s: %d %v", name, r.status, r.body)
			}
			users = append(users, r.body["id"].(string))
		}
		if got := reads(); len(got) != 0 {
			t.Fatalf("creating audited reads: %v", got)
		}
		if r := p.do(http.MethodGet, "/Users?filter="+url.QueryEscape(`userName eq "nobody@reads.test"`), nil); r.status != http.StatusOK {
			t.Fatalf("probe: %d", r.status)
		}
		if got := reads(); len(got) != 0 {
			t.Fatalf("an empty probe audited reads: %v", got)
		}
		p.do(http.MethodGet, "/Users/"+users[0], nil)
		list := p.do(http.MethodGet, "/Users", nil)
		listed := int(list.body["totalResults"].(float64)) // the two and the organization's own administrator
		got := reads()
		count := map[string]int{}
		for _, g := range got {
			count[g]++
		}
		if len(got) != 1+listed || listed != 3 || count["user:"+users[0]] != 2 || count["user:"+users[1]] != 1 {
			t.Fatalf("reads %v after one get and a list of %d, want one per user read", got, listed)
		}
		if events != 2 {
			t.Errorf("%d read events after one get and one list, want 2", events)
		}
	})
}
