// Package bootstrap creates an organization: the tenant row, its built-in
// roles, the account owner with a password, the annual subscription with the
// owner's seat, and the audit event saying so, all in one transaction.
package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/organization"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/seatcharge"
	"github.com/clinicgate/clinicgate/ent/subscription"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// DefaultTempPasswordTTL is how long a generated owner password works.
const DefaultTempPasswordTTL = 72 * time.Hour

// Field length limits, in bytes, as the schema's validators count them.
const (
	maxOrgNameLen   = 200
	maxEmailLen     = 254 // RFC 5321 path limit; the column holds 320
	maxOwnerNameLen = 200
)

// Params say what organization to create.
type Params struct {
	// Name is the organization's display name (required).
	Name string
	// Slug names the organization at sign-in and in URLs; unique across the
	// server. Empty: derived from Name (see Slugify). A given slug is
	// trimmed and lower-cased, then must pass ValidateSlug.
	Slug string

	// OwnerEmail is the account owner's email (required).
	OwnerEmail string
	// OwnerPassword is the owner's password; it must pass the password
	// policy. Empty: a temporary password is generated, returned once in
	// Result.TemporaryPassword, and must be changed at first sign-in.
	OwnerPassword string
	// OwnerName is the owner's full name (optional), e.g. "Dana Whitfield".
	OwnerName string
	// TempPasswordTTL is how long a temporary password works (default
	// DefaultTempPasswordTTL).
	TempPasswordTTL time.Duration

	// SeatPriceCents is the price of one seat for a whole annual term.
	SeatPriceCents int64
	// Seats is the subscription's seat limit, the owner's seat included
	// (default DefaultSeats); administrators change it with setSeatLimit.
	Seats int

	// Clock tells the time of creation (default: the clock in ctx). Every
	// row and audit event of the organization's creation carries that one
	// instant.
	Clock clock.Clock
	// Hasher hashes the owner's password; the zero Hasher uses the default
	// argon2id parameters. Tests may pass cheaper ones.
	Hasher password.Hasher
}

// Result is what Create made. When Create ran in its own transaction the
// entities are detached from it (Unwrap'ed) and usable with the client.
type Result struct {
	Org   *ent.Organization
	Owner *ent.User
	// Roles are the built-in roles by key (authz.BuiltinRole.Key, the role's
	// builtin enum value).
	Roles map[string]*ent.Role
	// Subscription is the organization's annual plan.
	Subscription *ent.Subscription
	// TemporaryPassword is the generated owner password, to be shown once;
	// empty when Params.OwnerPassword was given.
	TemporaryPassword string
}

// ErrSlugTaken is the error (tested with errors.Is) for a slug another
// organization already has: apperr.Conflict with code slug_taken. The
// error returned names the slug.
var ErrSlugTaken = &apperr.Error{Kind: apperr.Conflict, Code: "slug_taken",
	Message: "organization slug already taken"}

func slugTaken(slug string) *apperr.Error {
	e := *ErrSlugTaken
	e.Message = fmt.Sprintf("organization %q already exists", slug)
	return &e
}

// A parameter Create refuses is an apperr.Invalid *apperr.Error: Field is
// the Params field in snake case (name, slug, owner_email, owner_password,
// owner_name, temp_password_ttl, seat_price_cents); Message is a sentence
// fit to show. For owner_password it wraps the *password.PolicyError and
// Policy is its code.
func invalid(field, reason string) *apperr.Error {
	return &apperr.Error{Kind: apperr.Invalid, Field: field, Message: reason}
}

// failpoint lets tests make Create fail at a named step, to prove that a
// failure anywhere rolls everything back. nil outside tests.
var failpoint func(ctx context.Context, step string) error

func fail(ctx context.Context, step string) error {
	if failpoint == nil {
		return nil
	}
	return failpoint(ctx, step)
}

