// Package invite holds the invitation flows (seed 000, 001, 004): inviting
// one user or a thousand, from the organization's settings (a manager) or
// from a client's page (a sharer); resending, revoking and listing pending
// invitations; and accepting one (accept.go). Each operation runs in the
// caller's transaction, is decided by authz (InviteUsers,
// ResendInvitation, RevokeInvitation), consumes seats (internal/seats) and
// writes its audit events there. Nothing here knows GraphQL: SCIM and the
// HTTP acceptance endpoint call the same operations.
//
// The emailed link carries a token minted when the email is rendered
// (Renderer, at delivery); only its SHA-256 is stored. Until then the
// invitation holds the hash of a random value nobody knows, so no link
// works before one is sent, and a resend replaces the hash at once.
package invite

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/invitation"
	"github.com/clinicgate/clinicgate/ent/patient"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/staffprofile"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/audit"
	"github.com/clinicgate/clinicgate/internal/authz"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/outbox"
	"github.com/clinicgate/clinicgate/internal/seats"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// Audit actions of this package.
const (
	Created  = "invitation.created"
	Resent   = "invitation.resent"
	Revoked  = "invitation.revoked"
	Accepted = "invitation.accepted"
)

// TTL is how long an invitation link stays valid after it is sent (or
// resent).
const TTL = 7 * 24 * time.Hour

// MaxBulk is the most addresses one bulk invite takes.
const MaxBulk = 5000

// MailKind is the outbox kind of an invitation email (Renderer builds it).
const MailKind = "invitation"

// SignInMethod is the sign-in method an invitation requires.
type SignInMethod = invitation.SignInMethod

// Settings are what every invitation of one call carries.
type Settings struct {
	RoleIDs         []pulid.ID
	BusinessUnitIDs []pulid.ID
	// ClientIDs and StaffProfileIDs are the ACCESS tab. Nil means "the
	// default": when business units are chosen and a chosen role opens
	// the units' clients (or the primary unit's staff profiles), every
	// client (every staff profile) of those units; an empty, non-nil list
	// means none.
	ClientIDs       []pulid.ID
	StaffProfileIDs []pulid.ID
	RequireMFA      bool
	// SignInMethod is ANY when empty.
	SignInMethod SignInMethod
	// FromClient is the client whose page the invite comes from (seed 000
	// option 2): the sharer's way in. The invitee is linked to it.
	FromClient pulid.ID
}

// Selection is what the invitations of one call hand out, defaults
// applied: the response shows it.
type Selection struct {
	Roles           []*ent.Role
	BusinessUnitIDs []pulid.ID
	ClientIDs       []pulid.ID
	StaffProfileIDs []pulid.ID
}

// Outcome is the result of one address of a bulk invite.
type Outcome string

const (
	OutcomeInvited        Outcome = "INVITED"
	OutcomeAlreadyMember  Outcome = "ALREADY_MEMBER"
	OutcomeAlreadyInvited Outcome = "ALREADY_INVITED"
	OutcomeInvalidAddress Outcome = "INVALID_ADDRESS"
)

// MarshalGQL writes the outcome as a GraphQL enum value.
func (o Outcome) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(o))) }

// UnmarshalGQL reads the outcome from a GraphQL enum value.
func (o *Outcome) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("outcome must be a string")
	}
	*o = Outcome(s)
	return nil
}

// Result is one address's outcome.
type Result struct {
	// Address is the address as given (trimmed).
	Address    string
	Outcome    Outcome
	Invitation *ent.Invitation // for INVITED
}

// BulkOutcome is a bulk invite's results as parallel lists, with counts.
type BulkOutcome struct {
	Addresses           []string
	Outcomes            []Outcome
	InvitationIDs       []*pulid.ID
	InvitedCount        int
	AlreadyMemberCount  int
	AlreadyInvitedCount int
	InvalidCount        int
	Selection           *Selection
}

// Tally lays results out as a BulkOutcome.
func Tally(results []Result, sel *Selection) *BulkOutcome {
	out := &BulkOutcome{Addresses: make([]string, len(results)), Outcomes: make([]Outcome, len(results)),
		InvitationIDs: make([]*pulid.ID, len(results)), Selection: sel}
	for i, r := range results {
		out.Addresses[i], out.Outcomes[i] = r.Address, r.Outcome
		if r.Invitation != nil {
			id := r.Invitation.ID
			out.InvitationIDs[i] = &id
		}
		switch r.Outcome {
		case OutcomeInvited:
			out.InvitedCount++
		case OutcomeAlreadyMember:
			out.AlreadyMemberCount++
		case OutcomeAlreadyInvited:
			out.AlreadyInvitedCount++
		case OutcomeInvalidAddress:
			out.InvalidCount++
		}
	}
	return out
}

