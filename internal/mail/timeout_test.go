package mail_test

import (
	"net"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/internal/mail"
)

// A server that accepts the connection and then says nothing (or stops
// mid-conversation) cannot hold a delivery past its Timeout: the outbox
// worker gets an error and retries later.
func TestSMTPGivesUpOnASilentServerAfterItsTimeout(t *testing.T) {
	for _, tt := range []struct {
		name string
		talk func(c net.Conn)
	}{
		{"no greeting", func(net.Conn) {}},
		{"a greeting, then silence", func(c net.Conn) { c.Write([]byte("220 localhost ESMTP\r\n")) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					tt.talk(c)
					defer c.Close() // held open, silent, until the test ends
				}
			}()
			port := ln.Addr().(*net.TCPAddr).Port
			const timeout = 300 * time.Millisecond
			s, err := mail.NewSMTP(mail.SMTPConfig{Host: "127.0.0.1", Port: port, TLS: mail.NoTLS,
				From: "no-reply@clinic.test", Timeout: timeout})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			err = s.Send(ctxAt(), mail.Message{To: "a@b.test", Subject: "s", Text: "t"})
			if took := time.Since(start); err == nil || took > timeout+time.Second {
				t.Fatalf("Send = %v after %s, want an error within %s", err, took, timeout)
			}
		})
	}
}
