package login_test

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/auth/login"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// answer is what a client can observe of a refusal, request id aside.
type answer struct {
	status     int
	retryAfter string
	body       string
}

func (a answer) String() string {
	return fmt.Sprintf("%d %s Retry-After %q", a.status, a.body, a.retryAfter)
}

func observe(r reply) answer {
	body := maps.Clone(r.body)
	if e, ok := body["error"].(map[string]any); ok {
		e = maps.Clone(e)
		delete(e, "requestId")
		body["error"] = e
	}
	return answer{status: r.status, retryAfter: r.header.Get("Retry-After"), body: fmt.Sprint(body)}
}

// Eleven wrong passwords, a twelfth attempt with the right one, all at
// once from one address: an account that exists, an email nobody has and
// an organization that does not exist get the same answers, in the same
// order. The existing account's right password is refused exactly like a
// wrong one for an account that does not exist.
func TestUnknownExistingAndThrottledAccountsAnswerAlike(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		o := e.org("alike", organization.SignInMethodAny)
		e.user(o, account{email: "ana@x.example", password: rightPw})

		targets := []struct{ name, org, email, addr string }{
			{"an existing account", "alike", "ana@x.example", "198.51.100.1"},
			{"an unknown email", "alike", "nobody@x.example", "198.51.100.2"},
			{"an unknown organization", "no-such-clinic", "ana@x.example", "198.51.100.3"},
		}
		seen := map[string][]answer{}
		for _, tg := range targets {
			for range 11 {
				seen[tg.name] = append(seen[tg.name], observe(e.login(tg.org, tg.email, wrongPw, from(tg.addr))))
			}
			seen[tg.name] = append(seen[tg.name], observe(e.login(tg.org, tg.email, rightPw, from(tg.addr))))
		}
		want := seen["an existing account"]
		for i, a := range want {
			status := http.StatusUnauthorized
			if i >= login.DefaultFreeFailures {
				status = http.StatusTooManyRequests
			}
			if a.status != status {
				t.Errorf("attempt %d on an existing account: %s, want %d", i+1, a, status)
			}
		}
		for _, tg := range targets[1:] {
			if !slices.Equal(seen[tg.name], want) {
				t.Errorf("%s answered\n%v\nan existing account\n%v", tg.name, seen[tg.name], want)
			}
		}
		// The owner, from anywhere else, is not locked out.
		must(t, e.login("alike", "ana@x.example", rightPw, from("203.0.113.9")), http.StatusOK, "")
	})
}

// However fast one address guesses, and for however long, the owner signs
// in from another address at once with the right password.
func TestAnAttackerAtOneAddressCannotKeepTheOwnerOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		o := e.org("owner", organization.SignInMethodAny)
		e.user(o, account{email: "ana@x.example", password: rightPw})

		const attacker, owner = "198.51.100.66", "203.0.113.5"
		end := e.clock.Now().Add(6 * time.Hour)
		failures := 0
		for e.clock.Now().Before(end) {
			r := e.login("owner", "ana@x.example", wrongPw, from(attacker))
			switch r.status {
			case http.StatusUnauthorized:
				failures++
				if failures == 10 || failures == 15 || failures == 20 { // the old lockout tripped at 10
					must(t, e.login("owner", "ana@x.example", rightPw, from(owner)), http.StatusOK, "")
				}
			case http.StatusTooManyRequests:
				secs, err := strconv.Atoi(r.header.Get("Retry-After"))
				if err != nil || secs <= 0 {
					t.Fatalf("429 with Retry-After %q", r.header.Get("Retry-After"))
				}
				e.clock.Advance(time.Duration(secs) * time.Second)
			default:
				t.Fatalf("attacker got %d %s", r.status, r.code())
			}
		}
		if failures < 20 || failures > 40 {
			t.Errorf("the attacker had %d guesses in 6 hours", failures)
		}
		must(t, e.login("owner", "ana@x.example", rightPw, from(owner)), http.StatusOK, "")
	})
}

// From one address on one account, the wait after each failure past the
// free ones doubles up to its ceiling, for existing and unknown accounts
// alike; the right password clears it.
func TestBackoffDoublesUpToItsCeiling(t *testing.T) {
	want := []string{"1", "2", "4", "8", "16", "32", "64", "128", "256", "512", "900", "900"}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		o := e.org("backoff", organization.SignInMethodAny)
		e.user(o, account{email: "ana@x.example", password: rightPw})
		for _, email := range []string{"ana@x.example", "nobody@x.example"} {
			t.Run(email, func(t *testing.T) {
				addr := "198.51.100.80"
				if email != "ana@x.example" {
					addr = "198.51.100.81"
				}
				for i := range login.DefaultFreeFailures {
					if r := e.login("backoff", email, wrongPw, from(addr)); r.status != http.StatusUnauthorized {
						t.Fatalf("free failure %d: %d %s", i+1, r.status, r.code())
					}
				}
				var waits []string
				for range want {
					r := e.login("backoff", email, wrongPw, from(addr))
					must(t, r, http.StatusTooManyRequests, "too_many_attempts")
					w := r.header.Get("Retry-After")
					waits = append(waits, w)
					secs, _ := strconv.Atoi(w)
					e.clock.Advance(time.Duration(secs)*time.Second - time.Millisecond)
					// Not a moment early.
					must(t, e.login("backoff", email, wrongPw, from(addr)), http.StatusTooManyRequests, "too_many_attempts")
					e.clock.Advance(time.Millisecond)
					must(t, e.login("backoff", email, wrongPw, from(addr)), http.StatusUnauthorized, "invalid_credentials")
				}
				if !slices.Equal(waits, want) {
					t.Errorf("waits %v, want %v", waits, want)
				}
				if email != "ana@x.example" {
					return
				}
				e.clock.Advance(15 * time.Minute)
				must(t, e.login("backoff", email, rightPw, from(addr)), http.StatusOK, "")
				for range login.DefaultFreeFailures { // free again
					must(t, e.login("backoff", email, wrongPw, from(addr)), http.StatusUnauthorized, "invalid_credentials")
				}
			})
		}
	})
}

