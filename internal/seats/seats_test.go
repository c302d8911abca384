package seats_test

import (
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/internal/seats"
)

func TestProrateChargesTheDaysLeftInTheTermInIntegerCents(t *testing.T) {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	sub := &ent.Subscription{TermStart: d(2026, 1, 1), TermEnd: d(2027, 1, 1), SeatPriceCents: 36500}
	for _, tc := range []struct {
		name      string
		now       time.Time
		amount    int64
		left, all int
	}{
		{"183 of 365 days left", d(2026, 7, 2).Add(15 * time.Hour), 18300, 183, 365},
		{"the first day", d(2026, 1, 1), 36500, 365, 365},
		{"the last day", d(2026, 12, 31).Add(23 * time.Hour), 100, 1, 365},
		{"after the term", d(2027, 2, 1), 0, 0, 365},
	} {
		amount, left, all := seats.Prorate(sub, tc.now)
		if amount != tc.amount || left != tc.left || all != tc.all {
			t.Errorf("%s: %d cents, %d/%d days; want %d, %d/%d", tc.name, amount, left, all, tc.amount, tc.left, tc.all)
		}
	}
	// Rounded down: 1,000 cents over 3 days, 1 left.
	odd := &ent.Subscription{TermStart: d(2026, 1, 1), TermEnd: d(2026, 1, 4), SeatPriceCents: 1000}
	if amount, _, _ := seats.Prorate(odd, d(2026, 1, 3)); amount != 333 {
		t.Errorf("%d, want 333", amount)
	}
}
