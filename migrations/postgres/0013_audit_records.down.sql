-- Back to a row per record: each record a person's row lists becomes a row of its own
-- (the log is append-only: rows are added, none changed), then the column goes.
INSERT INTO audit_log (at, subject, role, organisation_id, action, entity, entity_id, operation, request_id)
SELECT a.at, a.subject, a.role, a.organisation_id, a.action, split_part(r, ':', 1), substr(r, strpos(r, ':') + 1),
       a.operation, a.request_id
  FROM audit_log a, unnest(a.records) AS r;
DROP INDEX IF EXISTS audit_log_records_idx;
ALTER TABLE audit_log DROP COLUMN records;

CREATE OR REPLACE FUNCTION audit_log_ensure_partition(day date) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    m    date := date_trunc('month', day)::date;
    lo   timestamptz := m::timestamp AT TIME ZONE 'UTC';
    hi   timestamptz := (m + interval '1 month')::timestamp AT TIME ZONE 'UTC';
    name text := 'audit_log_y' || to_char(m, 'YYYY') || 'm' || to_char(m, 'MM');
BEGIN
    IF to_regclass(name) IS NOT NULL THEN
        RETURN name;
    END IF;
    IF EXISTS (SELECT 1 FROM audit_log_default WHERE at >= lo AND at < hi) THEN
        ALTER TABLE audit_log DETACH PARTITION audit_log_default;
        ALTER TABLE audit_log_default RENAME TO audit_log_default_moving;
        CREATE TABLE audit_log_default PARTITION OF audit_log DEFAULT;
        CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log_default
            FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
        PERFORM audit_log_private('audit_log_default');
        EXECUTE format('CREATE TABLE %I PARTITION OF audit_log FOR VALUES FROM (%L) TO (%L)', name, lo, hi);
        INSERT INTO audit_log (id, at, subject, role, organisation_id, action, entity, entity_id, operation, request_id)
            SELECT id, at, subject, role, organisation_id, action, entity, entity_id, operation, request_id
              FROM audit_log_default_moving;
        DROP TABLE audit_log_default_moving;
    ELSE
        EXECUTE format('CREATE TABLE %I PARTITION OF audit_log FOR VALUES FROM (%L) TO (%L)', name, lo, hi);
    END IF;
    EXECUTE format('CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()', name);
    PERFORM audit_log_private(name::regclass);
    RETURN name;
END $$;
