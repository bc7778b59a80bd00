-- Back to 0003: single-column foreign keys, the old policies, no range checks, no
-- outbox triggers, the default collation.
DROP TABLE IF EXISTS loader_dead_letter;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['participant', 'enrolment', 'outcome_observation', 'participant_attributes', 'referral',
        'enrolment_rate', 'measure_type', 'project', 'unit'] LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS outbox_insert ON %I', t);
        EXECUTE format('DROP TRIGGER IF EXISTS outbox_update ON %I', t);
        EXECUTE format('DROP TRIGGER IF EXISTS outbox_delete ON %I', t);
    END LOOP;
END $$;
DROP FUNCTION IF EXISTS outbox_person_rows(), outbox_rate_rows(), outbox_reference_rows(), outbox_queue_sql(text);
DROP INDEX IF EXISTS change_event_xact_idx;
ALTER TABLE change_event DROP COLUMN xact, DROP COLUMN by_trigger;

DROP INDEX IF EXISTS participant_name_order_idx, organisation_name_order_idx, unit_name_order_idx,
    employer_name_order_idx, employer_contact_name_order_idx, project_order_idx;
ALTER TABLE organisation      ALTER COLUMN name        TYPE text COLLATE "default";
ALTER TABLE unit              ALTER COLUMN name        TYPE text COLLATE "default";
ALTER TABLE staff_user        ALTER COLUMN name        TYPE text COLLATE "default";
ALTER TABLE employer          ALTER COLUMN name        TYPE text COLLATE "default";
ALTER TABLE employer_contact  ALTER COLUMN name        TYPE text COLLATE "default";
ALTER TABLE participant       ALTER COLUMN given_name  TYPE text COLLATE "default";
ALTER TABLE participant       ALTER COLUMN family_name TYPE text COLLATE "default";
ALTER TABLE project           ALTER COLUMN name        TYPE text COLLATE "default";
ALTER TABLE target            ALTER COLUMN name        TYPE text COLLATE "default";
ALTER TABLE quota             ALTER COLUMN name        TYPE text COLLATE "default";
ALTER TABLE recruitment_event ALTER COLUMN name        TYPE text COLLATE "default";

-- Policies as 0002/0003 wrote them.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['unit', 'measure_type', 'change_event'] LOOP
        EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %I', t);
        EXECUTE format('ALTER TABLE %I NO FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['participant', 'enrolment', 'outcome_observation', 'staff_user', 'employer',
        'employer_contact', 'employer_note', 'participant_attributes', 'project', 'target', 'enrolment_rate',
        'referral', 'action_plan', 'action_plan_step', 'follow_up', 'recruitment_event', 'recruitment_place',
        'recruitment_invitation', 'interview', 'quota', 'idempotency_key'] LOOP
        EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %I', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (app_org_visible(organisation_id)) WITH CHECK (app_org_visible(organisation_id))', t);
    END LOOP;
END $$;
CREATE OR REPLACE FUNCTION app_org_visible(org uuid) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('app.org_ids', true), '') = '*'
        OR org::text = ANY (string_to_array(coalesce(current_setting('app.org_ids', true), ''), ','))
$$;
DROP FUNCTION IF EXISTS app_org_ids(), app_org_any(), app_ref_org_ids(), app_ref_org_any(),
    app_org_list(text), app_org_all(text);

DROP TRIGGER IF EXISTS enrolment_rate_within_enrolment ON enrolment_rate;
DROP TRIGGER IF EXISTS enrolment_rate_within_enrolment ON enrolment;
DROP FUNCTION IF EXISTS enrolment_rate_within();
ALTER TABLE interview DROP CONSTRAINT interview_offer_date_offered;
ALTER TABLE target DROP CONSTRAINT target_split_within_total, DROP CONSTRAINT target_women_within_total,
    DROP CONSTRAINT target_men_within_total;
ALTER TABLE referral DROP CONSTRAINT referral_feedback_sent_order, DROP CONSTRAINT referral_tripartite_order;
ALTER TABLE enrolment DROP CONSTRAINT enrolment_no_overlap_in_measure, DROP CONSTRAINT enrolment_decision_order,
    DROP CONSTRAINT enrolment_override_together, DROP CONSTRAINT enrolment_exit_assistance;
