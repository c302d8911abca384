-- Written by make migration, with the audit triggers appended by hand:
-- rebuilding the table dropped them (see the audit_append_only file).
-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_audit_events" table
CREATE TABLE `new_audit_events` (`id` text NOT NULL, `organization_id` text NOT NULL, `occurred_at` datetime NOT NULL, `actor_kind` text NOT NULL, `actor_id` text NULL, `action` text NOT NULL, `target_type` text NOT NULL DEFAULT (''), `target_id` text NOT NULL DEFAULT (''), `client_id` text NULL, `ip` text NOT NULL DEFAULT (''), `user_agent` text NOT NULL DEFAULT (''), `request_id` text NOT NULL DEFAULT (''), `details` json NULL, `chain_seq` integer NULL, `chain_hash` text NULL, PRIMARY KEY (`id`));
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
-- Create index "auditevent_organization_id_chain_seq" to table: "audit_events"
CREATE UNIQUE INDEX `auditevent_organization_id_chain_seq` ON `audit_events` (`organization_id`, `chain_seq`) WHERE chain_seq IS NOT NULL;
-- Create index "auditevent_unsealed" to table: "audit_events"
CREATE INDEX `auditevent_unsealed` ON `audit_events` (`organization_id`, `occurred_at`, `id`) WHERE chain_seq IS NULL;
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
-- Hand-written: the append-only triggers again, as in audit_append_only.
CREATE TRIGGER `audit_events_no_delete` BEFORE DELETE ON `audit_events`
BEGIN
  SELECT RAISE(ABORT, 'audit events are append-only: DELETE of audit_events refused');
END;
CREATE TRIGGER `audit_events_seal_only` BEFORE UPDATE ON `audit_events`
WHEN NOT (OLD.chain_seq IS NULL AND OLD.chain_hash IS NULL
  AND NEW.chain_seq IS NOT NULL AND NEW.chain_hash IS NOT NULL
  AND NEW.id IS OLD.id AND NEW.organization_id IS OLD.organization_id
  AND NEW.occurred_at IS OLD.occurred_at AND NEW.actor_kind IS OLD.actor_kind
  AND NEW.actor_id IS OLD.actor_id AND NEW.action IS OLD.action
  AND NEW.target_type IS OLD.target_type AND NEW.target_id IS OLD.target_id
  AND NEW.client_id IS OLD.client_id AND NEW.ip IS OLD.ip
  AND NEW.user_agent IS OLD.user_agent AND NEW.request_id IS OLD.request_id
  AND NEW.details IS OLD.details)
BEGIN
  SELECT RAISE(ABORT, 'audit events are append-only: UPDATE of audit_events refused');
END;
