-- Data as the release whose schema ends at migration 0003 wrote it (main before issue
-- 19): one municipality with its catalogue, two participants with attributes, a
-- referral, an exited and an open enrolment, observations, outbox events (one
-- processed), an idempotency key and audit rows of earlier months.
INSERT INTO organisation (id, code, name, kind, created_at) VALUES
    ('11111111-0000-0000-0000-000000000001', 'upgrade-kommun', 'Uppgraderingens kommun', 'municipality', '2024-01-02 09:00+01');
INSERT INTO unit (id, organisation_id, name) VALUES
    ('11111111-0000-0000-0000-0000000000a1', '11111111-0000-0000-0000-000000000001', 'Stöd till arbete');
INSERT INTO measure_type (id, organisation_id, code, name, swedish_name, category, subsidised, municipal_employment, eligibility_rule) VALUES
    ('11111111-0000-0000-0000-0000000000b1', '11111111-0000-0000-0000-000000000001', 'extra_job', 'Extra job', 'Extratjänst', 'employment', true, true, 'extra_job'),
    ('11111111-0000-0000-0000-0000000000b2', '11111111-0000-0000-0000-000000000001', 'work_practice', 'Work practice', 'Praktik', 'practice', false, false, 'none');
INSERT INTO employer (id, organisation_id, kind, name, headcount) VALUES
    ('11111111-0000-0000-0000-0000000000c1', '11111111-0000-0000-0000-000000000001', 'municipal_department', 'Vård- och omsorgsförvaltningen', 5200);
INSERT INTO participant (id, organisation_id, personal_identity_number, given_name, family_name, gender, birth_date, created_at, updated_at) VALUES
    ('11111111-0000-0000-0000-0000000000d1', '11111111-0000-0000-0000-000000000001', '19850312-0005', 'Åsa', 'Öberg', 'woman', '1985-03-12', '2024-01-10 10:00+01', '2024-01-10 10:00+01'),
    ('11111111-0000-0000-0000-0000000000d2', '11111111-0000-0000-0000-000000000001', '19920701-0014', 'Erik', 'Lund', 'man', '1992-07-01', '2024-02-01 10:00+01', '2024-02-01 10:00+01');
INSERT INTO participant_attributes (organisation_id, participant_id, valid_from, district, birth_region, newly_arrived, registered_at_af,
        guarantee_days, social_assistance, education_level, distance_category, recorded_by, recorded_at) VALUES
    ('11111111-0000-0000-0000-000000000001', '11111111-0000-0000-0000-0000000000d1', '2024-01-10', 'Gottsunda', 'outside_europe', true, true,
        500, true, 'upper_secondary', 'yellow', 'caseworker-1', '2024-01-10 10:00+01'),
    ('11111111-0000-0000-0000-000000000001', '11111111-0000-0000-0000-0000000000d2', '2024-02-01', 'Gränby', 'sweden', false, true,
        0, false, 'pre_upper_secondary', 'red', 'caseworker-1', '2024-02-01 10:00+01');
INSERT INTO referral (id, organisation_id, participant_id, source, referral_date, ordered, feedback_due_date) VALUES
    ('11111111-0000-0000-0000-0000000000e1', '11111111-0000-0000-0000-000000000001', '11111111-0000-0000-0000-0000000000d1',
        'social_services', '2024-01-05', '{work_practice}', '2024-02-05');
INSERT INTO enrolment (id, organisation_id, participant_id, measure_type_id, decision_date, start_date, planned_end_date, end_date, exit_reason,
        unit_id, host_employer_id, occupation, social_assistance_at_exit) VALUES
    ('11111111-0000-0000-0000-0000000000f1', '11111111-0000-0000-0000-000000000001', '11111111-0000-0000-0000-0000000000d1',
        '11111111-0000-0000-0000-0000000000b1', '2024-01-20', '2024-02-01', '2025-01-31', '2024-12-31', 'unsubsidised_employment_full',
        '11111111-0000-0000-0000-0000000000a1', '11111111-0000-0000-0000-0000000000c1', 'Undersköterska', false),
    ('11111111-0000-0000-0000-0000000000f2', '11111111-0000-0000-0000-000000000001', '11111111-0000-0000-0000-0000000000d2',
        '11111111-0000-0000-0000-0000000000b2', NULL, '2024-03-01', '2024-08-31', NULL, NULL,
        '11111111-0000-0000-0000-0000000000a1', NULL, '', NULL);
INSERT INTO outcome_observation (organisation_id, participant_id, month, status, social_assistance, source) VALUES
    ('11111111-0000-0000-0000-000000000001', '11111111-0000-0000-0000-0000000000d1', '2025-06-01', 'unsubsidised_employment_full', false, 'phone_follow_up'),
    ('11111111-0000-0000-0000-000000000001', '11111111-0000-0000-0000-0000000000d1', '2025-12-01', 'unsubsidised_employment_full', false, 'af_data');
INSERT INTO change_event (organisation_id, participant_id, entity, entity_id, op, created_at, processed_at) VALUES
    ('11111111-0000-0000-0000-000000000001', '11111111-0000-0000-0000-0000000000d1', 'participant', '11111111-0000-0000-0000-0000000000d1', 'create',
        '2024-01-10 10:00+01', '2024-01-10 10:00:01+01'),
    ('11111111-0000-0000-0000-000000000001', '11111111-0000-0000-0000-0000000000d2', 'enrolment', '11111111-0000-0000-0000-0000000000f2', 'create',
        '2024-03-01 10:00+01', NULL);
INSERT INTO idempotency_key (organisation_id, key, operation, request_hash, result_id, created_at) VALUES
    ('11111111-0000-0000-0000-000000000001', 'create-d2', 'createParticipant', 'abc', '11111111-0000-0000-0000-0000000000d2', '2024-02-01 10:00+01');
INSERT INTO audit_log (at, subject, role, organisation_id, action, entity, entity_id, operation, request_id) VALUES
    ('2024-01-10 10:00+01', 'caseworker-1', 'caseworker', '11111111-0000-0000-0000-000000000001', 'write', 'participant', '11111111-0000-0000-0000-0000000000d1', 'createParticipant', 'req-1'),
    ('2024-02-01 10:00+01', 'caseworker-1', 'caseworker', '11111111-0000-0000-0000-000000000001', 'write', 'participant', '11111111-0000-0000-0000-0000000000d2', 'createParticipant', 'req-2'),
    ('2025-06-15 09:30+02', 'admin-1', 'admin', NULL, 'read', 'participant', '11111111-0000-0000-0000-0000000000d1', 'participant', 'req-3');
