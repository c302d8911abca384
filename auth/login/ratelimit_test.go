package login_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/auth/login"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// One address spraying guesses over many accounts is throttled, whatever
// the accounts: the per-account lockout alone would let it try 9 passwords
// on every account.
func TestSignInAttemptsAreThrottledPerAddress(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	e := newEnv(t, db)
	o := e.org("north", organization.SignInMethodAny)
	e.user(o, account{email: "ana@north.example", password: rightPw})

	for i := range login.DefaultAttemptsBurst {
		r := e.login("north", fmt.Sprintf("user%d@north.example", i), "wrong password 1")
		if r.status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d %s", i+1, r.status, r.code())
		}
	}
	// The right password does not help once the address is out of
	// attempts: it is not even checked.
	r := e.login("north", "ana@north.example", rightPw)
	if r.status != http.StatusTooManyRequests || r.code() != login.CodeTooManyAttempts || r.header.Get("Retry-After") != "3" {
		t.Fatalf("over the limit: %d %s Retry-After %q", r.status, r.code(), r.header.Get("Retry-After"))
	}
	// 20 a minute: one more attempt every three seconds.
	e.clock.Advance(3 * time.Second)
	if r := e.login("north", "ana@north.example", rightPw); r.status != http.StatusOK {
		t.Fatalf("after waiting: %d %s", r.status, r.code())
	}
	if r := e.login("north", "ana@north.example", rightPw); r.status != http.StatusTooManyRequests {
		t.Fatalf("again at once: %d %s", r.status, r.code())
	}
}

// Wrong current passwords on a password change count toward the lockout,
// are audited, and once locked the change (and sign-in) is refused.
func TestWrongCurrentPasswordsLockTheAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		o := e.org("north", organization.SignInMethodAny)
		u := e.user(o, account{email: "ana@north.example", password: rightPw})
		r := e.login("north", "ana@north.example", rightPw)
		if r.status != http.StatusOK {
			t.Fatalf("login: %d %s", r.status, r.code())
		}
		tok := r.token()
		for i := range login.DefaultMaxFailedAttempts {
			r := e.changePassword("not my password at all", "a brand new passphrase", bearer(tok))
			want := http.StatusUnauthorized
			if i == login.DefaultMaxFailedAttempts-1 {
				want = http.StatusTooManyRequests
			}
			if r.status != want {
				t.Fatalf("attempt %d: %d %s", i+1, r.status, r.code())
			}
			e.clock.Advance(3 * time.Second) // stay under the per-address throttle
		}
		if c := e.credential(u); c.LockedUntil == nil || c.FailedAttempts != login.DefaultMaxFailedAttempts {
			t.Errorf("credential after 10 wrong current passwords: locked %v, %d failures", c.LockedUntil, c.FailedAttempts)
		}
		if n := len(e.audits(o, audit.PasswordChangeFailed)); n != login.DefaultMaxFailedAttempts {
			t.Errorf("%d password_change_failed events, want %d", n, login.DefaultMaxFailedAttempts)
		}
		if r := e.changePassword(rightPw, "a brand new passphrase", bearer(tok)); r.status != http.StatusTooManyRequests {
			t.Errorf("change while locked, right password: %d %s", r.status, r.code())
		}
		if r := e.login("north", "ana@north.example", rightPw); r.status != http.StatusTooManyRequests {
			t.Errorf("sign-in while locked: %d %s", r.status, r.code())
		}
	})
}
