-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_sso_connections" table
CREATE TABLE `new_sso_connections` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `issuer` text NOT NULL, `client_id` text NOT NULL, `client_secret_sealed` blob NULL, `email_domains` json NULL, `enabled` bool NOT NULL DEFAULT (true), `auto_provision` bool NOT NULL DEFAULT (false), `scopes` json NULL, `trust_provider_mfa` bool NOT NULL DEFAULT (false), `groups_claim` text NOT NULL DEFAULT (''), `claim_mappings` json NULL, `organization_id` text NOT NULL, `default_role_id` text NULL, `default_business_unit_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `sso_connections_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `sso_connections_roles_default_role` FOREIGN KEY (`default_role_id`) REFERENCES `roles` (`id`) ON DELETE SET NULL, CONSTRAINT `sso_connections_business_units_default_business_unit` FOREIGN KEY (`default_business_unit_id`) REFERENCES `business_units` (`id`) ON DELETE SET NULL);
-- Copy rows from old table "sso_connections" to new temporary table "new_sso_connections"
INSERT INTO `new_sso_connections` (`id`, `created_at`, `updated_at`, `name`, `issuer`, `client_id`, `client_secret_sealed`, `email_domains`, `enabled`, `auto_provision`, `organization_id`) SELECT `id`, `created_at`, `updated_at`, `name`, `issuer`, `client_id`, `client_secret_sealed`, `email_domains`, `enabled`, `auto_provision`, `organization_id` FROM `sso_connections`;
-- Drop "sso_connections" table after copying rows
DROP TABLE `sso_connections`;
-- Rename temporary table "new_sso_connections" to "sso_connections"
ALTER TABLE `new_sso_connections` RENAME TO `sso_connections`;
-- Create index "ssoconnection_organization_id" to table: "sso_connections"
CREATE INDEX `ssoconnection_organization_id` ON `sso_connections` (`organization_id`);
-- Create index "ssoconnection_organization_id_issuer" to table: "sso_connections"
CREATE UNIQUE INDEX `ssoconnection_organization_id_issuer` ON `sso_connections` (`organization_id`, `issuer`);
-- Create "user_identities" table
CREATE TABLE `user_identities` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `issuer` text NOT NULL, `subject` text NOT NULL, `email` text NOT NULL DEFAULT (''), `last_sign_in_at` datetime NULL, `organization_id` text NOT NULL, `user_id` text NOT NULL, `connection_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `user_identities_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `user_identities_users_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION, CONSTRAINT `user_identities_sso_connections_connection` FOREIGN KEY (`connection_id`) REFERENCES `sso_connections` (`id`) ON DELETE NO ACTION);
-- Create index "useridentity_organization_id" to table: "user_identities"
CREATE INDEX `useridentity_organization_id` ON `user_identities` (`organization_id`);
-- Create index "useridentity_organization_id_issuer_subject" to table: "user_identities"
CREATE UNIQUE INDEX `useridentity_organization_id_issuer_subject` ON `user_identities` (`organization_id`, `issuer`, `subject`);
-- Create index "useridentity_user_id" to table: "user_identities"
CREATE INDEX `useridentity_user_id` ON `user_identities` (`user_id`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
