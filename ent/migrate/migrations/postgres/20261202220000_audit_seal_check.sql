-- Hand-written (issue 13): the same rule as audit_append_only, checked
-- for less. Comparing the rows as jsonb built two documents per sealed
-- event, a fifth of a seal's time under load; now the old row with the
-- sealer's two columns set is compared with the new one as records, which
-- still covers every column, a column added later included (a column of a
-- type without equality, such as json, makes every seal fail loudly rather
-- than pass unchecked).
CREATE OR REPLACE FUNCTION "audit_events_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  expected audit_events;
BEGIN
  IF TG_OP = 'UPDATE'
     AND OLD.chain_seq IS NULL AND OLD.chain_hash IS NULL
     AND NEW.chain_seq IS NOT NULL AND NEW.chain_hash IS NOT NULL THEN
    expected := OLD;
    expected.chain_seq := NEW.chain_seq;
    expected.chain_hash := NEW.chain_hash;
    IF NEW IS NOT DISTINCT FROM expected THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit events are append-only: % of audit_events refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;
