-- Modify "roles" table
ALTER TABLE "roles" ADD COLUMN "session_view" boolean NOT NULL DEFAULT true, ADD COLUMN "sign_in_method" character varying NOT NULL DEFAULT 'ANY';
