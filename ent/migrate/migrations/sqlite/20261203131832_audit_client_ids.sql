-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_audit_events" table
CREATE TABLE `new_audit_events` (`id` text NOT NULL, `organization_id` text NOT NULL, `occurred_at` datetime NOT NULL, `actor_kind` text NOT NULL, `actor_id` text NULL, `action` text NOT NULL, `target_type` text NOT NULL DEFAULT (''), `target_id` text NOT NULL DEFAULT (''), `client_id` text NULL, `client_ids` json NULL, `ip` text NOT NULL DEFAULT (''), `user_agent` text NOT NULL DEFAULT (''), `request_id` text NOT NULL DEFAULT (''), `details` json NULL, `chain_seq` integer NULL, `chain_hash` text NULL, PRIMARY KEY (`id`));
-- Copy rows from old table "audit_events" to new temporary table "new_audit_events"
INSERT INTO `new_audit_events` (`id`, `organization_id`, `occurred_at`, `actor_kind`, `actor_id`, `action`, `target_type`, `target_id`, `client_id`, `ip`, `user_agent`, `request_id`, `details`, `chain_seq`, `chain_hash`) SELECT `id`, `organization_id`, `occurred_at`, `actor_kind`, `actor_id`, `action`, `target_type`, `target_id`, `client_id`, `ip`, `user_agent`, `request_id`, `details`, `chain_seq`, `chain_hash` FROM `audit_events`;
-- Drop "audit_events" table after copying rows
DROP TABLE `audit_events`;
-- Rename temporary table "new_audit_events" to "audit_events"
ALTER TABLE `new_audit_events` RENAME TO `audit_events`;
-- Create index "auditevent_organization_id_occurred_at" to table: "audit_events"
CREATE INDEX `auditevent_organization_id_occurred_at` ON `audit_events` (`organization_id`, `occurred_at`);
-- Create index "auditevent_organization_id_actor_id_occurred_at" to table: "audit_events"
CREATE INDEX `auditevent_organization_id_actor_id_occurred_at` ON `audit_events` (`organization_id`, `actor_id`, `occurred_at`);
-- Create index "auditevent_organization_id_client_id_occurred_at" to table: "audit_events"
CREATE INDEX `auditevent_organization_id_client_id_occurred_at` ON `audit_events` (`organization_id`, `client_id`, `occurred_at`);
-- Create index "auditevent_client_ids" to table: "audit_events"
CREATE INDEX `auditevent_client_ids` ON `audit_events` (`client_ids`);
-- Create index "auditevent_organization_id_chain_seq" to table: "audit_events"
CREATE UNIQUE INDEX `auditevent_organization_id_chain_seq` ON `audit_events` (`organization_id`, `chain_seq`) WHERE chain_seq IS NOT NULL;
-- Create index "auditevent_unsealed" to table: "audit_events"
CREATE INDEX `auditevent_unsealed` ON `audit_events` (`organization_id`, `occurred_at`, `id`) WHERE chain_seq IS NULL;
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
