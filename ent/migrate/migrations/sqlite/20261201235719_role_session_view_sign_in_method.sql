-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_roles" table
CREATE TABLE `new_roles` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `description` text NOT NULL DEFAULT (''), `builtin` text NULL, `privileges` json NOT NULL, `require_mfa` bool NOT NULL DEFAULT (false), `session_view` bool NOT NULL DEFAULT (true), `sign_in_method` text NOT NULL DEFAULT ('ANY'), `external_id` text NULL, `organization_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `roles_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION);
-- Copy rows from old table "roles" to new temporary table "new_roles"
INSERT INTO `new_roles` (`id`, `created_at`, `updated_at`, `name`, `description`, `builtin`, `privileges`, `require_mfa`, `external_id`, `organization_id`) SELECT `id`, `created_at`, `updated_at`, `name`, `description`, `builtin`, `privileges`, `require_mfa`, `external_id`, `organization_id` FROM `roles`;
-- Drop "roles" table after copying rows
DROP TABLE `roles`;
-- Rename temporary table "new_roles" to "roles"
ALTER TABLE `new_roles` RENAME TO `roles`;
-- Create index "role_organization_id" to table: "roles"
CREATE INDEX `role_organization_id` ON `roles` (`organization_id`);
-- Create index "role_organization_id_name" to table: "roles"
CREATE UNIQUE INDEX `role_organization_id_name` ON `roles` (`organization_id`, `name`);
-- Create index "role_organization_id_builtin" to table: "roles"
CREATE UNIQUE INDEX `role_organization_id_builtin` ON `roles` (`organization_id`, `builtin`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
