-- Integrity (issue #20): the database keeps the casework consistent by itself, whatever
-- code or person writes to it. docs/DATABASE.md describes each rule and its test.

CREATE EXTENSION IF NOT EXISTS btree_gist;

-- ---------------------------------------------------------------------------------
-- Tenancy by keys: every child row's organisation equals its parent's. Parents get
-- UNIQUE (id, organisation_id); children reference (parent_id, organisation_id), so a
-- row of organisation B cannot hang under a record of organisation A.
-- ---------------------------------------------------------------------------------
ALTER TABLE participant        ADD CONSTRAINT participant_id_org_key        UNIQUE (id, organisation_id);
ALTER TABLE enrolment          ADD CONSTRAINT enrolment_id_org_key          UNIQUE (id, organisation_id);
-- A follow-up or interview names an enrolment of the same person.
ALTER TABLE enrolment          ADD CONSTRAINT enrolment_id_person_org_key   UNIQUE (id, participant_id, organisation_id);
ALTER TABLE measure_type       ADD CONSTRAINT measure_type_id_org_key       UNIQUE (id, organisation_id);
ALTER TABLE unit               ADD CONSTRAINT unit_id_org_key               UNIQUE (id, organisation_id);
ALTER TABLE staff_user         ADD CONSTRAINT staff_user_id_org_key         UNIQUE (id, organisation_id);
ALTER TABLE employer           ADD CONSTRAINT employer_id_org_key           UNIQUE (id, organisation_id);
ALTER TABLE project            ADD CONSTRAINT project_id_org_key            UNIQUE (id, organisation_id);
ALTER TABLE action_plan        ADD CONSTRAINT action_plan_id_org_key        UNIQUE (id, organisation_id);
ALTER TABLE recruitment_event  ADD CONSTRAINT recruitment_event_id_org_key  UNIQUE (id, organisation_id);

ALTER TABLE enrolment
    DROP CONSTRAINT enrolment_participant_id_fkey,
    DROP CONSTRAINT enrolment_measure_type_id_fkey,
    DROP CONSTRAINT enrolment_unit_id_fkey,
    DROP CONSTRAINT enrolment_host_employer_id_fkey,
    DROP CONSTRAINT enrolment_project_id_fkey,
    ADD CONSTRAINT enrolment_participant_fkey FOREIGN KEY (participant_id, organisation_id)
        REFERENCES participant (id, organisation_id) ON DELETE CASCADE,
    ADD CONSTRAINT enrolment_measure_type_fkey FOREIGN KEY (measure_type_id, organisation_id)
        REFERENCES measure_type (id, organisation_id),
    ADD CONSTRAINT enrolment_unit_fkey FOREIGN KEY (unit_id, organisation_id) REFERENCES unit (id, organisation_id),
    ADD CONSTRAINT enrolment_host_employer_fkey FOREIGN KEY (host_employer_id, organisation_id)
        REFERENCES employer (id, organisation_id),
    ADD CONSTRAINT enrolment_project_fkey FOREIGN KEY (project_id, organisation_id) REFERENCES project (id, organisation_id);

ALTER TABLE outcome_observation
    DROP CONSTRAINT outcome_observation_participant_id_fkey,
    ADD CONSTRAINT outcome_observation_participant_fkey FOREIGN KEY (participant_id, organisation_id)
        REFERENCES participant (id, organisation_id) ON DELETE CASCADE;

ALTER TABLE participant
    DROP CONSTRAINT participant_caseworker_id_fkey,
    ADD CONSTRAINT participant_caseworker_fkey FOREIGN KEY (caseworker_id, organisation_id)
        REFERENCES staff_user (id, organisation_id);

ALTER TABLE staff_user
    DROP CONSTRAINT staff_user_unit_id_fkey,
    ADD CONSTRAINT staff_user_unit_fkey FOREIGN KEY (unit_id, organisation_id) REFERENCES unit (id, organisation_id);

ALTER TABLE employer_contact
    DROP CONSTRAINT employer_contact_employer_id_fkey,
    ADD CONSTRAINT employer_contact_employer_fkey FOREIGN KEY (employer_id, organisation_id)
        REFERENCES employer (id, organisation_id) ON DELETE CASCADE;

ALTER TABLE employer_note
    DROP CONSTRAINT employer_note_employer_id_fkey,
    ADD CONSTRAINT employer_note_employer_fkey FOREIGN KEY (employer_id, organisation_id)
        REFERENCES employer (id, organisation_id) ON DELETE CASCADE;

ALTER TABLE participant_attributes
    DROP CONSTRAINT participant_attributes_participant_id_fkey,
    ADD CONSTRAINT participant_attributes_participant_fkey FOREIGN KEY (participant_id, organisation_id)
        REFERENCES participant (id, organisation_id) ON DELETE CASCADE;

ALTER TABLE target
    DROP CONSTRAINT target_measure_type_id_fkey,
    DROP CONSTRAINT target_project_id_fkey,
    DROP CONSTRAINT target_unit_id_fkey,
    ADD CONSTRAINT target_measure_type_fkey FOREIGN KEY (measure_type_id, organisation_id)
        REFERENCES measure_type (id, organisation_id),
    ADD CONSTRAINT target_project_fkey FOREIGN KEY (project_id, organisation_id) REFERENCES project (id, organisation_id),
    ADD CONSTRAINT target_unit_fkey FOREIGN KEY (unit_id, organisation_id) REFERENCES unit (id, organisation_id);

ALTER TABLE enrolment_rate
    DROP CONSTRAINT enrolment_rate_enrolment_id_fkey,
    ADD CONSTRAINT enrolment_rate_enrolment_fkey FOREIGN KEY (enrolment_id, organisation_id)
        REFERENCES enrolment (id, organisation_id) ON DELETE CASCADE;

ALTER TABLE referral
    DROP CONSTRAINT referral_participant_id_fkey,
    ADD CONSTRAINT referral_participant_fkey FOREIGN KEY (participant_id, organisation_id)
        REFERENCES participant (id, organisation_id) ON DELETE CASCADE;

ALTER TABLE action_plan
    DROP CONSTRAINT action_plan_participant_id_fkey,
    ADD CONSTRAINT action_plan_participant_fkey FOREIGN KEY (participant_id, organisation_id)
        REFERENCES participant (id, organisation_id) ON DELETE CASCADE;

ALTER TABLE action_plan_step
    DROP CONSTRAINT action_plan_step_action_plan_id_fkey,
    ADD CONSTRAINT action_plan_step_plan_fkey FOREIGN KEY (action_plan_id, organisation_id)
        REFERENCES action_plan (id, organisation_id) ON DELETE CASCADE;

ALTER TABLE follow_up
    DROP CONSTRAINT follow_up_participant_id_fkey,
    DROP CONSTRAINT follow_up_enrolment_id_fkey,
    ADD CONSTRAINT follow_up_participant_fkey FOREIGN KEY (participant_id, organisation_id)
        REFERENCES participant (id, organisation_id) ON DELETE CASCADE,
    ADD CONSTRAINT follow_up_enrolment_fkey FOREIGN KEY (enrolment_id, participant_id, organisation_id)
        REFERENCES enrolment (id, participant_id, organisation_id) ON DELETE CASCADE;

ALTER TABLE recruitment_event
    DROP CONSTRAINT recruitment_event_measure_type_id_fkey,
    ADD CONSTRAINT recruitment_event_measure_type_fkey FOREIGN KEY (measure_type_id, organisation_id)
        REFERENCES measure_type (id, organisation_id);

ALTER TABLE recruitment_place
    DROP CONSTRAINT recruitment_place_event_id_fkey,
    DROP CONSTRAINT recruitment_place_employer_id_fkey,
    ADD CONSTRAINT recruitment_place_event_fkey FOREIGN KEY (event_id, organisation_id)
        REFERENCES recruitment_event (id, organisation_id) ON DELETE CASCADE,
    ADD CONSTRAINT recruitment_place_employer_fkey FOREIGN KEY (employer_id, organisation_id)
        REFERENCES employer (id, organisation_id);

ALTER TABLE recruitment_invitation
    DROP CONSTRAINT recruitment_invitation_event_id_fkey,
    DROP CONSTRAINT recruitment_invitation_participant_id_fkey,
    ADD CONSTRAINT recruitment_invitation_event_fkey FOREIGN KEY (event_id, organisation_id)
        REFERENCES recruitment_event (id, organisation_id) ON DELETE CASCADE,
    ADD CONSTRAINT recruitment_invitation_participant_fkey FOREIGN KEY (participant_id, organisation_id)
        REFERENCES participant (id, organisation_id) ON DELETE CASCADE;

-- An interview's enrolment is cleared (not the interview's organisation or person) when
-- the enrolment goes: PostgreSQL 15's SET NULL with a column list.
ALTER TABLE interview
    DROP CONSTRAINT interview_event_id_fkey,
    DROP CONSTRAINT interview_participant_id_fkey,
    DROP CONSTRAINT interview_employer_id_fkey,
    DROP CONSTRAINT interview_enrolment_id_fkey,
    ADD CONSTRAINT interview_event_fkey FOREIGN KEY (event_id, organisation_id)
        REFERENCES recruitment_event (id, organisation_id) ON DELETE CASCADE,
    ADD CONSTRAINT interview_participant_fkey FOREIGN KEY (participant_id, organisation_id)
        REFERENCES participant (id, organisation_id) ON DELETE CASCADE,
    ADD CONSTRAINT interview_employer_fkey FOREIGN KEY (employer_id, organisation_id)
        REFERENCES employer (id, organisation_id),
    ADD CONSTRAINT interview_enrolment_fkey FOREIGN KEY (enrolment_id, participant_id, organisation_id)
        REFERENCES enrolment (id, participant_id, organisation_id) ON DELETE SET NULL (enrolment_id);

