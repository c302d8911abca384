// Package seats counts the paid staff seats of an organization's
// subscription (seed 004) and bills a seat, pro-rated by the days left in
// the annual term, when a member is added (at invitation).
//
// A seat is held by every staff user who is invited, active or suspended,
// and by every pending invitation (expired ones included, until they are
// revoked: a resend reuses the seat). Accepting moves the seat from the
// invitation to the user it creates; revoking a pending invitation frees
// its seat; removing (soft-deleting) a user frees theirs (Release). A
// freed seat is not refunded: its charge stays.
//
// An organization without a current subscription (none whose term holds
// today) has unlimited seats and is charged nothing. A TRIAL subscription
// enforces its seat limit but records no charges; a CANCELLED one adds no
// seat.
package seats

import (
	"context"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/invitation"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/seatcharge"
	"github.com/clinicgate/clinicgate/ent/subscription"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Audit actions of this package.
const (
	SeatConsumed = "seat.consumed"
	SeatReleased = "seat.released"
)

// Current returns the organization's current subscription: the latest
// whose term holds now, or nil. sys must be a context allowed to read it.
func Current(sys context.Context, c *ent.Client, org pulid.ID, now time.Time) (*ent.Subscription, error) {
	s, err := c.Subscription.Query().
		Where(subscription.OrganizationID(org), subscription.TermStartLTE(now), subscription.TermEndGT(now)).
		Order(ent.Desc(subscription.FieldTermStart)).
		First(sys)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return s, err
}

// Used counts the seats held in the organization (see the package comment).
func Used(sys context.Context, c *ent.Client, org pulid.ID) (int, error) {
	users, err := c.User.Query().Where(user.OrganizationID(org), user.KindEQ(user.KindStaff),
		user.StatusIn(user.StatusInvited, user.StatusActive, user.StatusSuspended)).Count(sys)
	if err != nil {
		return 0, err
	}
	pending, err := c.Invitation.Query().Where(invitation.OrganizationID(org),
		invitation.StatusEQ(invitation.StatusPending), invitation.UserIDIsNil()).Count(sys)
	if err != nil {
		return 0, err
	}
	return users + pending, nil
}

// Days returns the whole days between two instants' UTC dates.
func Days(from, to time.Time) int {
	d := func(t time.Time) time.Time {
		y, m, dd := t.UTC().Date()
		return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
	}
	return int(d(to).Sub(d(from)).Hours() / 24)
}

// Prorate returns the charge of one seat added at now: the seat price
// times the days left in the term (the day of adding counts) over the
// days in the term, rounded down, in integer cents.
func Prorate(s *ent.Subscription, now time.Time) (amount int64, daysLeft, daysInTerm int) {
	daysInTerm = max(Days(s.TermStart, s.TermEnd), 1)
	daysLeft = min(max(Days(now, s.TermEnd), 0), daysInTerm)
	return s.SeatPriceCents * int64(daysLeft) / int64(daysInTerm), daysLeft, daysInTerm
}

// Consume takes one seat for each invitation in invitationIDs (just
// created in c, the caller's transaction) and records its charge, in one
// statement. ctx must carry the authz.InviteUsers decision. It locks the
// subscription row first (an update), so concurrent invitations queue and
// the limit holds; over the limit it returns CONFLICT: the caller is
// allowed to add members, but the subscription has no seat left until one
// is freed or the limit is raised (a state of the organization, not a
// refusal of the caller, so not FORBIDDEN). Consume is called after the
// invitations are created, so the count already includes them.
func Consume(ctx context.Context, c *ent.Client, org pulid.ID, invitationIDs []pulid.ID) error {
	holders := make([]holder, len(invitationIDs))
	for i, id := range invitationIDs {
		holders[i] = holder{typ: "invitation", id: id}
	}
	return consume(ctx, c, org, holders)
}

// ConsumeForUser takes the seat of a staff user added without an
// invitation (an employee given user access, seed 003) and records its
// charge, as Consume does for invitations. The user is created in c
// before, so the count includes them.
func ConsumeForUser(ctx context.Context, c *ent.Client, org, userID pulid.ID) error {
	return consume(ctx, c, org, []holder{{typ: "user", id: userID}})
}

// holder is what takes a seat: an invitation or a user.
type holder struct {
	typ string // "invitation" or "user"
	id  pulid.ID
}

func consume(ctx context.Context, c *ent.Client, org pulid.ID, holders []holder) error {
	if len(holders) == 0 {
		return nil
	}
	sys := viewer.ForSystem(ctx, org)
	now := clock.Now(ctx)
	sub, err := Current(sys, c, org, now)
	if err != nil || sub == nil {
		return err
	}
	if sub.Status == subscription.StatusCancelled {
		return apperr.New(apperr.Conflict, "the subscription is cancelled: no seat can be added")
	}
	// Lock: concurrent additions wait here until this one commits.
	if err := c.Subscription.UpdateOneID(sub.ID).SetUpdatedAt(now).Exec(ctx); err != nil {
		return err
	}
	used, err := Used(sys, c, org)
	if err != nil {
		return err
	}
	if used > sub.Seats {
		free := max(sub.Seats-(used-len(holders)), 0)
		return apperr.New(apperr.Conflict,
			"the subscription has %d seats and %d are free; %d are needed: free a seat or raise the seat limit",
			sub.Seats, free, len(holders))
	}
	if sub.Status != subscription.StatusActive {
		return nil
	}
	amount, left, days := Prorate(sub, now)
	charges := make([]*ent.SeatChargeCreate, len(holders))
	events := make([]audit.Event, len(holders))
	for i, h := range holders {
		ch := c.SeatCharge.Create().SetOrganizationID(org).SetSubscriptionID(sub.ID).
			SetAmountCents(amount).SetDaysRemaining(left).SetDaysInTerm(days).
			SetReason(seatcharge.ReasonMemberAdded).SetChargedAt(now)
		if h.typ == "user" {
			ch.SetUserID(h.id)
		} else {
			ch.SetInvitationID(h.id)
		}
		charges[i] = ch
		events[i] = audit.Event{Org: org, Action: SeatConsumed, TargetType: h.typ, TargetID: string(h.id),
			Details: map[string]any{"amount_cents": amount, "days_remaining": left, "days_in_term": days, "currency": sub.Currency}}
	}
	if err := c.SeatCharge.CreateBulk(charges...).Exec(ctx); err != nil {
		return err
	}
	return audit.RecordBatch(ctx, c, events)
}

// Released records that the seat of a revoked invitation is free again
// (the count frees it: a revoked invitation holds none). ctx carries the
// revoking decision.
func Released(ctx context.Context, c *ent.Client, org pulid.ID, targetType string, id pulid.ID) error {
	return audit.Record(ctx, c, audit.Event{Org: org, Action: SeatReleased, TargetType: targetType, TargetID: string(id)})
}

// Release frees the seat of a user being removed (the directory's
// soft-delete calls it, in its transaction, after marking the user
// DELETED; its decision must allow audit events). The count frees the
// seat; Release records it. Nothing is refunded.
func Release(ctx context.Context, c *ent.Client, userID pulid.ID) error {
	v := viewer.FromContext(ctx)
	if v == nil {
		return apperr.New(apperr.Unauthenticated, "sign in first")
	}
	return Released(ctx, c, v.OrgID, "user", userID)
}

// Status is what the seats screen shows.
type Status struct {
	// Plan is nil without a current subscription (unlimited seats).
	Plan *Plan
	Used int
	// Available is nil when seats are unlimited.
	Available *int
	// Charges are the current term's, oldest first.
	Charges      []Charge
	ChargeCount  int
	ChargedCents int
}

// MaxRecent is the most charges RecentCharges returns.
const MaxRecent = 100

// RecentCharges returns the limit most recent charges, newest first
// (50 when limit is nil; 1 to MaxRecent).
func (s *Status) RecentCharges(limit *int) ([]Charge, error) {
	n := 50
	if limit != nil {
		n = *limit
	}
	if n < 1 || n > MaxRecent {
		return nil, apperr.InvalidField("limit", "limit must be between 1 and %d", MaxRecent)
	}
	out := make([]Charge, 0, min(n, len(s.Charges)))
	for i := len(s.Charges) - 1; i >= 0 && len(out) < n; i-- {
		out = append(out, s.Charges[i])
	}
	return out, nil
}

// Plan is the current subscription.
type Plan struct {
	ID             pulid.ID
	TermStart      time.Time
	TermEnd        time.Time
	SeatPriceCents int
	Currency       string
	Seats          int
	Status         string
}

// Charge is one seat charge.
type Charge struct {
	ID            pulid.ID
	InvitationID  *pulid.ID
	UserID        *pulid.ID
	AmountCents   int
	DaysRemaining int
	DaysInTerm    int
	Reason        string
	ChargedAt     time.Time
}

// Get returns the organization's seats and charges (of the current
// subscription), for administrators (authz.ViewSeats).
func Get(ctx context.Context, c *ent.Client) (*Status, error) {
	ctx, err := authz.Require(ctx, c, authz.ViewSeats, authz.Target{})
	if err != nil {
		return nil, err
	}
	org := viewer.FromContext(ctx).OrgID
	sys := viewer.ForSystem(ctx, org)
	sub, err := Current(sys, c, org, clock.Now(ctx))
	if err != nil {
		return nil, err
	}
	used, err := Used(sys, c, org)
	if err != nil {
		return nil, err
	}
	st := &Status{Used: used}
	if sub == nil {
		return st, nil
	}
	st.Plan = &Plan{ID: sub.ID, TermStart: sub.TermStart, TermEnd: sub.TermEnd, SeatPriceCents: int(sub.SeatPriceCents),
		Currency: sub.Currency, Seats: sub.Seats, Status: string(sub.Status)}
	free := max(sub.Seats-used, 0)
	st.Available = &free
	rows, err := c.SeatCharge.Query().Where(seatcharge.SubscriptionID(sub.ID)).
		Order(ent.Asc(seatcharge.FieldChargedAt), ent.Asc(seatcharge.FieldID)).All(sys)
	if err != nil {
		return nil, err
	}
	st.Charges = make([]Charge, len(rows))
	for i, r := range rows {
		st.Charges[i] = Charge{ID: r.ID, InvitationID: r.InvitationID, UserID: r.UserID, AmountCents: int(r.AmountCents),
			DaysRemaining: r.DaysRemaining, DaysInTerm: r.DaysInTerm, Reason: string(r.Reason), ChargedAt: r.ChargedAt}
		st.ChargeCount++
		st.ChargedCents += int(r.AmountCents)
	}
	return st, nil
}

// SetLimit sets the current subscription's seat limit to n, in c (the
// request's transaction), with its audit event (from/to). A limit below
// the seats held is a CONFLICT; without a current subscription there is no
// limit to set (NOT_FOUND).
func SetLimit(ctx context.Context, c *ent.Client, n int) (*Status, error) {
	ctx, err := authz.Require(ctx, c, authz.SetSeatLimit, authz.Target{})
	if err != nil {
		return nil, err
	}
	if n < 0 || n > 100000 {
		return nil, apperr.InvalidField("seats", "the seat limit must be between 0 and 100000")
	}
	org := viewer.FromContext(ctx).OrgID
	sys := viewer.ForSystem(ctx, org)
	sub, err := Current(sys, c, org, clock.Now(ctx))
	if err != nil {
		return nil, err
	}
	if sub == nil {
		return nil, apperr.New(apperr.NotFound, "the organization has no current subscription: its seats are unlimited")
	}
	used, err := Used(sys, c, org)
	if err != nil {
		return nil, err
	}
	if n < used {
		return nil, apperr.New(apperr.Conflict, "%d seats are held; free seats before lowering the limit to %d", used, n)
	}
	if n != sub.Seats {
		if err := c.Subscription.UpdateOneID(sub.ID).SetSeats(n).Exec(ctx); err != nil {
			return nil, err
		}
		if err := audit.Record(ctx, c, audit.Event{
			Action: "seats.limit_changed", TargetType: "subscription", TargetID: string(sub.ID),
			Details: map[string]any{"from": sub.Seats, "to": n, "used": used},
		}); err != nil {
			return nil, err
		}
	}
	return Get(ctx, c)
}
