-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_invitations" table
CREATE TABLE `new_invitations` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `email` text NOT NULL, `email_normalized` text NOT NULL, `token_hash` blob NOT NULL, `status` text NOT NULL DEFAULT ('PENDING'), `require_mfa` bool NOT NULL DEFAULT (false), `sign_in_method` text NOT NULL DEFAULT ('ANY'), `expires_at` datetime NOT NULL, `delivery_seq` integer NOT NULL DEFAULT (0), `accepted_at` datetime NULL, `batch_id` text NULL, `organization_id` text NOT NULL, `invited_by_id` text NULL, `user_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `invitations_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `invitations_users_invited_by` FOREIGN KEY (`invited_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `invitations_users_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Copy rows from old table "invitations" to new temporary table "new_invitations"
INSERT INTO `new_invitations` (`id`, `created_at`, `updated_at`, `email`, `email_normalized`, `token_hash`, `status`, `require_mfa`, `sign_in_method`, `expires_at`, `accepted_at`, `batch_id`, `organization_id`, `invited_by_id`, `user_id`) SELECT `id`, `created_at`, `updated_at`, `email`, `email_normalized`, `token_hash`, `status`, `require_mfa`, `sign_in_method`, `expires_at`, `accepted_at`, `batch_id`, `organization_id`, `invited_by_id`, `user_id` FROM `invitations`;
-- Drop "invitations" table after copying rows
DROP TABLE `invitations`;
-- Rename temporary table "new_invitations" to "invitations"
ALTER TABLE `new_invitations` RENAME TO `invitations`;
-- Create index "invitations_token_hash_key" to table: "invitations"
CREATE UNIQUE INDEX `invitations_token_hash_key` ON `invitations` (`token_hash`);
-- Create index "invitation_organization_id" to table: "invitations"
CREATE INDEX `invitation_organization_id` ON `invitations` (`organization_id`);
-- Create index "invitation_organization_id_email_normalized" to table: "invitations"
CREATE INDEX `invitation_organization_id_email_normalized` ON `invitations` (`organization_id`, `email_normalized`);
-- Create index "invitation_one_pending_per_email" to table: "invitations"
CREATE UNIQUE INDEX `invitation_one_pending_per_email` ON `invitations` (`organization_id`, `email_normalized`) WHERE status = 'PENDING';
-- Add column "invitation_id" to table: "seat_charges"
ALTER TABLE `seat_charges` ADD COLUMN `invitation_id` text NULL;
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