ALTER TABLE quota
    DROP CONSTRAINT quota_measure_type_id_fkey,
    ADD CONSTRAINT quota_measure_type_fkey FOREIGN KEY (measure_type_id, organisation_id)
        REFERENCES measure_type (id, organisation_id);

-- Indexes on the foreign-key columns that erasure, cascades and parent deletes walk
-- (TestForeignKeysHaveIndexes checks that none is missing).
CREATE INDEX enrolment_measure_type_idx          ON enrolment (measure_type_id);
CREATE INDEX enrolment_unit_idx                  ON enrolment (unit_id) WHERE unit_id IS NOT NULL;
CREATE INDEX enrolment_project_idx               ON enrolment (project_id) WHERE project_id IS NOT NULL;
CREATE INDEX participant_caseworker_idx          ON participant (caseworker_id) WHERE caseworker_id IS NOT NULL;
CREATE INDEX staff_user_unit_idx                 ON staff_user (unit_id, name, id);
CREATE INDEX target_measure_type_idx             ON target (measure_type_id) WHERE measure_type_id IS NOT NULL;
CREATE INDEX target_project_idx                  ON target (project_id, period_start, id);
CREATE INDEX target_unit_idx                     ON target (unit_id) WHERE unit_id IS NOT NULL;
CREATE INDEX follow_up_enrolment_idx             ON follow_up (enrolment_id) WHERE enrolment_id IS NOT NULL;
CREATE INDEX recruitment_event_measure_type_idx  ON recruitment_event (measure_type_id) WHERE measure_type_id IS NOT NULL;
CREATE INDEX recruitment_place_employer_idx      ON recruitment_place (employer_id);
CREATE INDEX recruitment_invitation_person_idx   ON recruitment_invitation (participant_id);
CREATE INDEX interview_employer_idx              ON interview (employer_id);
CREATE INDEX interview_enrolment_idx             ON interview (enrolment_id) WHERE enrolment_id IS NOT NULL;
CREATE INDEX quota_measure_type_idx              ON quota (measure_type_id) WHERE measure_type_id IS NOT NULL;