// Create creates an organization with its built-in roles, account owner,
// owner's password credential, subscription, owner's seat charge and an
// org.bootstrapped audit event, in one transaction: on any error nothing is
// left behind.
//
// Create is trusted server code (the CLI, the demo seed): it needs no viewer
// in ctx. If client is already transactional (tx.Client()), Create works
// inside that transaction and leaves commit and rollback to the caller, who
// must roll back when Create fails (on PostgreSQL a failed statement aborts
// the transaction); the Result's entities are then still bound to it.
//
// Errors: an apperr.Invalid *apperr.Error with its Field for refused
// parameters (nothing is written), and an error matching ErrSlugTaken when the slug exists, also when another
// Create takes it concurrently.
func Create(ctx context.Context, client *ent.Client, p Params) (*Result, error) {
	if p.Clock == nil {
		p.Clock = clock.FromContext(ctx)
	}
	in, err := prepare(p)
	if err != nil {
		return nil, err
	}
	at := in.now
	ctx = clock.NewContext(ctx, clock.Func(func() time.Time { return at }))

	// Hash before the transaction: argon2id takes a noticeable time and
	// memory, and SQLite holds its write lock for the whole transaction.
	plain := in.password
	if plain == "" {
		if plain, err = password.Temporary(); err != nil {
			return nil, fmt.Errorf("bootstrap: %w", err)
		}
	}
	hash, err := p.Hasher.Hash(plain)
	if err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}

	tx, err := client.Tx(ctx)
	switch {
	case errors.Is(err, ent.ErrTxStarted):
		// The caller's transaction.
		return create(ctx, client, in, hash, plain)
	case err != nil:
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	res, err := create(ctx, tx.Client(), in, hash, plain)
	if err != nil {
		_ = tx.Rollback()
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("bootstrap: commit: %w", err)
	}
	res.Org = res.Org.Unwrap()
	res.Owner = res.Owner.Unwrap()
	res.Subscription = res.Subscription.Unwrap()
	for k, r := range res.Roles {
		res.Roles[k] = r.Unwrap()
	}
	return res, nil
}

// input is Params checked and normalized.
type input struct {
	name, slug                     string
	email, password                string
	givenName, familyName, display string
	ttl                            time.Duration
	seatPrice                      int64
	seats                          int
	now                            time.Time
}

// DefaultSeats is the seat limit of a new organization's subscription: the
// owner and room to invite a team before anyone has to raise it.
const DefaultSeats = 10

func prepare(p Params) (input, error) {
	in := input{
		name:      strings.TrimSpace(p.Name),
		slug:      strings.ToLower(strings.TrimSpace(p.Slug)),
		email:     strings.TrimSpace(p.OwnerEmail),
		password:  p.OwnerPassword,
		display:   strings.Join(strings.Fields(p.OwnerName), " "),
		ttl:       p.TempPasswordTTL,
		seatPrice: p.SeatPriceCents,
		seats:     p.Seats,
	}
	in.now = p.Clock.Now().UTC()

	if reason := checkText(in.name, maxOrgNameLen); reason != "" {
		return in, invalid("name", reason)
	}
	if in.slug == "" {
		in.slug = Slugify(in.name)
		if reason := ValidateSlug(in.slug); reason != "" {
			return in, invalid("slug", fmt.Sprintf("cannot derive a slug from the name %q (%s); choose one", in.name, reason))
		}
	} else if reason := ValidateSlug(in.slug); reason != "" {
		return in, invalid("slug", reason)
	}
	if reason := checkEmail(in.email); reason != "" {
		return in, invalid("owner_email", reason)
	}
	if in.display != "" {
		if reason := checkText(in.display, maxOwnerNameLen); reason != "" {
			return in, invalid("owner_name", reason)
		}
		// "Mary Ann Smith": given "Mary Ann", family "Smith".
		if i := strings.LastIndexByte(in.display, ' '); i > 0 {
			in.givenName, in.familyName = in.display[:i], in.display[i+1:]
		} else {
			in.givenName = in.display
		}
	}
	if in.password != "" {
		if err := password.ValidateFor(in.password, in.email); err != nil {
			var pe *password.PolicyError
			if errors.As(err, &pe) {
				e := invalid("owner_password", pe.Reason)
				e.Policy, e.Err = pe.Code, err
				return in, e
			}
			e := invalid("owner_password", "Password is not acceptable.")
			e.Err = err
			return in, e
		}
	}
	switch {
	case in.ttl < 0:
		return in, invalid("temp_password_ttl", "must not be negative")
	case in.ttl == 0:
		in.ttl = DefaultTempPasswordTTL
	}
	if in.seatPrice < 0 {
		return in, invalid("seat_price_cents", "must not be negative")
	}
	switch {
	case in.seats < 0:
		return in, invalid("seats", "must not be negative")
	case in.seats == 0:
		in.seats = DefaultSeats
	}
	return in, nil
}

