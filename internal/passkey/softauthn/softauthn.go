// Package softauthn is a software WebAuthn authenticator for tests: it
// answers the options a relying party sends (PublicKeyCredentialCreation
// and RequestOptions JSON) the way a browser and a platform authenticator
// would together, with real P-256 keys, attestation "none", a real
// clientDataJSON and authenticatorData (flags, counter), and ES256
// signatures over them. Its knobs (Origin, RPID, CorruptSignature,
// cloning) let a test play a phishing page, a tampered answer or a cloned
// key. It is never used by the server.
package softauthn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
)

// Authenticator flags of authenticatorData (WebAuthn §6.1).
const (
	flagUP = 0x01 // user present
	flagUV = 0x04 // user verified
	flagAT = 0x40 // attested credential data included
)

// Authenticator holds credentials and answers ceremonies as the page at
// Origin would, for relying party RPID.
type Authenticator struct {
	// Origin is the origin written into clientDataJSON (the page the
	// browser ran the ceremony on).
	Origin string
	// RPID is the relying party id whose SHA-256 starts authenticatorData.
	// Empty: the options' rp.id (registration) or rpId (assertion).
	RPID string
	// UserVerified sets the UV flag (a PIN or biometric was checked).
	UserVerified bool
	// CorruptSignature flips a bit of each assertion's signature.
	CorruptSignature bool

	creds []*Credential
}

// Credential is one key pair the authenticator made.
type Credential struct {
	ID         []byte
	UserHandle []byte
	RPID       string
	Key        *ecdsa.PrivateKey
	// Counter is the signature counter: it goes up by one per assertion.
	Counter uint32
}

// New returns an authenticator with no credentials that answers as a page
// of origin.
func New(origin string) *Authenticator {
	return &Authenticator{Origin: origin, UserVerified: true}
}

// Credentials returns the authenticator's credentials (shared, not copied).
func (a *Authenticator) Credentials() []*Credential { return a.creds }

// Clone returns an authenticator holding copies of a's credentials, keys
// and counters included: a cloned security key.
func (a *Authenticator) Clone() *Authenticator {
	b := *a
	b.creds = nil
	for _, c := range a.creds {
		cc := *c
		b.creds = append(b.creds, &cc)
	}
	return &b
}

// Add gives a the credential c (shared): to present another user's key.
func (a *Authenticator) Add(c *Credential) { a.creds = append(a.creds, c) }

type descriptor struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

type creationOptions struct {
	Challenge string `json:"challenge"`
	RP        struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"rp"`
	User struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"user"`
	PubKeyCredParams []struct {
		Type string `json:"type"`
		Alg  int    `json:"alg"`
	} `json:"pubKeyCredParams"`
	ExcludeCredentials []descriptor `json:"excludeCredentials"`
}

type requestOptions struct {
	Challenge        string       `json:"challenge"`
	RPID             string       `json:"rpId"`
	AllowCredentials []descriptor `json:"allowCredentials"`
}

