-- Hand-written (issue 13, tamper-evident audit trail; the chain columns
-- come with the audit_chain file before it): audit events are append-only
-- in the database too, whoever connects. DELETE and TRUNCATE
-- are refused always; UPDATE only for the sealer's one transition, the
-- chain columns from null to a value with every other column unchanged
-- (compared as whole rows, so a column added later is covered as well).
-- A superuser or the table's owner can still disable the triggers: the
-- hash chain (server audit verify) is what detects such a change.
CREATE FUNCTION "audit_events_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE'
     AND OLD.chain_seq IS NULL AND OLD.chain_hash IS NULL
     AND NEW.chain_seq IS NOT NULL AND NEW.chain_hash IS NOT NULL
     AND (to_jsonb(NEW) - 'chain_seq' - 'chain_hash') = (to_jsonb(OLD) - 'chain_seq' - 'chain_hash') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit events are append-only: % of audit_events refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER "audit_events_append_only" BEFORE UPDATE OR DELETE ON "audit_events"
  FOR EACH ROW EXECUTE FUNCTION "audit_events_append_only"();
CREATE TRIGGER "audit_events_no_truncate" BEFORE TRUNCATE ON "audit_events"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_events_append_only"();
