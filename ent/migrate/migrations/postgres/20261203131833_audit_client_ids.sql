-- Modify "audit_events" table
ALTER TABLE "audit_events" ADD COLUMN "client_ids" jsonb NULL;
-- Create index "auditevent_client_ids" to table: "audit_events"
CREATE INDEX "auditevent_client_ids" ON "audit_events" USING gin ("client_ids" jsonb_path_ops);
