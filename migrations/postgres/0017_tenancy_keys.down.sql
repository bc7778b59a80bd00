ALTER TABLE retention_rule DROP CONSTRAINT retention_rule_active_after_dry_run;
DROP TRIGGER action_plan_revision_one_way ON action_plan_revision;
DROP TRIGGER enrolment_change_one_way ON enrolment_change;
DROP TRIGGER consent_one_way ON consent;
DROP TRIGGER interview_one_way ON interview;
DROP FUNCTION one_way_state();
DROP TRIGGER interview_offer_after_event ON recruitment_event;
DROP TRIGGER interview_offer_after_event ON interview;
DROP FUNCTION interview_offer_after_event();
ALTER TABLE organisation_membership DROP COLUMN regional_kind, DROP COLUMN member_kind;
ALTER TABLE organisation DROP CONSTRAINT organisation_id_kind_key;
ALTER TABLE referral DROP CONSTRAINT referral_ordered_known;
ALTER TABLE interview DROP CONSTRAINT interview_place_fkey;
ALTER TABLE recruitment_place DROP CONSTRAINT recruitment_place_event_employer_org_key;

ALTER TABLE action_plan_revision
    DROP CONSTRAINT action_plan_revision_plan_fkey,
    DROP CONSTRAINT action_plan_revision_participant_fkey,
    ADD CONSTRAINT action_plan_revision_action_plan_id_fkey FOREIGN KEY (action_plan_id) REFERENCES action_plan (id) ON DELETE CASCADE,
    ADD CONSTRAINT action_plan_revision_participant_id_fkey FOREIGN KEY (participant_id) REFERENCES participant (id) ON DELETE CASCADE;
ALTER TABLE action_plan DROP CONSTRAINT action_plan_id_person_org_key;

ALTER TABLE enrolment_change
    DROP CONSTRAINT enrolment_change_participant_fkey,
    ADD CONSTRAINT enrolment_change_participant_id_fkey FOREIGN KEY (participant_id) REFERENCES participant (id) ON DELETE CASCADE;

ALTER TABLE project_funding
    DROP CONSTRAINT project_funding_project_fkey,
    ADD CONSTRAINT project_funding_project_id_fkey FOREIGN KEY (project_id) REFERENCES project (id) ON DELETE CASCADE;

ALTER TABLE enrolment_cost
    DROP CONSTRAINT enrolment_cost_enrolment_fkey,
    DROP CONSTRAINT enrolment_cost_participant_fkey,
    ADD CONSTRAINT enrolment_cost_enrolment_id_fkey FOREIGN KEY (enrolment_id) REFERENCES enrolment (id) ON DELETE CASCADE,
    ADD CONSTRAINT enrolment_cost_participant_id_fkey FOREIGN KEY (participant_id) REFERENCES participant (id) ON DELETE CASCADE;
