package authz

import (
	"context"

	"entgo.io/ent/dialect/sql"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/clientcontact"
	"github.com/clinicgate/clinicgate/ent/predicate"
	"github.com/clinicgate/clinicgate/ent/privacy"
)

// Read rules of the access concern's types (listed in rowFilters).

// clientContactRows: a client's contacts are part of its profile's
// protected information: staff on clients they reach; portal users never.
func clientContactRows(ctx context.Context, s *sql.Selector) {
	clientRecordRows(ctx, s, clientcontact.FieldClientID, "", "")
}

func ClientContactRule() privacy.QueryRule {
	return rowRule[predicate.ClientContact, *ent.ClientContactQuery]("ClientContact")
}

// BusinessUnitRule filters rather than refuses: staff read business
// units, anyone else gets no rows. A portal user's page of their clients
// asks for each client's business unit along the way; refusing the whole
// type turned that page into FORBIDDEN, where the unit is merely not
// theirs to see (null). Roles stay refused (StaffOnlyRule): no client
// page reaches them.
func BusinessUnitRule() privacy.QueryRule {
	return rowRule[predicate.BusinessUnit, *ent.BusinessUnitQuery]("BusinessUnit")
}
