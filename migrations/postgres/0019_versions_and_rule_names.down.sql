ALTER TABLE audit_log RENAME CONSTRAINT audit_log_action_check TO audit_log_action_check1;
ALTER TABLE enrolment RENAME CONSTRAINT enrolment_end_order TO enrolment_check;
ALTER TABLE enrolment RENAME CONSTRAINT enrolment_planned_end_order TO enrolment_check1;
ALTER TABLE enrolment RENAME CONSTRAINT enrolment_exit_together TO enrolment_check2;
ALTER TABLE referral RENAME CONSTRAINT referral_feedback_due_order TO referral_check;
ALTER TABLE follow_up RENAME CONSTRAINT follow_up_next_due_order TO follow_up_check;
ALTER TABLE interview RENAME CONSTRAINT interview_answer_offered TO interview_check;
ALTER TABLE consent RENAME CONSTRAINT consent_withdrawn_together TO consent_check;
ALTER TABLE consent RENAME CONSTRAINT consent_withdrawn_order TO consent_check1;
ALTER TABLE project RENAME CONSTRAINT project_end_order TO project_check;
ALTER TABLE target RENAME CONSTRAINT target_period_order TO target_check;
ALTER TABLE quota RENAME CONSTRAINT quota_period_order TO quota_check;
ALTER TABLE organisation_membership RENAME CONSTRAINT organisation_membership_not_itself TO organisation_membership_check;
ALTER TABLE report_edition RENAME CONSTRAINT report_edition_month_range TO report_edition_month_check1;
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['action_plan', 'employer', 'enrolment', 'inactivity_rule', 'interview', 'participant',
        'project', 'quota', 'recruitment_event', 'referral', 'staff_user', 'target', 'retention_rule'] LOOP
        EXECUTE format('DROP TRIGGER %I ON %I', t || '_version_increases', t);
    END LOOP;
END $$;
DROP FUNCTION version_increases();
