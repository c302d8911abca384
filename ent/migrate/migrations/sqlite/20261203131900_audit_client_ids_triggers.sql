-- Hand-written: the append-only triggers of audit_append_only again, the
-- seal-only check naming client_ids too. The rebuild of audit_client_ids
-- dropped them; a database adopted at that file (auto-migrated by a build
-- that had the column) has the old ones, created at adoption. A file of
-- its own, so that adoption applies it either way.
DROP TRIGGER IF EXISTS `audit_events_no_delete`;
DROP TRIGGER IF EXISTS `audit_events_seal_only`;
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
  AND NEW.client_id IS OLD.client_id AND NEW.client_ids IS OLD.client_ids
  AND NEW.ip IS OLD.ip
  AND NEW.user_agent IS OLD.user_agent AND NEW.request_id IS OLD.request_id
  AND NEW.details IS OLD.details)
BEGIN
  SELECT RAISE(ABORT, 'audit events are append-only: UPDATE of audit_events refused');
END;