-- ---------------------------------------------------------------------------------
-- Swedish order: names sort as Swedes expect (å, ä, ö after z), with indexes that
-- serve each list's ORDER BY.
-- ---------------------------------------------------------------------------------
ALTER TABLE organisation      ALTER COLUMN name        TYPE text COLLATE "sv-SE-x-icu";
ALTER TABLE unit              ALTER COLUMN name        TYPE text COLLATE "sv-SE-x-icu";
ALTER TABLE staff_user        ALTER COLUMN name        TYPE text COLLATE "sv-SE-x-icu";
ALTER TABLE employer          ALTER COLUMN name        TYPE text COLLATE "sv-SE-x-icu";
ALTER TABLE employer_contact  ALTER COLUMN name        TYPE text COLLATE "sv-SE-x-icu";
ALTER TABLE participant       ALTER COLUMN given_name  TYPE text COLLATE "sv-SE-x-icu";
ALTER TABLE participant       ALTER COLUMN family_name TYPE text COLLATE "sv-SE-x-icu";
ALTER TABLE project           ALTER COLUMN name        TYPE text COLLATE "sv-SE-x-icu";
ALTER TABLE target            ALTER COLUMN name        TYPE text COLLATE "sv-SE-x-icu";
ALTER TABLE quota             ALTER COLUMN name        TYPE text COLLATE "sv-SE-x-icu";
ALTER TABLE recruitment_event ALTER COLUMN name        TYPE text COLLATE "sv-SE-x-icu";

