package loadgen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/scimtoken"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// issueSCIMToken issues a SCIM token for org through the domain code, as
// `server scim-token create` does (the system is the actor). The token
// lives only in the run's memory; it is never printed.
func issueSCIMToken(ctx context.Context, dsn, org, name string) (string, error) {
	db, err := store.Open(ctx, "pgx", dsn)
	if err != nil {
		return "", err
	}
	defer db.Close()
	ctx = viewer.ForSystem(ctx, pulid.ID(org))
	tx, err := db.Client.Tx(ctx)
	if err != nil {
		return "", err
	}
	expires := time.Now().Add(24 * time.Hour)
	plain, _, err := scimtoken.Issue(ctx, tx.Client(), name, &expires)
	if err != nil {
		_ = tx.Rollback()
		return "", fmt.Errorf("loadgen: SCIM token: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return "", err
	}
	return plain, nil
}

// totpOpts are the authenticator-app parameters the server uses (RFC 6238
// defaults).
var totpOpts = totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// mfaUser is a user of the MFA pool enrolled for this run.
type mfaUser struct {
	fixtureUser
	secret   string
	lastStep int64 // the last 30 s step whose code was spent
}

// mfaPool hands out MFA users whose next code is still unspent: a code
// passes once, so a user can pass MFA about once per 30 s step (the
// server also accepts the next step's code, which gives a second chance
// right after enrolment).
type mfaPool struct {
	mu    sync.Mutex
	users []*mfaUser
}

// take reserves a user and the step of the code to send, or reports that
// every user has spent the current and next step.
func (p *mfaPool) take(rng *rand.Rand, now time.Time) (*mfaUser, int64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cur := now.Unix() / 30
	off := rng.IntN(len(p.users))
	for i := range p.users {
		u := p.users[(i+off)%len(p.users)]
		// Not the step before: the server's clock may cross into the
		// next step before it checks.
		for st := cur; st <= cur+1; st++ {
			if st > u.lastStep {
				u.lastStep = st
				return u, st, true
			}
		}
	}
	return nil, 0, false
}

func code(secret string, step int64) (string, error) {
	return totp.GenerateCodeCustom(secret, time.Unix(step*30, 0).UTC(), totpOpts)
}

// enrolMFA resets the authenticator apps of users (fixture rows from an
// earlier run, whose secrets died with it) and enrols each afresh over the
// API: sign in (MFA pending, next step ENROL), enrollAuthenticatorApp,
// confirmAuthenticatorApp with a code computed here.
func enrolMFA(ctx context.Context, l *load, users []fixtureUser) (*mfaPool, []ackSession, error) {
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.id
	}
	for _, q := range []string{
		`DELETE FROM recovery_codes WHERE user_id = ANY($1)`,
		`DELETE FROM totp_factors WHERE user_id = ANY($1)`,
		`UPDATE users SET mfa_failed_attempts = 0, mfa_locked_until = NULL WHERE id = ANY($1)`,
	} {
		if _, err := l.db.ExecContext(ctx, q, ids); err != nil {
			return nil, nil, fmt.Errorf("loadgen: reset the MFA pool: %w", err)
		}
	}
	pool := &mfaPool{}
	var acks []ackSession
	for _, u := range users {
		ans, o := l.api.login(ctx, l.fx.orgSlug, u.email, l.cfg.Password, u.addr)
		if !o.ok() || ans.State != "mfa_required" {
			return nil, nil, fmt.Errorf("%w: MFA user %s signs in: %s (state %q)", errSetup, u.email, o.class, ans.State)
		}
		s := &session{userID: u.id, email: u.email, token: ans.Token, addr: u.addr}
		var en struct {
			EnrollAuthenticatorApp struct {
				FactorID string `json:"factorId"`
				Secret   string `json:"secret"`
			} `json:"enrollAuthenticatorApp"`
		}
		if o := graphql(ctx, l.api, s, `mutation { enrollAuthenticatorApp(input: {name: "load generator"}) { factorId secret } }`, nil, &en); !o.ok() {
			return nil, nil, fmt.Errorf("%w: enrol %s: %s", errSetup, u.email, o.class)
		}
		step := time.Now().Unix() / 30
		c, err := code(en.EnrollAuthenticatorApp.Secret, step)
		if err != nil {
			return nil, nil, err
		}
		var conf struct {
			ConfirmAuthenticatorApp struct {
				AuthenticatorApp struct {
					ID string `json:"id"`
				} `json:"authenticatorApp"`
			} `json:"confirmAuthenticatorApp"`
		}
		if o := graphql(ctx, l.api, s, `mutation($f: ID!, $c: String!) { confirmAuthenticatorApp(input: {factorId: $f, code: $c}) { authenticatorApp { id } } }`,
			map[string]any{"f": en.EnrollAuthenticatorApp.FactorID, "c": c}, &conf); !o.ok() {
			return nil, nil, fmt.Errorf("%w: confirm %s: %s", errSetup, u.email, o.class)
		}
		pool.users = append(pool.users, &mfaUser{fixtureUser: u, secret: en.EnrollAuthenticatorApp.Secret, lastStep: step})
		acks = append(acks, ackSession{token: ans.Token, user: u.email, mfa: true})
	}
	return pool, acks, nil
}
