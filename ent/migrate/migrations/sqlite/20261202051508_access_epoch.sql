-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_organizations" table
CREATE TABLE `new_organizations` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `slug` text NOT NULL, `session_view_enabled` bool NOT NULL DEFAULT (false), `require_mfa` bool NOT NULL DEFAULT (false), `sign_in_method` text NOT NULL DEFAULT ('ANY'), `emergency_access_minutes` integer NOT NULL DEFAULT (60), `session_idle_minutes` integer NULL, `access_epoch` integer NOT NULL DEFAULT (0), PRIMARY KEY (`id`));
-- Copy rows from old table "organizations" to new temporary table "new_organizations"
INSERT INTO `new_organizations` (`id`, `created_at`, `updated_at`, `name`, `slug`, `session_view_enabled`, `require_mfa`, `sign_in_method`, `emergency_access_minutes`, `session_idle_minutes`) SELECT `id`, `created_at`, `updated_at`, `name`, `slug`, `session_view_enabled`, `require_mfa`, `sign_in_method`, `emergency_access_minutes`, `session_idle_minutes` FROM `organizations`;
-- Drop "organizations" table after copying rows
DROP TABLE `organizations`;
-- Rename temporary table "new_organizations" to "organizations"
ALTER TABLE `new_organizations` RENAME TO `organizations`;
-- Create index "organizations_slug_key" to table: "organizations"
CREATE UNIQUE INDEX `organizations_slug_key` ON `organizations` (`slug`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
