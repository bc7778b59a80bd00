-- Operations (issue 19): tables that stop growing.
--
-- audit_log becomes partitioned by calendar month (UTC), so that a month past its
-- retention is archived and then dropped whole (outcomesctl maintain), never deleted
-- row by row: the log stays append-only for everyone. PostgreSQL cannot partition a
-- table in place, so the table is recreated with the same columns, indexes, triggers,
-- row-level security, owner and grants, and its rows are copied; the id sequence is kept.

-- audit_log_private leaves a partition to its owner: every other role reaches audit rows
-- only through audit_log and its grants (default privileges would otherwise give the
-- API's role UPDATE and DELETE on each new partition).
CREATE FUNCTION audit_log_private(rel regclass) RETURNS void LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
    FOR r IN SELECT DISTINCT a.grantee FROM pg_class c, aclexplode(c.relacl) a
              WHERE c.oid = rel AND a.grantee <> c.relowner
    LOOP
        EXECUTE format('REVOKE ALL ON %s FROM %s', rel,
            CASE WHEN r.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r.grantee)) END);
    END LOOP;
END $$;

ALTER TABLE audit_log RENAME TO audit_log_unpartitioned;
ALTER INDEX audit_log_pkey RENAME TO audit_log_unpartitioned_pkey;
ALTER INDEX audit_log_entity_idx RENAME TO audit_log_unpartitioned_entity_idx;
ALTER INDEX audit_log_subject_idx RENAME TO audit_log_unpartitioned_subject_idx;
ALTER SEQUENCE audit_log_id_seq OWNED BY NONE;

-- The primary key of a partitioned table must include the partition key.
CREATE TABLE audit_log (
    id              bigint NOT NULL DEFAULT nextval('audit_log_id_seq'),
    at              timestamptz NOT NULL DEFAULT clock_timestamp(),
    subject         text NOT NULL,
    role            text NOT NULL,
    organisation_id uuid,
    action          text NOT NULL CHECK (action IN ('read', 'write')),
    entity          text NOT NULL,
    entity_id       text,
    operation       text NOT NULL,
    request_id      text NOT NULL,
    PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
ALTER SEQUENCE audit_log_id_seq OWNED BY audit_log.id;
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id);
CREATE INDEX audit_log_subject_idx ON audit_log (subject, at);
-- Row triggers on a partitioned table are cloned onto every partition; TRUNCATE
-- triggers are not, so audit_log_ensure_partition adds one to each partition.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Owner, grants, row-level security and policies of the old table, whatever earlier
-- migrations (roles, security) gave it.
DO $$
DECLARE
    old regclass := 'audit_log_unpartitioned'::regclass;
    r record;
BEGIN
    -- Default privileges gave the new table what every new table gets; it gets the old
    -- table's grants instead.
    PERFORM audit_log_private('audit_log');
    EXECUTE format('ALTER TABLE audit_log OWNER TO %I', (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = old));
    FOR r IN SELECT a.grantee, a.privilege_type
               FROM pg_class c, aclexplode(c.relacl) a
              WHERE c.oid = old AND a.grantee <> c.relowner
    LOOP
        EXECUTE format('GRANT %s ON audit_log TO %s', r.privilege_type,
            CASE WHEN r.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r.grantee)) END);
    END LOOP;
    IF (SELECT relrowsecurity FROM pg_class WHERE oid = old) THEN
        ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
    END IF;
    IF (SELECT relforcerowsecurity FROM pg_class WHERE oid = old) THEN
        ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
    END IF;
    FOR r IN SELECT p.polname, p.polpermissive, p.polcmd,
                    pg_get_expr(p.polqual, p.polrelid) AS qual,
                    pg_get_expr(p.polwithcheck, p.polrelid) AS withcheck,
                    (SELECT string_agg(CASE WHEN rl = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(rl)) END, ', ')
                       FROM unnest(p.polroles) rl) AS roles
               FROM pg_policy p WHERE p.polrelid = old
    LOOP
        EXECUTE format('CREATE POLICY %I ON audit_log AS %s FOR %s TO %s%s%s', r.polname,
            CASE WHEN r.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,
            CASE r.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
            r.roles,
            CASE WHEN r.qual IS NULL THEN '' ELSE ' USING (' || r.qual || ')' END,
            CASE WHEN r.withcheck IS NULL THEN '' ELSE ' WITH CHECK (' || r.withcheck || ')' END);
    END LOOP;
