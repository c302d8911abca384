package loadgen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/clinicgate/clinicgate/auth/token"
)

// The GraphQL documents of the mix (the same text each time, as a frontend
// sends, so the server's parsed-document cache sees them as one).
const (
	// listQuery reads names, which the server audits: one
	// client.record_read event naming every client on the page (README,
	// "Audit").
	listQuery = `query LoadClients($after: Cursor) { clients(first: 50, after: $after) { edges { cursor node { id givenName familyName status } } } }`
	// listIDsQuery reads no audited field, for comparison.
	listIDsQuery = `query LoadClientIDs($after: Cursor) { clients(first: 50, after: $after) { edges { cursor node { id status } } } }`
	// recordQuery reads the client and a piece of its record.
	recordQuery  = `query LoadClient($id: ID!) { node(id: $id) { ... on Client { id givenName familyName status businessUnit { id name } } } }`
	grantQuery   = `mutation LoadGrant($u: ID!, $c: ID!) { grantClientAccess(input: {userId: $u, clientId: $c}) { clientAccess { id } } }`
	revokeQuery  = `mutation LoadRevoke($u: ID!, $c: ID!) { revokeClientAccess(input: {userId: $u, clientId: $c}) { clientAccessId } }`
	contactQuery = `mutation LoadContact($c: ID!, $n: String!, $e: String!) { addClientContact(input: {clientId: $c, contact: {name: $n, relationship: "Parent", email: $e}}) { contact { id } } }`
	verifyQuery  = `mutation LoadVerify($code: String!) { verifyMfa(input: {code: $code}) { method } }`
)

type pair struct{ user, client string }

// ackSession is a sign-in the server acknowledged.
type ackSession struct {
	token, user string
	mfa         bool // the session passed a second factor
}

// worker runs operations one after another. Everything it writes is its
// own (its share of the clients for links and contacts, its own SCIM
// group), so what it remembers is what the database must hold.
type worker struct {
	l     *load
	id    int
	rng   *rand.Rand
	stats *Stats

	cursors map[*session]string   // after which client the session's next page starts
	seen    map[*session][]string // clients on the session's last page

	clients      []string        // this worker's share of the unrestricted clients
	links        map[pair]bool   // pairs touched: true granted, false revoked
	granted      []pair          // granted and not yet revoked
	unknownLinks map[pair]bool   // a grant or revoke whose answer never came
	contacts     []string        // ids of the contacts added
	scimUsers    []scimAck       // users created over SCIM
	scimUnknown  int             // creates whose answer never came
	group        string          // this worker's SCIM group
	members      map[string]bool // its members, as acknowledged
	memberUnsure map[string]bool // members whose change's answer never came
	sessions     []ackSession
	listsByRole  map[string]int
	n            int
}

type scimAck struct{ id, userName string }

func newWorker(l *load, id int, stats *Stats) *worker {
	w := &worker{
		l: l, id: id, stats: stats,
		rng:     rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(id))),
		cursors: map[*session]string{}, seen: map[*session][]string{},
		links: map[pair]bool{}, unknownLinks: map[pair]bool{},
		group: l.groups[id], members: map[string]bool{}, memberUnsure: map[string]bool{},
		listsByRole: map[string]int{},
	}
	for i := id; i < len(l.fx.open); i += l.cfg.Concurrency {
		w.clients = append(w.clients, l.fx.open[i])
	}
	return w
}

// do runs one operation and records it. The request runs to its end even
// when the run's time is up, so that the last requests are not cut into
// failures of unknown outcome.
func (w *worker) do(runCtx context.Context, op string) {
	ctx := context.WithoutCancel(runCtx)
	if op == OpRevoke && len(w.granted) == 0 {
		// Nothing of ours to revoke yet: grant one first (recorded as a
		// grant), then revoke.
		w.do(runCtx, OpGrant)
		if len(w.granted) == 0 {
			return
		}
	}
	var mu *mfaUser
	var step int64
	if op == OpSignInMFA {
		var ok bool
		if mu, step, ok = w.l.mfa.take(w.rng, time.Now()); !ok {
			op = OpSignIn // every MFA user has spent this step's code
		}
	}
	start := time.Now()
	var o outcome
	switch op {
	case OpList:
		o = w.list(ctx, listQuery)
	case OpListIDs:
		o = w.list(ctx, listIDsQuery)
	case OpRecord:
		o = w.record(ctx)
	case OpGrant:
		o = w.grant(ctx)
	case OpRevoke:
		o = w.revoke(ctx)
	case OpContact:
		o = w.contact(ctx)
	case OpSCIMUser:
		o = w.scimUser(ctx)
	case OpSCIMGroup:
		o = w.scimGroup(ctx)
	case OpSignIn:
		o = w.signIn(ctx)
	case OpSignInMFA:
		o = w.signInMFA(ctx, mu, step)
	}
	w.stats.record(op, time.Since(start), o)
}

