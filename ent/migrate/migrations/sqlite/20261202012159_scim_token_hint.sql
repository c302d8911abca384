-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_scim_tokens" table
CREATE TABLE `new_scim_tokens` (`id` text NOT NULL, `name` text NOT NULL, `token_hash` blob NOT NULL, `hint` text NOT NULL DEFAULT (''), `created_by_id` text NULL, `created_at` datetime NOT NULL, `last_used_at` datetime NULL, `expires_at` datetime NULL, `revoked_at` datetime NULL, `organization_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `scim_tokens_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION);
-- Copy rows from old table "scim_tokens" to new temporary table "new_scim_tokens"
INSERT INTO `new_scim_tokens` (`id`, `name`, `token_hash`, `created_by_id`, `created_at`, `last_used_at`, `expires_at`, `revoked_at`, `organization_id`) SELECT `id`, `name`, `token_hash`, `created_by_id`, `created_at`, `last_used_at`, `expires_at`, `revoked_at`, `organization_id` FROM `scim_tokens`;
-- Drop "scim_tokens" table after copying rows
DROP TABLE `scim_tokens`;
-- Rename temporary table "new_scim_tokens" to "scim_tokens"
ALTER TABLE `new_scim_tokens` RENAME TO `scim_tokens`;
-- Create index "scim_tokens_token_hash_key" to table: "scim_tokens"
CREATE UNIQUE INDEX `scim_tokens_token_hash_key` ON `scim_tokens` (`token_hash`);
-- Create index "scimtoken_organization_id" to table: "scim_tokens"
CREATE INDEX `scimtoken_organization_id` ON `scim_tokens` (`organization_id`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
