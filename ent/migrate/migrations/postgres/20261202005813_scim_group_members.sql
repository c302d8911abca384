-- Modify "scim_group_mappings" table
ALTER TABLE "scim_group_mappings" ALTER COLUMN "target" DROP NOT NULL, ADD COLUMN "version" bigint NOT NULL DEFAULT 1;
-- Create "scim_group_members" table
CREATE TABLE "scim_group_members" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "group_id" character varying NOT NULL, "organization_id" character varying NOT NULL, "user_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "scim_group_members_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "scim_group_members_scim_group_mappings_members" FOREIGN KEY ("group_id") REFERENCES "scim_group_mappings" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "scim_group_members_users_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "scimgroupmember_group_id_user_id" to table: "scim_group_members"
CREATE UNIQUE INDEX "scimgroupmember_group_id_user_id" ON "scim_group_members" ("group_id", "user_id");
-- Create index "scimgroupmember_organization_id" to table: "scim_group_members"
CREATE INDEX "scimgroupmember_organization_id" ON "scim_group_members" ("organization_id");
-- Create index "scimgroupmember_user_id" to table: "scim_group_members"
CREATE INDEX "scimgroupmember_user_id" ON "scim_group_members" ("user_id");
