package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/appointment"
	"github.com/clinicgate/clinicgate/ent/invoice"
	entmigrate "github.com/clinicgate/clinicgate/ent/migrate"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/ent/webauthnchallenge"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// sweepKinds are the kinds of object an ID argument of the API can name
// (see idKind); the fixture makes one of each in every organization.
const (
	kClient          = "client"
	kUser            = "user"
	kStaffProfile    = "staffProfile"
	kBusinessUnit    = "businessUnit"
	kRole            = "role"
	kContact         = "contact"
	kPortalAccess    = "portalAccess"
	kSCIMGroup       = "scimGroup"
	kTOTP            = "totpFactor"
	kPasskey         = "passkey"
	kSCIMToken       = "scimToken"
	kSession         = "session"
	kSSOConnection   = "ssoConnection"
	kInvitation      = "invitation"
	kEmergencyAccess = "emergencyAccess"
)

// sweepOrg is what the fixture made in one organization: one object of
// every kind, owned by (or about) a staff member who is neither of the
// callers of the sweep, so that a self-service mutation handed one of these
// ids acts on someone else's object.
type sweepOrg struct {
	org   pulid.ID
	staff pulid.ID // the fixture's staff member
	ids   map[string]pulid.ID
}

// populate adds to org one row of every organization-owned type, as the
// server's own System viewer (the same way the demo seed writes). Types the
// GraphQL API cannot create (clients, clinical records, sessions, factors)
// can only come in this way; the sweep fails if a node type is missing, so
// a new type forces a line here.
func populate(t *testing.T, c *ent.Client, org pulid.ID, slug string) sweepOrg {
	t.Helper()
	ctx := viewer.ForSystem(context.Background(), org)
	now := time.Now().UTC().Truncate(time.Second)
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("fixture %s %s: %v", slug, what, err)
		}
	}
	random := func() []byte {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		return b
	}
	ids := map[string]pulid.ID{}
	// Session view on for every role, so that the owner and the
	// administrator can read the fixture's session note (else no one but its
	// author could, and the note type would go unswept).
	must("session view", c.Organization.UpdateOneID(org).SetSessionViewEnabled(true).Exec(ctx))
	must("session view roles", c.Role.Update().Where(role.OrganizationID(org)).SetSessionView(true).Exec(ctx))

	clinician, err := c.Role.Query().Where(role.OrganizationID(org), role.BuiltinEQ(role.BuiltinClinician)).Only(ctx)
	must("clinician role", err)
	unit, err := c.BusinessUnit.Create().SetOrganizationID(org).SetName("Sweep East").Save(ctx)
	must("unit", err)
	ids[kBusinessUnit] = unit.ID
	custom, err := c.Role.Create().SetOrganizationID(org).SetName("Sweep role").SetPrivileges([]string{"reports.view"}).Save(ctx)
	must("role", err)
	ids[kRole] = custom.ID

	staff, err := c.User.Create().SetOrganizationID(org).SetEmail("sweep.staff@" + slug + ".test").
		SetGivenName("Sweep").SetFamilyName("Staff").SetDisplayName("Sweep Staff").
		SetKind(user.KindStaff).SetStatus(user.StatusActive).AddRoles(clinician).
		AddBusinessUnits(unit).SetPrimaryBusinessUnit(unit).Save(ctx)
	must("staff user", err)
	ids[kUser] = staff.ID
	portal, err := c.User.Create().SetOrganizationID(org).SetEmail("sweep.parent@" + slug + ".test").
		SetDisplayName("Sweep Parent").SetKind(user.KindPortal).SetStatus(user.StatusActive).Save(ctx)
	must("portal user", err)

	client, err := c.Patient.Create().SetOrganizationID(org).SetGivenName("Sweep").SetFamilyName(slug).
		SetBusinessUnit(unit).SetDiagnosis("sweep").Save(ctx)
	must("client", err)
	ids[kClient] = client.ID
	contact, err := c.ClientContact.Create().SetOrganizationID(org).SetClientID(client.ID).
		SetName("Sweep Contact").SetRelationship("PARENT").SetEmail("sweep.contact@" + slug + ".test").Save(ctx)
	must("contact", err)
	ids[kContact] = contact.ID
	must("client access", c.ClientAccess.Create().SetOrganizationID(org).SetUserID(staff.ID).SetClientID(client.ID).
		SetGrantedAt(now).Exec(ctx))
	profile, err := c.StaffProfile.Create().SetOrganizationID(org).SetGivenName("Sweep").SetFamilyName("Profile").
		SetEmail("sweep.profile@" + slug + ".test").SetBusinessUnit(unit).Save(ctx)
	must("staff profile", err)
	ids[kStaffProfile] = profile.ID
	must("staff profile access", c.StaffProfileAccess.Create().SetOrganizationID(org).SetUserID(staff.ID).
		SetStaffProfileID(profile.ID).SetGrantedAt(now).Exec(ctx))
	pa, err := c.PortalAccess.Create().SetOrganizationID(org).SetUserID(portal.ID).SetClientID(client.ID).
		SetDocuments(true).SetSessionsHomework(true).Save(ctx)
	must("portal access", err)
	ids[kPortalAccess] = pa.ID
	ea, err := c.EmergencyAccess.Create().SetOrganizationID(org).SetUserID(staff.ID).SetClientID(client.ID).
		SetReason("sweep").SetStartedAt(now).SetExpiresAt(now.Add(time.Hour)).Save(ctx)
	must("emergency access", err)
	ids[kEmergencyAccess] = ea.ID

	appt, err := c.Appointment.Create().SetOrganizationID(org).SetClientID(client.ID).SetProviderID(staff.ID).
		SetStartsAt(now.Add(-time.Hour)).SetEndsAt(now).SetStatus(appointment.StatusCompleted).Save(ctx)
	must("appointment", err)
	must("session note", c.SessionNote.Create().SetOrganizationID(org).SetAppointmentID(appt.ID).SetAuthorID(staff.ID).
		SetBody("sweep note").Exec(ctx))
	must("homework", c.Homework.Create().SetOrganizationID(org).SetClientID(client.ID).SetTitle("sweep homework").Exec(ctx))
	must("document", c.Document.Create().SetOrganizationID(org).SetClientID(client.ID).SetTitle("sweep document").
		SetFileName("sweep.pdf").SetContentType("application/pdf").SetSizeBytes(1).SetStorageKey("sweep/"+slug).Exec(ctx))
	must("invoice", c.Invoice.Create().SetOrganizationID(org).SetClientID(client.ID).SetNumber("SWEEP-"+slug).
		SetAmountCents(100).SetStatus(invoice.StatusIssued).SetIssuedAt(now).SetDueAt(now.Add(24*time.Hour)).Exec(ctx))
	must("survey response", c.SurveyResponse.Create().SetOrganizationID(org).SetClientID(client.ID).
		SetSurveyName("sweep survey").SetAnswers(map[string]any{"q": 1}).SetSubmittedAt(now).Exec(ctx))

	inv, err := c.Invitation.Create().SetOrganizationID(org).SetEmail("sweep.invitee@" + slug + ".test").
		SetEmailNormalized("sweep.invitee@" + slug + ".test").SetTokenHash(random()).
		SetExpiresAt(now.Add(72 * time.Hour)).AddRoles(clinician).Save(ctx)
	must("invitation", err)
	ids[kInvitation] = inv.ID

	ses, err := c.Session.Create().SetOrganizationID(org).SetUserID(staff.ID).SetTokenHash(random()).
		SetMethod("PASSWORD").SetCreatedAt(now).SetLastSeenAt(now).SetExpiresAt(now.Add(time.Hour)).
		SetIdleTimeoutSeconds(1800).Save(ctx)
	must("session", err)
	ids[kSession] = ses.ID
	totp, err := c.TOTPFactor.Create().SetOrganizationID(org).SetUserID(staff.ID).SetSecretSealed(random()).
		SetConfirmedAt(now).Save(ctx)
	must("totp factor", err)
	ids[kTOTP] = totp.ID
	must("recovery code", c.RecoveryCode.Create().SetOrganizationID(org).SetUserID(staff.ID).SetCodeHash(random()).
		SetCreatedAt(now).Exec(ctx))
	key, err := c.WebAuthnCredential.Create().SetOrganizationID(org).SetUserID(staff.ID).SetName("Sweep key").
		SetCredentialID(random()).SetPublicKey(random()).Save(ctx)
	must("passkey", err)
	ids[kPasskey] = key.ID
	must("webauthn challenge", c.WebAuthnChallenge.Create().SetOrganizationID(org).SetUserID(staff.ID).
		SetSessionID(ses.ID).SetPurpose(webauthnchallenge.PurposeVerification).SetChallengeHash(random()).
		SetSessionData(random()).SetCreatedAt(now).SetExpiresAt(now.Add(time.Minute)).Exec(ctx))
	must("password reset token", c.PasswordResetToken.Create().SetOrganizationID(org).SetUserID(staff.ID).
		SetTokenHash(random()).SetCreatedAt(now).SetExpiresAt(now.Add(time.Hour)).Exec(ctx))

	tok, err := c.SCIMToken.Create().SetOrganizationID(org).SetName("Sweep token").SetTokenHash(random()).
		SetCreatedAt(now).Save(ctx)
	must("scim token", err)
	ids[kSCIMToken] = tok.ID
	group, err := c.SCIMGroupMapping.Create().SetOrganizationID(org).SetDisplayName("sweep-group-" + slug).Save(ctx)
	must("scim group", err)
	ids[kSCIMGroup] = group.ID
	must("scim group member", c.SCIMGroupMember.Create().SetOrganizationID(org).SetGroupID(group.ID).
		SetUserID(staff.ID).SetCreatedAt(now).Exec(ctx))
	conn, err := c.SSOConnection.Create().SetOrganizationID(org).SetName("Sweep SSO").
		SetIssuer("https://sso." + slug + ".invalid").SetClientID("sweep").Save(ctx)
	must("sso connection", err)
	ids[kSSOConnection] = conn.ID
	must("user identity", c.UserIdentity.Create().SetOrganizationID(org).SetUserID(staff.ID).SetConnectionID(conn.ID).
		SetIssuer(conn.Issuer).SetSubject("sweep-"+slug).Exec(ctx))
	must("outbox message", c.OutboxMessage.Create().SetOrganizationID(org).SetKind("sweep").
		SetPayload(map[string]any{}).SetCreatedAt(now).SetAvailableAt(now.Add(24*time.Hour)).Exec(ctx))
	return sweepOrg{org: org, staff: staff.ID, ids: ids}
}

