-- Modify "users" table
ALTER TABLE "users" ADD COLUMN "mfa_failed_attempts" bigint NOT NULL DEFAULT 0, ADD COLUMN "mfa_locked_until" timestamptz NULL;
