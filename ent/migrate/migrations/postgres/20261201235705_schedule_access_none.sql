-- Modify "users" table
ALTER TABLE "users" ALTER COLUMN "schedule_access" SET DEFAULT 'NONE';
