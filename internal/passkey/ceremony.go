package passkey

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/webauthnchallenge"
	"github.com/clinicgate/clinicgate/ent/webauthncredential"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/logging"
	"github.com/clinicgate/clinicgate/internal/mfa"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// errRefused answers an assertion or attestation that does not verify:
// wrong signature, origin, RP id, credential, or a counter that did not
// advance. The library's reason is logged, not shown.
var errRefused = apperr.New(apperr.Forbidden, "the passkey could not be verified")

func refused(ctx context.Context, what string, err error) error {
	var pe *protocol.Error
	attrs := []any{slog.String("error", err.Error())}
	if errors.As(err, &pe) {
		attrs = append(attrs, slog.String("type", pe.Type), slog.String("info", pe.DevInfo))
	}
	logging.FromContext(ctx).Info("passkey: "+what+" refused", attrs...)
	return errRefused
}

func signedIn(ctx context.Context) (*viewer.Viewer, error) {
	v := viewer.FromContext(ctx)
	if v == nil || v.Kind != viewer.User || v.SessionID == "" {
		return nil, apperr.New(apperr.Unauthenticated, "sign in first")
	}
	return v, nil
}

// mayEnrol refuses registration in an MFA-pending session of a user who
// already has a factor: such a session verifies first, then adds more.
func mayEnrol(ctx context.Context, c *ent.Client, v *viewer.Viewer) (enrolled bool, err error) {
	enrolled, err = authz.MFAEnrolled(ctx, c, v.UserID)
	if err != nil {
		return false, err
	}
	if enrolled && v.State != viewer.StateActive {
		return true, apperr.New(apperr.MFARequired, "verify your second factor first, then add a passkey")
	}
	return enrolled, nil
}

// BeginRegistration starts registering a passkey for the viewer and returns
// the options for navigator.credentials.create (CredentialCreationOptions
// JSON, {"publicKey": …}). The viewer's passkeys are excluded, so an
// authenticator is not registered twice. c should be the request's
// transaction.
func (s *Service) BeginRegistration(ctx context.Context, c *ent.Client) (json.RawMessage, error) {
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	if ctx, err = authz.Require(ctx, c, authz.EnrollOwnFactor, authz.Target{User: v.UserID}); err != nil {
		return nil, err
	}
	if _, err := mayEnrol(ctx, c, v); err != nil {
		return nil, err
	}
	u, err := loadUser(ctx, c, v)
	if err != nil {
		return nil, err
	}
	creation, sd, err := s.wa.BeginRegistration(u,
		webauthn.WithExclusions(u.descriptors()),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation),
	)
	if err != nil {
		return nil, err
	}
	if err := remember(ctx, c, v, webauthnchallenge.PurposeRegistration, sd); err != nil {
		return nil, err
	}
	return json.Marshal(creation)
}

// FinishRegistration checks the browser's answer to BeginRegistration's
// options (the PublicKeyCredential JSON) and stores the passkey as name.
// The first factor of a user also verifies the session that registered it
// (mfa.Satisfy): it was just proven present.
func (s *Service) FinishRegistration(ctx context.Context, c *ent.Client, name string, answer []byte) (*ent.WebAuthnCredential, error) {
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	if name, err = checkName(name); err != nil {
		return nil, err
	}
	if ctx, err = authz.Require(ctx, c, authz.EnrollOwnFactor, authz.Target{User: v.UserID}); err != nil {
		return nil, err
	}
	enrolled, err := mayEnrol(ctx, c, v)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(answer)
	if err != nil {
		return nil, apperr.InvalidField("credential", "not a PublicKeyCredential from navigator.credentials.create")
	}
	sd, err := spend(ctx, c, v, webauthnchallenge.PurposeRegistration, parsed.Response.CollectedClientData.Challenge)
	if err != nil {
		return nil, err
	}
	u, err := loadUser(ctx, c, v)
	if err != nil {
		return nil, err
	}
	cred, err := s.wa.CreateCredential(u, sd, parsed)
	if err != nil {
		return nil, refused(ctx, "registration", err)
	}
	if u.row(cred.ID) != nil {
		return nil, apperr.New(apperr.Conflict, "this passkey is already registered")
	}
	// Another user's (any organization's) credential id: the row rules
	// hide it, the unique index refuses it.
	transports := make([]string, len(cred.Transport))
	for i, t := range cred.Transport {
		transports[i] = string(t)
	}
	row, err := c.WebAuthnCredential.Create().
		SetOrganizationID(v.OrgID).
		SetUserID(v.UserID).
		SetName(name).
		SetCredentialID(cred.ID).
		SetPublicKey(cred.PublicKey).
		SetAttestationType(attestationType(cred.AttestationType)).
		SetAaguid(cred.Authenticator.AAGUID).
		SetSignCount(cred.Authenticator.SignCount).
		SetTransports(transports).
		SetBackupEligible(cred.Flags.BackupEligible).
		SetBackupState(cred.Flags.BackupState).
		SetUserVerified(cred.Flags.UserVerified).
		Save(ctx)
	switch {
	case ent.IsConstraintError(err):
		return nil, apperr.New(apperr.Conflict, "this passkey is already registered")
	case err != nil:
		return nil, err
	}
	if err := audit.Record(ctx, c, audit.Event{
		Action: mfa.ActionEnrolled, TargetType: "User", TargetID: string(v.UserID),
		Details: map[string]any{"method": mfa.MethodPasskey, "passkey": string(row.ID), "name": row.Name},
	}); err != nil {
		return nil, err
	}
	if !enrolled {
		if err := mfa.Satisfy(ctx, c, v.SessionID, v.UserID, mfa.MethodPasskey, map[string]any{"passkey": string(row.ID), "enrolment": true}); err != nil {
			return nil, err
		}
	}
	return row, nil
}

