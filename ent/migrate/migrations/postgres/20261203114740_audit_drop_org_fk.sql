-- Modify "audit_events" table
ALTER TABLE "audit_events" DROP CONSTRAINT "audit_events_organizations_organization";