CREATE INDEX participant_name_order_idx ON participant (organisation_id, family_name, given_name, id);
CREATE INDEX organisation_name_order_idx ON organisation (name, id);
CREATE INDEX unit_name_order_idx ON unit (organisation_id, name, id);
CREATE INDEX employer_name_order_idx ON employer (organisation_id, name, id);
CREATE INDEX employer_contact_name_order_idx ON employer_contact (employer_id, name, id);
CREATE INDEX project_order_idx ON project (organisation_id, start_date, name, id);

-- ---------------------------------------------------------------------------------
-- Rules the database can state. The date range is internal/bounds' (MinDate..MaxDate,
-- the API's own range): TestSaneRanges proves that sane_date accepts exactly it.
-- ---------------------------------------------------------------------------------
CREATE FUNCTION sane_date(d date) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT d BETWEEN DATE '1900-01-01' AND DATE '2100-12-31'
$$;

-- Every date column of the schema gets the range (NULL passes: optional dates stay
-- optional). TestEveryDateColumnHasTheRange keeps later migrations honest.
DO $$
DECLARE c record;
BEGIN
    FOR c IN SELECT table_name, column_name FROM information_schema.columns
              WHERE table_schema = 'public' AND data_type = 'date'
                AND table_name IN (SELECT tablename FROM pg_tables WHERE schemaname = 'public')
    LOOP
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (sane_date(%I))',
            c.table_name, left(c.table_name || '_' || c.column_name, 57) || '_range', c.column_name);
    END LOOP;
END $$;

-- Enrolments: a decision at most a year after the start (enrolment.CreateInput), an
-- override's reason, author and time together, social assistance at exit only with an
-- exit.
ALTER TABLE enrolment
    ADD CONSTRAINT enrolment_decision_order CHECK (decision_date IS NULL OR decision_date <= start_date + interval '1 year'),
    ADD CONSTRAINT enrolment_override_together CHECK (
        (override_reason IS NULL) = (override_by IS NULL) AND (override_reason IS NULL) = (override_at IS NULL)),
    ADD CONSTRAINT enrolment_exit_assistance CHECK (social_assistance_at_exit IS NULL OR end_date IS NOT NULL);

