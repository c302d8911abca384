package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/clinicgate/clinicgate/internal/config"
	"github.com/clinicgate/clinicgate/internal/mail"
)

func TestWithoutSMTPHostMailIsPrintedOnStdout(t *testing.T) {
	var out, logs bytes.Buffer
	s, err := newSender(config.Config{}, &out, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), mail.Message{To: "ana@example.org", Subject: "Invitation", Text: "https://x.test/accept"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "https://x.test/accept") || !strings.Contains(logs.String(), "SMTP_HOST") {
		t.Errorf("stdout %q, log %q", out.String(), logs.String())
	}
}

func TestWithSMTPHostMailIsSentBySMTPAndThePasswordIsNotLogged(t *testing.T) {
	var out, logs bytes.Buffer
	cfg := config.Config{SMTPHost: "smtp.example.org", SMTPPort: 587, SMTPTLS: "starttls",
		SMTPUsername: "relay", SMTPPassword: "hunter2-smtp", MailFrom: "clinicgate <no-reply@example.org>"}
	s, err := newSender(cfg, &out, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*mail.SMTP); !ok {
		t.Errorf("sender %T, want SMTP", s)
	}
	if strings.Contains(logs.String(), "hunter2") || out.Len() != 0 {
		t.Errorf("log %q, stdout %q", logs.String(), out.String())
	}
}