func attestationType(t string) string {
	if t == "" {
		return "none"
	}
	return t
}

// BeginVerification starts verifying the viewer's session with one of
// their passkeys and returns the options for navigator.credentials.get
// (CredentialRequestOptions JSON, {"publicKey": …}), which allow only the
// viewer's own passkeys.
func (s *Service) BeginVerification(ctx context.Context, c *ent.Client) (json.RawMessage, error) {
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	if ctx, err = authz.Require(ctx, c, authz.VerifyOwnFactor, authz.Target{Row: v.SessionID}); err != nil {
		return nil, err
	}
	u, err := loadUser(ctx, c, v)
	if err != nil {
		return nil, err
	}
	if len(u.creds) == 0 {
		return nil, apperr.New(apperr.NotFound, "you have no passkey: register one first")
	}
	assertion, sd, err := s.wa.BeginLogin(u,
		webauthn.WithAllowedCredentials(u.descriptors()),
		webauthn.WithUserVerification(protocol.VerificationPreferred),
	)
	if err != nil {
		return nil, err
	}
	if err := remember(ctx, c, v, webauthnchallenge.PurposeVerification, sd); err != nil {
		return nil, err
	}
	return json.Marshal(assertion)
}

// FinishVerification checks the browser's answer to BeginVerification's
// options: the challenge is this session's and unspent, the credential one
// of the viewer's, origin and RP id this server's, the signature good and
// the counter advanced (else a cloned key is suspected). It then marks the
// session verified (mfa.Satisfy) and returns the passkey used.
func (s *Service) FinishVerification(ctx context.Context, c *ent.Client, answer []byte) (*ent.WebAuthnCredential, error) {
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	if ctx, err = authz.Require(ctx, c, authz.VerifyOwnFactor, authz.Target{Row: v.SessionID}); err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(answer)
	if err != nil {
		return nil, apperr.InvalidField("credential", "not a PublicKeyCredential from navigator.credentials.get")
	}
	sd, err := spend(ctx, c, v, webauthnchallenge.PurposeVerification, parsed.Response.CollectedClientData.Challenge)
	if err != nil {
		return nil, err
	}
	u, err := loadUser(ctx, c, v)
	if err != nil {
		return nil, err
	}
	cred, err := s.wa.ValidateLogin(u, sd, parsed)
	if err != nil {
		return nil, refused(ctx, "verification", err)
	}
	row := u.row(cred.ID)
	if row == nil {
		return nil, refused(ctx, "verification", errors.New("credential not among the user's"))
	}
	if cred.Authenticator.CloneWarning {
		logging.FromContext(ctx).Warn("passkey: signature counter did not advance: possible cloned authenticator",
			slog.String("passkey", string(row.ID)), slog.Uint64("stored", uint64(row.SignCount)),
			slog.Uint64("presented", uint64(parsed.Response.AuthenticatorData.Counter)))
		return nil, errRefused
	}
	now := authz.Now(ctx)
	// The counter only moves forward, even against a concurrent
	// verification with the same key.
	n, err := c.WebAuthnCredential.Update().
		Where(webauthncredential.ID(row.ID), webauthncredential.SignCount(row.SignCount)).
		SetSignCount(cred.Authenticator.SignCount).
		SetBackupState(cred.Flags.BackupState).
		SetUserVerified(cred.Flags.UserVerified).
		SetLastUsedAt(now).
		Save(ctx)
	if err != nil {
		return nil, err
	}
	if n != 1 {
		return nil, errRefused
	}
	if err := mfa.Satisfy(ctx, c, v.SessionID, v.UserID, mfa.MethodPasskey, map[string]any{"passkey": string(row.ID)}); err != nil {
		return nil, err
	}
	return c.WebAuthnCredential.Get(ctx, row.ID)
}

func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return DefaultName, nil
	}
	if utf8.RuneCountInString(name) > 100 || len(name) > 100 {
		return "", apperr.InvalidField("name", "give the passkey a name of at most 100 characters")
	}
	return name, nil
}