DO $$
DECLARE c record;
BEGIN
    FOR c IN SELECT conrelid::regclass AS tbl, conname FROM pg_constraint
              WHERE contype = 'c' AND connamespace = 'public'::regnamespace AND pg_get_constraintdef(oid) LIKE '%sane_date(%'
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', c.tbl, c.conname);
    END LOOP;
END $$;
DROP FUNCTION IF EXISTS sane_date(date);

DROP INDEX IF EXISTS enrolment_measure_type_idx, enrolment_unit_idx, enrolment_project_idx, participant_caseworker_idx,
    staff_user_unit_idx, target_measure_type_idx, target_project_idx, target_unit_idx, follow_up_enrolment_idx,
    recruitment_event_measure_type_idx, recruitment_place_employer_idx, recruitment_invitation_person_idx,
    interview_employer_idx, interview_enrolment_idx, quota_measure_type_idx;

ALTER TABLE quota DROP CONSTRAINT quota_measure_type_fkey,
    ADD CONSTRAINT quota_measure_type_id_fkey FOREIGN KEY (measure_type_id) REFERENCES measure_type (id);
ALTER TABLE interview DROP CONSTRAINT interview_event_fkey, DROP CONSTRAINT interview_participant_fkey,
    DROP CONSTRAINT interview_employer_fkey, DROP CONSTRAINT interview_enrolment_fkey,
    ADD CONSTRAINT interview_event_id_fkey FOREIGN KEY (event_id) REFERENCES recruitment_event (id) ON DELETE CASCADE,
    ADD CONSTRAINT interview_participant_id_fkey FOREIGN KEY (participant_id) REFERENCES participant (id) ON DELETE CASCADE,
    ADD CONSTRAINT interview_employer_id_fkey FOREIGN KEY (employer_id) REFERENCES employer (id),
    ADD CONSTRAINT interview_enrolment_id_fkey FOREIGN KEY (enrolment_id) REFERENCES enrolment (id) ON DELETE SET NULL;
ALTER TABLE recruitment_invitation DROP CONSTRAINT recruitment_invitation_event_fkey,
    DROP CONSTRAINT recruitment_invitation_participant_fkey,
    ADD CONSTRAINT recruitment_invitation_event_id_fkey FOREIGN KEY (event_id) REFERENCES recruitment_event (id) ON DELETE CASCADE,
    ADD CONSTRAINT recruitment_invitation_participant_id_fkey FOREIGN KEY (participant_id) REFERENCES participant (id) ON DELETE CASCADE;
ALTER TABLE recruitment_place DROP CONSTRAINT recruitment_place_event_fkey, DROP CONSTRAINT recruitment_place_employer_fkey,
    ADD CONSTRAINT recruitment_place_event_id_fkey FOREIGN KEY (event_id) REFERENCES recruitment_event (id) ON DELETE CASCADE,
    ADD CONSTRAINT recruitment_place_employer_id_fkey FOREIGN KEY (employer_id) REFERENCES employer (id);
ALTER TABLE recruitment_event DROP CONSTRAINT recruitment_event_measure_type_fkey,
    ADD CONSTRAINT recruitment_event_measure_type_id_fkey FOREIGN KEY (measure_type_id) REFERENCES measure_type (id);
ALTER TABLE follow_up DROP CONSTRAINT follow_up_participant_fkey, DROP CONSTRAINT follow_up_enrolment_fkey,
    ADD CONSTRAINT follow_up_participant_id_fkey FOREIGN KEY (participant_id) REFERENCES participant (id) ON DELETE CASCADE,
    ADD CONSTRAINT follow_up_enrolment_id_fkey FOREIGN KEY (enrolment_id) REFERENCES enrolment (id) ON DELETE CASCADE;
ALTER TABLE action_plan_step DROP CONSTRAINT action_plan_step_plan_fkey,
    ADD CONSTRAINT action_plan_step_action_plan_id_fkey FOREIGN KEY (action_plan_id) REFERENCES action_plan (id) ON DELETE CASCADE;
ALTER TABLE action_plan DROP CONSTRAINT action_plan_participant_fkey,
    ADD CONSTRAINT action_plan_participant_id_fkey FOREIGN KEY (participant_id) REFERENCES participant (id) ON DELETE CASCADE;
ALTER TABLE referral DROP CONSTRAINT referral_participant_fkey,
    ADD CONSTRAINT referral_participant_id_fkey FOREIGN KEY (participant_id) REFERENCES participant (id) ON DELETE CASCADE;
