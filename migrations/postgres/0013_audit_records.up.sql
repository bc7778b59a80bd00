-- A request's reads are audited one row per person (entity participant) instead of one
-- per record: records lists the person's other records the request showed, each as
-- entity:id (enrolment:…, referral:…, outcome_observation:…). A page of 50 people with
-- their enrolments, referrals and latest observation writes 50 rows instead of ~225
-- (the rows, their index entries and their WAL were most of a read's PostgreSQL work).
-- Rows written before keep one row per record and no records; the API's audit listing
-- finds a record either way (the GIN index answers "who read enrolment X").
ALTER TABLE audit_log ADD COLUMN records text[];
CREATE INDEX audit_log_records_idx ON audit_log USING gin (records);

-- Moving rows out of the default partition keeps their records.
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
        INSERT INTO audit_log (id, at, subject, role, organisation_id, action, entity, entity_id, operation, request_id, records)
            SELECT id, at, subject, role, organisation_id, action, entity, entity_id, operation, request_id, records
              FROM audit_log_default_moving;
        DROP TABLE audit_log_default_moving;
    ELSE
        EXECUTE format('CREATE TABLE %I PARTITION OF audit_log FOR VALUES FROM (%L) TO (%L)', name, lo, hi);
    END IF;
    EXECUTE format('CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()', name);
    PERFORM audit_log_private(name::regclass);
    RETURN name;
END $$;
