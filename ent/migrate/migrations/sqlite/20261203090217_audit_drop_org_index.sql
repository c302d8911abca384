-- Drop index "auditevent_organization_id" from table: "audit_events"
DROP INDEX `auditevent_organization_id`;
