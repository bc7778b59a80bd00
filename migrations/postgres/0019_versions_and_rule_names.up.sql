-- A record's version grows with every change of it, whoever writes it (docs/DATABASE.md).
-- The API's updates take the version the caller read and set version = version + 1, so
-- a stale form is CONFLICT; a change in plain SQL (a sanctioned fix such as the one in
-- docs/DATABASE.md, an ON DELETE SET NULL) left the version as it was, and a caseworker's
-- form read before it then saved over it without a conflict. Now such a change takes the
-- next version by itself, and a version set back is refused: an old version would match
-- a stale form again. The API's own updates raise the version themselves, so the WHEN
-- clause keeps the trigger from running for them.
CREATE FUNCTION version_increases() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.version < OLD.version THEN
        RAISE EXCEPTION '% version goes back from % to %', TG_TABLE_NAME, OLD.version, NEW.version
            USING ERRCODE = 'check_violation', CONSTRAINT = TG_TABLE_NAME || '_version_increases';
    END IF;
    NEW.version := OLD.version + 1;
    RETURN NEW;
END $$;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['action_plan', 'employer', 'enrolment', 'inactivity_rule', 'interview', 'participant',
        'project', 'quota', 'recruitment_event', 'referral', 'staff_user', 'target'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %I FOR EACH ROW
            WHEN (NEW.version < OLD.version OR NEW.version = OLD.version AND NEW.* IS DISTINCT FROM OLD.*)
            EXECUTE FUNCTION version_increases()', t || '_version_increases', t);
    END LOOP;
END $$;

-- A retention rule's version is the rule an admin reviewed in its dry run
-- (activateRetentionRule takes it): the stamps of a dry run or a run are not a change of
-- the rule, its years and mode are.
CREATE TRIGGER retention_rule_version_increases BEFORE UPDATE ON retention_rule FOR EACH ROW
    WHEN (NEW.version < OLD.version
        OR NEW.version = OLD.version AND (NEW.inactive_years, NEW.mode) IS DISTINCT FROM (OLD.inactive_years, OLD.mode))
    EXECUTE FUNCTION version_increases();

-- The casework rules of migration 0001 that were written as unnamed table checks carried
-- PostgreSQL's positional names (enrolment_check, enrolment_check1, enrolment_check2):
-- what a refusal names (in the API's message, in psql, in the log) said nothing of the
-- rule, and the number depended on the order the checks were written in. Each is named
-- for its rule (internal/platform/db TestEveryRuleHasItsName finds any positional one).
ALTER TABLE enrolment RENAME CONSTRAINT enrolment_check TO enrolment_end_order;
ALTER TABLE enrolment RENAME CONSTRAINT enrolment_check1 TO enrolment_planned_end_order;
ALTER TABLE enrolment RENAME CONSTRAINT enrolment_check2 TO enrolment_exit_together;
ALTER TABLE referral RENAME CONSTRAINT referral_check TO referral_feedback_due_order;
ALTER TABLE follow_up RENAME CONSTRAINT follow_up_check TO follow_up_next_due_order;
ALTER TABLE interview RENAME CONSTRAINT interview_check TO interview_answer_offered;
ALTER TABLE consent RENAME CONSTRAINT consent_check TO consent_withdrawn_together;
ALTER TABLE consent RENAME CONSTRAINT consent_check1 TO consent_withdrawn_order;
ALTER TABLE project RENAME CONSTRAINT project_check TO project_end_order;
ALTER TABLE target RENAME CONSTRAINT target_check TO target_period_order;
ALTER TABLE quota RENAME CONSTRAINT quota_check TO quota_period_order;
ALTER TABLE organisation_membership RENAME CONSTRAINT organisation_membership_check TO organisation_membership_not_itself;
ALTER TABLE report_edition RENAME CONSTRAINT report_edition_month_check1 TO report_edition_month_range;
-- Created beside the table it replaced (migration 0010), whose check held the name.
ALTER TABLE audit_log RENAME CONSTRAINT audit_log_action_check1 TO audit_log_action_check;
