-- Add column "recipient" to table: "outbox_messages"
ALTER TABLE `outbox_messages` ADD COLUMN `recipient` text NULL;
-- Add column "dead_at" to table: "outbox_messages"
ALTER TABLE `outbox_messages` ADD COLUMN `dead_at` datetime NULL;
