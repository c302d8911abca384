-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_sessions" table
CREATE TABLE `new_sessions` (`id` text NOT NULL, `token_hash` blob NOT NULL, `method` text NOT NULL, `created_at` datetime NOT NULL, `last_seen_at` datetime NOT NULL, `expires_at` datetime NOT NULL, `idle_timeout_seconds` integer NOT NULL, `mfa_satisfied_at` datetime NULL, `password_change_required` bool NOT NULL DEFAULT (false), `ip` text NOT NULL DEFAULT (''), `user_agent` text NOT NULL DEFAULT (''), `revoked_at` datetime NULL, `revoked_reason` text NULL, `write_seq` integer NOT NULL DEFAULT (0), `organization_id` text NOT NULL, `user_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `sessions_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `sessions_users_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- Copy rows from old table "sessions" to new temporary table "new_sessions"
INSERT INTO `new_sessions` (`id`, `token_hash`, `method`, `created_at`, `last_seen_at`, `expires_at`, `idle_timeout_seconds`, `mfa_satisfied_at`, `password_change_required`, `ip`, `user_agent`, `revoked_at`, `revoked_reason`, `organization_id`, `user_id`) SELECT `id`, `token_hash`, `method`, `created_at`, `last_seen_at`, `expires_at`, `idle_timeout_seconds`, `mfa_satisfied_at`, `password_change_required`, `ip`, `user_agent`, `revoked_at`, `revoked_reason`, `organization_id`, `user_id` FROM `sessions`;
-- Drop "sessions" table after copying rows
DROP TABLE `sessions`;
-- Rename temporary table "new_sessions" to "sessions"
ALTER TABLE `new_sessions` RENAME TO `sessions`;
-- Create index "sessions_token_hash_key" to table: "sessions"
CREATE UNIQUE INDEX `sessions_token_hash_key` ON `sessions` (`token_hash`);
-- Create index "session_organization_id" to table: "sessions"
CREATE INDEX `session_organization_id` ON `sessions` (`organization_id`);
-- Create index "session_user_id_revoked_at" to table: "sessions"
CREATE INDEX `session_user_id_revoked_at` ON `sessions` (`user_id`, `revoked_at`);
-- Create "new_organizations" table
CREATE TABLE `new_organizations` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `slug` text NOT NULL, `session_view_enabled` bool NOT NULL DEFAULT (false), `require_mfa` bool NOT NULL DEFAULT (false), `sign_in_method` text NOT NULL DEFAULT ('ANY'), `emergency_access_minutes` integer NOT NULL DEFAULT (60), `session_idle_minutes` integer NULL, `access_epoch` integer NOT NULL DEFAULT (0), `access_seq` integer NOT NULL DEFAULT (0), PRIMARY KEY (`id`));
-- Copy rows from old table "organizations" to new temporary table "new_organizations"
INSERT INTO `new_organizations` (`id`, `created_at`, `updated_at`, `name`, `slug`, `session_view_enabled`, `require_mfa`, `sign_in_method`, `emergency_access_minutes`, `session_idle_minutes`, `access_epoch`) SELECT `id`, `created_at`, `updated_at`, `name`, `slug`, `session_view_enabled`, `require_mfa`, `sign_in_method`, `emergency_access_minutes`, `session_idle_minutes`, `access_epoch` FROM `organizations`;
-- Drop "organizations" table after copying rows
DROP TABLE `organizations`;
-- Rename temporary table "new_organizations" to "organizations"
ALTER TABLE `new_organizations` RENAME TO `organizations`;
-- Create index "organizations_slug_key" to table: "organizations"
CREATE UNIQUE INDEX `organizations_slug_key` ON `organizations` (`slug`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