// Invite invites one address. An address already a member (a suspended
// user counts) or already invited is a CONFLICT; a malformed one a
// BAD_USER_INPUT on "email".
func Invite(ctx context.Context, c *ent.Client, email string, s Settings) (*ent.Invitation, *Selection, error) {
	email = strings.TrimSpace(email)
	if _, ok := parseAddress(email); !ok {
		return nil, nil, apperr.InvalidField("email", "%q is not an email address", email)
	}
	results, sel, err := invite(ctx, c, []string{email}, s)
	if err != nil {
		return nil, nil, err
	}
	switch r := results[0]; r.Outcome {
	case OutcomeAlreadyMember:
		return nil, nil, apperr.New(apperr.Conflict, "%s is already a member of the organization", email)
	case OutcomeAlreadyInvited:
		return nil, nil, apperr.New(apperr.Conflict, "%s is already invited: resend the pending invitation instead", email)
	default:
		return r.Invitation, sel, nil
	}
}

// Bulk invites every address of text (separated by commas, semicolons
// and/or new lines; spaces, duplicates, mixed case and trailing separators
// are tolerated) with the same settings, in one transaction: one result
// per distinct address, in the order given; the valid ones are invited
// even when others are not. Duplicates (case-insensitive) collapse into
// the first.
func Bulk(ctx context.Context, c *ent.Client, text string, s Settings) ([]Result, *Selection, error) {
	addrs := SplitAddresses(text)
	if len(addrs) == 0 {
		return nil, nil, apperr.InvalidField("addresses", "give at least one email address")
	}
	if len(addrs) > MaxBulk {
		return nil, nil, apperr.InvalidField("addresses", "at most %d addresses in one bulk invite (%d given)", MaxBulk, len(addrs))
	}
	return invite(ctx, c, addrs, s)
}

// SplitAddresses splits a bulk invite's text into distinct addresses
// (the first spelling of each, trimmed), in order.
func SplitAddresses(text string) []string {
	fields := strings.FieldsFunc(text, func(r rune) bool {
		return r == ',' || r == ';' || r == '\n' || r == '\r'
	})
	seen := map[string]bool{}
	var out []string
	for _, f := range fields {
		f = strings.TrimSpace(f)
		key := strings.ToLower(f)
		if f == "" || seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, f)
	}
	return out
}