-- Two spells of one person in the same measure must not overlap (a second open extra
-- job beside the first is a double registration). Spells in different measures may:
-- DOMAIN.md "people can have several enrolments, in sequence or at once" (a work
-- practice beside SFI). End dates are inclusive; an open spell runs on.
ALTER TABLE enrolment ADD CONSTRAINT enrolment_no_overlap_in_measure EXCLUDE USING gist (
    participant_id WITH =, measure_type_id WITH =, daterange(start_date, end_date, '[]') WITH &&);

-- Referrals: what follows a referral cannot precede it.
ALTER TABLE referral
    ADD CONSTRAINT referral_feedback_sent_order CHECK (feedback_sent_date IS NULL OR feedback_sent_date >= referral_date),
    ADD CONSTRAINT referral_tripartite_order CHECK (tripartite_meeting_date IS NULL OR tripartite_meeting_date >= referral_date);

-- Targets: a gender split cannot exceed its total (project.TargetInput).
ALTER TABLE target
    ADD CONSTRAINT target_split_within_total CHECK (women IS NULL OR men IS NULL OR women + men <= total),
    ADD CONSTRAINT target_women_within_total CHECK (women IS NULL OR women <= total),
    ADD CONSTRAINT target_men_within_total CHECK (men IS NULL OR men <= total);

-- An offer date belongs to an offer.
ALTER TABLE interview ADD CONSTRAINT interview_offer_date_offered CHECK (offered OR offer_date IS NULL);

-- A rate holds inside its enrolment (enrolment.Store.ChangeRate): checked at commit, on
-- either side, so that moving an enrolment's dates and its rates in one transaction works.
CREATE FUNCTION enrolment_rate_within() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad boolean;
BEGIN
    IF TG_TABLE_NAME = 'enrolment_rate' THEN
        SELECT NEW.valid_from < e.start_date OR NEW.valid_from > coalesce(e.end_date, 'infinity'::date)
          INTO bad FROM enrolment e WHERE e.id = NEW.enrolment_id;
    ELSE
        SELECT EXISTS (SELECT 1 FROM enrolment_rate r WHERE r.enrolment_id = NEW.id
            AND (r.valid_from < NEW.start_date OR r.valid_from > coalesce(NEW.end_date, 'infinity'::date)))
          INTO bad;
    END IF;
    IF bad THEN
        RAISE EXCEPTION 'an employment rate lies outside its enrolment'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'enrolment_rate_within_enrolment';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER enrolment_rate_within_enrolment AFTER INSERT OR UPDATE ON enrolment_rate
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION enrolment_rate_within();
CREATE CONSTRAINT TRIGGER enrolment_rate_within_enrolment AFTER UPDATE OF start_date, end_date ON enrolment
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION enrolment_rate_within();

-- ---------------------------------------------------------------------------------
-- Row-level security, parsed once per statement: the policies call the parsing
-- functions inside scalar subqueries, which PostgreSQL runs once as InitPlans instead of
-- once per row. app.org_ids is the personal-data scope (as before); app.ref_org_ids is
-- what a caller may read of an organisation's reference data (units, the measure
-- catalogue), which steering readers and evaluators need too; unset, it falls back to
-- app.org_ids.
-- ---------------------------------------------------------------------------------
CREATE FUNCTION app_org_list(setting text) RETURNS uuid[] LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(x::uuid), '{}')
      FROM unnest(string_to_array(coalesce(current_setting(setting, true), ''), ',')) AS x
     WHERE x ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
