package login_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/auth/login"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// One address spraying guesses over many accounts is throttled, whatever
// the accounts: the per-account limits alone would let it try 5 passwords
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
	if r.status != http.StatusTooManyRequests || r.code() != login.ErrTooManyAttempts.Code || r.header.Get("Retry-After") != "3" {
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
