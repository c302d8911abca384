package login

import (
	"context"
	"fmt"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/internal/store"
)

// inTx runs fn in a transaction of the root client (store.InTx).
func (f *flow) inTx(ctx context.Context, fn func(tx *ent.Client) error) error {
	return store.InTx(ctx, f.client, fn)
}

// verify checks a password against a stored hash within the concurrency
// bound. A malformed stored hash is a server fault, not a wrong password.
func (f *flow) verify(ctx context.Context, encoded, plain string) (ok, rehash bool, err error) {
	if err := f.acquire(ctx); err != nil {
		return false, false, err
	}
	defer f.release()
	ok, rehash, err = f.hasher.Verify(encoded, plain)
	if err != nil {
		return false, false, fmt.Errorf("login: stored password hash: %w", err)
	}
	return ok, rehash, nil
}

// dummyVerify spends a verification's work when there is no hash to check,
// so that unknown accounts answer in the same time as wrong passwords.
func (f *flow) dummyVerify(ctx context.Context, plain string) error {
	if err := f.acquire(ctx); err != nil {
		return err
	}
	defer f.release()
	f.hasher.VerifyDummy(plain)
	return nil
}

func (f *flow) hash(ctx context.Context, plain string) (string, error) {
	if err := f.acquire(ctx); err != nil {
		return "", err
	}
	defer f.release()
	h, err := f.hasher.Hash(plain)
	if err != nil {
		return "", fmt.Errorf("login: %w", err)
	}
	return h, nil
}

func (f *flow) acquire(ctx context.Context) error {
	// Bounded: a flood of sign-ins must not pile up waiting goroutines.
	wait := time.NewTimer(hashWait)
	defer wait.Stop()
	select {
	case f.hashSlots <- struct{}{}:
		return nil
	case <-wait.C:
		return tooManyAttempts(hashWait)
	case <-ctx.Done():
		return fmt.Errorf("login: waiting to hash: %w", ctx.Err())
	}
}

// hashWait is how long a sign-in waits for a password-hashing slot before
// it is told to come back later.
const hashWait = 5 * time.Second

func (f *flow) release() { <-f.hashSlots }
