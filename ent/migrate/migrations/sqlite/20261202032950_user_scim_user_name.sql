-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_users" table
CREATE TABLE `new_users` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `email` text NOT NULL, `email_normalized` text NOT NULL, `given_name` text NOT NULL DEFAULT (''), `family_name` text NOT NULL DEFAULT (''), `display_name` text NOT NULL DEFAULT (''), `kind` text NOT NULL DEFAULT ('STAFF'), `status` text NOT NULL DEFAULT ('INVITED'), `is_account_owner` bool NOT NULL DEFAULT (false), `external_id` text NULL, `scim_user_name` text NULL, `scim_user_name_normalized` text NULL, `schedule_access` text NOT NULL DEFAULT ('NONE'), `tab_access` json NULL, `require_mfa` bool NOT NULL DEFAULT (false), `sign_in_method` text NOT NULL DEFAULT ('ANY'), `phone` text NULL, `title` text NULL, `employee_number` text NULL, `department` text NULL, `cost_center` text NULL, `organization_name` text NULL, `division` text NULL, `manager_ref` text NULL, `last_sign_in_at` datetime NULL, `suspended_at` datetime NULL, `deleted_at` datetime NULL, `mfa_failed_attempts` integer NOT NULL DEFAULT (0), `mfa_locked_until` datetime NULL, `organization_id` text NOT NULL, `primary_business_unit_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `users_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `users_business_units_primary_business_unit` FOREIGN KEY (`primary_business_unit_id`) REFERENCES `business_units` (`id`) ON DELETE SET NULL);
-- Copy rows from old table "users" to new temporary table "new_users"
INSERT INTO `new_users` (`id`, `created_at`, `updated_at`, `email`, `email_normalized`, `given_name`, `family_name`, `display_name`, `kind`, `status`, `is_account_owner`, `external_id`, `schedule_access`, `tab_access`, `require_mfa`, `sign_in_method`, `phone`, `title`, `employee_number`, `department`, `cost_center`, `organization_name`, `division`, `manager_ref`, `last_sign_in_at`, `suspended_at`, `deleted_at`, `mfa_failed_attempts`, `mfa_locked_until`, `organization_id`, `primary_business_unit_id`) SELECT `id`, `created_at`, `updated_at`, `email`, `email_normalized`, `given_name`, `family_name`, `display_name`, `kind`, `status`, `is_account_owner`, `external_id`, `schedule_access`, `tab_access`, `require_mfa`, `sign_in_method`, `phone`, `title`, `employee_number`, `department`, `cost_center`, `organization_name`, `division`, `manager_ref`, `last_sign_in_at`, `suspended_at`, `deleted_at`, `mfa_failed_attempts`, `mfa_locked_until`, `organization_id`, `primary_business_unit_id` FROM `users`;
-- Drop "users" table after copying rows
DROP TABLE `users`;
-- Rename temporary table "new_users" to "users"
ALTER TABLE `new_users` RENAME TO `users`;
-- Create index "user_organization_id" to table: "users"
CREATE INDEX `user_organization_id` ON `users` (`organization_id`);
-- Create index "user_organization_id_email_normalized" to table: "users"
CREATE UNIQUE INDEX `user_organization_id_email_normalized` ON `users` (`organization_id`, `email_normalized`);
-- Create index "user_organization_id_external_id" to table: "users"
CREATE UNIQUE INDEX `user_organization_id_external_id` ON `users` (`organization_id`, `external_id`);
-- Create index "user_organization_id_scim_user_name_normalized" to table: "users"
CREATE UNIQUE INDEX `user_organization_id_scim_user_name_normalized` ON `users` (`organization_id`, `scim_user_name_normalized`);
-- Create index "user_one_account_owner" to table: "users"
CREATE UNIQUE INDEX `user_one_account_owner` ON `users` (`organization_id`) WHERE is_account_owner;
-- Create index "user_organization_id_status" to table: "users"
CREATE INDEX `user_organization_id_status` ON `users` (`organization_id`, `status`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
