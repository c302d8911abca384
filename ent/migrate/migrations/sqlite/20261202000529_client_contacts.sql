-- Create "client_contacts" table
CREATE TABLE `client_contacts` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `relationship` text NOT NULL DEFAULT (''), `email` text NOT NULL DEFAULT (''), `phone` text NOT NULL DEFAULT (''), `organization_id` text NOT NULL, `client_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `client_contacts_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `client_contacts_patients_client` FOREIGN KEY (`client_id`) REFERENCES `patients` (`id`) ON DELETE NO ACTION);
-- Create index "clientcontact_organization_id" to table: "client_contacts"
CREATE INDEX `clientcontact_organization_id` ON `client_contacts` (`organization_id`);
-- Create index "clientcontact_client_id" to table: "client_contacts"
CREATE INDEX `clientcontact_client_id` ON `client_contacts` (`client_id`);
-- Move each client's email into their Contact Info: one contact for the client themself (relationship SELF).
INSERT INTO client_contacts (id, created_at, updated_at, name, relationship, email, phone, organization_id, client_id) SELECT 'cct_' || substr(id, 5), created_at, updated_at, given_name || ' ' || family_name, 'SELF', email, COALESCE(phone, ''), organization_id, id FROM patients WHERE email IS NOT NULL AND email <> '';
