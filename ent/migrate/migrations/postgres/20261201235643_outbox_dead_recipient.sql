-- Modify "outbox_messages" table
ALTER TABLE "outbox_messages" ADD COLUMN "recipient" character varying NULL, ADD COLUMN "dead_at" timestamptz NULL;
-- Create index "outboxmessage_delivered_at_dead_at_available_at" to table: "outbox_messages"
CREATE INDEX "outboxmessage_delivered_at_dead_at_available_at" ON "outbox_messages" ("delivered_at", "dead_at", "available_at");