// parseAddress accepts a bare address (no display name, no angle
// brackets) and returns its normalized form.
func parseAddress(s string) (string, bool) {
	if len(s) > 320 || strings.ContainsAny(s, " \t<>\"") {
		return "", false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", false
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || !strings.Contains(s[at:], ".") || strings.HasSuffix(s, ".") {
		return "", false
	}
	// The lower case may be longer than s ("Ⱥ" is 2 bytes, "ⱥ" 3): it is
	// what email_normalized (at most 320 bytes) holds.
	n := strings.ToLower(s)
	if len(n) > 320 {
		return "", false
	}
	return n, true
}

// chunk bounds the rows of one statement (PostgreSQL takes at most 65,535
// parameters).
const chunk = 500

func invite(ctx context.Context, c *ent.Client, addrs []string, s Settings) ([]Result, *Selection, error) {
	v := viewer.FromContext(ctx)
	if v == nil || v.Kind != viewer.User {
		return nil, nil, apperr.New(apperr.Unauthenticated, "sign in first")
	}
	org := v.OrgID
	sys := viewer.ForSystem(ctx, org)
	if len(s.RoleIDs) == 0 {
		return nil, nil, apperr.InvalidField("roleIds", "choose at least one role")
	}
	if s.SignInMethod == "" {
		s.SignInMethod = invitation.SignInMethodAny
	}
	if err := invitation.SignInMethodValidator(s.SignInMethod); err != nil {
		return nil, nil, apperr.InvalidField("signInMethod", "unknown sign-in method %q", s.SignInMethod)
	}
	s.RoleIDs = dedupe(s.RoleIDs)
	s.BusinessUnitIDs = dedupe(s.BusinessUnitIDs)
	// Roles are read as the server to know what they open; authz decides
	// (and refuses unknown ones as not found) below.
	roles, err := c.Role.Query().Where(role.IDIn(s.RoleIDs...)).All(sys)
	if err != nil {
		return nil, nil, err
	}
	var privs []string
	for _, r := range roles {
		privs = append(privs, r.Privileges...)
	}
	sel := &Selection{Roles: roles, BusinessUnitIDs: s.BusinessUnitIDs}
	// The ACCESS tab's default (seed 000, 001).
	sel.ClientIDs = s.ClientIDs
	if s.ClientIDs == nil && len(s.BusinessUnitIDs) > 0 && authz.OpensUnitClients(privs) {
		sel.ClientIDs, err = c.Patient.Query().
			Where(patient.BusinessUnitIDIn(s.BusinessUnitIDs...), patient.Restricted(false)).
			Order(ent.Asc(patient.FieldID)).IDs(sys)
		if err != nil {
			return nil, nil, err
		}
	}
	sel.StaffProfileIDs = s.StaffProfileIDs
	if s.StaffProfileIDs == nil && len(s.BusinessUnitIDs) > 0 && authz.OpensUnitStaffProfiles(privs) {
		sel.StaffProfileIDs, err = c.StaffProfile.Query().
			Where(staffprofile.BusinessUnitIDIn(s.BusinessUnitIDs...)).
			Order(ent.Asc(staffprofile.FieldID)).IDs(sys)
		if err != nil {
			return nil, nil, err
		}
	}
	if s.FromClient != "" && !slices.Contains(sel.ClientIDs, s.FromClient) {
		sel.ClientIDs = append(sel.ClientIDs, s.FromClient)
	}
	sel.ClientIDs = dedupe(sel.ClientIDs)
	sel.StaffProfileIDs = dedupe(sel.StaffProfileIDs)

	ctx, err = authz.Require(ctx, c, authz.InviteUsers, authz.Target{
		Client: s.FromClient, Roles: s.RoleIDs, Clients: sel.ClientIDs,
		StaffProfiles: sel.StaffProfileIDs, BusinessUnits: s.BusinessUnitIDs, Privileges: dedupe(privs),
	})
	if err != nil {
		return nil, nil, err
	}
	// Every user, except a manager, has to be linked to a client (seed
	// 000): directly, or through a business unit a role opens.
	if !authz.OpensEveryClient(privs) && len(sel.ClientIDs) == 0 &&
		(len(s.BusinessUnitIDs) == 0 || !authz.OpensUnitClients(privs)) {
		return nil, nil, apperr.InvalidField("clientIds",
			"every user, except a manager, has to be linked to a client: choose at least one client on the ACCESS tab, "+
				"or a business unit with a role that opens its clients")
	}

	// Classify the addresses with set-based look-ups.
	results := make([]Result, len(addrs))
	norm := make([]string, len(addrs))
	var valid []string
	for i, a := range addrs {
		results[i].Address = a
		n, ok := parseAddress(a)
		if !ok {
			results[i].Outcome = OutcomeInvalidAddress
			continue
		}
		norm[i] = n
		valid = append(valid, n)
	}
	members := map[string]bool{}
	pending := map[string]bool{}
	for start := 0; start < len(valid); start += chunk {
		part := valid[start:min(start+chunk, len(valid))]
		ms, err := c.User.Query().Where(user.EmailNormalizedIn(part...), user.StatusNEQ(user.StatusDeleted)).
			Select(user.FieldEmailNormalized).Strings(sys)
		if err != nil {
			return nil, nil, err
		}
		for _, m := range ms {
			members[m] = true
		}
		ps, err := c.Invitation.Query().Where(invitation.EmailNormalizedIn(part...), invitation.StatusEQ(invitation.StatusPending)).
			Select(invitation.FieldEmailNormalized).Strings(sys)
		if err != nil {
			return nil, nil, err
		}
		for _, p := range ps {
			pending[p] = true
		}
	}
	now := clock.Now(ctx)
	batch := pulid.New("bat")
	var creates []*ent.InvitationCreate
	var createdAt []int
	for i := range results {
		switch {
		case results[i].Outcome != "":
		case members[norm[i]]:
			results[i].Outcome = OutcomeAlreadyMember
		case pending[norm[i]]:
			results[i].Outcome = OutcomeAlreadyInvited
		default:
			results[i].Outcome = OutcomeInvited
			b := c.Invitation.Create().SetOrganizationID(org).SetEmail(addrs[i]).SetEmailNormalized(norm[i]).
				SetTokenHash(unknownHash()).SetRequireMfa(s.RequireMFA).SetSignInMethod(s.SignInMethod).
				SetExpiresAt(now.Add(TTL)).SetInvitedByID(v.UserID).
				AddRoleIDs(s.RoleIDs...).AddBusinessUnitIDs(s.BusinessUnitIDs...).
				AddClientIDs(sel.ClientIDs...).AddStaffProfileIDs(sel.StaffProfileIDs...)
			if len(addrs) > 1 {
				b.SetBatchID(string(batch))
			}
			creates = append(creates, b)
			createdAt = append(createdAt, i)
		}
	}
	if len(creates) == 0 {
		return results, sel, nil
	}
	var created []*ent.Invitation
	for start := 0; start < len(creates); start += chunk {
		rows, err := c.Invitation.CreateBulk(creates[start:min(start+chunk, len(creates))]...).Save(ctx)
		if ent.IsConstraintError(err) {
			// A simultaneous invite of the same address committed first.
			return nil, nil, apperr.New(apperr.Conflict, "an address was invited at the same time by someone else: try again")
		}
		if err != nil {
			return nil, nil, err
		}
		created = append(created, rows...)
	}
	ids := make([]pulid.ID, len(created))
	msgs := make([]outbox.Message, len(created))
	events := make([]audit.Event, len(created))
	for k, inv := range created {
		results[createdAt[k]].Invitation = inv
		ids[k] = inv.ID
		msgs[k] = outbox.Message{Kind: MailKind, Org: org, Ref: map[string]any{"invitation": string(inv.ID), "seq": 0}}
		events[k] = audit.Event{Org: org, Action: Created, TargetType: "invitation", TargetID: string(inv.ID),
			ClientID: s.FromClient,
			Details: map[string]any{
				"email": inv.Email, "roles": s.RoleIDs, "business_units": s.BusinessUnitIDs,
				"clients": sel.ClientIDs, "staff_profiles": sel.StaffProfileIDs,
				"require_mfa": s.RequireMFA, "sign_in_method": s.SignInMethod, "batch_id": inv.BatchID,
			}}
	}
	if err := seats.Consume(ctx, c, org, ids); err != nil {
		return nil, nil, err
	}
	if err := outbox.EnqueueBulk(ctx, c, msgs); err != nil {
		return nil, nil, err
	}
	for start := 0; start < len(events); start += chunk {
		if err := audit.RecordBatch(ctx, c, events[start:min(start+chunk, len(events))]); err != nil {
			return nil, nil, err
		}
	}
	return results, sel, nil
}

// Resend sends the pending invitation id again: a new link (minted at
// delivery; the previous one stops working now) valid for TTL from now.
func Resend(ctx context.Context, c *ent.Client, id pulid.ID) (*ent.Invitation, error) {
	ctx, err := authz.Require(ctx, c, authz.ResendInvitation, authz.Target{Row: id})
	if err != nil {
		return nil, err
	}
	org := viewer.FromContext(ctx).OrgID
	sys := viewer.ForSystem(ctx, org)
	inv, err := c.Invitation.Get(sys, id)
	if err != nil {
		return nil, err
	}
	now := clock.Now(ctx)
	inv, err = c.Invitation.UpdateOne(inv).Where(invitation.StatusEQ(invitation.StatusPending)).
		SetTokenHash(unknownHash()).AddDeliverySeq(1).SetExpiresAt(now.Add(TTL)).Save(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "invitation not found")
	}
	if err != nil {
		return nil, err
	}
	if _, err := outbox.Enqueue(ctx, c, outbox.Message{Kind: MailKind, Org: org,
		Ref: map[string]any{"invitation": string(inv.ID), "seq": inv.DeliverySeq}}); err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, c, audit.Event{Action: Resent, TargetType: "invitation", TargetID: string(inv.ID),
		Details: map[string]any{"email": inv.Email, "expires_at": inv.ExpiresAt}}); err != nil {
		return nil, err
	}
	return inv, nil
}

