-- Hand-written data migration (issue 8, minimum necessary per record kind).
-- Documents, homework and survey responses were readable by anyone who
-- reached the client; each now needs its own read privilege. So that nobody
-- loses access on upgrade, every custom role gets all three (administrators
-- untick what a role does not need), and each built-in role gets the ones
-- its new definition holds (internal/authz BuiltinRoles). Office staff's
-- reports, billing and schedule come from their ticked tabs only: the
-- tab-guarded keys are removed from the office-staff role. A supervisor
-- shares clients from a client's page but no longer invites from
-- organization settings (seed 000): users.invite is removed from it.
UPDATE "roles" SET "privileges" = "privileges" || '["documents.view"]'::jsonb
WHERE ("builtin" IS NULL OR "builtin" IN ('ACCOUNT_OWNER', 'ADMINISTRATOR', 'SUPERVISOR', 'CLINICIAN', 'TEACHER'))
  AND NOT ("privileges" @> '["documents.view"]'::jsonb);
UPDATE "roles" SET "privileges" = "privileges" || '["homework.view"]'::jsonb
WHERE ("builtin" IS NULL OR "builtin" IN ('ACCOUNT_OWNER', 'ADMINISTRATOR', 'SUPERVISOR', 'CLINICIAN', 'TEACHER'))
  AND NOT ("privileges" @> '["homework.view"]'::jsonb);
UPDATE "roles" SET "privileges" = "privileges" || '["surveys.view"]'::jsonb
WHERE ("builtin" IS NULL OR "builtin" IN ('ACCOUNT_OWNER', 'ADMINISTRATOR', 'SUPERVISOR', 'CLINICIAN'))
  AND NOT ("privileges" @> '["surveys.view"]'::jsonb);
UPDATE "roles" SET "privileges" = "privileges" || '["schedule.view_all"]'::jsonb
WHERE "builtin" IN ('ACCOUNT_OWNER', 'ADMINISTRATOR')
  AND NOT ("privileges" @> '["schedule.view_all"]'::jsonb);
UPDATE "roles" SET "privileges" = "privileges" - '{billing.view,billing.manage,reports.view,schedule.view_all}'::text[]
WHERE "builtin" = 'OFFICE_STAFF';
UPDATE "roles" SET "privileges" = "privileges" - 'users.invite'
WHERE "builtin" = 'SUPERVISOR';