$$;
CREATE FUNCTION app_org_all(setting text) RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(current_setting(setting, true), '') = '*'
$$;
-- The personal-data scope, for policies.
CREATE FUNCTION app_org_ids() RETURNS uuid[] LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT app_org_list('app.org_ids') $$;
CREATE FUNCTION app_org_any() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT app_org_all('app.org_ids') $$;
-- The reference-data scope: its own setting when the session set it.
CREATE FUNCTION app_ref_org_ids() RETURNS uuid[] LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN current_setting('app.ref_org_ids', true) IS NULL OR current_setting('app.ref_org_ids', true) = ''
                THEN app_org_list('app.org_ids') || app_org_list('app.ref_org_ids') ELSE app_org_list('app.ref_org_ids') END
$$;
CREATE FUNCTION app_ref_org_any() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT app_org_all('app.org_ids') OR app_org_all('app.ref_org_ids')
$$;
-- Kept for code and ad-hoc queries that test one value.
CREATE OR REPLACE FUNCTION app_org_visible(org uuid) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT app_org_any() OR org = ANY (app_org_ids())
$$;

DO $$
DECLARE t text;
BEGIN
    FOR t IN SELECT c.table_name FROM information_schema.columns c
              JOIN pg_tables p ON p.tablename = c.table_name AND p.schemaname = 'public'
             WHERE c.table_schema = 'public' AND c.column_name = 'organisation_id'
               AND c.table_name NOT IN ('audit_log', 'unit', 'measure_type')
    LOOP
        EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %I', t);
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I
            USING ((SELECT app_org_any()) OR organisation_id = ANY ((SELECT app_org_ids())::uuid[]))
            WITH CHECK ((SELECT app_org_any()) OR organisation_id = ANY ((SELECT app_org_ids())::uuid[]))', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['unit', 'measure_type'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I
            USING ((SELECT app_ref_org_any()) OR organisation_id = ANY ((SELECT app_ref_org_ids())::uuid[]))
            WITH CHECK ((SELECT app_org_any()) OR organisation_id = ANY ((SELECT app_org_ids())::uuid[]))', t);
    END LOOP;
END $$;

-- The audit log has no policy: it is written with COPY, which PostgreSQL refuses on a
-- table whose row-level security applies to the writer, and no API call reads it (who
-- may read or change it is a matter of grants, migration 0005).

-- ---------------------------------------------------------------------------------
-- The outbox records every change, also one made by hand in SQL (a sanctioned fix).
-- Statement-level triggers (set-based, with transition tables: a bulk write costs one
-- statement, not one call per row) add a change event, marked by_trigger, for every
-- touched person whose transaction has none yet. The application records its own events
-- (with the entity it changed) after its writes: changes.Record takes the trigger's event
-- over instead of adding a second one, so the API's events stay exactly as they were.
-- ---------------------------------------------------------------------------------
ALTER TABLE change_event
    ADD COLUMN xact xid8 NOT NULL DEFAULT pg_current_xact_id(),
    ADD COLUMN by_trigger boolean NOT NULL DEFAULT false;
CREATE INDEX change_event_xact_idx ON change_event (xact, participant_id) WHERE processed_at IS NULL;