// row is one row of a snapshot: its values as text, and the user it
// belongs to (its user_id column) when it has one.
type row struct {
	text string
	user string
}

// snapshot is every row of one organization, by "table/key": the rows of
// every organization-owned table, its organizations row, and the rows of
// the join tables that name one of its objects.
type snapshot map[string]row

// ignore says which columns (table.column) or whole tables a snapshot
// leaves out: what a refused request may legitimately touch.
type ignore map[string]bool

func takeSnapshot(t *testing.T, db *store.DB, org pulid.ID, skip ignore) snapshot {
	t.Helper()
	ctx := context.Background()
	out := snapshot{}
	var joins []*schema.Table
	for _, tb := range entmigrate.Tables {
		if skip[tb.Name] {
			continue
		}
		var cols []string
		tenant := false
		for _, c := range tb.Columns {
			cols = append(cols, c.Name)
			tenant = tenant || c.Name == "organization_id"
		}
		sel := entsql.Dialect(db.Dialect).Select(cols...).From(entsql.Table(tb.Name))
		switch {
		case tb.Name == "organizations":
			sel.Where(entsql.EQ("id", string(org)))
		case tenant:
			sel.Where(entsql.EQ("organization_id", string(org)))
		default:
			joins = append(joins, tb)
			continue
		}
		readRows(t, ctx, db, tb.Name, cols, sel, skip, func(key string, r row, _ []string) { out[key] = r })
	}
	// Join tables carry no organization: keep the rows naming one of the
	// organization's objects.
	mine := map[string]bool{}
	for k := range out {
		mine[k[strings.IndexByte(k, '/')+1:]] = true
	}
	for _, tb := range joins {
		var cols []string
		for _, c := range tb.Columns {
			cols = append(cols, c.Name)
		}
		sel := entsql.Dialect(db.Dialect).Select(cols...).From(entsql.Table(tb.Name))
		readRows(t, ctx, db, tb.Name, cols, sel, skip, func(key string, r row, vals []string) {
			for _, v := range vals {
				if mine[v] {
					out[key] = r
					return
				}
			}
		})
	}
	return out
}

