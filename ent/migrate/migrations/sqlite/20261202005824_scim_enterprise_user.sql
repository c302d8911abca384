-- Add column "employee_number" to table: "users"
ALTER TABLE `users` ADD COLUMN `employee_number` text NULL;
-- Add column "department" to table: "users"
ALTER TABLE `users` ADD COLUMN `department` text NULL;
-- Add column "cost_center" to table: "users"
ALTER TABLE `users` ADD COLUMN `cost_center` text NULL;
-- Add column "organization_name" to table: "users"
ALTER TABLE `users` ADD COLUMN `organization_name` text NULL;
-- Add column "division" to table: "users"
ALTER TABLE `users` ADD COLUMN `division` text NULL;
-- Add column "manager_ref" to table: "users"
ALTER TABLE `users` ADD COLUMN `manager_ref` text NULL;
