package mfa

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/totpfactor"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/textlimit"
)

// The authenticator-app parameters every app understands (RFC 6238's
// defaults): HMAC-SHA1, six digits, 30-second steps, and one step of clock
// skew either way.
const (
	period = 30
	skew   = 1
	qrSize = 256
)

var codeOpts = totp.ValidateOpts{Period: period, Skew: skew, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// Enrolment is a started authenticator-app enrolment: what the user's app
// needs, shown once. The secret is sealed at rest and never shown again.
type Enrolment struct {
	FactorID pulid.ID
	// URI is the otpauth:// URI the QR code holds.
	URI string
	// QRCode is a PNG data URL of URI.
	QRCode string
	// Secret is the base32 secret, for typing in by hand.
	Secret string
}

// secretAD binds a sealed secret to its owner, so that a row copied to
// another user does not open.
func secretAD(userID pulid.ID) []byte { return []byte("totp:" + string(userID)) }

// EnrollTOTP starts an authenticator-app enrolment for the viewer. It
// counts only once ConfirmTOTP has checked a code from it; an earlier
// unconfirmed enrolment of the user is dropped.
func (s *Service) EnrollTOTP(ctx context.Context, name string) (*Enrolment, error) {
	v, err := s.signedIn(ctx)
	if err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = "Authenticator app"
	}
	if len(name) > 100 {
		return nil, apperr.InvalidField("name", "the name is longer than 100 bytes")
	}
	acc, err := s.account(ctx, v)
	if err != nil {
		return nil, err
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      s.cfg.Issuer,
		AccountName: acc.slug + ":" + acc.user.Email,
		Period:      period,
		SecretSize:  20, // 160 bits, RFC 4226's recommendation
		Digits:      otp.DigitsSix,
		Algorithm:   otp.AlgorithmSHA1,
	})
	if err != nil {
		return nil, fmt.Errorf("mfa: generate secret: %w", err)
	}
	sealed, err := s.cfg.Box.Seal([]byte(key.Secret()), secretAD(v.UserID))
	if err != nil {
		return nil, fmt.Errorf("mfa: seal secret: %w", err)
	}
	img, err := key.Image(qrSize, qrSize)
	if err != nil {
		return nil, fmt.Errorf("mfa: QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("mfa: QR code: %w", err)
	}
	var f *ent.TOTPFactor
	err = s.inTx(ctx, func(tx *ent.Client) error {
		ctx, err := authz.Require(ctx, tx, authz.EnrollOwnFactor, authz.Target{User: v.UserID})
		if err != nil {
			return err
		}
		if _, err := tx.TOTPFactor.Delete().Where(totpfactor.UserID(v.UserID), totpfactor.ConfirmedAtIsNil()).Exec(ctx); err != nil {
			return fmt.Errorf("mfa: drop unconfirmed enrolment: %w", err)
		}
		f, err = tx.TOTPFactor.Create().
			SetOrganizationID(v.OrgID).
			SetUserID(v.UserID).
			SetName(textlimit.Bytes(name, 100)).
			SetSecretSealed(sealed).
			Save(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Enrolment{
		FactorID: f.ID,
		URI:      key.URL(),
		QRCode:   "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()),
		Secret:   key.Secret(),
	}, nil
}

// Confirmation is a confirmed authenticator app, with the recovery codes
// issued with a user's first factor (shown once; nil otherwise).
type Confirmation struct {
	Factor        *ent.TOTPFactor
	RecoveryCodes []string
}

// ConfirmTOTP checks a code from the enrolment factorID. A right code makes
// the factor count, passes MFA in this session (the user has just proven
// the factor) and, for a first factor, issues recovery codes. A wrong one
// counts toward the lockout like any second-factor attempt.
func (s *Service) ConfirmTOTP(ctx context.Context, factorID pulid.ID, code string) (*Confirmation, error) {
	v, err := s.signedIn(ctx)
	if err != nil {
		return nil, err
	}
	code, ok := normalizeTOTP(code)
	if !ok {
		return nil, errWrongCode()
	}
	acc, err := s.account(ctx, v)
	if err != nil {
		return nil, err
	}
	own := s.client.TOTPFactor.Query().Where(totpfactor.ID(factorID), totpfactor.UserID(v.UserID), totpfactor.ConfirmedAtIsNil())
	f, err := own.Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "enrolment not found; start again")
	}
	if err != nil {
		return nil, fmt.Errorf("mfa: load enrolment: %w", err)
	}
	now := authz.Now(ctx)
	settle, err := s.admit(ctx, acc, now)
	if err != nil {
		return nil, err
	}
	step, ok, err := s.match(f, v.UserID, code, now)
	if err != nil {
		settle(Unchecked)
		return nil, err
	}
	if !ok {
		settle(Failed)
		return nil, s.failed(ctx, acc, authz.EnrollOwnFactor, MethodTOTP)
	}
	out := &Confirmation{}
	err = s.inTx(ctx, func(tx *ent.Client) error {
		ctx, err := authz.Require(ctx, tx, authz.EnrollOwnFactor, authz.Target{User: v.UserID})
		if err != nil {
			return err
		}
		first, err := authz.MFAEnrolled(ctx, tx, v.UserID)
		if err != nil {
			return err
		}
		first = !first
		// The step is spent by the same statement that confirms: two
		// racing confirmations cannot both pass.
		n, err := tx.TOTPFactor.Update().
			Where(totpfactor.ID(f.ID), totpfactor.ConfirmedAtIsNil(), totpfactor.LastUsedStepLT(step)).
			SetConfirmedAt(now).
			SetLastUsedStep(step).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("mfa: confirm: %w", err)
		}
		if n != 1 {
			return errWrongCode()
		}
		if out.Factor, err = tx.TOTPFactor.Get(ctx, f.ID); err != nil {
			return err
		}
		if err := s.resetFailures(ctx, tx, acc); err != nil {
			return err
		}
		if first {
			if out.RecoveryCodes, err = s.issueRecoveryCodes(ctx, tx, v.OrgID, v.UserID); err != nil {
				return err
			}
		}
		if err := audit.Record(ctx, tx, audit.Event{
			Action: ActionEnrolled, TargetType: "User", TargetID: string(v.UserID),
			Details: map[string]any{"factor": MethodTOTP, "factor_id": string(f.ID), "first": first},
		}); err != nil {
			return err
		}
		return Satisfy(ctx, tx, v.SessionID, v.UserID, MethodTOTP, nil)
	})
	if err != nil {
		settle(Unchecked)
		return nil, err
	}
	settle(Succeeded)
	return out, nil
}

