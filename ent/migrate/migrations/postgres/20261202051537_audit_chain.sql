-- Modify "audit_events" table
ALTER TABLE "audit_events" ADD COLUMN "chain_seq" bigint NULL, ADD COLUMN "chain_hash" character varying NULL;
-- Create index "auditevent_organization_id_chain_seq" to table: "audit_events"
CREATE UNIQUE INDEX "auditevent_organization_id_chain_seq" ON "audit_events" ("organization_id", "chain_seq") WHERE (chain_seq IS NOT NULL);
-- Create index "auditevent_unsealed" to table: "audit_events"
CREATE INDEX "auditevent_unsealed" ON "audit_events" ("organization_id", "occurred_at", "id") WHERE (chain_seq IS NULL);
