-- Create "client_contacts" table
CREATE TABLE "client_contacts" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, "relationship" character varying NOT NULL DEFAULT '', "email" character varying NOT NULL DEFAULT '', "phone" character varying NOT NULL DEFAULT '', "organization_id" character varying NOT NULL, "client_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "client_contacts_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "client_contacts_patients_client" FOREIGN KEY ("client_id") REFERENCES "patients" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "clientcontact_client_id" to table: "client_contacts"
CREATE INDEX "clientcontact_client_id" ON "client_contacts" ("client_id");
-- Create index "clientcontact_organization_id" to table: "client_contacts"
CREATE INDEX "clientcontact_organization_id" ON "client_contacts" ("organization_id");
-- Move each client's email into their Contact Info: one contact for the client themself (relationship SELF).
INSERT INTO client_contacts (id, created_at, updated_at, name, relationship, email, phone, organization_id, client_id) SELECT 'cct_' || substr(id, 5), created_at, updated_at, given_name || ' ' || family_name, 'SELF', email, COALESCE(phone, ''), organization_id, id FROM patients WHERE email IS NOT NULL AND email <> '';
