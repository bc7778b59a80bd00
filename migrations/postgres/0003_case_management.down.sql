DROP TABLE IF EXISTS idempotency_key, quota, interview, recruitment_invitation, recruitment_place,
    recruitment_event, follow_up, action_plan_step, action_plan, referral, enrolment_rate, target;
ALTER TABLE enrolment
    DROP COLUMN unit_id, DROP COLUMN host_employer_id, DROP COLUMN project_id, DROP COLUMN occupation,
    DROP COLUMN wage_payer, DROP COLUMN subsidised, DROP COLUMN eligibility_basis,
    DROP COLUMN override_reason, DROP COLUMN override_by, DROP COLUMN override_at,
    DROP COLUMN social_assistance_at_exit;
ALTER TABLE measure_type DROP COLUMN eligibility_rule, DROP COLUMN active;
DROP TABLE IF EXISTS project, participant_attributes;
ALTER TABLE participant DROP COLUMN case_status, DROP COLUMN caseworker_id, DROP COLUMN phone, DROP COLUMN email;
DROP TABLE IF EXISTS employer_note, employer_contact, employer, staff_user, organisation_membership;
