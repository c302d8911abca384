package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/clinicgate/clinicgate/internal/clock"
)

// TLS modes of an SMTP connection.
const (
	// StartTLS upgrades the connection with STARTTLS and refuses a server
	// that does not offer it (submission, port 587).
	StartTLS = "starttls"
	// ImplicitTLS speaks TLS from the first byte (SMTPS, port 465).
	ImplicitTLS = "tls"
	// NoTLS speaks plain text: only to a relay on the same host or a
	// development server. Credentials are then sent only to a loopback
	// address.
	NoTLS = "none"
)

// SMTPConfig is where and how the SMTP Sender submits mail.
type SMTPConfig struct {
	Host string
	Port int
	// TLS is StartTLS (the default when empty), ImplicitTLS or NoTLS.
	TLS string
	// Username and Password, when Username is set, authenticate with
	// PLAIN, or LOGIN when the server offers only that. Password is never
	// logged nor put in an error.
	Username, Password string
	// From is the sender, "Name <address>" or an address.
	From string
	// Timeout bounds one whole delivery: connecting, the conversation and
	// the message (default 30s).
	Timeout time.Duration
	// TLSConfig, when set, is used for TLS (tests trust their own
	// certificate with it); its ServerName defaults to Host.
	TLSConfig *tls.Config
}

// SMTP is the production Sender: one SMTP submission per message.
type SMTP struct {
	cfg  SMTPConfig
	from *mail.Address
}

// NewSMTP checks cfg and returns its Sender.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if cfg.Host == "" {
		return nil, errors.New("mail: SMTP needs a host")
	}
	if cfg.Port <= 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("mail: SMTP port %d is not a port", cfg.Port)
	}
	switch cfg.TLS {
	case "":
		cfg.TLS = StartTLS
	case StartTLS, ImplicitTLS, NoTLS:
	default:
		return nil, fmt.Errorf("mail: SMTP TLS mode %q is not one of starttls, tls, none", cfg.TLS)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	from, err := ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("mail: from: %w", err)
	}
	return &SMTP{cfg: cfg, from: from}, nil
}

// Send implements Sender.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	to, err := ParseAddress(m.To)
	if err != nil {
		return err
	}
	body, err := Build(s.from, m, clock.Now(ctx))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	c, err := s.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	// The connection ends with ctx, whatever it is waiting for.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := s.auth(c); err != nil {
		return err
	}
	if err := c.SendMail(s.from.Address, []string{to.Address}, bytesReader(body)); err != nil {
		return fmt.Errorf("mail: smtp: %w", err)
	}
	if err := c.Quit(); err != nil && ctx.Err() == nil {
		// The message was accepted: a failing QUIT does not undo it.
		return nil
	}
	return nil
}

func (s *SMTP) dial(ctx context.Context) (*smtp.Client, error) {
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	d := net.Dialer{Timeout: s.cfg.Timeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mail: smtp: connect: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	tc := s.tlsConfig()
	var c *smtp.Client
	switch s.cfg.TLS {
	case ImplicitTLS:
		c = smtp.NewClient(tls.Client(conn, tc))
	case StartTLS:
		c, err = smtp.NewClientStartTLS(conn, tc)
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("mail: smtp: STARTTLS, which SMTP_TLS=starttls requires: %w", err)
		}
		c.CommandTimeout, c.SubmissionTimeout = s.cfg.Timeout, s.cfg.Timeout
		return c, nil
	default:
		c = smtp.NewClient(conn)
	}
	c.CommandTimeout, c.SubmissionTimeout = s.cfg.Timeout, s.cfg.Timeout
	return c, nil
}

func (s *SMTP) tlsConfig() *tls.Config {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.cfg.TLSConfig != nil {
		tc = s.cfg.TLSConfig.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = s.cfg.Host
	}
	return tc
}

func (s *SMTP) auth(c *smtp.Client) error {
	if s.cfg.Username == "" {
		return nil
	}
	if _, encrypted := c.TLSConnectionState(); !encrypted && !isLoopback(s.cfg.Host) {
		return errors.New("mail: smtp: refusing to send credentials over an unencrypted connection (SMTP_TLS=none to a host that is not this one)")
	}
	var a sasl.Client
	switch {
	case c.SupportsAuth(sasl.Plain):
		a = sasl.NewPlainClient("", s.cfg.Username, s.cfg.Password)
	case c.SupportsAuth(sasl.Login):
		a = sasl.NewLoginClient(s.cfg.Username, s.cfg.Password)
	default:
		return errors.New("mail: smtp: the server offers neither PLAIN nor LOGIN authentication")
	}
	if err := c.Auth(a); err != nil {
		return fmt.Errorf("mail: smtp: authentication as %q refused: %w", s.cfg.Username, err)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