END $$;

-- Rows whose month has no partition yet land here; they are moved out when their
-- month's partition is created, and outcomes_audit_log_default_rows shows them.
CREATE TABLE audit_log_default PARTITION OF audit_log DEFAULT;
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log_default
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
SELECT audit_log_private('audit_log_default');

-- audit_log_ensure_partition creates the partition of the month holding day (UTC),
-- audit_log_yYYYYmMM, unless it exists, and returns its name. Rows of that month
-- already in the default partition move into it: PostgreSQL refuses to create a
-- partition whose range the default partition holds rows of. Moving them rebuilds the
-- default partition (insert into the parent, then drop the old one): rows are never
-- deleted, so the append-only triggers stay as they are.
CREATE FUNCTION audit_log_ensure_partition(day date) RETURNS text LANGUAGE plpgsql AS $$
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

-- Partitions from the oldest row's month to three months ahead; outcomesctl maintain
-- keeps creating them ahead of time.
SELECT audit_log_ensure_partition(d::date)
  FROM generate_series(
         date_trunc('month', coalesce((SELECT min(at) FROM audit_log_unpartitioned), now()) AT TIME ZONE 'UTC'),
         date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months',
         interval '1 month') AS d;

INSERT INTO audit_log (id, at, subject, role, organisation_id, action, entity, entity_id, operation, request_id)
    SELECT id, at, subject, role, organisation_id, action, entity, entity_id, operation, request_id
      FROM audit_log_unpartitioned;
-- DROP is not an UPDATE, DELETE or TRUNCATE: the append-only triggers let it through.
DROP TABLE audit_log_unpartitioned;

-- One row per archive file: the month it holds, its rows and SHA-256, written in the
-- transaction that drops the partition, so a dropped month always has its archive.
-- A month archived twice (rows that arrived late, after its partition was dropped) gets a
-- second file: an archive file is never overwritten.
CREATE TABLE audit_archive (
    file        text PRIMARY KEY,
    month       date NOT NULL CHECK (sane_date(month) AND extract(day FROM month) = 1),
    rows        bigint NOT NULL,
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    archived_at timestamptz NOT NULL DEFAULT now()
);

-- The last run of each maintenance task, for /metrics and the runbook's alerts.
CREATE TABLE maintenance_run (
    task        text PRIMARY KEY,
    last_run_at timestamptz NOT NULL,
    last_ok_at  timestamptz,
    last_count  bigint NOT NULL DEFAULT 0,
    last_error  text NOT NULL DEFAULT ''
);

-- The archive record is the owner's (maintenance): other roles may read it, not change it.
SELECT audit_log_private('audit_archive');
GRANT SELECT ON audit_archive TO PUBLIC;

-- Pruning finds processed events and expired keys by age.
CREATE INDEX change_event_processed_at_idx ON change_event (processed_at) WHERE processed_at IS NOT NULL;
CREATE INDEX idempotency_key_created_at_idx ON idempotency_key (created_at);

-- The loader's role (0005) got SELECT only on the dead-letter table (0004), but the
-- loader records and resolves dead letters (a rebuild as that role failed): it needs
-- INSERT and UPDATE there. Guarded, so that this file runs with or without either.
DO $$
BEGIN
    IF to_regclass('loader_dead_letter') IS NOT NULL AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'outcomes_loader') THEN
        GRANT INSERT, UPDATE ON loader_dead_letter TO outcomes_loader;
        GRANT USAGE ON SEQUENCE loader_dead_letter_id_seq TO outcomes_loader;
    END IF;
END $$;
