//go:build ignore

package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc/gen"
	entschema "entgo.io/ent/schema"
	"github.com/vektah/gqlparser/v2/ast"
)

// enumValues describes the values of the enums entgql generates from ent
// enum fields (entgql describes the enum, not its values). Keys are
// "GraphQLEnum.VALUE". A value missing here stays undescribed, and
// graph.TestEverySchemaElementIsDescribed names it: a new enum value needs
// an entry.
var enumValues = map[string]string{
	"UserKind.STAFF":  "A member of the team (clinician, teacher, office staff, administrator) who works in the staff application.",
	"UserKind.PORTAL": "A portal user: a parent, guardian or the client themself, who sees only what their portal access grants.",

	"UserStatus.INVITED":   "Invited but has not accepted yet; cannot sign in.",
	"UserStatus.ACTIVE":    "May sign in and use what their roles and access grant.",
	"UserStatus.SUSPENDED": "Temporarily barred from signing in; sessions are ended, roles and access are kept so the user can be reactivated.",
	"UserStatus.DELETED":   "Removed from the organization; kept only so that history and audit events still name them.",

	"UserScheduleAccess.NONE":              "No schedule at all: the user sees no session dates (the default until a level is chosen).",
	"UserScheduleAccess.OWN_ONLY":          "Level A: sees their own sessions only and cannot change them.",
	"UserScheduleAccess.EDIT_OWN":          "Level B: sees and edits their own sessions only.",
	"UserScheduleAccess.EDIT_OWN_VIEW_ALL": "Level C: edits their own sessions and sees everyone's.",
	"UserScheduleAccess.VIEW_EDIT_ALL":     "Level D: sees and edits everyone's sessions.",

	"UserSignInMethod.ANY":              "No requirement of the user's own: any sign-in method the organization and roles allow.",
	"UserSignInMethod.PASSWORD":         "The user must sign in with a password.",
	"UserSignInMethod.SSO":              "The user must sign in through the organization's single sign-on connection.",
	"RoleSignInMethod.ANY":              "The role requires no particular sign-in method.",
	"RoleSignInMethod.PASSWORD":         "Holders of the role must sign in with a password.",
	"RoleSignInMethod.SSO":              "Holders of the role must sign in through single sign-on; their passwords are refused.",
	"OrganizationSignInMethod.ANY":      "Members may sign in with a password or through single sign-on.",
	"OrganizationSignInMethod.PASSWORD": "Members must sign in with a password.",
	"OrganizationSignInMethod.SSO":      "Members must sign in through the organization's single sign-on connection.",
	"InvitationSignInMethod.ANY":        "The invited user may sign in with any method the organization allows.",
	"InvitationSignInMethod.PASSWORD":   "The invited user will have to sign in with a password.",
	"InvitationSignInMethod.SSO":        "The invited user will have to sign in through single sign-on.",

	"InvitationStatus.PENDING":  "Sent and not yet answered; the link in the email can still be used until the invitation expires.",
	"InvitationStatus.ACCEPTED": "The invitee accepted and became a member; the link no longer works.",
	"InvitationStatus.REVOKED":  "Withdrawn by an administrator before it was accepted; the link no longer works.",
	"InvitationStatus.EXPIRED":  "Not accepted before it expired; it can be resent.",

	"RoleBuiltin.ACCOUNT_OWNER": "The account owner's role: everything, including billing and transferring ownership.",
	"RoleBuiltin.ADMINISTRATOR": "Administrators manage the team, roles, access and organization settings.",
	"RoleBuiltin.SUPERVISOR":    "Supervisors oversee clinicians and the clients in their business units.",
	"RoleBuiltin.CLINICIAN":     "Clinicians work with the clients they are linked to: sessions, notes, homework.",
	"RoleBuiltin.TEACHER":       "Teachers work with the students (clients) they are linked to.",
	"RoleBuiltin.OFFICE_STAFF":  "Office staff handle scheduling, billing and other front-desk tabs.",

	"ClientStatus.ACTIVE":     "Currently receiving care.",
	"ClientStatus.DISCHARGED": "Care has ended; the record is kept.",
	"ClientStatus.ARCHIVED":   "Put aside and hidden from everyday lists; the record is kept.",

	"StaffProfileStatus.ACTIVE":   "A current employee.",
	"StaffProfileStatus.ARCHIVED": "A former employee whose record is kept.",

	"AppointmentStatus.SCHEDULED": "Planned and not yet held.",
	"AppointmentStatus.COMPLETED": "Held as planned.",
	"AppointmentStatus.MISSED":    "The client did not attend.",
	"AppointmentStatus.CANCELLED": "Called off before it took place.",

	"InvoiceStatus.DRAFT":  "Being prepared; not yet sent to the client.",
	"InvoiceStatus.ISSUED": "Sent to the client and awaiting payment.",
	"InvoiceStatus.PAID":   "Paid in full.",
	"InvoiceStatus.VOID":   "Cancelled; nothing is owed.",

	"AuditEventActorKind.USER":      "A signed-in user did it; actorID is the user.",
	"AuditEventActorKind.SYSTEM":    "The server did it on its own (a scheduled job, an expiry).",
	"AuditEventActorKind.SCIM":      "An identity provider did it through SCIM provisioning; actorID is the SCIM token.",
	"AuditEventActorKind.ANONYMOUS": "Someone not signed in (for example a failed sign-in attempt).",
}

