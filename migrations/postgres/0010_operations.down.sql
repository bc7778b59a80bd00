-- Back to one unpartitioned audit_log (rows kept; archived and dropped months stay in
-- their archive files).
DROP INDEX IF EXISTS idempotency_key_created_at_idx;
DROP INDEX IF EXISTS change_event_processed_at_idx;
DROP TABLE IF EXISTS maintenance_run;
DROP TABLE IF EXISTS audit_archive;
DROP FUNCTION IF EXISTS audit_log_ensure_partition(date);

ALTER TABLE audit_log RENAME TO audit_log_partitioned;
ALTER INDEX audit_log_pkey RENAME TO audit_log_partitioned_pkey;
ALTER INDEX audit_log_entity_idx RENAME TO audit_log_partitioned_entity_idx;
ALTER INDEX audit_log_subject_idx RENAME TO audit_log_partitioned_subject_idx;
ALTER SEQUENCE audit_log_id_seq OWNED BY NONE;

CREATE TABLE audit_log (
    id              bigint PRIMARY KEY DEFAULT nextval('audit_log_id_seq'),
    at              timestamptz NOT NULL DEFAULT clock_timestamp(),
    subject         text NOT NULL,
    role            text NOT NULL,
    organisation_id uuid,
    action          text NOT NULL CHECK (action IN ('read', 'write')),
    entity          text NOT NULL,
    entity_id       text,
    operation       text NOT NULL,
    request_id      text NOT NULL
);
ALTER SEQUENCE audit_log_id_seq OWNED BY audit_log.id;
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id);
CREATE INDEX audit_log_subject_idx ON audit_log (subject, at);

DO $$
DECLARE
    old regclass := 'audit_log_partitioned'::regclass;
    r record;
BEGIN
    PERFORM audit_log_private('audit_log'); -- the old table's grants, not the defaults
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

INSERT INTO audit_log (id, at, subject, role, organisation_id, action, entity, entity_id, operation, request_id)
    SELECT id, at, subject, role, organisation_id, action, entity, entity_id, operation, request_id
      FROM audit_log_partitioned;
DROP TABLE audit_log_partitioned;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
DROP FUNCTION IF EXISTS audit_log_private(regclass);
DO $$
BEGIN
    IF to_regclass('loader_dead_letter') IS NOT NULL AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'outcomes_loader') THEN
        REVOKE INSERT, UPDATE ON loader_dead_letter FROM outcomes_loader;
        REVOKE USAGE ON SEQUENCE loader_dead_letter_id_seq FROM outcomes_loader;
    END IF;
END $$;
