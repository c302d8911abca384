-- Modify "outbox_messages" table
ALTER TABLE "outbox_messages" ADD COLUMN "recipient" character varying NULL, ADD COLUMN "dead_at" timestamptz NULL;
