package passkey_test

import (
	"context"
	"testing"

	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/passkey"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

func TestTheRelyingPartyIsThePublicURL(t *testing.T) {
	for _, c := range []struct{ url, rpID, origin string }{
		{"https://id.example.org", "id.example.org", "https://id.example.org"},
		{"https://id.example.org:8443/base", "id.example.org", "https://id.example.org:8443"},
		{"http://localhost:8080", "localhost", "http://localhost:8080"},
	} {
		s, err := passkey.New(passkey.Config{PublicURL: c.url})
		if err != nil {
			t.Fatalf("%s: %v", c.url, err)
		}
		if s.RPID() != c.rpID || s.Origin() != c.origin {
			t.Errorf("%s: RP id %q origin %q, want %q %q", c.url, s.RPID(), s.Origin(), c.rpID, c.origin)
		}
	}
}

func TestAPublicURLWithoutAHostIsRefused(t *testing.T) {
	for _, u := range []string{"", "localhost:8080", "ftp://id.example.org", "https://"} {
		if _, err := passkey.New(passkey.Config{PublicURL: u}); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
}

// Without a signed-in user (anonymous, or the server acting for an
// organization) there is no ceremony: nothing is read or written.
func TestCeremoniesNeedASignedInUser(t *testing.T) {
	s, err := passkey.New(passkey.Config{PublicURL: "https://id.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	for name, ctx := range map[string]context.Context{
		"anonymous": context.Background(),
		"system":    viewer.ForSystem(context.Background(), "org_01HZZZZZZZZZZZZZZZZZZZZZZZ"),
	} {
		// A nil client: reaching the database would panic.
		if _, err := s.BeginRegistration(ctx, nil); apperr.KindOf(err) != apperr.Unauthenticated {
			t.Errorf("%s: begin registration: %v", name, err)
		}
		if _, err := s.FinishVerification(ctx, nil, []byte("{}")); apperr.KindOf(err) != apperr.Unauthenticated {
			t.Errorf("%s: finish verification: %v", name, err)
		}
		if err := passkey.Remove(ctx, nil, "wac_01HZZZZZZZZZZZZZZZZZZZZZZZ"); apperr.KindOf(err) != apperr.Unauthenticated {
			t.Errorf("%s: remove: %v", name, err)
		}
	}
}
