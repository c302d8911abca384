-- The client's email moved into its contacts (relationship SELF) in
-- the client_contacts migration; the column goes.
ALTER TABLE `patients` DROP COLUMN `email`;
