-- Modify "organizations" table
ALTER TABLE "organizations" ADD COLUMN "access_seq" bigint NOT NULL DEFAULT 0;
-- Modify "sessions" table
ALTER TABLE "sessions" ADD COLUMN "write_seq" bigint NOT NULL DEFAULT 0;
