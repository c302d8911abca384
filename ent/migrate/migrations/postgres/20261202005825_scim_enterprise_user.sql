-- Modify "users" table
ALTER TABLE "users" ADD COLUMN "employee_number" character varying NULL, ADD COLUMN "department" character varying NULL, ADD COLUMN "cost_center" character varying NULL, ADD COLUMN "organization_name" character varying NULL, ADD COLUMN "division" character varying NULL, ADD COLUMN "manager_ref" character varying NULL;