// Guesses spread over many addresses, each within its free failures, spend
// the account's allowance; then the account is checked once every 30 s,
// for whoever asks first: it slows, and lets the owner in within the
// interval; an address the owner signed in from before is not slowed. An
// unknown account is slowed the same way.
func TestTheAccountCeilingSlowsADistributedGuess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		o := e.org("ceiling", organization.SignInMethodAny)
		e.user(o, account{email: "ana@x.example", password: rightPw})
		const home = "203.0.113.20"
		must(t, e.login("ceiling", "ana@x.example", rightPw, from(home)), http.StatusOK, "")

		slowed := map[string]answer{}
		for _, email := range []string{"ana@x.example", "nobody@x.example"} {
			for i := range login.DefaultAccountBurst {
				addr := fmt.Sprintf("10.%d.0.%d", len(slowed), i+1)
				must(t, e.login("ceiling", email, wrongPw, from(addr)), http.StatusUnauthorized, "invalid_credentials")
			}
			r := e.login("ceiling", email, rightPw, from("192.0.2.200"))
			if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "30" {
				t.Fatalf("%s past the ceiling from a new address: %d %s Retry-After %q", email, r.status, r.code(), r.header.Get("Retry-After"))
			}
			slowed[email] = observe(r)
		}
		if slowed["ana@x.example"] != slowed["nobody@x.example"] {
			t.Errorf("slowed answers differ: %s vs %s", slowed["ana@x.example"], slowed["nobody@x.example"])
		}

		// The owner's own address is not slowed.
		must(t, e.login("ceiling", "ana@x.example", rightPw, from(home)), http.StatusOK, "")
		// Within the interval, one attempt from anywhere is checked.
		e.clock.Advance(login.DefaultAccountInterval)
		must(t, e.login("ceiling", "ana@x.example", wrongPw, from("192.0.2.201")), http.StatusUnauthorized, "invalid_credentials")
		must(t, e.login("ceiling", "ana@x.example", rightPw, from("192.0.2.202")), http.StatusTooManyRequests, "too_many_attempts")
		e.clock.Advance(login.DefaultAccountInterval)
		must(t, e.login("ceiling", "ana@x.example", rightPw, from("192.0.2.202")), http.StatusOK, "")
		// Its success gave its attempt back: the next new address is
		// checked too.
		must(t, e.login("ceiling", "ana@x.example", rightPw, from("192.0.2.203")), http.StatusOK, "")
	})
}

// Wrong current passwords on a password change fall under the same
// throttle and are audited; they lock nothing.
func TestWrongCurrentPasswordsAreThrottledAndAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		o := e.org("north", organization.SignInMethodAny)
		u := e.user(o, account{email: "ana@north.example", password: rightPw})
		const addr = "198.51.100.30"
		r := e.login("north", "ana@north.example", rightPw, from(addr))
		must(t, r, http.StatusOK, "")
		tok := r.token()
		for range login.DefaultFreeFailures {
			must(t, e.changePassword("not my password at all", "a brand new passphrase", bearer(tok), from(addr)),
				http.StatusUnauthorized, "invalid_credentials")
		}
		r = e.changePassword(rightPw, "a brand new passphrase", bearer(tok), from(addr))
		must(t, r, http.StatusTooManyRequests, "too_many_attempts")
		if r.header.Get("Retry-After") != "1" {
			t.Errorf("Retry-After = %q", r.header.Get("Retry-After"))
		}
		// Signing in from the same address is the same guess: throttled.
		must(t, e.login("north", "ana@north.example", rightPw, from(addr)), http.StatusTooManyRequests, "too_many_attempts")

		if c := e.credential(u); c.LockedUntil != nil || c.FailedAttempts != login.DefaultFreeFailures {
			t.Errorf("credential after %d wrong current passwords: locked %v, %d failures", login.DefaultFreeFailures, c.LockedUntil, c.FailedAttempts)
		}
		if n := len(e.audits(o, audit.PasswordChangeFailed)); n != login.DefaultFreeFailures {
			t.Errorf("%d password_change_failed events, want %d", n, login.DefaultFreeFailures)
		}
		e.clock.Advance(time.Second)
		must(t, e.changePassword(rightPw, "a brand new passphrase", bearer(tok), from(addr)), http.StatusOK, "")
	})
}
