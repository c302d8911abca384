-- Modify "users" table
ALTER TABLE "users" ADD COLUMN "scim_user_name" character varying NULL, ADD COLUMN "scim_user_name_normalized" character varying NULL;
-- Create index "user_organization_id_scim_user_name_normalized" to table: "users"
CREATE UNIQUE INDEX "user_organization_id_scim_user_name_normalized" ON "users" ("organization_id", "scim_user_name_normalized");
