// Package passkey is the WebAuthn second factor: a user registers passkeys
// and security keys (begin/finish registration), lists, renames and removes
// them, and verifies a session with one (begin/finish verification). The
// relying party is the server's PUBLIC_URL: its host is the RP id, its
// origin the only origin accepted. Every ceremony's challenge is a row of
// its own (WebAuthnChallenge), bound to the session that began it, spent by
// the finish that answers it and refused after ChallengeTTL. Writes go
// through the mfa concern's actions (authz.EnrollOwnFactor,
// VerifyOwnFactor, ManageOwnFactors) and are audited in their transaction.
package passkey

import (
	"fmt"
	"net/url"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// ChallengeTTL is how long a begun ceremony may be finished.
const ChallengeTTL = 5 * time.Minute

// DefaultName names a passkey registered without a name.
const DefaultName = "Passkey"

// Config is the relying party.
type Config struct {
	// PublicURL is the server's public URL (internal/config PublicURL):
	// the RP id is its host (no port), the accepted origin its
	// scheme://host[:port].
	PublicURL string
	// DisplayName is the relying party's name authenticators may show.
	// Default "clinicgate".
	DisplayName string
}

// Service runs the ceremonies of one relying party.
type Service struct {
	wa     *webauthn.WebAuthn
	rpID   string
	origin string
}

// New returns the service of cfg's relying party.
func New(cfg Config) (*Service, error) {
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return nil, fmt.Errorf("passkey: public URL %q is not an http(s) URL with a host", cfg.PublicURL)
	}
	name := cfg.DisplayName
	if name == "" {
		name = "clinicgate"
	}
	origin := u.Scheme + "://" + u.Host
	wa, err := webauthn.New(&webauthn.Config{
		RPID:          u.Hostname(),
		RPDisplayName: name,
		RPOrigins:     []string{origin},
		// "none": the server does not judge authenticator models, so it
		// asks for no attestation it would not check.
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementPreferred,
			UserVerification: protocol.VerificationPreferred,
		},
		// The ceremony timeout shown to the browser; expiry itself is
		// enforced on the challenge row with the request's clock.
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: ChallengeTTL, TimeoutUVD: ChallengeTTL},
			Registration: webauthn.TimeoutConfig{Timeout: ChallengeTTL, TimeoutUVD: ChallengeTTL},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("passkey: relying party: %w", err)
	}
	return &Service{wa: wa, rpID: u.Hostname(), origin: origin}, nil
}

// RPID is the relying party id (the public URL's host).
func (s *Service) RPID() string { return s.rpID }

// Origin is the one origin ceremonies are accepted from.
func (s *Service) Origin() string { return s.origin }