// checkText reports why a required one-line text is unacceptable.
func checkText(s string, maxLen int) string {
	switch {
	case s == "":
		return "must not be empty"
	case !utf8.ValidString(s):
		return "is not valid text"
	case len(s) > maxLen:
		return fmt.Sprintf("must be at most %d bytes", maxLen)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "must not contain control characters"
		}
	}
	return ""
}

// checkEmail reports why email is not a plain address (local@domain.tld, no
// display name, no comments).
func checkEmail(email string) string {
	if email == "" {
		return "must not be empty"
	}
	if len(email) > maxEmailLen {
		return fmt.Sprintf("must be at most %d characters", maxEmailLen)
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Name != "" || addr.Address != email {
		return "is not a valid email address"
	}
	at := strings.LastIndexByte(email, '@')
	domain := email[at+1:]
	if at <= 0 || strings.ContainsAny(email, " \t\"()<>,;:[]\\") ||
		!strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") ||
		strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "is not a valid email address"
	}
	return ""
}

// Term returns the annual term that starts on the (UTC) day of now, and its
// length in days.
func Term(now time.Time) (start, end time.Time, days int) {
	now = now.UTC()
	start = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	end = start.AddDate(1, 0, 0)
	return start, end, int(end.Sub(start) / (24 * time.Hour))
}

