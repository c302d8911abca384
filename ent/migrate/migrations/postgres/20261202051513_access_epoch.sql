-- Modify "organizations" table
ALTER TABLE "organizations" ADD COLUMN "access_epoch" bigint NOT NULL DEFAULT 0;
