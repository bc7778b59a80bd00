DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['action_plan', 'employer', 'enrolment', 'inactivity_rule', 'interview', 'participant',
        'project', 'quota', 'recruitment_event', 'referral', 'staff_user', 'target', 'retention_rule'] LOOP
        EXECUTE format('DROP TRIGGER %I ON %I', t || '_version_increases', t);
    END LOOP;
END $$;
DROP FUNCTION version_increases();
