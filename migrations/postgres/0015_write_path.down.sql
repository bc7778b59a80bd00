-- Back to migration 0004's definitions: the scope parsed in SQL, the outbox triggers' INSERT
-- built as text and run with EXECUTE, the transaction's index of unprocessed events only.
CREATE OR REPLACE FUNCTION app_org_list(setting text) RETURNS uuid[] LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(x::uuid), '{}')
      FROM unnest(string_to_array(coalesce(current_setting(setting, true), ''), ',')) AS x
     WHERE x ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
$$;

CREATE OR REPLACE FUNCTION outbox_person_rows() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    op text := CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'UPDATE' THEN 'update' ELSE 'delete' END;
    person text := CASE TG_TABLE_NAME WHEN 'participant' THEN 'id' ELSE 'participant_id' END;
    side text := format('SELECT organisation_id, %I, %L::text, id FROM ', person, TG_TABLE_NAME);
BEGIN
    EXECUTE outbox_queue_sql(CASE TG_OP WHEN 'INSERT' THEN side || 'new_rows' WHEN 'DELETE' THEN side || 'old_rows'
        ELSE side || 'new_rows UNION ALL ' || side || 'old_rows' END) USING op;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION outbox_rate_rows() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    EXECUTE outbox_queue_sql('SELECT e.organisation_id, e.participant_id, ''enrolment''::text, e.id FROM enrolment e
        WHERE e.id IN (SELECT enrolment_id FROM changed_rows)') USING 'update';
    RETURN NULL;
END $$;

DROP INDEX change_event_xact_idx;
CREATE INDEX change_event_xact_idx ON change_event (xact, participant_id) WHERE processed_at IS NULL;
CREATE OR REPLACE FUNCTION outbox_queue_sql(touched text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT format($f$
        INSERT INTO change_event (organisation_id, participant_id, entity, entity_id, op, by_trigger)
        SELECT DISTINCT ON (t.person) t.org, t.person, t.entity, t.entity_id, $1, true
          FROM (%s) AS t(org, person, entity, entity_id)
         WHERE t.person IS NOT NULL AND NOT EXISTS (SELECT 1 FROM change_event c
                WHERE c.xact = pg_current_xact_id() AND c.participant_id = t.person AND c.processed_at IS NULL)
         ORDER BY t.person$f$, touched)
$$;

DROP INDEX enrolment_host_idx;
CREATE INDEX enrolment_host_idx ON enrolment (host_employer_id, decision_date);
