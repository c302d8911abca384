-- Modify "scim_tokens" table
ALTER TABLE "scim_tokens" ADD COLUMN "hint" character varying NOT NULL DEFAULT '';