// predicateSuffixes are the where-input predicate suffixes entgql
// generates, longest first so that "NotIn" wins over "In" and "GTE" over
// "GT". Each format takes the field name.
var predicateSuffixes = []struct{ suffix, format string }{
	{"ContainsFold", "`%s` contains the given substring, ignoring case."},
	{"EqualFold", "`%s` equals the given value, ignoring case."},
	{"HasPrefix", "`%s` starts with the given value."},
	{"HasSuffix", "`%s` ends with the given value."},
	{"Contains", "`%s` contains the given substring."},
	{"NotNil", "`%s` is set."},
	{"IsNil", "`%s` is not set."},
	{"NotIn", "`%s` is none of the given values."},
	{"NEQ", "`%s` differs from the given value."},
	{"GTE", "`%s` is greater than or equal to the given value."},
	{"LTE", "`%s` is less than or equal to the given value."},
	{"GT", "`%s` is greater than the given value."},
	{"LT", "`%s` is less than the given value."},
	{"In", "`%s` is one of the given values."},
}

// describeGenerated gives a description to the parts of the schema entgql
// writes without one:
//   - object types: from the ent schema's schema.Comment annotation, and
//     Query;
//   - Relay connection edges: from the edge's .Comment, which entgql drops;
//   - where-input fields: from their predicate pattern (emailHasPrefix,
//     hasRolesWith, not, and, or);
//   - enum values: order fields from the field they order by, enum fields
//     from enumValues above;
//   - the @goField and @goModel directives entgql declares.
//
// Field and edge descriptions come from .Comment in ent/schema.
func describeGenerated(g *gen.Graph, s *ast.Schema) error {
	orderBy := map[string]string{} // "<Type>OrderField.VALUE" -> field name
	for _, n := range g.Nodes {
		def := typeOf(s, n.Name)
		if def != nil && def.Description == "" {
			def.Description = schemaComment(n.Annotations)
		}
		if def == nil {
			continue
		}
		// entgql drops the comment of an edge it makes a Relay connection.
		for _, e := range n.Edges {
			if f := def.Fields.ForName(camel(e.Name)); f != nil && f.Description == "" {
				f.Description = e.Comment()
			}
		}
		fields := append([]*gen.Field{n.ID}, n.Fields...)
		for _, f := range fields {
			if f == nil {
				continue
			}
			ant := &entgql.Annotation{}
			if raw, ok := f.Annotations[ant.Name()]; ok {
				if err := remarshal(raw, ant); err != nil {
					return err
				}
			}
			if ant.OrderField != "" {
				orderBy[def.Name+"OrderField."+ant.OrderField] = camel(f.Name)
			}
		}
	}
	if q := s.Types["Query"]; q != nil && q.Description == "" {
		q.Description = "The root of every query: what the viewer may read."
	}
	for _, def := range s.Types {
		switch {
		case def.Kind == ast.InputObject && strings.HasSuffix(def.Name, "WhereInput"):
			describeWhereInput(def)
		case def.Kind == ast.Enum:
			for _, v := range def.EnumValues {
				if v.Description != "" {
					continue
				}
				key := def.Name + "." + v.Name
				if f, ok := orderBy[key]; ok {
					v.Description = fmt.Sprintf("Orders by `%s`.", f)
				} else if d, ok := enumValues[key]; ok {
					v.Description = d
				}
			}
		}
	}
	describeDirective(s, "goModel", "Binds a GraphQL type to a Go type in the server's generated code (gqlgen); no effect on clients.", map[string]string{
		"model":         "The Go type, as import path and name.",
		"models":        "Several Go types the GraphQL type may be bound to.",
		"forceGenerate": "Generates the Go type even if it is bound.",
	})
	describeDirective(s, "goField", "Binds a GraphQL field to a Go field or method in the server's generated code (gqlgen); no effect on clients.", map[string]string{
		"forceResolver": "Resolves the field with a resolver method instead of a struct field.",
		"name":          "The Go name the field is bound to.",
		"omittable":     "Lets the server tell an omitted input field from one set to null.",
	})
	return nil
}

