package mfa

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/recoverycode"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Recovery codes: RecoveryCodeCount single-use codes of ten characters
// from an alphabet without look-alikes (50 bits each), shown once as
// "xxxxx-xxxxx". They are stored as HMAC-SHA256 under the server key, so
// that a copy of the database alone cannot be searched for them.
const (
	RecoveryCodeCount = 10
	recoveryLen       = 10
	recoveryAlphabet  = "23456789abcdefghjkmnpqrstuvwxyz" // no 0/o, 1/l/i
)

func newRecoveryCode() (string, error) {
	b := make([]byte, recoveryLen)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	var sb strings.Builder
	for i, x := range b {
		if i == recoveryLen/2 {
			sb.WriteByte('-')
		}
		// 256 is not a multiple of 31: the bias is under 0.5% per
		// character and costs under 0.1 bit of the 50.
		sb.WriteByte(recoveryAlphabet[int(x)%len(recoveryAlphabet)])
	}
	return sb.String(), nil
}

// normalizeRecoveryCode accepts a code in any case, with or without its
// dash and spaces.
func normalizeRecoveryCode(code string) (string, bool) {
	code = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, code)
	if len(code) != recoveryLen {
		return "", false
	}
	for _, r := range code {
		if !strings.ContainsRune(recoveryAlphabet, r) {
			return "", false
		}
	}
	return code, true
}

func (s *Service) recoveryHash(normalized string) []byte {
	return s.cfg.Box.Sign([]byte("recovery:" + normalized))
}

// issueRecoveryCodes replaces the user's recovery codes with a fresh set
// and returns them (to show once), with tx under a decision that writes
// recovery codes.
func (s *Service) issueRecoveryCodes(ctx context.Context, tx *ent.Client, org, userID pulid.ID) ([]string, error) {
	if _, err := tx.RecoveryCode.Delete().Where(recoverycode.UserID(userID)).Exec(ctx); err != nil {
		return nil, fmt.Errorf("mfa: drop recovery codes: %w", err)
	}
	now := authz.Now(ctx)
	codes := make([]string, RecoveryCodeCount)
	bulk := make([]*ent.RecoveryCodeCreate, RecoveryCodeCount)
	for i := range codes {
		c, err := newRecoveryCode()
		if err != nil {
			return nil, fmt.Errorf("mfa: recovery code: %w", err)
		}
		n, _ := normalizeRecoveryCode(c)
		codes[i] = c
		bulk[i] = tx.RecoveryCode.Create().SetOrganizationID(org).SetUserID(userID).SetCodeHash(s.recoveryHash(n)).SetCreatedAt(now)
	}
	if err := tx.RecoveryCode.CreateBulk(bulk...).Exec(ctx); err != nil {
		return nil, fmt.Errorf("mfa: store recovery codes: %w", err)
	}
	if err := audit.Record(ctx, tx, audit.Event{
		Action: ActionRecoveryIssued, TargetType: "User", TargetID: string(userID),
		Details: map[string]any{"count": RecoveryCodeCount},
	}); err != nil {
		return nil, err
	}
	return codes, nil
}

// RegenerateRecoveryCodes replaces the viewer's recovery codes (a step-up
// action); the old ones stop working at once. The user must have a factor.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context) ([]string, error) {
	v, err := s.signedIn(ctx)
	if err != nil {
		return nil, err
	}
	var codes []string
	err = s.inTx(ctx, func(tx *ent.Client) error {
		ctx, err := authz.Require(ctx, tx, authz.ManageOwnFactors, authz.Target{User: v.UserID})
		if err != nil {
			return err
		}
		enrolled, err := authz.MFAEnrolled(ctx, tx, v.UserID)
		if err != nil {
			return err
		}
		if !enrolled {
			return apperr.New(apperr.Invalid, "add an authenticator app or a passkey first; recovery codes back up a factor")
		}
		codes, err = s.issueRecoveryCodes(ctx, tx, v.OrgID, v.UserID)
		return err
	})
	return codes, err
}

// RecoveryCodesRemaining counts the viewer's unused recovery codes.
func (s *Service) RecoveryCodesRemaining(ctx context.Context) (int, error) {
	v, err := s.signedIn(ctx)
	if err != nil {
		return 0, err
	}
	return s.client.RecoveryCode.Query().
		Where(recoverycode.UserID(v.UserID), recoverycode.UsedAtIsNil()).
		Count(viewer.ForSystem(ctx, v.OrgID))
}

// dropCodesWithoutFactor removes the user's recovery codes once no factor
// remains.
func (s *Service) dropCodesWithoutFactor(ctx context.Context, tx *ent.Client, userID pulid.ID) error {
	enrolled, err := authz.MFAEnrolled(ctx, tx, userID)
	if err != nil || enrolled {
		return err
	}
	_, err = tx.RecoveryCode.Delete().Where(recoverycode.UserID(userID)).Exec(ctx)
	return err
}
