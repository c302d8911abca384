-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_outbox_messages" table
CREATE TABLE `new_outbox_messages` (`id` text NOT NULL, `kind` text NOT NULL, `payload` json NOT NULL, `created_at` datetime NOT NULL, `available_at` datetime NOT NULL, `attempts` integer NOT NULL DEFAULT (0), `delivered_at` datetime NULL, `last_error` text NULL, `recipient` text NULL, `dead_at` datetime NULL, `organization_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `outbox_messages_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION);
-- Copy rows from old table "outbox_messages" to new temporary table "new_outbox_messages"
INSERT INTO `new_outbox_messages` (`id`, `kind`, `payload`, `created_at`, `available_at`, `attempts`, `delivered_at`, `last_error`, `organization_id`) SELECT `id`, `kind`, `payload`, `created_at`, `available_at`, `attempts`, `delivered_at`, `last_error`, `organization_id` FROM `outbox_messages`;
-- Drop "outbox_messages" table after copying rows
DROP TABLE `outbox_messages`;
-- Rename temporary table "new_outbox_messages" to "outbox_messages"
ALTER TABLE `new_outbox_messages` RENAME TO `outbox_messages`;
-- Create index "outboxmessage_organization_id" to table: "outbox_messages"
CREATE INDEX `outboxmessage_organization_id` ON `outbox_messages` (`organization_id`);
-- Create index "outboxmessage_delivered_at_dead_at_available_at" to table: "outbox_messages"
CREATE INDEX `outboxmessage_delivered_at_dead_at_available_at` ON `outbox_messages` (`delivered_at`, `dead_at`, `available_at`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