// typeOf finds the GraphQL object of an ent type: by name, or by the
// @goModel binding a renamed type keeps (Patient is Client in GraphQL).
func typeOf(s *ast.Schema, entName string) *ast.Definition {
	if def := s.Types[entName]; def != nil && def.Kind == ast.Object {
		return def
	}
	names := make([]string, 0, len(s.Types))
	for name := range s.Types {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		def := s.Types[name]
		if def.Kind != ast.Object {
			continue
		}
		if d := def.Directives.ForName("goModel"); d != nil {
			if a := d.Arguments.ForName("model"); a != nil && strings.HasSuffix(a.Value.Raw, "/ent."+entName) {
				return def
			}
		}
	}
	return nil
}

func schemaComment(ants map[string]any) string {
	ant := &entschema.CommentAnnotation{}
	raw, ok := ants[ant.Name()]
	if !ok {
		return ""
	}
	if err := remarshal(raw, ant); err != nil {
		return ""
	}
	return ant.Text
}

func describeWhereInput(def *ast.Definition) {
	names := map[string]bool{}
	for _, f := range def.Fields {
		names[f.Name] = true
	}
	for _, f := range def.Fields {
		f.Description = wherePredicate(f.Name, names)
	}
}

func wherePredicate(name string, names map[string]bool) string {
	switch name {
	case "not":
		return "Matches what the given filter does not match."
	case "and":
		return "Matches what all of the given filters match."
	case "or":
		return "Matches what at least one of the given filters matches."
	}
	if edge, ok := strings.CutPrefix(name, "has"); ok && edge != "" {
		if e, ok := strings.CutSuffix(edge, "With"); ok && names["has"+e] {
			return fmt.Sprintf("Has at least one `%s` matching all of the given filters.", lowerFirst(e))
		}
		if names["has"+edge+"With"] {
			return fmt.Sprintf("Has at least one `%s` (true) or none (false).", lowerFirst(edge))
		}
	}
	for _, p := range predicateSuffixes {
		if base, ok := strings.CutSuffix(name, p.suffix); ok && names[base] {
			return fmt.Sprintf(p.format, base)
		}
	}
	return fmt.Sprintf("`%s` equals the given value.", name)
}

func describeDirective(s *ast.Schema, name, desc string, args map[string]string) {
	d := s.Directives[name]
	if d == nil {
		return
	}
	if d.Description == "" {
		d.Description = desc
	}
	for _, a := range d.Arguments {
		if a.Description == "" {
			a.Description = args[a.Name]
		}
	}
}

func remarshal(from, to any) error {
	b, err := json.Marshal(from)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, to)
}

// camel turns an ent field name (snake case) into its GraphQL name.
func camel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
	}
	return strings.Join(parts, "")
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
