-- Add column "require_mfa" to table: "roles" (an ALTER, not the table
-- rebuild atlas plans for a column in the middle: SQLite cannot turn
-- foreign keys off inside the migration's transaction, and dropping
-- "roles" would cascade into role memberships).
ALTER TABLE `roles` ADD COLUMN `require_mfa` bool NOT NULL DEFAULT (false);
