package graph_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/mail"
	"github.com/clinicgate/clinicgate/internal/outbox"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

const outboxQuery = `query($first: Int, $after: Cursor, $status: OutboxStatus) {
  outboxMessages(first: $first, after: $after, status: $status) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id kind status recipient createdAt attempts nextAttemptAt deliveredAt deadAt lastError } }
  }
}`

type outboxNode struct {
	ID            string     `json:"id"`
	Kind          string     `json:"kind"`
	Status        string     `json:"status"`
	Recipient     *string    `json:"recipient"`
	CreatedAt     time.Time  `json:"createdAt"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"nextAttemptAt"`
	DeliveredAt   *time.Time `json:"deliveredAt"`
	DeadAt        *time.Time `json:"deadAt"`
	LastError     *string    `json:"lastError"`
}

type outboxConn struct {
	TotalCount int `json:"totalCount"`
	PageInfo   struct {
		HasNextPage bool    `json:"hasNextPage"`
		EndCursor   *string `json:"endCursor"`
	} `json:"pageInfo"`
	Edges []struct {
		Cursor string     `json:"cursor"`
		Node   outboxNode `json:"node"`
	} `json:"edges"`
}

const outboxSecret = "https://clinic.test/auth/invite?token=TOKEN-NEVER-LISTED"

// fillOutbox enqueues four messages in org and lets a worker (console
// sender) handle them: an invitation delivered, an obsolete one dropped, a
// failing one pending its retry, one of an unknown kind dead.
func fillOutbox(t *testing.T, db *store.DB, tn tenant, clk *clock.Fake) map[string]*ent.OutboxMessage {
	t.Helper()
	ctx := clock.NewContext(sysCtx(tn.org.ID), clk)
	out := map[string]*ent.OutboxMessage{}
	for _, kind := range []string{"invitation", "obsolete", "flaky", "unknown"} {
		m, err := outbox.Enqueue(ctx, db.Client, outbox.Message{Kind: kind, Org: tn.org.ID, Ref: map[string]any{"user_id": string(tn.admin.ID)}})
		if err != nil {
			t.Fatal(err)
		}
		out[kind] = m
		clk.Advance(time.Second)
	}
	var printed bytes.Buffer
	w := outbox.NewWorker(db.Client, map[string]outbox.Renderer{
		"invitation": outbox.RendererFunc(func(ctx context.Context, tx *ent.Client, m *ent.OutboxMessage) (mail.Message, error) {
			return mail.Message{To: tn.admin.Email, Subject: "Invitation", Text: outboxSecret}, nil
		}),
		"obsolete": outbox.RendererFunc(func(context.Context, *ent.Client, *ent.OutboxMessage) (mail.Message, error) {
			return mail.Message{}, outbox.ErrObsolete
		}),
		"flaky": outbox.RendererFunc(func(context.Context, *ent.Client, *ent.OutboxMessage) (mail.Message, error) {
			return mail.Message{}, errors.New("template unavailable")
		}),
	}, mail.NewConsole(&printed), clk, nil, outbox.Options{BackoffBase: time.Minute})
	if n, err := w.RunOnce(context.Background()); err != nil || n != 4 {
		t.Fatalf("worker handled %d: %v", n, err)
	}
	if !strings.Contains(printed.String(), outboxSecret) {
		t.Fatalf("console sender printed %q", printed.String())
	}
	return out
}

func listOutbox(t *testing.T, db *store.DB, tn tenant, vars map[string]any) outboxConn {
	t.Helper()
	r := gqlDo(t, db, tn.viewer(), outboxQuery, vars)
	wantCodes(t, r)
	if strings.Contains(dataOf(r), "TOKEN-NEVER-LISTED") {
		t.Fatalf("the outbox shows a message's text: %s", dataOf(r))
	}
	var c outboxConn
	dataField(t, r, "outboxMessages", &c)
	return c
}

