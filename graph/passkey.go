package graph

import (
	"context"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/passkey"
)

func (r *Resolver) passkeyService() (*passkey.Service, error) {
	if r.passkeys == nil {
		return nil, apperr.New(apperr.Unavailable, "passkeys are not configured on this server")
	}
	return r.passkeys, nil
}

func (r *Resolver) beginPasskeyRegistration(ctx context.Context) (*PasskeyOptionsPayload, error) {
	s, err := r.passkeyService()
	if err != nil {
		return nil, err
	}
	opts, err := s.BeginRegistration(ctx, ent.FromContext(ctx))
	if err != nil {
		return nil, err
	}
	return &PasskeyOptionsPayload{OptionsJSON: string(opts)}, nil
}

func (r *Resolver) finishPasskeyRegistration(ctx context.Context, in FinishPasskeyRegistrationInput) (*FinishPasskeyRegistrationPayload, error) {
	s, err := r.passkeyService()
	if err != nil {
		return nil, err
	}
	name := ""
	if in.Name != nil {
		name = *in.Name
	}
	row, err := s.FinishRegistration(ctx, ent.FromContext(ctx), name, []byte(in.Credential))
	if err != nil {
		return nil, err
	}
	return &FinishPasskeyRegistrationPayload{Passkey: row}, nil
}

func (r *Resolver) beginPasskeyVerification(ctx context.Context) (*PasskeyOptionsPayload, error) {
	s, err := r.passkeyService()
	if err != nil {
		return nil, err
	}
	opts, err := s.BeginVerification(ctx, ent.FromContext(ctx))
	if err != nil {
		return nil, err
	}
	return &PasskeyOptionsPayload{OptionsJSON: string(opts)}, nil
}

func (r *Resolver) finishPasskeyVerification(ctx context.Context, in FinishPasskeyVerificationInput) (*FinishPasskeyVerificationPayload, error) {
	s, err := r.passkeyService()
	if err != nil {
		return nil, err
	}
	// Its own transactions (@ownTransactions): a refusal is audited.
	row, err := s.Verify(ctx, r.client, []byte(in.Credential))
	if err != nil {
		return nil, err
	}
	return &FinishPasskeyVerificationPayload{Passkey: row, MfaSatisfiedAt: authz.Now(ctx)}, nil
}

func renamePasskey(ctx context.Context, c *ent.Client, in RenamePasskeyInput) (*RenamePasskeyPayload, error) {
	row, err := passkey.Rename(ctx, c, in.ID, in.Name)
	if err != nil {
		return nil, err
	}
	return &RenamePasskeyPayload{Passkey: row}, nil
}

func removePasskey(ctx context.Context, c *ent.Client, id pulid.ID) (*RemovePasskeyPayload, error) {
	if err := passkey.Remove(ctx, c, id); err != nil {
		return nil, err
	}
	return &RemovePasskeyPayload{RemovedID: id}, nil
}
