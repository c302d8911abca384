-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_scim_group_mappings" table
CREATE TABLE `new_scim_group_mappings` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `display_name` text NOT NULL, `external_id` text NULL, `target` text NULL, `version` integer NOT NULL DEFAULT (1), `organization_id` text NOT NULL, `business_unit_id` text NULL, `role_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `scim_group_mappings_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `scim_group_mappings_business_units_business_unit` FOREIGN KEY (`business_unit_id`) REFERENCES `business_units` (`id`) ON DELETE SET NULL, CONSTRAINT `scim_group_mappings_roles_role` FOREIGN KEY (`role_id`) REFERENCES `roles` (`id`) ON DELETE SET NULL);
-- Copy rows from old table "scim_group_mappings" to new temporary table "new_scim_group_mappings"
INSERT INTO `new_scim_group_mappings` (`id`, `created_at`, `updated_at`, `display_name`, `external_id`, `target`, `organization_id`, `business_unit_id`, `role_id`) SELECT `id`, `created_at`, `updated_at`, `display_name`, `external_id`, `target`, `organization_id`, `business_unit_id`, `role_id` FROM `scim_group_mappings`;
-- Drop "scim_group_mappings" table after copying rows
DROP TABLE `scim_group_mappings`;
-- Rename temporary table "new_scim_group_mappings" to "scim_group_mappings"
ALTER TABLE `new_scim_group_mappings` RENAME TO `scim_group_mappings`;
-- Create index "scimgroupmapping_organization_id" to table: "scim_group_mappings"
CREATE INDEX `scimgroupmapping_organization_id` ON `scim_group_mappings` (`organization_id`);
-- Create index "scimgroupmapping_organization_id_display_name" to table: "scim_group_mappings"
CREATE UNIQUE INDEX `scimgroupmapping_organization_id_display_name` ON `scim_group_mappings` (`organization_id`, `display_name`);
-- Create index "scimgroupmapping_organization_id_external_id" to table: "scim_group_mappings"
CREATE UNIQUE INDEX `scimgroupmapping_organization_id_external_id` ON `scim_group_mappings` (`organization_id`, `external_id`);
-- Create "scim_group_members" table
CREATE TABLE `scim_group_members` (`id` text NOT NULL, `created_at` datetime NOT NULL, `group_id` text NOT NULL, `organization_id` text NOT NULL, `user_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `scim_group_members_scim_group_mappings_members` FOREIGN KEY (`group_id`) REFERENCES `scim_group_mappings` (`id`) ON DELETE NO ACTION, CONSTRAINT `scim_group_members_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `scim_group_members_users_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- Create index "scimgroupmember_organization_id" to table: "scim_group_members"
CREATE INDEX `scimgroupmember_organization_id` ON `scim_group_members` (`organization_id`);
-- Create index "scimgroupmember_group_id_user_id" to table: "scim_group_members"
CREATE UNIQUE INDEX `scimgroupmember_group_id_user_id` ON `scim_group_members` (`group_id`, `user_id`);
-- Create index "scimgroupmember_user_id" to table: "scim_group_members"
CREATE INDEX `scimgroupmember_user_id` ON `scim_group_members` (`user_id`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
