ALTER TABLE enrolment ADD CONSTRAINT enrolment_organisation_id_fkey FOREIGN KEY (organisation_id) REFERENCES organisation (id);
CREATE OR REPLACE FUNCTION sane_date(d date) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT d BETWEEN DATE '1900-01-01' AND DATE '2100-12-31'
$$;