func readRows(t *testing.T, ctx context.Context, db *store.DB, table string, cols []string, sel *entsql.Selector, skip ignore, keep func(string, row, []string)) {
	t.Helper()
	q, args := sel.Query()
	rs, err := db.SQL.QueryContext(ctx, q, args...)
	if err != nil {
		t.Fatalf("snapshot %s: %v", table, err)
	}
	defer rs.Close()
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatalf("snapshot %s: %v", table, err)
		}
		var b strings.Builder
		texts := make([]string, len(cols))
		r := row{}
		for i, v := range vals {
			switch v := v.(type) {
			case []byte:
				texts[i] = fmt.Sprintf("%x", v)
			case time.Time:
				texts[i] = v.UTC().Format(time.RFC3339Nano)
			default:
				texts[i] = fmt.Sprint(v)
			}
			if cols[i] == "user_id" {
				r.user = texts[i]
			}
			if skip[table+"."+cols[i]] {
				continue
			}
			fmt.Fprintf(&b, "%s=%s ", cols[i], texts[i])
		}
		r.text = b.String()
		key := table + "/" + texts[0]
		if cols[0] != "id" {
			key = table + "/" + strings.Join(texts, "+")
		}
		keep(key, r, texts)
	}
	if err := rs.Err(); err != nil {
		t.Fatalf("snapshot %s: %v", table, err)
	}
}

// diff lists the rows added, removed or changed from a to b.
func diff(a, b snapshot) []string {
	var out []string
	for k, r := range b {
		old, ok := a[k]
		switch {
		case !ok:
			out = append(out, "added "+k)
		case old.text != r.text:
			out = append(out, "changed "+k)
		}
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			out = append(out, "removed "+k)
		}
	}
	sort.Strings(out)
	return out
}

// ids returns every id in the snapshot's organization-owned rows, by
// table.
func (s snapshot) ids() map[string]string {
	out := map[string]string{}
	for k := range s {
		table, id, _ := strings.Cut(k, "/")
		if pulid.ID(id).Valid() {
			out[id] = table
		}
	}
	return out
}
