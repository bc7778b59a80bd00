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
