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
UPDATE `roles` SET `privileges` = json_insert(`privileges`, '$[#]', 'documents.view')
WHERE (`builtin` IS NULL OR `builtin` IN ('ACCOUNT_OWNER', 'ADMINISTRATOR', 'SUPERVISOR', 'CLINICIAN', 'TEACHER'))
  AND NOT EXISTS (SELECT 1 FROM json_each(`roles`.`privileges`) AS p WHERE p.value = 'documents.view');
UPDATE `roles` SET `privileges` = json_insert(`privileges`, '$[#]', 'homework.view')
WHERE (`builtin` IS NULL OR `builtin` IN ('ACCOUNT_OWNER', 'ADMINISTRATOR', 'SUPERVISOR', 'CLINICIAN', 'TEACHER'))
  AND NOT EXISTS (SELECT 1 FROM json_each(`roles`.`privileges`) AS p WHERE p.value = 'homework.view');
UPDATE `roles` SET `privileges` = json_insert(`privileges`, '$[#]', 'surveys.view')
WHERE (`builtin` IS NULL OR `builtin` IN ('ACCOUNT_OWNER', 'ADMINISTRATOR', 'SUPERVISOR', 'CLINICIAN'))
  AND NOT EXISTS (SELECT 1 FROM json_each(`roles`.`privileges`) AS p WHERE p.value = 'surveys.view');
UPDATE `roles` SET `privileges` = json_insert(`privileges`, '$[#]', 'schedule.view_all')
WHERE `builtin` IN ('ACCOUNT_OWNER', 'ADMINISTRATOR')
  AND NOT EXISTS (SELECT 1 FROM json_each(`roles`.`privileges`) AS p WHERE p.value = 'schedule.view_all');
UPDATE `roles` SET `privileges` = (SELECT json_group_array(p.value) FROM json_each(`roles`.`privileges`) AS p
  WHERE p.value NOT IN ('billing.view', 'billing.manage', 'reports.view', 'schedule.view_all'))
WHERE `builtin` = 'OFFICE_STAFF';
UPDATE `roles` SET `privileges` = (SELECT json_group_array(p.value) FROM json_each(`roles`.`privileges`) AS p
  WHERE p.value <> 'users.invite')
WHERE `builtin` = 'SUPERVISOR';
