-- Four createParticipants in one transaction, each statement writing four rows: what
-- sharing a transaction between concurrent requests would cost PostgreSQL (not what the
-- API does: each request has a transaction of its own).
\set n random(1, 999999999)
\startpipeline
BEGIN;
SELECT set_config('app.org_ids', :org, true), set_config('app.ref_org_ids', '', true);
INSERT INTO idempotency_key (organisation_id, key, operation, request_hash, result_id)
SELECT :org, 'ceiling4-' || :n || '-' || g || '-' || random(), 'createParticipant', md5(:n::text), gen_random_uuid()
FROM generate_series(1, 4) g
ON CONFLICT (organisation_id, key) DO NOTHING RETURNING true;
INSERT INTO participant (id, organisation_id, personal_identity_number, given_name, family_name,
        gender, birth_date, phone, email, caseworker_id, protected_identity, anonymous)
SELECT gen_random_uuid(), :org, '1943' || lpad(((:n + g) % 10000)::text, 4, '0') || '-' || lpad(((:n + g) / 10000 % 10000)::text, 4, '0'),
        'Pg', 'Ceiling', 'woman', '1943-01-01', '', '', NULL, false, false
FROM generate_series(1, 4) g
ON CONFLICT (organisation_id, personal_identity_number) DO NOTHING
RETURNING id, organisation_id, given_name, family_name, gender, birth_date, case_status, version, created_at;
INSERT INTO audit_log (subject, role, organisation_id, action, entity, entity_id, operation, request_id)
SELECT 'bench-ceiling', 'caseworker', :org, 'write', 'participant', g::text, 'createParticipant', 'ceiling'
FROM generate_series(1, 4) g WHERE false OR txid_current_if_assigned() IS NOT NULL;
COMMIT;
\endpipeline
