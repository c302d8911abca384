package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/quotedprintable"
	"net/http"
	netmail "net/mail"
	"regexp"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent/auditevent"
	"github.com/clinicgate/clinicgate/internal/config"
	"github.com/clinicgate/clinicgate/internal/mail"
	"github.com/clinicgate/clinicgate/internal/mail/mailtest"
	"github.com/clinicgate/clinicgate/internal/outbox"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

var resetLink = regexp.MustCompile(`/reset-password\?token=([A-Za-z0-9_%-]+)`)

// A user asks for a reset link, receives it by SMTP, sets a new password
// with it once; their other sessions end, the old password stops working,
// the link does not work twice, and an unknown account gets the same
// answer and no mail.
func TestSelfServicePasswordResetByEmailedLink(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newMFAServer(t, db)
		smtp := mailtest.Start(t, mailtest.Options{})
		sender, err := mail.NewSMTP(mail.SMTPConfig{Host: smtp.Host, Port: smtp.Port, TLS: "none", From: "no-reply@demo.clinic"})
		if err != nil {
			t.Fatal(err)
		}
		worker := outbox.NewWorker(db.Client, renderers(config.Config{PublicURL: s.url}), sender, s.clk,
			slog.New(slog.NewTextHandler(io.Discard, nil)), outbox.Options{})
		ctx := context.Background()

		if _, err := worker.RunOnce(ctx); err != nil { // the demo's own invitation
			t.Fatal(err)
		}
		drained := len(smtp.Messages())
		old := s.signIn("clinician@demo.clinic")
		ask := func(email string) response {
			return request(t, http.MethodPost, s.url+"/auth/password/reset/request", "", map[string]string{"organization": "demo", "email": email})
		}
		unknown, known := ask("nobody@demo.clinic"), ask("Clinician@demo.clinic")
		if unknown.status != http.StatusAccepted || known.status != http.StatusAccepted || unknown.raw != known.raw {
			t.Fatalf("answers differ: unknown %d %s, known %d %s", unknown.status, unknown.raw, known.status, known.raw)
		}
		if n, err := worker.RunOnce(ctx); err != nil || n != 1 {
			t.Fatalf("worker sent %d (%v), want the one reset mail", n, err)
		}
		msgs := smtp.Messages()[drained:]
		if len(msgs) != 1 || msgs[0].To[0] != "clinician@demo.clinic" {
			t.Fatalf("mails: %+v", msgs)
		}
		m := resetLink.FindStringSubmatch(decoded(t, msgs[0].Data))
		if m == nil {
			t.Fatalf("no reset link in %s", msgs[0].Data)
		}
		tok := m[1]
		set := func(pw string) response {
			return request(t, http.MethodPost, s.url+"/auth/password/reset", "", map[string]string{"token": tok, "password": pw})
		}
		if r := set("short"); r.status != http.StatusBadRequest || r.code() != "weak_password" {
			t.Fatalf("weak password: %d %s", r.status, r.raw)
		}
		const fresh = "a much better passphrase 42"
		if r := set(fresh); r.status != http.StatusOK {
			t.Fatalf("reset: %d %s", r.status, r.raw)
		}
		if r := set("yet another passphrase 43"); r.status != http.StatusGone || r.code() != "invalid_reset_link" {
			t.Fatalf("second use: %d %s", r.status, r.raw)
		}
		s.refused(old, "UNAUTHENTICATED", qClients, nil)
		if r := request(t, http.MethodPost, s.url+"/auth/login", "", map[string]string{"organization": "demo", "email": "clinician@demo.clinic", "password": demoPassword}); r.status != http.StatusUnauthorized {
			t.Errorf("old password: %d", r.status)
		}
		if r := request(t, http.MethodPost, s.url+"/auth/login", "", map[string]string{"organization": "demo", "email": "clinician@demo.clinic", "password": fresh}); r.status != http.StatusOK {
			t.Errorf("new password: %d %s", r.status, r.raw)
		}
		if n, _ := db.AuditEvent.Query().Where(auditevent.Action("auth.password_reset")).Count(s.allow()); n != 1 {
			t.Errorf("auth.password_reset events = %d", n)
		}
		// A link past its hour does not work.
		s.clk.Advance(3 * time.Minute)
		ask("clinician@demo.clinic")
		if n, err := worker.RunOnce(ctx); err != nil || n != 1 {
			t.Fatalf("second mail: %d %v", n, err)
		}
		tok = resetLink.FindStringSubmatch(decoded(t, smtp.Messages()[drained+1].Data))[1]
		s.clk.Advance(61 * time.Minute)
		if r := set("an expired link passphrase"); r.status != http.StatusGone {
			t.Errorf("expired link: %d %s", r.status, r.raw)
		}
	})
}

// decoded is a mail's body as text (quoted-printable undone).
func decoded(t *testing.T, data []byte) string {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
