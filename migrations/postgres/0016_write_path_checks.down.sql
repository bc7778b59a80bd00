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
ALTER TABLE enrolment ADD CONSTRAINT enrolment_organisation_id_fkey FOREIGN KEY (organisation_id) REFERENCES organisation (id);
CREATE OR REPLACE FUNCTION sane_date(d date) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT d BETWEEN DATE '1900-01-01' AND DATE '2100-12-31'
$$;
