package authz

import "github.com/clinicgate/clinicgate/ent/privacy"

// OutboxRule lets administrators of the organization — holders of
// org.settings.manage — and the server read the outbox: whether the mails
// left. The rows hold no secret nor message text (internal/outbox), only
// ids, the kind and the delivery state; the tenant rule keeps them to the
// viewer's organization.
func OutboxRule() privacy.QueryRule { return PrivilegeRule(OrgSettingsManage) }
