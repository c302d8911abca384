package mail_test

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"

	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/mail"
	"github.com/clinicgate/clinicgate/internal/mail/mailtest"
)

var when = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

func ctxAt() context.Context { return clock.NewContext(context.Background(), clock.NewFake(when)) }

func sender(t *testing.T, s *mailtest.Server, mode, user, pass string) *mail.SMTP {
	t.Helper()
	m, err := mail.NewSMTP(mail.SMTPConfig{
		Host: s.Host, Port: s.Port, TLS: mode, Username: user, Password: pass,
		From: "Clinicgate <no-reply@clinic.test>", Timeout: 5 * time.Second, TLSConfig: s.ClientTLS,
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func only(t *testing.T, s *mailtest.Server) (mailtest.Received, *netmail.Message) {
	t.Helper()
	got := s.Messages()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(got[0].Data))
	if err != nil {
		t.Fatalf("not an RFC 5322 message: %v\n%s", err, got[0].Data)
	}
	return got[0], msg
}

func qpBody(t *testing.T, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(quotedprintable.NewReader(r))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSMTPDeliversOverSTARTTLSWithPlainAuthAProperMessage(t *testing.T) {
	s := mailtest.Start(t, mailtest.Options{StartTLS: true, Username: "relay", Password: "s3cret"})
	text := "Bonjour Zoë,\n\nYour invitation: https://clinic.test/auth/invite?t=" + strings.Repeat("x", 100) + "\n"
	err := sender(t, s, mail.StartTLS, "relay", "s3cret").Send(ctxAt(), mail.Message{
		To: "Zoë Martin <zoe@example.org>", Subject: "Invitation à rejoindre Clinique Été", Text: text,
	})
	if err != nil {
		t.Fatal(err)
	}
	rec, msg := only(t, s)
	if !rec.TLS || rec.Username != "relay" {
		t.Errorf("TLS %v, authenticated as %q; want TLS as relay", rec.TLS, rec.Username)
	}
	if rec.From != "no-reply@clinic.test" || len(rec.To) != 1 || rec.To[0] != "zoe@example.org" {
		t.Errorf("envelope %s → %v", rec.From, rec.To)
	}
	h := msg.Header
	var dec mime.WordDecoder
	subj, err := dec.DecodeHeader(h.Get("Subject"))
	if err != nil || subj != "Invitation à rejoindre Clinique Été" {
		t.Errorf("subject %q (%v), raw %q", subj, err, h.Get("Subject"))
	}
	if !strings.HasPrefix(h.Get("Subject"), "=?utf-8?q?") {
		t.Errorf("subject not RFC 2047 encoded: %q", h.Get("Subject"))
	}
	if d, err := h.Date(); err != nil || !d.Equal(when) {
		t.Errorf("date %v (%v), want the clock's %v", d, err, when)
	}
	if from, err := h.AddressList("From"); err != nil || from[0].Address != "no-reply@clinic.test" || from[0].Name != "Clinicgate" {
		t.Errorf("from %v (%v)", from, err)
	}
	if to, err := h.AddressList("To"); err != nil || to[0].Address != "zoe@example.org" || to[0].Name != "Zoë Martin" {
		t.Errorf("to %v (%v)", to, err)
	}
	if id := h.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@clinic.test>") {
		t.Errorf("message id %q", id)
	}
	if h.Get("MIME-Version") != "1.0" || h.Get("Content-Type") != "text/plain; charset=utf-8" ||
		h.Get("Content-Transfer-Encoding") != "quoted-printable" {
		t.Errorf("MIME headers %v", h)
	}
	for _, line := range strings.Split(string(rec.Data), "\r\n") {
		if len(line) > 78 {
			t.Errorf("line longer than 78 characters: %q", line)
		}
	}
	if body := qpBody(t, msg.Body); body != strings.ReplaceAll(text, "\n", "\r\n") {
		t.Errorf("body %q, want %q", body, text)
	}
}

func TestSMTPFallsBackToLoginAuth(t *testing.T) {
	s := mailtest.Start(t, mailtest.Options{StartTLS: true, Username: "relay", Password: "pw", Mechanisms: []string{sasl.Login}})
	if err := sender(t, s, mail.StartTLS, "relay", "pw").Send(ctxAt(), mail.Message{To: "a@b.test", Subject: "s", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	if rec, _ := only(t, s); rec.Username != "relay" {
		t.Errorf("authenticated as %q", rec.Username)
	}
}

func TestSMTPWithWrongPasswordFailsAndNeverPrintsIt(t *testing.T) {
	s := mailtest.Start(t, mailtest.Options{StartTLS: true, Username: "relay", Password: "right"})
	err := sender(t, s, mail.StartTLS, "relay", "wrong-horse").Send(ctxAt(), mail.Message{To: "a@b.test", Subject: "s", Text: "t"})
	if err == nil {
		t.Fatal("sent with a wrong password")
	}
	if strings.Contains(err.Error(), "wrong-horse") {
		t.Errorf("the error shows the password: %v", err)
	}
	if n := len(s.Messages()); n != 0 {
		t.Errorf("%d messages received", n)
	}
}

func TestSMTPStartTLSRequiredRefusesAServerWithoutIt(t *testing.T) {
	s := mailtest.Start(t, mailtest.Options{})
	err := sender(t, s, mail.StartTLS, "", "").Send(ctxAt(), mail.Message{To: "a@b.test", Subject: "s", Text: "secret link"})
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("error %v, want a STARTTLS refusal", err)
	}
	if s.Attempts() != 0 {
		t.Error("the message was offered in plain text")
	}
}

func TestSMTPStartTLSRefusesAnUntrustedCertificate(t *testing.T) {
	s := mailtest.Start(t, mailtest.Options{StartTLS: true})
	s.ClientTLS = nil // the system roots do not trust the test's certificate
	if err := sender(t, s, mail.StartTLS, "", "").Send(ctxAt(), mail.Message{To: "a@b.test", Subject: "s", Text: "t"}); err == nil {
		t.Fatal("sent to a server whose certificate is not trusted")
	}
}

func TestSMTPImplicitTLS(t *testing.T) {
	s := mailtest.Start(t, mailtest.Options{ImplicitTLS: true, Username: "u", Password: "p"})
	if err := sender(t, s, mail.ImplicitTLS, "u", "p").Send(ctxAt(), mail.Message{To: "a@b.test", Subject: "s", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	if rec, _ := only(t, s); !rec.TLS {
		t.Error("not encrypted")
	}
}

func TestSMTPPlainToLoopbackWithAuth(t *testing.T) {
	s := mailtest.Start(t, mailtest.Options{})
	if err := sender(t, s, mail.NoTLS, "", "").Send(ctxAt(), mail.Message{To: "a@b.test", Subject: "s", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	only(t, s)
}

func TestSMTPHTMLMakesMultipartAlternative(t *testing.T) {
	s := mailtest.Start(t, mailtest.Options{})
	err := sender(t, s, mail.NoTLS, "", "").Send(ctxAt(), mail.Message{
		To: "a@b.test", Subject: "Welcome", Text: "plain café", HTML: "<p>rich café</p>",
	})
	if err != nil {
		t.Fatal(err)
	}
	_, msg := only(t, s)
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q (%v)", mt, err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	want := []struct{ typ, body string }{{"text/plain", "plain café"}, {"text/html", "<p>rich café</p>"}}
	for _, w := range want {
		p, err := mr.NextRawPart()
		if err != nil {
			t.Fatal(err)
		}
		if ct := p.Header.Get("Content-Type"); ct != w.typ+"; charset=utf-8" {
			t.Errorf("part type %q", ct)
		}
		if got := qpBody(t, p); got != w.body {
			t.Errorf("part %s %q, want %q", w.typ, got, w.body)
		}
	}
	if _, err := mr.NextPart(); err != io.EOF {
		t.Errorf("more parts than text and HTML: %v", err)
	}
}

func TestSMTPRefusedConnectionIsAnError(t *testing.T) {
	s := mailtest.Start(t, mailtest.Options{})
	m := sender(t, s, mail.NoTLS, "", "")
	s.Close()
	if err := m.Send(ctxAt(), mail.Message{To: "a@b.test", Subject: "s", Text: "t"}); err == nil {
		t.Fatal("no error from a closed server")
	}
}

func TestSMTPServerRefusalIsAnError(t *testing.T) {
	s := mailtest.Start(t, mailtest.Options{})
	s.Fail(554)
	if err := sender(t, s, mail.NoTLS, "", "").Send(ctxAt(), mail.Message{To: "a@b.test", Subject: "s", Text: "t"}); err == nil {
		t.Fatal("no error from a refusing server")
	}
}

func TestNewSMTPRefusesABadConfiguration(t *testing.T) {
	for name, cfg := range map[string]mail.SMTPConfig{
		"no host":  {Port: 25, From: "a@b.test"},
		"bad port": {Host: "h", Port: 70000, From: "a@b.test"},
		"bad mode": {Host: "h", Port: 25, TLS: "ssl", From: "a@b.test"},
		"bad from": {Host: "h", Port: 25, From: "not an address"},
	} {
		if _, err := mail.NewSMTP(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestBuildRefusesAHeaderInjection(t *testing.T) {
	from, _ := mail.ParseAddress("a@b.test")
	if _, err := mail.Build(from, mail.Message{To: "c@d.test", Subject: "hi\r\nBcc: x@y.test"}, when); err == nil {
		t.Error("a subject with a line break was accepted")
	}
	if _, err := mail.Build(from, mail.Message{To: "c@d.test\r\nBcc: x@y.test", Subject: "hi"}, when); err == nil {
		t.Error("a recipient with a line break was accepted")
	}
}

func TestConsolePrintsTheMessage(t *testing.T) {
	var b bytes.Buffer
	if err := mail.NewConsole(&b).Send(ctxAt(), mail.Message{To: "a@b.test", Subject: "Your link", Text: "https://x.test/t"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"To:      a@b.test", "Subject: Your link", "https://x.test/t"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("console output lacks %q:\n%s", want, b.String())
		}
	}
}