// unwrap accepts the options as the relying party sends them, either
// {"publicKey": {...}} (CredentialCreationOptions) or the inner object.
func unwrap(options []byte, into any) error {
	var outer struct {
		PublicKey json.RawMessage `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &outer); err != nil {
		return fmt.Errorf("softauthn: options: %w", err)
	}
	if len(outer.PublicKey) > 0 {
		options = outer.PublicKey
	}
	if err := json.Unmarshal(options, into); err != nil {
		return fmt.Errorf("softauthn: options: %w", err)
	}
	return nil
}

var b64 = base64.RawURLEncoding

// decode reads base64url with or without padding.
func decode(s string) ([]byte, error) {
	for len(s)%4 != 0 && s[len(s)-1] == '=' {
		s = s[:len(s)-1]
	}
	return b64.DecodeString(s)
}

// Create answers navigator.credentials.create: a new credential for the
// options' user, refused when the authenticator holds an excluded one. It
// returns the PublicKeyCredential JSON (the browser's toJSON form).
func (a *Authenticator) Create(options []byte) ([]byte, *Credential, error) {
	var o creationOptions
	if err := unwrap(options, &o); err != nil {
		return nil, nil, err
	}
	es256 := false
	for _, p := range o.PubKeyCredParams {
		es256 = es256 || (p.Type == "public-key" && p.Alg == -7)
	}
	if !es256 {
		return nil, nil, errors.New("softauthn: the relying party does not accept ES256")
	}
	for _, d := range o.ExcludeCredentials {
		id, err := decode(d.ID)
		if err != nil {
			return nil, nil, fmt.Errorf("softauthn: excluded id: %w", err)
		}
		if a.find(id) != nil {
			return nil, nil, errors.New("softauthn: InvalidStateError: the authenticator already holds an excluded credential")
		}
	}
	handle, err := decode(o.User.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("softauthn: user id: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	id := make([]byte, 32)
	if _, err := rand.Read(id); err != nil {
		return nil, nil, err
	}
	rpID := a.rpID(o.RP.ID)
	c := &Credential{ID: id, UserHandle: handle, RPID: rpID, Key: key}
	a.creds = append(a.creds, c)

	clientData, err := a.clientData("webauthn.create", o.Challenge)
	if err != nil {
		return nil, nil, err
	}
	auth := a.authData(rpID, flagAT, 0)
	auth = append(auth, make([]byte, 16)...) // AAGUID: none
	auth = binary.BigEndian.AppendUint16(auth, uint16(len(id)))
	auth = append(auth, id...)
	auth = append(auth, coseKey(&key.PublicKey)...)
	att := cborMap(
		cborText("fmt"), cborText("none"),
		cborText("attStmt"), cborMap(),
		cborText("authData"), cborBytes(auth),
	)
	out, err := json.Marshal(map[string]any{
		"id": b64.EncodeToString(id), "rawId": b64.EncodeToString(id), "type": "public-key",
		"authenticatorAttachment": "platform",
		"clientExtensionResults":  map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(clientData),
			"attestationObject": b64.EncodeToString(att),
			"transports":        []string{"internal"},
		},
	})
	return out, c, err
}

// Get answers navigator.credentials.get with the first held credential the
// options allow (any of the relying party's when they list none).
func (a *Authenticator) Get(options []byte) ([]byte, error) {
	var o requestOptions
	if err := unwrap(options, &o); err != nil {
		return nil, err
	}
	rpID := a.rpID(o.RPID)
	var c *Credential
	for _, d := range o.AllowCredentials {
		id, err := decode(d.ID)
		if err != nil {
			return nil, fmt.Errorf("softauthn: allowed id: %w", err)
		}
		if c = a.find(id); c != nil {
			break
		}
	}
	if c == nil && len(o.AllowCredentials) == 0 {
		for _, h := range a.creds {
			if h.RPID == o.RPID {
				c = h
				break
			}
		}
	}
	if c == nil {
		return nil, errors.New("softauthn: NotAllowedError: no credential of this authenticator is allowed")
	}
	return a.assert(c, o.Challenge, rpID)
}

// GetWith answers with credential c whatever the options allow: what a
// tampered client could send.
func (a *Authenticator) GetWith(c *Credential, options []byte) ([]byte, error) {
	var o requestOptions
	if err := unwrap(options, &o); err != nil {
		return nil, err
	}
	return a.assert(c, o.Challenge, a.rpID(o.RPID))
}

func (a *Authenticator) assert(c *Credential, challenge, rpID string) ([]byte, error) {
	clientData, err := a.clientData("webauthn.get", challenge)
	if err != nil {
		return nil, err
	}
	c.Counter++
	auth := a.authData(rpID, 0, c.Counter)
	h := sha256.Sum256(clientData)
	digest := sha256.Sum256(append(append([]byte{}, auth...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, c.Key, digest[:])
	if err != nil {
		return nil, err
	}
	if a.CorruptSignature {
		sig[len(sig)-1] ^= 0x01
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(c.ID), "rawId": b64.EncodeToString(c.ID), "type": "public-key",
		"authenticatorAttachment": "platform",
		"clientExtensionResults":  map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(clientData),
			"authenticatorData": b64.EncodeToString(auth),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(c.UserHandle),
		},
	})
}

func (a *Authenticator) find(id []byte) *Credential {
	for _, c := range a.creds {
		if string(c.ID) == string(id) {
			return c
		}
	}
	return nil
}

func (a *Authenticator) rpID(fromOptions string) string {
	if a.RPID != "" {
		return a.RPID
	}
	return fromOptions
}

func (a *Authenticator) clientData(typ, challenge string) ([]byte, error) {
	if challenge == "" {
		return nil, errors.New("softauthn: the options carry no challenge")
	}
	return json.Marshal(struct {
		Type        string `json:"type"`
		Challenge   string `json:"challenge"`
		Origin      string `json:"origin"`
		CrossOrigin bool   `json:"crossOrigin"`
	}{typ, challenge, a.Origin, false})
}

// authData is rpIdHash ‖ flags ‖ signCount (WebAuthn §6.1), the user
// present (and verified) flags always set.
func (a *Authenticator) authData(rpID string, flags byte, counter uint32) []byte {
	h := sha256.Sum256([]byte(rpID))
	flags |= flagUP
	if a.UserVerified {
		flags |= flagUV
	}
	out := append(h[:], flags)
	return binary.BigEndian.AppendUint32(out, counter)
}

// coseKey is the EC2 P-256 public key as a COSE_Key (RFC 9053): kty 2,
// alg -7 (ES256), crv 1, x, y.
func coseKey(k *ecdsa.PublicKey) []byte {
	raw, err := k.Bytes() // 0x04 ‖ x ‖ y
	if err != nil {
		panic(err) // a P-256 key always encodes
	}
	return cborMap(
		cborInt(1), cborInt(2),
		cborInt(3), cborInt(-7),
		cborInt(-1), cborInt(1),
		cborInt(-2), cborBytes(raw[1:33]),
		cborInt(-3), cborBytes(raw[33:65]),
	)
}