func (w *worker) list(ctx context.Context, query string) outcome {
	s := pick(w.rng, w.l.readers)
	vars := map[string]any{}
	// Most reads are a first page; some page on from the last one.
	if c := w.cursors[s]; c != "" && w.rng.IntN(10) < 3 {
		vars["after"] = c
	}
	var out struct {
		Clients struct {
			Edges []struct {
				Cursor string `json:"cursor"`
				Node   struct {
					ID string `json:"id"`
				} `json:"node"`
			} `json:"edges"`
		} `json:"clients"`
	}
	o := graphql(ctx, w.l.api, s, query, vars, &out)
	if !o.ok() {
		return o
	}
	w.listsByRole[s.role]++
	edges := out.Clients.Edges
	seen := w.seen[s][:0]
	for _, e := range edges {
		seen = append(seen, e.Node.ID)
	}
	w.seen[s] = seen
	w.cursors[s] = ""
	if len(edges) == 50 {
		w.cursors[s] = edges[len(edges)-1].Cursor
	}
	return o
}

func (w *worker) record(ctx context.Context) outcome {
	s := pick(w.rng, w.l.readers)
	// A client the viewer saw on a page, mostly; otherwise any client,
	// which they may not reach (then node is null, as for a missing id).
	id := pick(w.rng, w.l.fx.clients)
	if seen := w.seen[s]; len(seen) > 0 && w.rng.IntN(10) < 8 {
		id = pick(w.rng, seen)
	}
	var out struct {
		Node *struct {
			ID string `json:"id"`
		} `json:"node"`
	}
	o := graphql(ctx, w.l.api, s, recordQuery, map[string]any{"id": id}, &out)
	if o.ok() && out.Node != nil && out.Node.ID != id {
		return outcome{class: "wrong client"}
	}
	return o
}

func (w *worker) grant(ctx context.Context) outcome {
	p := pair{user: pick(w.rng, w.l.grantees).id, client: pick(w.rng, w.clients)}
	for tries := 0; w.links[p] && tries < 10; tries++ {
		p.client = pick(w.rng, w.clients)
	}
	var out struct {
		GrantClientAccess struct {
			ClientAccess struct {
				ID string `json:"id"`
			} `json:"clientAccess"`
		} `json:"grantClientAccess"`
	}
	o := graphql(ctx, w.l.api, pick(w.rng, w.l.admins), grantQuery, map[string]any{"u": p.user, "c": p.client}, &out)
	switch {
	case o.unknown:
		w.unknownLinks[p] = true
	case o.ok():
		if !w.links[p] {
			w.granted = append(w.granted, p)
		}
		w.links[p] = true
	}
	return o
}

func (w *worker) revoke(ctx context.Context) outcome {
	i := w.rng.IntN(len(w.granted))
	p := w.granted[i]
	var out struct {
		RevokeClientAccess struct {
			ClientAccessID string `json:"clientAccessId"`
		} `json:"revokeClientAccess"`
	}
	o := graphql(ctx, w.l.api, pick(w.rng, w.l.admins), revokeQuery, map[string]any{"u": p.user, "c": p.client}, &out)
	if o.ok() || o.unknown {
		w.granted[i] = w.granted[len(w.granted)-1]
		w.granted = w.granted[:len(w.granted)-1]
	}
	switch {
	case o.unknown:
		w.unknownLinks[p] = true
	case o.ok():
		w.links[p] = false
	}
	return o
}