func TestOutboxMessagesListsTheOrganizationsMailForAdministrators(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, b := newTenant(t, db.Client, "acme"), newTenant(t, db.Client, "bravo")
		clk := clock.NewFake(time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC))
		ms := fillOutbox(t, db, a, clk)
		fillOutbox(t, db, b, clk)

		all := listOutbox(t, db, a, nil)
		if all.TotalCount != 4 || len(all.Edges) != 4 || all.PageInfo.HasNextPage {
			t.Fatalf("all: %+v", all)
		}
		byKind := map[string]outboxNode{}
		var order []string
		for _, e := range all.Edges {
			byKind[e.Node.Kind] = e.Node
			order = append(order, e.Node.Kind)
			if e.Node.ID != string(ms[e.Node.Kind].ID) {
				t.Errorf("%s: id %s is not the other organization's or a stranger's", e.Node.Kind, e.Node.ID)
			}
		}
		if strings.Join(order, ",") != "unknown,flaky,obsolete,invitation" {
			t.Errorf("order %v, want newest first", order)
		}
		inv := byKind["invitation"]
		if inv.Status != "DELIVERED" || inv.DeliveredAt == nil || inv.Recipient == nil || *inv.Recipient != a.admin.Email ||
			inv.LastError != nil || inv.NextAttemptAt != nil || inv.Attempts != 0 {
			t.Errorf("invitation: %+v", inv)
		}
		if ob := byKind["obsolete"]; ob.Status != "DELIVERED" || ob.Recipient != nil || ob.LastError == nil {
			t.Errorf("obsolete: %+v", ob)
		}
		fl := byKind["flaky"]
		if fl.Status != "PENDING" || fl.Attempts != 1 || fl.NextAttemptAt == nil || !fl.NextAttemptAt.After(clk.Now()) ||
			fl.LastError == nil || !strings.Contains(*fl.LastError, "template unavailable") {
			t.Errorf("flaky: %+v", fl)
		}
		if un := byKind["unknown"]; un.Status != "DEAD" || un.DeadAt == nil || un.LastError == nil || un.NextAttemptAt != nil {
			t.Errorf("unknown: %+v", un)
		}

		for status, want := range map[string]string{"DELIVERED": "obsolete,invitation", "PENDING": "flaky", "DEAD": "unknown"} {
			c := listOutbox(t, db, a, map[string]any{"status": status})
			var kinds []string
			for _, e := range c.Edges {
				kinds = append(kinds, e.Node.Kind)
			}
			if strings.Join(kinds, ",") != want || c.TotalCount != len(kinds) {
				t.Errorf("%s: %v (total %d), want %s", status, kinds, c.TotalCount, want)
			}
		}

		p1 := listOutbox(t, db, a, map[string]any{"first": 3})
		if len(p1.Edges) != 3 || !p1.PageInfo.HasNextPage || p1.TotalCount != 4 || p1.PageInfo.EndCursor == nil {
			t.Fatalf("page 1: %+v", p1)
		}
		p2 := listOutbox(t, db, a, map[string]any{"first": 3, "after": *p1.PageInfo.EndCursor})
		if len(p2.Edges) != 1 || p2.PageInfo.HasNextPage || p2.Edges[0].Node.Kind != "invitation" {
			t.Errorf("page 2: %+v", p2)
		}
	})
}

func TestOutboxMessagesRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db.Client, "acme")
		clk := clock.NewFake(time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC))
		fillOutbox(t, db, a, clk)

		for name, u := range map[string]*ent.User{
			"an inviter without org.settings.manage": addUser(t, db.Client, a.org.ID, "inviter@acme.test", user.KindStaff,
				addRole(t, db.Client, a.org.ID, "Inviter", authz.UsersInvite, authz.UsersManage)),
			"an auditor":     addUser(t, db.Client, a.org.ID, "auditor@acme.test", user.KindStaff, addRole(t, db.Client, a.org.ID, "Auditor", authz.AuditView)),
			"a staff member": addUser(t, db.Client, a.org.ID, "staff@acme.test", user.KindStaff),
			"a portal user":  addUser(t, db.Client, a.org.ID, "parent@acme.test", user.KindPortal),
		} {
			r := gqlDo(t, db, viewerOf(t, db.Client, u), outboxQuery, nil)
			wantCodes(t, r, "FORBIDDEN")
			if s := string(r.Data["outboxMessages"]); s != "" && s != "null" {
				t.Errorf("%s: outboxMessages = %s", name, s)
			}
		}

		// Another organization's administrator sees none of these.
		b := newTenant(t, db.Client, "bravo")
		if c := listOutbox(t, db, b, nil); c.TotalCount != 0 || len(c.Edges) != 0 {
			t.Errorf("bravo sees %+v", c)
		}

		// Bad input names its argument.
		for _, tc := range []struct {
			vars  map[string]any
			field string
		}{
			{map[string]any{"first": 101}, "first"},
			{map[string]any{"first": -1}, "first"},
		} {
			r := gqlDo(t, db, a.viewer(), outboxQuery, tc.vars)
			wantCodes(t, r, "BAD_USER_INPUT")
			if f, _ := r.Errors[0].Extensions["field"].(string); f != tc.field {
				t.Errorf("%v: field %q, want %q", tc.vars, f, tc.field)
			}
		}
		// An unknown status, and the payload, are not in the schema.
		for _, q := range []string{
			`{ outboxMessages(status: SENT) { totalCount } }`,
			`{ outboxMessages { edges { node { payload } } } }`,
		} {
			if r := gqlDo(t, db, a.viewer(), q, nil); len(r.Errors) == 0 {
				t.Errorf("%s: accepted", q)
			}
		}
	})
}
