package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/config"
	"github.com/clinicgate/clinicgate/internal/demo"
	"github.com/clinicgate/clinicgate/internal/mail"
	"github.com/clinicgate/clinicgate/internal/outbox"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// An invitation travels the whole way as the server wires it: the
// administrator's mutation, the outbox worker with the server's renderers
// printing the mail, the link to the accept page, acceptance with a chosen
// password, and a sign-in with it.
func TestAnInvitationTravelsFromTheMutationToASignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := clock.NewFake(time.Date(2031, 5, 6, 7, 0, 0, 0, time.UTC))
		const pw = "correct horse battery staple"
		cheap := password.Hasher{Params: password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32}}
		if _, err := demo.Seed(ctx, db.Client, demo.Params{Password: pw, Clock: clk, Hasher: cheap}); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(flag.NewFlagSet("serve", flag.ContinueOnError), nil, env(sqliteEnv(t)))
		if err != nil {
			t.Fatal(err)
		}
		api, _ := newHandlers(db, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), clk)
		srv := httptest.NewServer(api)
		defer srv.Close()
		cfg.PublicURL = srv.URL
		var printed bytes.Buffer
		worker := outbox.NewWorker(db.Client, renderers(cfg), mail.NewConsole(&printed), clk, slog.New(slog.NewTextHandler(io.Discard, nil)), outbox.Options{})

		call := func(path, tok string, body any) (int, map[string]any) { return postJSON(t, srv.URL+path, tok, body) }
		gql := func(tok, q string, vars map[string]any) map[string]any {
			t.Helper()
			_, out := call("/graphql", tok, map[string]any{"query": q, "variables": vars})
			if out["errors"] != nil {
				t.Fatalf("%s: %v", q, out["errors"])
			}
			return out["data"].(map[string]any)
		}
		_, login := call("/auth/login", "", map[string]string{"organization": "demo", "email": "admin@demo.clinic", "password": pw})
		admin, _ := login["token"].(string)
		if admin == "" {
			t.Fatalf("admin sign-in: %v", login)
		}
		data := gql(admin, `{ roles { edges { node { id builtin } } } clients(first: 1) { edges { node { id } } } }`, nil)
		var clinician string
		for _, e := range data["roles"].(map[string]any)["edges"].([]any) {
			n := e.(map[string]any)["node"].(map[string]any)
			if n["builtin"] == "CLINICIAN" {
				clinician = n["id"].(string)
			}
		}
		client := data["clients"].(map[string]any)["edges"].([]any)[0].(map[string]any)["node"].(map[string]any)["id"].(string)
		gql(admin, `mutation($in: InviteUserInput!) { inviteUser(input: $in) { invitation { id } } }`, map[string]any{"in": map[string]any{
			"email": "another.clinician@demo.clinic", "roleIds": []string{clinician}, "clientIds": []string{client},
		}})

		// The demo's own pending invitation and this one.
		if n, err := worker.RunOnce(ctx); err != nil || n != 2 {
			t.Fatalf("worker delivered %d (%v), want the two invitations", n, err)
		}
		mails := printed.String()
		i := strings.Index(mails, "To:      another.clinician@demo.clinic")
		if i < 0 {
			t.Fatalf("no mail to the invitee:\n%s", mails)
		}
		link := regexp.MustCompile(regexp.QuoteMeta(srv.URL+"/accept-invitation?token=") + `[^\s]+`).FindString(mails[i:])
		if link == "" {
			t.Fatalf("no accept link in the mail:\n%s", printed.String())
		}
		res, err := http.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(page), "/auth/invitation/accept") {
			t.Fatalf("accept page: %d", res.StatusCode)
		}
		token := link[strings.Index(link, "token=")+len("token="):]
		const chosen = "a-Chosen-password-of-mine-42"
		if status, out := call("/auth/invitation/accept", "", map[string]string{"token": token, "password": chosen}); status != http.StatusOK {
			t.Fatalf("accept: %d %v", status, out)
		}
		if status, out := call("/auth/invitation/accept", "", map[string]string{"token": token, "password": chosen}); status < 400 {
			t.Errorf("the link worked twice: %d %v", status, out)
		}
		status, signin := call("/auth/login", "", map[string]string{"organization": "demo", "email": "another.clinician@demo.clinic", "password": chosen})
		tok, _ := signin["token"].(string)
		if status != http.StatusOK || tok == "" {
			t.Fatalf("sign-in with the chosen password: %d %v", status, signin)
		}
		reached := gql(tok, `{ clients { totalCount } }`, nil)
		if n := reached["clients"].(map[string]any)["totalCount"]; n != float64(1) {
			t.Errorf("the new clinician reaches %v clients, want the one invited to", n)
		}
	})
}
