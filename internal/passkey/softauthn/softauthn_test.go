package softauthn_test

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/go-webauthn/webauthn/protocol"

	"github.com/clinicgate/clinicgate/internal/passkey/softauthn"
)

var b64 = base64.RawURLEncoding

const creation = `{"publicKey":{"challenge":"Y2hhbGxlbmdlLW9uZQ","rp":{"id":"localhost","name":"t"},
	"user":{"id":"dXNyXzE","name":"ada"},"pubKeyCredParams":[{"type":"public-key","alg":-7}]}}`

// The answers parse as a relying party's library parses a browser's, and
// the assertion's signature verifies with the registered key over
// authenticatorData ‖ SHA-256(clientDataJSON).
func TestAnswersAreWhatABrowserSends(t *testing.T) {
	a := softauthn.New("http://localhost:8080")
	out, cred, err := a.Create([]byte(creation))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := protocol.ParseCredentialCreationResponseBytes(out)
	if err != nil {
		t.Fatalf("registration does not parse: %v\n%s", err, out)
	}
	auth := reg.Response.AttestationObject.AuthData
	if reg.Response.CollectedClientData.Challenge != "Y2hhbGxlbmdlLW9uZQ" || reg.Response.CollectedClientData.Origin != "http://localhost:8080" ||
		!auth.Flags.UserPresent() || !auth.Flags.UserVerified() || !auth.Flags.HasAttestedCredentialData() ||
		string(auth.AttData.CredentialID) != string(cred.ID) || reg.Response.AttestationObject.Format != "none" {
		t.Fatalf("registration %+v", reg.Response)
	}
	rp := sha256.Sum256([]byte("localhost"))
	if string(auth.RPIDHash) != string(rp[:]) {
		t.Error("rpIdHash is not SHA-256 of the RP id")
	}

	request := `{"publicKey":{"challenge":"dHdv","rpId":"localhost","allowCredentials":[{"type":"public-key","id":"` + b64.EncodeToString(cred.ID) + `"}]}}`
	for want := uint32(1); want <= 2; want++ {
		out, err := a.Get([]byte(request))
		if err != nil {
			t.Fatal(err)
		}
		as, err := protocol.ParseCredentialRequestResponseBytes(out)
		if err != nil {
			t.Fatalf("assertion does not parse: %v\n%s", err, out)
		}
		if as.Response.AuthenticatorData.Counter != want || string(as.Response.UserHandle) != "usr_1" {
			t.Errorf("counter %d handle %q", as.Response.AuthenticatorData.Counter, as.Response.UserHandle)
		}
		h := sha256.Sum256(as.Raw.AssertionResponse.ClientDataJSON)
		digest := sha256.Sum256(append(append([]byte{}, as.Raw.AssertionResponse.AuthenticatorData...), h[:]...))
		if !ecdsa.VerifyASN1(&cred.Key.PublicKey, digest[:], as.Response.Signature) {
			t.Error("the signature does not verify")
		}
	}
}

func TestTheKnobsChangeWhatIsSigned(t *testing.T) {
	a := softauthn.New("http://localhost:8080")
	_, cred, err := a.Create([]byte(creation))
	if err != nil {
		t.Fatal(err)
	}
	a.Origin, a.RPID, a.CorruptSignature = "https://evil.test", "evil.test", true
	out, err := a.Get([]byte(`{"publicKey":{"challenge":"dHdv","rpId":"localhost"}}`))
	if err != nil {
		t.Fatal(err)
	}
	as, err := protocol.ParseCredentialRequestResponseBytes(out)
	if err != nil {
		t.Fatal(err)
	}
	evil := sha256.Sum256([]byte("evil.test"))
	if as.Response.CollectedClientData.Origin != "https://evil.test" || string(as.Response.AuthenticatorData.RPIDHash) != string(evil[:]) {
		t.Errorf("origin %q", as.Response.CollectedClientData.Origin)
	}
	h := sha256.Sum256(as.Raw.AssertionResponse.ClientDataJSON)
	digest := sha256.Sum256(append(append([]byte{}, as.Raw.AssertionResponse.AuthenticatorData...), h[:]...))
	if ecdsa.VerifyASN1(&cred.Key.PublicKey, digest[:], as.Response.Signature) {
		t.Error("a corrupted signature verifies")
	}
	// An excluded credential is refused, as a browser refuses it.
	opts := strings.Replace(creation, `"pubKeyCredParams"`, `"excludeCredentials":[{"type":"public-key","id":"`+b64.EncodeToString(cred.ID)+`"}],"pubKeyCredParams"`, 1)
	if _, _, err := a.Create([]byte(opts)); err == nil {
		t.Error("an excluded credential was created")
	}
	var v map[string]any
	if err := json.Unmarshal(out, &v); err != nil || v["type"] != "public-key" {
		t.Errorf("answer %s", out)
	}
}