// Revoke revokes the pending invitation id: its link stops working and
// its seat is free again (the charge stays).
func Revoke(ctx context.Context, c *ent.Client, id pulid.ID) (*ent.Invitation, error) {
	ctx, err := authz.Require(ctx, c, authz.RevokeInvitation, authz.Target{Row: id})
	if err != nil {
		return nil, err
	}
	org := viewer.FromContext(ctx).OrgID
	sys := viewer.ForSystem(ctx, org)
	inv, err := c.Invitation.Get(sys, id)
	if err != nil {
		return nil, err
	}
	inv, err = c.Invitation.UpdateOne(inv).Where(invitation.StatusEQ(invitation.StatusPending)).
		SetStatus(invitation.StatusRevoked).Save(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "invitation not found")
	}
	if err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, c, audit.Event{Action: Revoked, TargetType: "invitation", TargetID: string(inv.ID),
		Details: map[string]any{"email": inv.Email, "before": "PENDING", "after": "REVOKED"}}); err != nil {
		return nil, err
	}
	if err := seats.Released(ctx, c, org, "invitation", inv.ID); err != nil {
		return nil, err
	}
	return inv, nil
}

// Pending lists the organization's pending invitations, newest first, as
// the viewer may read them (managers: users.invite or users.manage).
func Pending(ctx context.Context, c *ent.Client) *ent.InvitationQuery {
	return c.Invitation.Query().Where(invitation.StatusEQ(invitation.StatusPending))
}

// HashToken is the stored form of an invitation token.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// unknownHash is the hash of a random value nobody knows: no link opens
// the invitation until the Renderer mints one.
func unknownHash() []byte {
	return HashToken(rand.Text())
}

func dedupe[T comparable](ids []T) []T {
	if ids == nil {
		return nil
	}
	out := make([]T, 0, len(ids))
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