// RemoveTOTP removes one of the viewer's authenticator apps (a step-up
// action). When it was the user's last factor their recovery codes go too:
// they open nothing without a factor to fall back from.
func (s *Service) RemoveTOTP(ctx context.Context, factorID pulid.ID) error {
	v, err := s.signedIn(ctx)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *ent.Client) error {
		ctx, err := authz.Require(ctx, tx, authz.ManageOwnFactors, authz.Target{User: v.UserID})
		if err != nil {
			return err
		}
		n, err := tx.TOTPFactor.Delete().Where(totpfactor.ID(factorID), totpfactor.UserID(v.UserID)).Exec(ctx)
		if err != nil {
			return fmt.Errorf("mfa: remove: %w", err)
		}
		if n == 0 {
			return apperr.New(apperr.NotFound, "authenticator app not found")
		}
		if err := s.dropCodesWithoutFactor(ctx, tx, v.UserID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: ActionRemoved, TargetType: "User", TargetID: string(v.UserID),
			Details: map[string]any{"factor": MethodTOTP, "factor_id": string(factorID)},
		})
	})
}

// normalizeTOTP accepts six digits, with spaces or a dash as apps show them.
func normalizeTOTP(code string) (string, bool) {
	code = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, code)
	if len(code) != 6 {
		return "", false
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return "", false
		}
	}
	return code, true
}

// match checks code against f's secret at the steps within the skew of now
// and returns the step it matched. It does not spend the step: the caller
// does, with a conditional update that refuses a step already used.
func (s *Service) match(f *ent.TOTPFactor, userID pulid.ID, code string, now time.Time) (int64, bool, error) {
	secret, err := s.cfg.Box.Open(f.SecretSealed, secretAD(userID))
	if err != nil {
		return 0, false, fmt.Errorf("mfa: open secret of %s: %w", f.ID, err)
	}
	cur := now.Unix() / period
	for d := int64(-skew); d <= skew; d++ {
		step := cur + d
		want, err := totp.GenerateCodeCustom(string(secret), time.Unix(step*period, 0), codeOpts)
		if err != nil {
			return 0, false, fmt.Errorf("mfa: compute code: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, step > f.LastUsedStep, nil
		}
	}
	return 0, false, nil
}