func (w *worker) contact(ctx context.Context) outcome {
	w.n++
	var out struct {
		AddClientContact struct {
			Contact struct {
				ID string `json:"id"`
			} `json:"contact"`
		} `json:"addClientContact"`
	}
	o := graphql(ctx, w.l.api, pick(w.rng, w.l.admins), contactQuery, map[string]any{
		"c": pick(w.rng, w.clients),
		"n": fmt.Sprintf("Load %s %d-%d", w.l.runID, w.id, w.n),
		"e": fmt.Sprintf("contact-%s-%d-%d@family.test", w.l.runID, w.id, w.n),
	}, &out)
	if o.ok() {
		if out.AddClientContact.Contact.ID == "" {
			return outcome{class: "no contact id"}
		}
		w.contacts = append(w.contacts, out.AddClientContact.Contact.ID)
	}
	return o
}

// scimUserName is the userName (and email) of the n-th user a worker
// creates; the run's prefix lets verification count them.
func (w *worker) scimUserName(n int) string {
	return fmt.Sprintf("load-%s-%d-%d@load.test", w.l.runID, w.id, n)
}

func (w *worker) scimUser(ctx context.Context) outcome {
	w.n++
	name := w.scimUserName(w.n)
	var out struct {
		ID string `json:"id"`
	}
	o := w.l.api.scim(ctx, w.l.scimToken, http.MethodPost, "/Users", map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": name,
		"name":     map[string]string{"givenName": "Load", "familyName": fmt.Sprintf("User %d", w.n)},
		"emails":   []map[string]any{{"value": name, "type": "work", "primary": true}},
		"active":   true,
	}, &out, http.StatusCreated)
	switch {
	case o.unknown:
		w.scimUnknown++
	case o.ok() && out.ID == "":
		return outcome{class: "no user id"}
	case o.ok():
		w.scimUsers = append(w.scimUsers, scimAck{id: out.ID, userName: name})
	}
	return o
}

func (w *worker) scimGroup(ctx context.Context) outcome {
	patch := func(op map[string]any) outcome {
		return w.l.api.scim(ctx, w.l.scimToken, http.MethodPatch, "/Groups/"+w.group, map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []map[string]any{op},
		}, nil, http.StatusOK, http.StatusNoContent)
	}
	// Remove a member now and then, once there are some.
	if len(w.members) > 0 && w.rng.IntN(10) < 4 {
		var u string
		for m := range w.members {
			u = m
			break
		}
		o := patch(map[string]any{"op": "remove", "path": fmt.Sprintf("members[value eq %q]", u)})
		switch {
		case o.unknown:
			delete(w.members, u)
			w.memberUnsure[u] = true
		case o.ok():
			delete(w.members, u)
		}
		return o
	}
	u := pick(w.rng, w.l.members).id
	o := patch(map[string]any{"op": "add", "path": "members", "value": []map[string]string{{"value": u}}})
	switch {
	case o.unknown:
		w.memberUnsure[u] = true
	case o.ok():
		w.members[u] = true
		delete(w.memberUnsure, u)
	}
	return o
}

func (w *worker) signIn(ctx context.Context) outcome {
	u := pick(w.rng, w.l.signers)
	ans, o := w.l.api.login(ctx, w.l.fx.orgSlug, u.email, w.l.cfg.Password, u.addr)
	if o.ok() {
		if ans.State != "active" {
			return outcome{class: "state " + ans.State}
		}
		w.sessions = append(w.sessions, ackSession{token: ans.Token, user: u.email})
	}
	return o
}

func (w *worker) signInMFA(ctx context.Context, u *mfaUser, step int64) outcome {
	ans, o := w.l.api.login(ctx, w.l.fx.orgSlug, u.email, w.l.cfg.Password, u.addr)
	if !o.ok() {
		return o
	}
	if ans.State != "mfa_required" {
		return outcome{class: "state " + ans.State}
	}
	c, err := code(u.secret, step)
	if err != nil {
		return outcome{class: "totp"}
	}
	s := &session{userID: u.id, email: u.email, token: ans.Token, addr: u.addr}
	var out struct {
		VerifyMfa struct {
			Method string `json:"method"`
		} `json:"verifyMfa"`
	}
	if o := graphql(ctx, w.l.api, s, verifyQuery, map[string]any{"code": c}, &out); !o.ok() {
		return o
	}
	w.sessions = append(w.sessions, ackSession{token: ans.Token, user: u.email, mfa: true})
	return outcome{}
}

// tokenHash is how the server stores a session token.
func tokenHash(t string) []byte { return token.Hash(t) }
