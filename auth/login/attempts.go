package login

import (
	"strings"
	"time"

	"github.com/clinicgate/clinicgate/internal/mfa"
)

// SecondFactorLimiter returns the handler's sign-in throttle for
// second-factor attempts (internal/mfa): a wrong code counts against the
// same account and address as a wrong password, so that knowing the
// password buys no extra guesses at the code.
func (h *Handler) SecondFactorLimiter() mfa.Limiter { return attempts{h.flow.throttle} }

type attempts struct{ t *throttle }

func (a attempts) Admit(orgSlug, normalizedEmail, addr string) (func(mfa.Outcome), time.Duration) {
	tk, wait := a.t.admit(accountKey(strings.ToLower(orgSlug), normalizedEmail), addr)
	if wait > 0 {
		return nil, wait
	}
	return func(o mfa.Outcome) {
		switch o {
		case mfa.Failed:
			a.t.settle(tk, failed)
		case mfa.Succeeded:
			a.t.settle(tk, succeeded)
		default:
			a.t.settle(tk, unchecked)
		}
	}, 0
}
