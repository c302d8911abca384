-- Hand-written (issue 13, tamper-evident audit trail; the chain columns
-- come with the audit_chain file before it): audit events are append-only
-- in the database too. DELETE is refused always; UPDATE only for the
-- sealer's one transition, the chain columns from null to a value with
-- every other column unchanged. SQLite cannot compare whole rows, so the
-- columns are listed: a migration adding a column to audit_events must
-- create audit_events_seal_only again with it, and one that rebuilds the
-- table (as SQLite migrations that change a column do) drops both
-- triggers and must create them again
-- (TestTheDatabaseRefusesToChangeOrRemoveAuditEvents in internal/audit
-- fails otherwise).
CREATE TRIGGER `audit_events_no_delete` BEFORE DELETE ON `audit_events`
BEGIN
  SELECT RAISE(ABORT, 'audit events are append-only: DELETE of audit_events refused');
END;
CREATE TRIGGER `audit_events_seal_only` BEFORE UPDATE ON `audit_events`
WHEN NOT (OLD.chain_seq IS NULL AND OLD.chain_hash IS NULL
  AND NEW.chain_seq IS NOT NULL AND NEW.chain_hash IS NOT NULL
  AND NEW.id IS OLD.id AND NEW.organization_id IS OLD.organization_id
  AND NEW.occurred_at IS OLD.occurred_at AND NEW.actor_kind IS OLD.actor_kind
  AND NEW.actor_id IS OLD.actor_id AND NEW.action IS OLD.action
  AND NEW.target_type IS OLD.target_type AND NEW.target_id IS OLD.target_id
  AND NEW.client_id IS OLD.client_id AND NEW.ip IS OLD.ip
  AND NEW.user_agent IS OLD.user_agent AND NEW.request_id IS OLD.request_id
  AND NEW.details IS OLD.details)
BEGIN
  SELECT RAISE(ABORT, 'audit events are append-only: UPDATE of audit_events refused');
END;
