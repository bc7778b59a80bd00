-- The write path's per-statement work in PostgreSQL, continued (0015), with the same
-- rules.
--
-- 1. sane_date (0004) keeps its rule but gets a SQL-standard body (RETURN …), which
--    PostgreSQL stores parsed. Every INSERT and UPDATE builds its table's CHECK
--    expressions anew, and inlining a SQL function whose body is text parses and
--    analyses that text each time: four times per enrolment written (its date
--    columns), once per participant. A parsed body is read instead.
CREATE OR REPLACE FUNCTION sane_date(d date) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN d BETWEEN DATE '1900-01-01' AND DATE '2100-12-31';

-- 2. An enrolment's organisation is its participant's (enrolment_participant_fkey, on
--    (participant_id, organisation_id)) and its measure's (enrolment_measure_type_fkey),
--    and each of those rows belongs to an existing organisation (their own foreign
--    keys): the enrolment's own key to organisation checked again what those two
--    already guarantee, one more lookup per enrolment written. Deleting an organisation
--    that still has enrolments is refused as before, by its participants' key.
ALTER TABLE enrolment DROP CONSTRAINT enrolment_organisation_id_fkey;

-- 3. The row-level-security scope (app_org_list, 0015) keeps its result: the setting's
--    comma-separated elements that are UUIDs (8-4-4-4-12 hexadecimal digits, either
--    case), in order. Each element was tested with one regular expression of bounded
--    repetitions, which PostgreSQL's engine runs slowly (about 4 µs, and the policies
--    call the function about ten times per write); the same strings are those of
--    36 characters with hyphens at 9, 14, 19 and 24 (LIKE) that are five runs of
--    hexadecimal digits joined by four hyphens (a regular expression without bounds):
--    about a third of the time.
CREATE OR REPLACE FUNCTION app_org_list(setting text) RETURNS uuid[] LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    x   text;
    ids uuid[] := '{}';
BEGIN
    FOREACH x IN ARRAY string_to_array(coalesce(current_setting(setting, true), ''), ',') LOOP
        IF x LIKE '________-____-____-____-____________'
           AND x ~ '^[0-9a-fA-F]+-[0-9a-fA-F]+-[0-9a-fA-F]+-[0-9a-fA-F]+-[0-9a-fA-F]+$' THEN
            ids := ids || x::uuid;
        END IF;
    END LOOP;
    RETURN ids;
END $$;
