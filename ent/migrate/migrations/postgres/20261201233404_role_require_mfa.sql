-- Modify "roles" table
ALTER TABLE "roles" ADD COLUMN "require_mfa" boolean NOT NULL DEFAULT false;