ALTER TABLE enrolment_rate DROP CONSTRAINT enrolment_rate_enrolment_fkey,
    ADD CONSTRAINT enrolment_rate_enrolment_id_fkey FOREIGN KEY (enrolment_id) REFERENCES enrolment (id) ON DELETE CASCADE;
ALTER TABLE target DROP CONSTRAINT target_measure_type_fkey, DROP CONSTRAINT target_project_fkey, DROP CONSTRAINT target_unit_fkey,
    ADD CONSTRAINT target_measure_type_id_fkey FOREIGN KEY (measure_type_id) REFERENCES measure_type (id),
    ADD CONSTRAINT target_project_id_fkey FOREIGN KEY (project_id) REFERENCES project (id),
    ADD CONSTRAINT target_unit_id_fkey FOREIGN KEY (unit_id) REFERENCES unit (id);
ALTER TABLE participant_attributes DROP CONSTRAINT participant_attributes_participant_fkey,
    ADD CONSTRAINT participant_attributes_participant_id_fkey FOREIGN KEY (participant_id) REFERENCES participant (id) ON DELETE CASCADE;
ALTER TABLE employer_note DROP CONSTRAINT employer_note_employer_fkey,
    ADD CONSTRAINT employer_note_employer_id_fkey FOREIGN KEY (employer_id) REFERENCES employer (id) ON DELETE CASCADE;
ALTER TABLE employer_contact DROP CONSTRAINT employer_contact_employer_fkey,
    ADD CONSTRAINT employer_contact_employer_id_fkey FOREIGN KEY (employer_id) REFERENCES employer (id) ON DELETE CASCADE;
ALTER TABLE staff_user DROP CONSTRAINT staff_user_unit_fkey,
    ADD CONSTRAINT staff_user_unit_id_fkey FOREIGN KEY (unit_id) REFERENCES unit (id);
ALTER TABLE participant DROP CONSTRAINT participant_caseworker_fkey,
    ADD CONSTRAINT participant_caseworker_id_fkey FOREIGN KEY (caseworker_id) REFERENCES staff_user (id);
ALTER TABLE outcome_observation DROP CONSTRAINT outcome_observation_participant_fkey,
    ADD CONSTRAINT outcome_observation_participant_id_fkey FOREIGN KEY (participant_id) REFERENCES participant (id) ON DELETE CASCADE;
ALTER TABLE enrolment DROP CONSTRAINT enrolment_participant_fkey, DROP CONSTRAINT enrolment_measure_type_fkey,
    DROP CONSTRAINT enrolment_unit_fkey, DROP CONSTRAINT enrolment_host_employer_fkey, DROP CONSTRAINT enrolment_project_fkey,
    ADD CONSTRAINT enrolment_participant_id_fkey FOREIGN KEY (participant_id) REFERENCES participant (id) ON DELETE CASCADE,
    ADD CONSTRAINT enrolment_measure_type_id_fkey FOREIGN KEY (measure_type_id) REFERENCES measure_type (id),
    ADD CONSTRAINT enrolment_unit_id_fkey FOREIGN KEY (unit_id) REFERENCES unit (id),
    ADD CONSTRAINT enrolment_host_employer_id_fkey FOREIGN KEY (host_employer_id) REFERENCES employer (id),
    ADD CONSTRAINT enrolment_project_id_fkey FOREIGN KEY (project_id) REFERENCES project (id);

ALTER TABLE recruitment_event DROP CONSTRAINT recruitment_event_id_org_key;
ALTER TABLE action_plan DROP CONSTRAINT action_plan_id_org_key;
ALTER TABLE project DROP CONSTRAINT project_id_org_key;
ALTER TABLE employer DROP CONSTRAINT employer_id_org_key;
ALTER TABLE staff_user DROP CONSTRAINT staff_user_id_org_key;
ALTER TABLE unit DROP CONSTRAINT unit_id_org_key;
ALTER TABLE measure_type DROP CONSTRAINT measure_type_id_org_key;
ALTER TABLE enrolment DROP CONSTRAINT enrolment_id_person_org_key;
ALTER TABLE enrolment DROP CONSTRAINT enrolment_id_org_key;
ALTER TABLE participant DROP CONSTRAINT participant_id_org_key;
