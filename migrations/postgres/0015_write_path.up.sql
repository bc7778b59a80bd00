-- The write path's per-statement work in PostgreSQL, with the same results.
--
-- 1. The row-level-security scope (app_org_list) is parsed in PL/pgSQL instead of SQL.
--    A SQL function that cannot be inlined (this one has a FROM) is parsed and planned
--    again in every statement that calls it, and each policy calls it once per table a
--    statement touches (a mutation's statements call it about eight times): that was
--    about 0.15 ms a call. PL/pgSQL keeps its expressions prepared for the session.
--    Same result: the setting's comma-separated elements that are UUIDs, in order; an
--    unset or empty setting is the empty array.
CREATE OR REPLACE FUNCTION app_org_list(setting text) RETURNS uuid[] LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    x   text;
    ids uuid[] := '{}';
BEGIN
    FOREACH x IN ARRAY string_to_array(coalesce(current_setting(setting, true), ''), ',') LOOP
        IF x ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
            ids := ids || x::uuid;
        END IF;
    END LOOP;
    RETURN ids;
END $$;

-- 2. The lookup "has this transaction queued an event for this person yet?" (the outbox
--    triggers below and changes.Record) reads the transaction's own events by
--    change_event_xact_idx. That index covered unprocessed events only, the same rows as
--    change_event_pending_idx, so for the planner both served the lookup; while the
--    statistics showed no pending events (as right after the loader caught up) it could
--    take the pending index and filter every pending event, so that each write cost more
--    the longer the loader was behind (12 ms a statement with 19,000 pending). The index
--    now covers every event, and the lookups no longer ask for processed_at IS NULL,
--    which the pending index needs: only the transaction's own index can serve them. A
--    transaction's events cannot have been processed yet: the loader reads committed
--    events only, in transactions of its own.
DROP INDEX change_event_xact_idx;
CREATE INDEX change_event_xact_idx ON change_event (xact, participant_id);
-- The reference data's trigger (outbox_reference_rows, 0004) still builds its statement
-- from this text: the same lookup, without processed_at IS NULL.
CREATE OR REPLACE FUNCTION outbox_queue_sql(touched text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT format($f$
        INSERT INTO change_event (organisation_id, participant_id, entity, entity_id, op, by_trigger)
        SELECT DISTINCT ON (t.person) t.org, t.person, t.entity, t.entity_id, $1, true
          FROM (%s) AS t(org, person, entity, entity_id)
         WHERE t.person IS NOT NULL AND NOT EXISTS (SELECT 1 FROM change_event c
                WHERE c.xact = pg_current_xact_id() AND c.participant_id = t.person)
         ORDER BY t.person$f$, touched)
$$;

-- 3. The outbox triggers of a person's tables (migration 0004) built their INSERT as
--    text and ran it with EXECUTE, so every write statement parsed and planned it anew
--    (about 1 ms, more than the write itself). The same statements are now written out
--    per table shape and operation: PL/pgSQL prepares each once per session and table.
--    What they insert is unchanged: one event per touched person of the transaction
--    that has none yet, marked by_trigger, naming the table and the row.
CREATE OR REPLACE FUNCTION outbox_person_rows() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    change_op text := CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'UPDATE' THEN 'update' ELSE 'delete' END;
BEGIN
    -- The participant table's person is its id; every other table's is participant_id.
    IF TG_TABLE_NAME = 'participant' THEN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO change_event (organisation_id, participant_id, entity, entity_id, op, by_trigger)
            SELECT DISTINCT ON (t.id) t.organisation_id, t.id, TG_TABLE_NAME, t.id, change_op, true
              FROM new_rows t
             WHERE t.id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM change_event c
                    WHERE c.xact = pg_current_xact_id() AND c.participant_id = t.id)
             ORDER BY t.id;
        ELSIF TG_OP = 'UPDATE' THEN
            INSERT INTO change_event (organisation_id, participant_id, entity, entity_id, op, by_trigger)
            SELECT DISTINCT ON (t.id) t.organisation_id, t.id, TG_TABLE_NAME, t.id, change_op, true
              FROM (SELECT organisation_id, id FROM new_rows UNION ALL SELECT organisation_id, id FROM old_rows) t
             WHERE t.id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM change_event c
                    WHERE c.xact = pg_current_xact_id() AND c.participant_id = t.id)
             ORDER BY t.id;
        ELSE
            INSERT INTO change_event (organisation_id, participant_id, entity, entity_id, op, by_trigger)
            SELECT DISTINCT ON (t.id) t.organisation_id, t.id, TG_TABLE_NAME, t.id, change_op, true
              FROM old_rows t
             WHERE t.id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM change_event c
                    WHERE c.xact = pg_current_xact_id() AND c.participant_id = t.id)
             ORDER BY t.id;
        END IF;
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO change_event (organisation_id, participant_id, entity, entity_id, op, by_trigger)
        SELECT DISTINCT ON (t.participant_id) t.organisation_id, t.participant_id, TG_TABLE_NAME, t.id, change_op, true
          FROM new_rows t
         WHERE t.participant_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM change_event c
                WHERE c.xact = pg_current_xact_id() AND c.participant_id = t.participant_id)
         ORDER BY t.participant_id;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO change_event (organisation_id, participant_id, entity, entity_id, op, by_trigger)
        SELECT DISTINCT ON (t.participant_id) t.organisation_id, t.participant_id, TG_TABLE_NAME, t.id, change_op, true
          FROM (SELECT organisation_id, participant_id, id FROM new_rows
                UNION ALL SELECT organisation_id, participant_id, id FROM old_rows) t
         WHERE t.participant_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM change_event c
                WHERE c.xact = pg_current_xact_id() AND c.participant_id = t.participant_id)
         ORDER BY t.participant_id;
    ELSE
        INSERT INTO change_event (organisation_id, participant_id, entity, entity_id, op, by_trigger)
        SELECT DISTINCT ON (t.participant_id) t.organisation_id, t.participant_id, TG_TABLE_NAME, t.id, change_op, true
          FROM old_rows t
         WHERE t.participant_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM change_event c
                WHERE c.xact = pg_current_xact_id() AND c.participant_id = t.participant_id)
         ORDER BY t.participant_id;
    END IF;
    RETURN NULL;
END $$;

-- enrolment_rate's trigger the same way (its person is the enrolment's).
CREATE OR REPLACE FUNCTION outbox_rate_rows() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO change_event (organisation_id, participant_id, entity, entity_id, op, by_trigger)
    SELECT DISTINCT ON (e.participant_id) e.organisation_id, e.participant_id, 'enrolment', e.id, 'update', true
      FROM enrolment e
     WHERE e.id IN (SELECT enrolment_id FROM changed_rows)
       AND e.participant_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM change_event c
            WHERE c.xact = pg_current_xact_id() AND c.participant_id = e.participant_id)
     ORDER BY e.participant_id;
    RETURN NULL;
END $$;

-- 4. Most enrolments have no host workplace, yet each was entered in the host index. Every
--    query that uses it names a host (host_employer_id = a value: quota.Allocations, the
--    enrolment list's host filter, the foreign key's check when a workplace goes), which
--    a partial index over the rows with a host serves as well: one index entry less per
--    enrolment written.
DROP INDEX enrolment_host_idx;
CREATE INDEX enrolment_host_idx ON enrolment (host_employer_id, decision_date) WHERE host_employer_id IS NOT NULL;
