-- Tenant isolation in the database: row-level security on personal data, keyed on the
-- organisations the session may see (app.org_ids: "*" or a comma-separated list, set
-- per request by the API and to "*" by the loader and the admin CLI). FORCE makes the
-- policies apply to the table owner too, and the application role has no BYPASSRLS.

CREATE FUNCTION app_org_visible(org uuid) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('app.org_ids', true), '') = '*'
        OR org::text = ANY (string_to_array(coalesce(current_setting('app.org_ids', true), ''), ','))
$$;

ALTER TABLE participant ENABLE ROW LEVEL SECURITY;
ALTER TABLE participant FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON participant
    USING (app_org_visible(organisation_id)) WITH CHECK (app_org_visible(organisation_id));

ALTER TABLE enrolment ENABLE ROW LEVEL SECURITY;
ALTER TABLE enrolment FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON enrolment
    USING (app_org_visible(organisation_id)) WITH CHECK (app_org_visible(organisation_id));

ALTER TABLE outcome_observation ENABLE ROW LEVEL SECURITY;
ALTER TABLE outcome_observation FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON outcome_observation
    USING (app_org_visible(organisation_id)) WITH CHECK (app_org_visible(organisation_id));

-- Append-only audit log: who read or wrote what, when, in which request.
CREATE TABLE audit_log (
    id              bigserial PRIMARY KEY,
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
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id);
CREATE INDEX audit_log_subject_idx ON audit_log (subject, at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