func create(ctx context.Context, c *ent.Client, in input, hash, plain string) (*Result, error) {
	// Organizations are outside any tenant: only an Allow decision may see
	// all slugs and create one.
	allow := privacy.DecisionContext(ctx, privacy.Allow)
	taken, err := c.Organization.Query().Where(organization.Slug(in.slug)).Exist(allow)
	if err != nil {
		return nil, fmt.Errorf("bootstrap: check slug: %w", err)
	}
	if taken {
		return nil, slugTaken(in.slug)
	}
	if err := fail(ctx, "slug_checked"); err != nil {
		return nil, err
	}
	org, err := c.Organization.Create().
		SetName(in.name).
		SetSlug(in.slug).
		SetCreatedAt(in.now).
		SetUpdatedAt(in.now).
		Save(allow)
	if err != nil {
		// Another Create took the slug between the check and the insert;
		// slug (and the random id) is the only unique column.
		if ent.IsConstraintError(err) {
			return nil, slugTaken(in.slug)
		}
		return nil, fmt.Errorf("bootstrap: create organization: %w", err)
	}

	// Everything else is the new organization's own: act as the system
	// within it, so that the tenant rule still checks every row.
	sys := viewer.ForSystem(ctx, org.ID)
	res := &Result{Org: org, Roles: map[string]*ent.Role{}}

	builtins := authz.BuiltinRoles()
	creates := make([]*ent.RoleCreate, 0, len(builtins))
	for _, br := range builtins {
		b := role.Builtin(br.Key)
		if err := role.BuiltinValidator(b); err != nil {
			return nil, fmt.Errorf("bootstrap: built-in role %q: %w", br.Key, err)
		}
		privs := make([]string, len(br.Privileges))
		for i, p := range br.Privileges {
			privs[i] = string(p)
		}
		creates = append(creates, c.Role.Create().
			SetOrganizationID(org.ID).
			SetName(br.Name).
			SetDescription(br.Description).
			SetBuiltin(b).
			SetPrivileges(privs).
			SetCreatedAt(in.now).
			SetUpdatedAt(in.now))
	}
	roles, err := c.Role.CreateBulk(creates...).Save(sys)
	if err != nil {
		return nil, fmt.Errorf("bootstrap: create roles: %w", err)
	}
	for _, r := range roles {
		res.Roles[string(*r.Builtin)] = r
	}
	ownerRole := res.Roles[string(role.BuiltinAccountOwner)]
	if ownerRole == nil {
		return nil, errors.New("bootstrap: authz.BuiltinRoles has no ACCOUNT_OWNER role")
	}
	if err := fail(ctx, "roles_created"); err != nil {
		return nil, err
	}

	owner, err := c.User.Create().
		SetOrganizationID(org.ID).
		SetEmail(in.email).
		SetGivenName(in.givenName).
		SetFamilyName(in.familyName).
		SetDisplayName(in.display).
		SetKind(user.KindStaff).
		SetStatus(user.StatusActive).
		SetIsAccountOwner(true).
		SetScheduleAccess(user.ScheduleAccessViewEditAll).
		AddRoles(ownerRole).
		SetCreatedAt(in.now).
		SetUpdatedAt(in.now).
		Save(sys)
	if err != nil {
		return nil, fmt.Errorf("bootstrap: create owner: %w", err)
	}
	res.Owner = owner

	cred := c.PasswordCredential.Create().
		SetOrganizationID(org.ID).
		SetUserID(owner.ID).
		SetHash(hash).
		SetChangedAt(in.now).
		SetCreatedAt(in.now).
		SetUpdatedAt(in.now)
	if in.password == "" {
		cred.SetMustChange(true).SetTemporaryExpiresAt(in.now.Add(in.ttl))
		res.TemporaryPassword = plain
	}
	if err := cred.Exec(sys); err != nil {
		return nil, fmt.Errorf("bootstrap: create owner's password: %w", err)
	}
	if err := fail(ctx, "owner_created"); err != nil {
		return nil, err
	}

	start, end, days := Term(in.now)
	sub, err := c.Subscription.Create().
		SetOrganizationID(org.ID).
		SetTermStart(start).
		SetTermEnd(end).
		SetSeatPriceCents(in.seatPrice).
		SetSeats(in.seats).
		SetStatus(subscription.StatusActive).
		SetCreatedAt(in.now).
		SetUpdatedAt(in.now).
		Save(sys)
	if err != nil {
		return nil, fmt.Errorf("bootstrap: create subscription: %w", err)
	}
	res.Subscription = sub
	// The owner joins on the term's first day: a full term's seat.
	err = c.SeatCharge.Create().
		SetOrganizationID(org.ID).
		SetSubscriptionID(sub.ID).
		SetUserID(owner.ID).
		SetAmountCents(in.seatPrice).
		SetDaysRemaining(days).
		SetDaysInTerm(days).
		SetReason(seatcharge.ReasonMemberAdded).
		SetChargedAt(in.now).
		Exec(sys)
	if err != nil {
		return nil, fmt.Errorf("bootstrap: charge owner's seat: %w", err)
	}
	if err := fail(ctx, "billing_created"); err != nil {
		return nil, err
	}

	err = audit.Record(sys, c, audit.Event{
		Org:        org.ID,
		Action:     audit.OrgBootstrapped,
		TargetType: "organization",
		TargetID:   string(org.ID),
		Details: map[string]any{
			"name":               org.Name,
			"slug":               org.Slug,
			"owner_id":           string(owner.ID),
			"temporary_password": in.password == "",
			"roles":              len(roles),
			"subscription_id":    string(sub.ID),
		},
	})
	if err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	if err := fail(ctx, "audited"); err != nil {
		return nil, err
	}
	return res, nil
}