-- Each trigger function inserts one event per touched person not yet queued in this
-- transaction, straight from the transition tables. SECURITY DEFINER: recording a change
-- must not depend on the writer's grants on the outbox; row-level security still
-- applies with the writer's session scope.
CREATE FUNCTION outbox_queue_sql(touched text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT format($f$
        INSERT INTO change_event (organisation_id, participant_id, entity, entity_id, op, by_trigger)
        SELECT DISTINCT ON (t.person) t.org, t.person, t.entity, t.entity_id, $1, true
          FROM (%s) AS t(org, person, entity, entity_id)
         WHERE t.person IS NOT NULL AND NOT EXISTS (SELECT 1 FROM change_event c
                WHERE c.xact = pg_current_xact_id() AND c.participant_id = t.person AND c.processed_at IS NULL)
         ORDER BY t.person$f$, touched)
$$;

-- Rows of a person's history: participant, enrolment, observations, attributes, referrals.
-- The changed rows: the new side (insert, update) and the old side (update, delete), so
-- a row moved to another person queues both.
CREATE FUNCTION outbox_person_rows() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    op text := CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'UPDATE' THEN 'update' ELSE 'delete' END;
    person text := CASE TG_TABLE_NAME WHEN 'participant' THEN 'id' ELSE 'participant_id' END;
    side text := format('SELECT organisation_id, %I, %L::text, id FROM ', person, TG_TABLE_NAME);
BEGIN
    EXECUTE outbox_queue_sql(CASE TG_OP WHEN 'INSERT' THEN side || 'new_rows' WHEN 'DELETE' THEN side || 'old_rows'
        ELSE side || 'new_rows UNION ALL ' || side || 'old_rows' END) USING op;
    RETURN NULL;
END $$;

-- enrolment_rate has no id of its own; its person is the enrolment's.
CREATE FUNCTION outbox_rate_rows() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    EXECUTE outbox_queue_sql('SELECT e.organisation_id, e.participant_id, ''enrolment''::text, e.id FROM enrolment e
        WHERE e.id IN (SELECT enrolment_id FROM changed_rows)') USING 'update';
    RETURN NULL;
END $$;

-- Reference data whose names and codes the warehouse rows carry: a change queues every
-- person with an enrolment that names it.
CREATE FUNCTION outbox_reference_rows() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    col text := CASE TG_TABLE_NAME WHEN 'measure_type' THEN 'measure_type_id' WHEN 'project' THEN 'project_id' ELSE 'unit_id' END;
BEGIN
    EXECUTE outbox_queue_sql(format('SELECT e.organisation_id, e.participant_id, %L::text, e.%I FROM enrolment e
        WHERE e.%I IN (SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE row(n.*) IS DISTINCT FROM row(o.*))',
        TG_TABLE_NAME, col, col)) USING 'update';
    RETURN NULL;
END $$;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['participant', 'enrolment', 'outcome_observation', 'participant_attributes', 'referral'] LOOP
        EXECUTE format('CREATE TRIGGER outbox_insert AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION outbox_person_rows()', t);
        EXECUTE format('CREATE TRIGGER outbox_update AFTER UPDATE ON %I REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION outbox_person_rows()', t);
        EXECUTE format('CREATE TRIGGER outbox_delete AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION outbox_person_rows()', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['measure_type', 'project', 'unit'] LOOP
        EXECUTE format('CREATE TRIGGER outbox_update AFTER UPDATE ON %I REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION outbox_reference_rows()', t);
    END LOOP;
END $$;
CREATE TRIGGER outbox_insert AFTER INSERT ON enrolment_rate REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_rate_rows();
CREATE TRIGGER outbox_update AFTER UPDATE ON enrolment_rate REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_rate_rows();
CREATE TRIGGER outbox_delete AFTER DELETE ON enrolment_rate REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_rate_rows();

-- The loader's dead letters: people whose rows ClickHouse cannot represent (e.g. a date
-- before 1970). They stay here, out of the warehouse, until a later change fixes them.
CREATE TABLE loader_dead_letter (
    id              bigserial PRIMARY KEY,
    organisation_id uuid NOT NULL,
    participant_id  uuid NOT NULL, -- no foreign key: it must outlive an erased person
    reason          text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    resolved_at     timestamptz
);
CREATE INDEX loader_dead_letter_open_idx ON loader_dead_letter (participant_id) WHERE resolved_at IS NULL;
ALTER TABLE loader_dead_letter ENABLE ROW LEVEL SECURITY;
ALTER TABLE loader_dead_letter FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON loader_dead_letter
    USING ((SELECT app_org_any()) OR organisation_id = ANY ((SELECT app_org_ids())::uuid[]))
    WITH CHECK ((SELECT app_org_any()) OR organisation_id = ANY ((SELECT app_org_ids())::uuid[]));
